// `havip switchover` (issue 19) in the namespace lab: a GTID master-master pair a/b, havipd on
// both with manage_read_only (v3, 100 ms adverts), a client on c writing through the VIP.
// The VIP and the writer move both ways with no acknowledged write lost; the old master holds
// BACKUP, also across a restart of its havipd; a lagging or unreachable target is refused with
// nothing changed; a target whose havipd does not take the VIP rolls back.
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checks/mysql_client.hpp"
#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"
#include "tests/harness/writer.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
namespace fs = std::filesystem;

constexpr const char* vip4 = "10.77.0.100";
constexpr const char* writer_password = "w-lab-secret";
const std::string havip_bin = havip_path();

class SwitchoverTest : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        if (!fs::exists(havip_bin)) GTEST_SKIP() << havip_bin << " is not built";
        VrrpPairTest::SetUp();
    }
    void TearDown() override {
        if (writer_) writer_->stop();
        writer_.reset();
        VrrpPairTest::TearDown();
        db_a_.reset();
        db_b_.reset();
    }

    MariadbServer& db(std::string_view node) { return node == "a" ? *db_a_ : *db_b_; }

    std::string config(std::string_view node, int priority) {
        VrrpInstanceSpec s;
        s.vrid = 95;
        s.priority = priority;
        s.version = 3;
        s.advert_int = 100ms;
        s.state = "BACKUP";
        s.vips = {fmt::format("{}/24", vip4)};
        MariadbServer::CheckSpec check;
        check.manage_read_only = true;
        s.extra_lines = {"track_script {", fmt::format("    {}", check.name), "}"};
        return render_keepalived_conf(single_instance(s, node)) + "\n" +
               db(node).check_block(check) + "\n";
    }

    // a holds the VIP (priority 150) and is writable; b (100) is its read-only standby.
    void start() {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        ASSERT_TRUE(lab().add_node("c"));
        ASSERT_TRUE(lab().add_address("c", "10.77.0.3/24"));
        db_a_.emplace(lab(), "a", "10.77.0.1", 1);
        db_b_.emplace(lab(), "b", "10.77.0.2", 2);
        for (const char* node : {"a", "b"}) {
            const auto cnf = lab().dir() / fmt::format("switchover-{}.cnf", node);
            std::ofstream(cnf) << "[mariadbd]\nbind-address = 0.0.0.0\n";
            db(node).include_config(cnf);
        }
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_b_->start());
        ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));
        ASSERT_TRUE(
            db_a_->exec(fmt::format("CREATE TABLE lab.w (id BIGINT PRIMARY KEY) ENGINE=InnoDB;"
                                    "CREATE USER 'w'@'10.77.0.%' IDENTIFIED BY '{}';"
                                    "GRANT INSERT, SELECT ON lab.* TO 'w'@'10.77.0.%';",
                                    writer_password)));
        ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
        a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 150));
        ASSERT_TRUE(wait_vip("a", true, 5s, Clock::now() - 1s)) << "havipd on a never took the VIP";
        b_ = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 100));
        ASSERT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 5s));
        ASSERT_TRUE(wait_until([&] { return b_.log_mentions("mysql_check healthy"); }, 5s, 50ms));
        ASSERT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 5s, 50ms));
    }

    std::string socket_of(std::string_view node) {
        auto argv =
            daemon_command(havipd(havipd_path()), lab().dir() / "x.conf", lab().dir(), node);
        for (std::size_t i = 0; i + 1 < argv.size(); ++i)
            if (argv[i] == "--socket") return argv[i + 1];
        return "";
    }
    CommandResult havip(std::string_view node, std::vector<std::string> args) {
        std::vector<std::string> argv{havip_bin};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--socket", socket_of(node)});
        return run_command(argv, 120s);
    }
    nlohmann::json instance_status(std::string_view node) {
        auto doc = nlohmann::json::parse(havip(node, {"status", "--json"}).out, nullptr, false);
        try {
            return doc.at("instances").at(0);
        } catch (const std::exception&) {
            return nlohmann::json::object();
        }
    }
    std::vector<std::uint64_t> ids_on(std::string_view node) {
        auto r = db(node).sql("SELECT id FROM lab.w", 20s);
        EXPECT_TRUE(r.ok()) << r.err;
        return parse_ids(r.out);
    }
    // Both channels running, each node having applied the other's position.
    bool replicating_both_ways() {
        return db_a_->slave_status("Slave_IO_Running") == "Yes" &&
               db_a_->slave_status("Slave_SQL_Running") == "Yes" &&
               db_b_->slave_status("Slave_IO_Running") == "Yes" &&
               db_b_->slave_status("Slave_SQL_Running") == "Yes";
    }
    // A session on the node holding `LOCK TABLES lab.w WRITE` while it runs `then` ("{}" in it
    // is replaced by a fresh id), in the background.
    std::future<CommandResult> lock_then(std::string_view node, std::string then) {
        const auto id = 1000 + ++locks_;
        then = fmt::format(fmt::runtime(then), id);
        auto future = std::async(std::launch::async, [this, node = std::string(node), then] {
            return db(node).sql(fmt::format("LOCK TABLES lab.w WRITE; {}; UNLOCK TABLES;", then),
                                30s);
        });
        EXPECT_TRUE(wait_until(
            [&] {
                return db(node).value(
                           "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                           "WHERE INFO LIKE 'SELECT SLEEP%'") == "1";
            },
            5s, 20ms));
        return future;
    }
    // The step a running switchover is at, "" when none runs.
    std::string running_step(std::string_view node) {
        const auto sw = instance_status(node).value("switchover", nlohmann::json::object());
        const auto step = sw.find("step");
        return step != sw.end() && step->is_string() ? step->get<std::string>() : "";
    }
    // One VIP holder, its server writable and the other's read-only.
    bool single_writable_holder() {
        const auto h = holders();
        if (h.size() != 1) return false;
        const auto other = h.front() == "a" ? "b" : "a";
        return db(h.front()).read_only() == false && db(other).read_only() == true;
    }
    std::string logs() { return a_.process->log_tail(40) + "\n----\n" + b_.process->log_tail(40); }

    std::optional<MariadbServer> db_a_, db_b_;
    std::optional<Writer> writer_;
    RunningDaemon a_, b_;
    int locks_ = 0;
};

TEST_F(SwitchoverTest, moves_the_vip_and_the_writer_both_ways_with_no_acknowledged_write_lost) {
    ASSERT_NO_FATAL_FAILURE(start());
    checks::MysqlLibrary library;
    WriterSettings ws{lab().ns("c"), vip4, 3306, "w", writer_password};
    ws.write_interval = std::chrono::microseconds(2000);
    writer_.emplace(ws);
    writer_->start();
    ASSERT_TRUE(wait_until([&] { return writer_->figures().acked > 200; }, 10s))
        << writer_->last_error();

    // a -> b. The old master stays BACKUP (priority 150 against 100) under the hold.
    auto r = havip("a", {"switchover", "--timeout", "20"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << logs();
    std::cout << r.out;
    for (const char* step : {"preflight", "read_only", "catch_up", "hand_over", "target_writable"})
        EXPECT_NE(r.out.find(step), std::string::npos) << step << "\n" << r.out;
    EXPECT_NE(r.out.find("switched over in"), std::string::npos) << r.out;
    // a lets the VIP go at b's second advert, an interval after b took it.
    EXPECT_TRUE(wait_until([&] { return holders() == std::vector<std::string>{"b"}; }, 1s));
    EXPECT_EQ(db_b_->read_only(), false);
    EXPECT_EQ(db_a_->read_only(), true);
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"}) << "a preempted back despite the hold";
    auto a = instance_status("a");
    EXPECT_NE(a.value("switchover_hold", "").find("handed the VIP to 10.77.0.2"), std::string::npos)
        << a.dump();
    EXPECT_EQ(a.value("switchover", nlohmann::json::object()).value("result", ""), "switched");
    EXPECT_NE(havip("a", {"status"}).out.find("havip switchover --end-hold VI_1"),
              std::string::npos);

    // The hold outlives a restart of a's havipd.
    a_.process->stop();
    a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 150));
    ASSERT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 5s)) << logs();
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"}) << logs();
    EXPECT_NE(instance_status("a").value("switchover_hold", "").find("restored at start"),
              std::string::npos);
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("mysql_check healthy"); }, 10s, 50ms))
        << logs();

    // b -> a: run on the new holder; a's hold ends when it is MASTER again.
    r = havip("b", {"switchover", "--to", "10.77.0.1"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err << logs();
    EXPECT_TRUE(wait_until([&] { return holders() == std::vector<std::string>{"a"}; }, 1s));
    EXPECT_EQ(db_a_->read_only(), false);
    EXPECT_EQ(db_b_->read_only(), true);
    EXPECT_FALSE(instance_status("a").contains("switchover_hold"));

    std::this_thread::sleep_for(1s);
    writer_->stop();
    EXPECT_GT(writer_->figures().acked, 500u);
    ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 20s));
    EXPECT_TRUE(missing_ids(writer_->acked(), ids_on("a")).empty());
    EXPECT_TRUE(missing_ids(writer_->acked(), ids_on("b")).empty());
    EXPECT_TRUE(replicating_both_ways()) << logs();
    std::cout << fmt::format("switchover: {} acknowledged writes, {} errors, longest gap {} ms\n",
                             writer_->figures().acked, writer_->figures().errors,
                             writer_->figures().longest_gap.count());
}

TEST_F(SwitchoverTest, is_refused_with_nothing_changed_when_the_target_lags_stopped_or_is_down) {
    ASSERT_NO_FATAL_FAILURE(start());
    // On the backup: refused, naming where to run it.
    auto r = havip("b", {"switchover"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("on the node holding the VIP (10.77.0.1)"), std::string::npos) << r.err;

    // b's applier waits for a table lock there; a takes one more write: b lags.
    auto locker = lock_then("b", "SELECT SLEEP(5)");
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (1)"));
    r = havip("a", {"switchover"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("the target lags"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.err.find("refused, nothing was changed"), std::string::npos) << r.err;
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_EQ(db_a_->read_only(), false);
    locker.get();

    // A dry run passes without starting anything.
    ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    r = havip("a", {"switchover", "--dry-run"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find("dry run"), std::string::npos) << r.out;
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});

    // b's applier stopped by an error (a row b has and a then writes): what a diverged
    // standby looks like from a.
    ASSERT_TRUE(db_b_->exec("SET sql_log_bin=0; INSERT INTO lab.w VALUES (2)"));
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (2)"));
    ASSERT_TRUE(wait_until([&] { return db_b_->slave_status("Slave_SQL_Running") == "No"; }, 10s));
    r = havip("a", {"switchover"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("its replication from this node is not running (IO Yes, SQL No"),
              std::string::npos)
        << r.out << r.err;
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_EQ(db_a_->read_only(), false);

    // b's server down.
    ASSERT_TRUE(db_b_->stop());
    r = havip("a", {"switchover"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_EQ(db_a_->read_only(), false);
}

TEST_F(SwitchoverTest, rolls_back_naming_the_session_that_keeps_read_only_from_being_set) {
    ASSERT_NO_FATAL_FAILURE(start());
    // A session on a holds a table lock for longer than the read_only step waits (2 s), with
    // room for a loaded machine to be slow getting there.
    auto locker = lock_then("a", "SELECT SLEEP(8)");
    const auto r = havip("a", {"switchover"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("rolled back"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.out.find("sessions that may hold it"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("SLEEP(8)"), std::string::npos) << r.out;
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms))
        << a_.process->log_tail(40);
    EXPECT_EQ(db_b_->read_only(), true);
    locker.get();
}

TEST_F(SwitchoverTest, rolls_back_when_the_target_cannot_apply_the_last_writes) {
    ASSERT_NO_FATAL_FAILURE(start());
    // The read_only step waits for a's table lock; meanwhile b's applier stops, and the lock's
    // holder writes one row before it lets go: b cannot apply a's final position.
    auto locker = lock_then("a", "SELECT SLEEP(1.5); INSERT INTO lab.w VALUES (42)");
    auto run = std::async(std::launch::async, [&] { return havip("a", {"switchover"}); });
    ASSERT_TRUE(wait_until([&] { return running_step("a") == "read_only"; }, 5s, 20ms));
    ASSERT_TRUE(db_b_->exec("STOP SLAVE SQL_THREAD"));
    const auto r = run.get();
    locker.get();
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("rolled back"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.out.find("catch_up         FAILED"), std::string::npos) << r.out;
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms))
        << a_.process->log_tail(40);
    EXPECT_EQ(db_b_->read_only(), true);
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.w WHERE id = 42"), "1");
    ASSERT_TRUE(db_b_->exec("START SLAVE SQL_THREAD"));
    EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
}

// A reload or a restart of the old master's havipd while the switchover waits: it ends, and
// the pair settles with one VIP holder whose server is the only writable one.
TEST_F(SwitchoverTest, a_reload_or_restart_in_the_middle_leaves_a_single_writable_holder) {
    ASSERT_NO_FATAL_FAILURE(start());
    for (const bool restart : {false, true}) {
        SCOPED_TRACE(restart ? "restart" : "reload");
        auto locker = lock_then("a", "SELECT SLEEP(1.5); INSERT INTO lab.w VALUES ({})");
        auto run = std::async(std::launch::async, [&] { return havip("a", {"switchover"}); });
        ASSERT_TRUE(wait_until([&] { return running_step("a") == "read_only"; }, 5s, 20ms));
        if (restart) {
            a_.process->stop();
            a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 150));
        } else {
            ASSERT_TRUE(a_.process->signal(SIGHUP));
        }
        const auto r = run.get();
        locker.get();
        EXPECT_NE(r.exit_code, 0) << r.out << r.err;
        // a, the higher priority, kept the VIP or (restarted) takes it back once caught up;
        // before that, b may hold it for a while, which is not yet settled.
        EXPECT_TRUE(wait_until(
            [&] { return holders() == std::vector<std::string>{"a"} && single_writable_holder(); },
            20s, 100ms))
            << logs();
        // And it stays so.
        std::this_thread::sleep_for(1s);
        EXPECT_TRUE(single_writable_holder()) << logs();
        EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    }
    EXPECT_TRUE(a_.log_mentions("interrupted by a reload")) << logs();
    // A stopping havipd leaves read_only to whoever takes over: it starts no promote of its
    // own on the way out (one did, and wrote a term here after b had taken over).
    const auto log = a_.process->log();
    const auto interrupted = log.find("interrupted by havipd stopping");
    ASSERT_NE(interrupted, std::string::npos) << logs();
    const auto stop = log.rfind(" stopping\n", interrupted);
    ASSERT_NE(stop, std::string::npos) << logs();
    const auto restart = log.find("INIT -> BACKUP: startup", stop);
    EXPECT_EQ(log.substr(stop, restart - stop).find("manage_read_only promote"), std::string::npos)
        << log.substr(stop, restart - stop);
}

TEST_F(SwitchoverTest, rolls_back_when_the_target_does_not_take_the_vip) {
    ASSERT_NO_FATAL_FAILURE(start());
    // b's database is fine and caught up, but no havipd there takes the VIP.
    b_.process->stop();
    const auto r = havip("a", {"switchover"});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("rolled back"), std::string::npos) << r.out << r.err;
    EXPECT_NE(r.out.find("hand_over"), std::string::npos) << r.out;
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms))
        << a_.process->log_tail(40);
    EXPECT_EQ(db_b_->read_only(), true);
    EXPECT_FALSE(instance_status("a").contains("switchover_hold"));
}

}  // namespace
}  // namespace havip::test
