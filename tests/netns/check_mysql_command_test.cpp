// `havip check mysql`, the one-shot command keepalived runs as a vrrp_script, against a real
// MariaDB server in a lab namespace: it answers and exits within its --timeout, as a script
// must (keepalived counts a script still running at its timeout as failed).
#include <chrono>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <gtest/gtest.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "checks/mysql_probe.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;

const std::string havip_bin = havip_path();

class CheckMysqlCommand : public LabTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        LabTest::SetUp();
    }
    // The check's login to `db` over its unix socket.
    static checks::ConnectSettings monitor_login(const MariadbServer& db) {
        const auto creds = checks::read_option_file(db.monitor_option_file().string());
        EXPECT_TRUE(creds.credentials) << creds.error;
        checks::ConnectSettings cs;
        cs.unix_socket = db.socket().string();
        if (creds.credentials) cs.credentials = *creds.credentials;
        return cs;
    }
};

TEST_F(CheckMysqlCommand, exits_with_the_verdict_as_soon_as_the_server_answered) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    MariadbServer db(lab(), "a", "10.77.0.1", 1);
    ASSERT_TRUE(db.start());
    const std::vector<std::string> argv{havip_bin,
                                        "check",
                                        "mysql",
                                        "--option-file",
                                        db.monitor_option_file().string(),
                                        "--socket",
                                        db.socket().string(),
                                        "--role",
                                        "holder",
                                        "--timeout",
                                        "0.8"};
    const auto started = std::chrono::steady_clock::now();
    auto r = lab().run("a", argv, 10s);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(r.timed_out) << "still running after 10 s";
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("healthy: ", 0), 0u) << r.out;
    // The answer takes milliseconds; the deadline is 0.8 s.
    EXPECT_LT(took, 800ms + 500ms) << r.out;
}

// A job past its deadline is let go on the client side (its socket shut down), but the server
// went on running its statement: a promote's wait, a STOP SLAVE or a replica status stuck on a
// lock held each interval's connection until it ended by itself, piling up connections (issue
// 15, item 5). The probe's next connect ends that server thread.
TEST_F(CheckMysqlCommand, a_statement_left_running_by_a_timed_out_job_is_ended_on_the_server) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    MariadbServer db(lab(), "a", "10.77.0.1", 1);
    ASSERT_TRUE(db.start());
    const checks::ConnectSettings cs = monitor_login(db);
    checks::MysqlLibrary library;
    boost::asio::io_context io;
    auto work = boost::asio::make_work_guard(io);  // answers come from the worker thread
    auto probe = std::make_unique<checks::MysqlProbe>(io, cs);
    auto run = [&](std::string sql, std::chrono::milliseconds timeout) {
        std::optional<checks::JobOutcome> outcome;
        probe->run([sql](checks::MysqlConnection& c) { c.query(sql); }, timeout,
                   [&](checks::JobOutcome o) { outcome = o; });
        const auto until = std::chrono::steady_clock::now() + timeout + 5s;
        while (!outcome && std::chrono::steady_clock::now() < until)
            io.run_one_for(50ms);
        return outcome;
    };
    const std::string sleeping = "SELECT SLEEP(30) AS havip_test_sleep";
    EXPECT_EQ(run(sleeping, 300ms), checks::JobOutcome::timed_out);
    // The next job, once the worker has let go of the interrupted one (busy until then).
    std::optional<checks::JobOutcome> next;
    for (int i = 0; i < 20 && (next = run("SELECT 1 AS x", 5s)) == checks::JobOutcome::busy; ++i)
        std::this_thread::sleep_for(50ms);
    EXPECT_EQ(next, checks::JobOutcome::completed);
    const auto still_running = [&] {
        return db.value("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO = '" +
                        sleeping + "'") != std::optional<std::string>("0");
    };
    EXPECT_TRUE(wait_until([&] { return !still_running(); }, 2s, 50ms))
        << "the timed-out job's statement still runs on the server";
    probe.reset();
}

// A server run with NO_BACKSLASH_ESCAPES (some DBAs set it for ANSI behaviour) reads '\\' as two
// characters: a password with a backslash set by bootstrap would then not be the inventory's.
// havip's sessions drop that one mode, so what sql_quote writes means the same everywhere.
TEST_F(CheckMysqlCommand, sql_quote_means_the_same_on_a_server_with_no_backslash_escapes) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    MariadbServer db(lab(), "a", "10.77.0.1", 1);
    ASSERT_TRUE(db.start());
    ASSERT_TRUE(db.exec("SET GLOBAL sql_mode=CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"));
    const checks::ConnectSettings cs = monitor_login(db);
    checks::MysqlLibrary library;
    checks::MysqlConnection session(cs);
    ASSERT_FALSE(session.ensure_connected());
    const std::string text = "it's a\\b\\'c";
    auto answer =
        session.query("SELECT " + checks::sql_quote(text) + " AS v, @@global.sql_mode AS m");
    ASSERT_TRUE(std::holds_alternative<std::vector<checks::ReplicaRow>>(answer))
        << std::get<checks::SqlError>(answer).message;
    const auto& rows = std::get<std::vector<checks::ReplicaRow>>(answer);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_NE(rows[0].at("m").value_or("").find("NO_BACKSLASH_ESCAPES"), std::string::npos);
    EXPECT_EQ(rows[0].at("v").value_or("<null>"), text);
}

}  // namespace
}  // namespace havip::test
