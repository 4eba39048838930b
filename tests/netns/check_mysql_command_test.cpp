// `havip check mysql`, the one-shot command keepalived runs as a vrrp_script, against a real
// MariaDB server in a lab namespace: it answers and exits within its --timeout, as a script
// must (keepalived counts a script still running at its timeout as failed).
#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;

const std::string havip_bin = std::string(HAVIP_BINARY_DIR) + "/havip/havip";

class CheckMysqlCommand : public LabTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        LabTest::SetUp();
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

// A server run with NO_BACKSLASH_ESCAPES (some DBAs set it for ANSI behaviour) reads '\\' as two
// characters: a password with a backslash set by bootstrap would then not be the inventory's.
// havip's sessions drop that one mode, so what sql_quote writes means the same everywhere.
TEST_F(CheckMysqlCommand, sql_quote_means_the_same_on_a_server_with_no_backslash_escapes) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    MariadbServer db(lab(), "a", "10.77.0.1", 1);
    ASSERT_TRUE(db.start());
    ASSERT_TRUE(db.exec("SET GLOBAL sql_mode=CONCAT(@@sql_mode, ',NO_BACKSLASH_ESCAPES')"));
    const auto creds = checks::read_option_file(db.monitor_option_file().string());
    ASSERT_TRUE(creds.credentials) << creds.error;
    checks::ConnectSettings cs;
    cs.unix_socket = db.socket().string();
    cs.credentials = *creds.credentials;
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
