// havipd pairs guarding real MariaDB master-master pairs (issue 4, item 6): mysqld killed or
// frozen on the VIP holder moves the VIP within the check's verdict plus the peer's skew time
// (the holder goes FAULT and sends priority 0), the old master that returns stays BACKUP under
// nopreempt, manage_read_only leaves exactly the holder writable, a demote step against a
// frozen server is bounded and logged while the daemon keeps answering, a standby whose SQL
// thread stopped reports unsafe and one that lags reports degraded.
#include <signal.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using Clock = AddressWatcher::Clock;

constexpr const char* vip4 = "10.77.0.100";
constexpr int a_priority = 150;
constexpr int b_priority = 100;

MariadbServer::CheckSpec managed_check();

class MysqlCheckTest : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        VrrpPairTest::SetUp();
    }
    void TearDown() override {
        db_a_.reset();
        db_b_.reset();
        VrrpPairTest::TearDown();
    }

    // Nodes a and b, a mariadbd on each (server_id 1 and 2), GTID master-master between them.
    void start_databases() {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        db_a_.emplace(lab(), "a", "10.77.0.1", 1);
        db_b_.emplace(lab(), "b", "10.77.0.2", 2);
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_b_->start());
        ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));
    }

    // VRRPv3, VIP 10.77.0.100, state BACKUP on both (keepalived's nopreempt needs it), the
    // node's mysql_check tracked with its own weight.
    std::string config(std::string_view node, int priority, milliseconds advert_int,
                       const MariadbServer::CheckSpec& check, bool nopreempt) {
        VrrpInstanceSpec s;
        s.vrid = 99;
        s.priority = priority;
        s.version = 3;
        s.advert_int = advert_int;
        s.state = "BACKUP";
        s.nopreempt = nopreempt;
        s.vips = {fmt::format("{}/24", vip4)};
        s.extra_lines = {"track_script {", fmt::format("    {}", check.name), "}"};
        return render_keepalived_conf(single_instance(s, node)) + "\n" +
               (node == "a" ? *db_a_ : *db_b_).check_block(check) + "\n";
    }

    // a takes the VIP alone, then b joins as BACKUP.
    // `healthy_within`: how long b's check may take to call its standby healthy (two
    // snapshots that see the channel advance, so about two check intervals).
    void start_pair(const std::string& a_config, const std::string& b_config,
                    milliseconds advert_int, milliseconds healthy_within = 5s) {
        const auto timing = rfc_timing(3, a_priority, advert_int);
        const auto since = Clock::now();
        a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), a_config);
        ASSERT_TRUE(
            wait_vip("a", true, duration_cast<milliseconds>(timing.master_down) + 5s, since))
            << "havipd on a never took the VIP";
        b_ = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), b_config);
        ASSERT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 5s));
        // The standby is eligible only once its check has seen the channel in contact (a
        // heartbeat or a GTID arriving): in production it has run long before any failure.
        ASSERT_TRUE(wait_until([&] { return b_.log_mentions("mysql_check healthy"); },
                               healthy_within, 50ms));
        std::this_thread::sleep_for(1500ms);
    }

    // Both nodes with managed_check() and nopreempt, adverts every 200 ms; a ends up the
    // writable holder.
    void start_managed_pair() {
        const auto advert = 200ms;
        ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, managed_check(), true),
                                           config("b", b_priority, advert, managed_check(), true),
                                           advert));
        EXPECT_TRUE(wait_read_only(*db_a_, false));
    }

    // Waits until the server's read_only is `value` (the manage_read_only actions are async).
    testing::AssertionResult wait_read_only(const MariadbServer& db, bool value,
                                            milliseconds timeout = 5s) {
        if (wait_until([&] { return db.read_only() == value; }, timeout, 50ms))
            return testing::AssertionSuccess();
        auto now = db.read_only();
        return testing::AssertionFailure()
               << "read_only on " << db.node() << " is " << (now ? (*now ? "1" : "0") : "unknown")
               << ", expected " << value;
    }

    // The measured failover: how long after the injection b held the VIP, and how long after
    // a dropped it (the moment a went FAULT and sent priority 0).
    void expect_takeover_after_skew(Clock::time_point injected, milliseconds advert_int,
                                    std::string_view what) {
        auto lost = wait_vip("a", false, 10s, injected);
        ASSERT_TRUE(lost) << "a kept the VIP after " << what;
        auto gained = wait_vip("b", true, 10s, injected);
        ASSERT_TRUE(gained) << "b never took the VIP after " << what;
        const auto timing = rfc_timing(3, b_priority, advert_int);
        measure(fmt::format("{}_to_vip_on_b", what), gained->at - injected, "check verdict + skew",
                timing.skew);
        measure(fmt::format("{}_vip_off_a_to_vip_on_b", what), gained->at - lost->at, "skew",
                timing.skew);
        // Priority 0 (RFC 5798 §6.4.2): b waits Skew_Time, not Master_Down_Interval.
        EXPECT_LT(gained->at - lost->at, timing.skew + 400ms);
        EXPECT_LT(gained->at - lost->at, timing.master_down - advert_int);
    }

    // The control socket the harness gives havipd on `node` (see daemon_command).
    std::string control_socket(std::string_view node) {
        auto argv =
            daemon_command(havipd(havipd_path()), lab().dir() / "x.conf", lab().dir(), node);
        for (std::size_t i = 0; i + 1 < argv.size(); ++i)
            if (argv[i] == "--socket") return argv[i + 1];
        return "";
    }

    std::optional<MariadbServer> db_a_, db_b_;
    RunningDaemon a_, b_;
};

// The first line of `log` that contains `text`, or "".
std::string line_with(const std::string& log, std::string_view text) {
    const auto at = log.find(text);
    if (at == std::string::npos) return "";
    const auto begin = log.rfind('\n', at);
    const auto start = begin == std::string::npos ? 0 : begin + 1;
    return log.substr(start, log.find('\n', at) - start);
}

MariadbServer::CheckSpec managed_check() {
    MariadbServer::CheckSpec c;
    c.interval = 200ms;
    c.timeout = 400ms;
    c.fall = 2;
    c.manage_read_only = true;
    return c;
}

TEST_F(MysqlCheckTest, killed_mysqld_moves_vip_and_returning_old_master_stays_backup) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    const auto advert = 1000ms;
    ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, managed_check(), true),
                                       config("b", b_priority, advert, managed_check(), true),
                                       advert));
    // manage_read_only: only the holder is writable.
    EXPECT_TRUE(wait_read_only(*db_a_, false));
    EXPECT_TRUE(wait_read_only(*db_b_, true));
    // A reload keeps the MASTER and its checks rebuilt from scratch must not demote it.
    ASSERT_TRUE(a_.process->signal(SIGHUP));
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("reloaded: "); }, 5s, 50ms));
    std::this_thread::sleep_for(1s);
    EXPECT_EQ(db_a_->read_only(), false) << "the reload demoted the VIP holder";
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.t (node) VALUES ('a-before-kill')"));
    ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 5s));

    const auto killed = Clock::now();
    ASSERT_TRUE(db_a_->kill());
    ASSERT_NO_FATAL_FAILURE(expect_takeover_after_skew(killed, advert, "kill"));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
    EXPECT_TRUE(a_.log_mentions("mysql_check down: "));
    // Promotion waited for the relay log, then cleared read_only; every step is logged.
    EXPECT_TRUE(wait_read_only(*db_b_, false));
    EXPECT_TRUE(b_.log_mentions("manage_read_only promote: SELECT MASTER_GTID_WAIT("));
    EXPECT_TRUE(b_.log_mentions("manage_read_only promote done"));
    // Each step with its own time (issue 18: the promote is measured step by step).
    EXPECT_TRUE(std::regex_search(
        b_.process->log(),
        std::regex(R"(manage_read_only promote: SET GLOBAL read_only=0: .* \(\d+ ms\))")))
        << b_.process->log_tail(20);
    ASSERT_TRUE(db_b_->exec("INSERT INTO lab.t (node) VALUES ('b-after-failover')"));

    // The old master returns: its check recovers, it stays BACKUP (nopreempt, though its
    // priority is higher), read-only, and catches up from b; b's channel to a resumes too,
    // since promotion left it running (master-master).
    const auto returned = Clock::now();
    ASSERT_TRUE(db_a_->start());
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 10s, 2));
    EXPECT_TRUE(wait_caught_up(*db_b_, *db_a_, 10s));
    EXPECT_TRUE(
        wait_until([&] { return db_b_->slave_status("Slave_IO_Running") == "Yes"; }, 10s, 100ms))
        << "b's channel from a did not resume";
    std::this_thread::sleep_for(3 * advert);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"});
    EXPECT_FALSE(vip_changed_since("a", returned));
    EXPECT_EQ(db_a_->read_only(), true);
    EXPECT_EQ(db_b_->read_only(), false);
}

// A standby made writable behind havipd's back (read_only=0 by hand, or a server restarted
// without read_only=1 in its configuration) is made read-only again. havipd compared the
// server only with what its own last demote had done, and left it writable beside the holder.
TEST_F(MysqlCheckTest, standby_made_writable_behind_havipds_back_is_made_read_only_again) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    ASSERT_NO_FATAL_FAILURE(start_managed_pair());
    EXPECT_TRUE(wait_read_only(*db_b_, true));
    ASSERT_TRUE(db_b_->exec("SET GLOBAL read_only=0"));
    EXPECT_TRUE(wait_read_only(*db_b_, true, 3s)) << "b stayed writable beside the holder";
    EXPECT_TRUE(b_.log_mentions("read_only=0 on a standby")) << b_.process->log_tail(20);
    EXPECT_EQ(db_a_->read_only(), false);
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
}

// Issue 18: the check watches its idle connection, so a killed mysqld is seen when the kernel
// closes the socket, not at the next interval; the reconnect to its unix socket is refused,
// which is definitive, so `fall` is not waited for either.
TEST_F(MysqlCheckTest, killed_mysqld_is_down_at_once_between_long_intervals) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    const auto advert = 1000ms;
    // a probes every 30 s, so no periodic probe falls near the kill: only the watch on its
    // idle connection (held since the promote) can see it. b's standby needs two snapshots
    // to see its channel advance, so it probes more often.
    auto check_a = managed_check();
    check_a.interval = 30000ms;
    check_a.timeout = 1000ms;
    check_a.fall = 3;
    auto check_b = check_a;
    check_b.interval = 2000ms;
    ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, check_a, true),
                                       config("b", b_priority, advert, check_b, true), advert,
                                       3 * check_b.interval));
    EXPECT_TRUE(wait_read_only(*db_a_, false));
    EXPECT_TRUE(wait_read_only(*db_b_, true));

    const auto killed = Clock::now();
    ASSERT_TRUE(db_a_->kill());
    auto lost = wait_vip("a", false, 20s, killed);
    ASSERT_TRUE(lost) << "a kept the VIP after kill";
    measure("kill_to_vip_off_a_30s_interval", lost->at - killed, "bound", 500ms);
    // Far under one interval (30 s), let alone fall (3) of them.
    EXPECT_LT(lost->at - killed, 500ms);
    EXPECT_TRUE(a_.log_mentions("the server closed the idle connection, probing now"));
    EXPECT_TRUE(a_.log_mentions("down without waiting for fall"));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
    EXPECT_TRUE(wait_vip("b", true, 10s, killed)) << "b never took the VIP";
    EXPECT_TRUE(wait_read_only(*db_b_, false, 10s));
    // The promote says how long it took (fence, wait for the relay log, read_only=0).
    EXPECT_TRUE(b_.log_mentions("manage_read_only promote done in "));
}

// A mysqld killed while a probe waits on it (here its write, behind FLUSH TABLES WITH READ
// LOCK) closes the check's connections under a statement: the check connects again at once, is
// refused, and is down in that interval, not fall intervals later. (CI: a kill that landed
// mid-probe moved the VIP one interval late.)
TEST_F(MysqlCheckTest, killed_mysqld_while_a_probe_waits_is_down_in_that_interval) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    auto check_a = managed_check();
    check_a.interval = 3000ms;
    check_a.timeout = 2500ms;  // the write waits up to 0.75 s
    check_a.fall = 3;
    const auto advert = 200ms;
    ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, check_a, true),
                                       config("b", b_priority, advert, managed_check(), true),
                                       advert));
    EXPECT_TRUE(wait_read_only(*db_a_, false));
    lab().start("a", "a-ftwrl-session",
                {"/usr/bin/mariadb", "--no-defaults", "--protocol=socket",
                 fmt::format("--socket={}", db_a_->socket().string()), "-uroot", "-e",
                 "FLUSH TABLES WITH READ LOCK; SELECT SLEEP(30);"});
    ASSERT_TRUE(wait_until(
        [&] {
            return db_a_->value(
                       "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE "
                       "USER = 'chk' AND STATE LIKE 'Waiting for %lock'") == "1";
        },
        5s, 10ms))
        << "the write probe never waited behind the lock";
    const auto killed = Clock::now();
    ASSERT_TRUE(db_a_->kill());
    auto lost = wait_vip("a", false, 20s, killed);
    ASSERT_TRUE(lost) << "a kept the VIP after kill";
    measure("kill_mid_probe_to_vip_off_a", lost->at - killed, "bound", 500ms);
    EXPECT_LT(lost->at - killed, 500ms);
    EXPECT_TRUE(a_.log_mentions("down without waiting for fall")) << a_.process->log_tail(10);
    EXPECT_TRUE(wait_vip("b", true, 10s, killed)) << "b never took the VIP";
}

// The timing `havip generate` writes (havip/generate.cpp): interval 0.5 s, timeout 0.4 s,
// rise 2, fall 2, with 1 s adverts. Issue 18: a kill moves the VIP at the protocol floor (b's
// Skew_Time), a freeze within 2.5 s.
MariadbServer::CheckSpec generated_check() {
    auto c = managed_check();
    c.interval = 500ms;
    c.timeout = 400ms;
    c.rise = 2;
    c.fall = 2;
    return c;
}

TEST_F(MysqlCheckTest, generated_timing_moves_vip_at_skew_time_when_mysqld_is_killed) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    const auto advert = 1000ms;
    ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, generated_check(), true),
                                       config("b", b_priority, advert, generated_check(), true),
                                       advert));
    EXPECT_TRUE(wait_read_only(*db_a_, false));
    const auto killed = Clock::now();
    ASSERT_TRUE(db_a_->kill());
    auto gained = wait_vip("b", true, 10s, killed);
    ASSERT_TRUE(gained) << "b never took the VIP";
    const auto skew = rfc_timing(3, b_priority, advert).skew;
    measure("generated_kill_to_vip_on_b", gained->at - killed, "skew + 0.2 s", skew + 200ms);
    EXPECT_LT(gained->at - killed, skew + 200ms);
}

TEST_F(MysqlCheckTest, generated_timing_moves_vip_within_2_5_s_when_mysqld_is_frozen) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    const auto advert = 1000ms;
    ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, generated_check(), true),
                                       config("b", b_priority, advert, generated_check(), true),
                                       advert));
    EXPECT_TRUE(wait_read_only(*db_a_, false));
    const auto frozen = Clock::now();
    ASSERT_TRUE(db_a_->freeze());
    auto gained = wait_vip("b", true, 10s, frozen);
    ASSERT_TRUE(gained) << "b never took the VIP";
    measure("generated_freeze_to_vip_on_b", gained->at - frozen, "2.5 s", 2500ms);
    EXPECT_LT(gained->at - frozen, 2500ms);
    ASSERT_TRUE(db_a_->thaw());
}

TEST_F(MysqlCheckTest, frozen_mysqld_moves_vip_within_the_check_deadline) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    const auto advert = 1000ms;
    ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, managed_check(), true),
                                       config("b", b_priority, advert, managed_check(), true),
                                       advert));
    EXPECT_TRUE(wait_read_only(*db_a_, false));
    EXPECT_TRUE(wait_read_only(*db_b_, true));

    // A SIGSTOPped mariadbd still accepts connections: only the hard deadline notices it.
    const auto frozen = Clock::now();
    ASSERT_TRUE(db_a_->freeze());
    ASSERT_NO_FATAL_FAILURE(expect_takeover_after_skew(frozen, advert, "freeze"));
    EXPECT_TRUE(a_.log_mentions("mysql_check down: no answer before the deadline"));
    // A frozen server is alive, not down (issue 15, item 4): b's fence cannot log in there
    // (2013 in the handshake), and b must not go writable beside a server that may thaw.
    EXPECT_TRUE(wait_until([&] { return b_.log_mentions("not promoting unfenced"); }, 15s, 100ms));
    EXPECT_EQ(db_b_->read_only(), true);

    // Issue 8, "mysqld hanging during demotion": a's demote (read_only=1) cannot reach the
    // frozen server; the step is bounded, fails, is logged, and the daemon keeps answering.
    EXPECT_TRUE(
        wait_until([&] { return a_.log_mentions("manage_read_only demote failed"); }, 10s, 100ms))
        << "the demote step on the frozen server never ended";
    const auto asked = Clock::now();
    auto status =
        run_command({havip_path(), "status", "--json", "--socket", control_socket("a")}, 5s);
    // The exit code says the instance is in FAULT; the point is that an answer came.
    EXPECT_FALSE(status.timed_out);
    EXPECT_FALSE(status.out.empty()) << status.err;
    EXPECT_LT(Clock::now() - asked, 1s) << "havipd on a was slow to answer during the hang";
    EXPECT_NE(status.out.find("manage_read_only demote failed"), std::string::npos) << status.out;
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 1s));

    // Thawed, a is demoted to read-only and leaves FAULT.
    ASSERT_TRUE(db_a_->thaw());
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 10s, 2));
    EXPECT_TRUE(a_.log_mentions("manage_read_only demote done"));
    // b stepped down after its promote failed; whichever node holds the VIP now fenced the
    // other: one holder, and only its server writable.
    std::vector<std::string> h;
    EXPECT_TRUE(wait_until(
        [&] {
            h = holders();
            if (h.size() != 1) return false;
            const bool on_a = h[0] == "a";
            return (on_a ? db_a_ : db_b_)->read_only() == false &&
                   (on_a ? db_b_ : db_a_)->read_only() == true;
        },
        20s, 100ms))
        << fmt::format("holders {}", fmt::join(h, "+"));
}

TEST_F(MysqlCheckTest, standby_reports_unsafe_without_sql_thread_and_degraded_when_lagging) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    const auto advert = 100ms;
    auto check = managed_check();
    check.manage_read_only = false;
    check.max_lag = 1000ms;
    check.lag_weight = -60;
    ASSERT_NO_FATAL_FAILURE(start_pair(config("a", a_priority, advert, check, false),
                                       config("b", b_priority, advert, check, false), advert));
    ASSERT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 2s));

    // The SQL thread stopped: b must not take the VIP (unsafe, weight 0 = FAULT) and says why.
    ASSERT_TRUE(db_b_->exec("STOP SLAVE SQL_THREAD"));
    EXPECT_TRUE(b_.wait_for_state("VI_1", "FAULT", 3s));
    EXPECT_TRUE(b_.log_mentions("mysql_check unsafe: "));
    EXPECT_TRUE(b_.log_mentions("SQL thread"));
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    ASSERT_TRUE(db_b_->exec("START SLAVE SQL_THREAD"));
    EXPECT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 3s, 2));

    // Lag: a session on b holds a table lock, so the SQL thread waits on the next row from a.
    auto& lock = lab().start("b", "b-lock-session",
                             {"/usr/bin/mariadb", "--no-defaults", "--protocol=socket",
                              fmt::format("--socket={}", db_b_->socket().string()), "-uroot", "-e",
                              "LOCK TABLES lab.t WRITE; SELECT SLEEP(30);"});
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.t (node) VALUES ('a-lagging')"));
    EXPECT_TRUE(wait_until([&] { return b_.log_mentions("mysql_check degraded: "); }, 8s, 50ms))
        << "b never reported degraded";
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    lock.stop(1s);
    EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    EXPECT_TRUE(
        wait_until([&] { return b_.log_mentions("mysql_check healthy: replicating"); }, 5s, 50ms));
}

// Issue 15, item 7: the holder's check proves that a write commits. A backup's
// FLUSH TABLES WITH READ LOCK held on the holder stops every write; the check says so
// (degraded, with the reason) within a few intervals, the VIP stays (a failover would have to
// fence this server, which waits on the same lock), and once the lock is gone it is healthy.
TEST_F(MysqlCheckTest, holder_whose_writes_do_not_commit_is_degraded_and_keeps_the_vip) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    ASSERT_NO_FATAL_FAILURE(start_managed_pair());
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("mysql_check healthy"); }, 5s, 50ms));
    // The probe's row is committed every interval and never logged: no GTID of its own on
    // either node, nothing replicated.
    const auto position = db_a_->value("SELECT @@gtid_binlog_pos");
    const auto seq = [&] {
        return db_a_->value("SELECT seq FROM havip.probe WHERE server_id = 1");
    };
    const auto before = seq();
    std::this_thread::sleep_for(1s);
    EXPECT_NE(seq(), before) << "the write probe does not write";
    EXPECT_EQ(db_a_->value("SELECT @@gtid_binlog_pos"), position);
    EXPECT_EQ(db_b_->value("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = "
                           "'probe' AND TABLE_SCHEMA = 'havip'"),
              "0");
    const auto locked = Clock::now();
    auto& lock = lab().start("a", "a-ftwrl-session",
                             {"/usr/bin/mariadb", "--no-defaults", "--protocol=socket",
                              fmt::format("--socket={}", db_a_->socket().string()), "-uroot", "-e",
                              "FLUSH TABLES WITH READ LOCK; SELECT SLEEP(30);"});
    EXPECT_TRUE(wait_until(
        [&] {
            return a_.log_mentions("mysql_check degraded: ") &&
                   a_.log_mentions("a write does not commit");
        },
        3s, 50ms))
        << a_.process->log_tail(20);
    measure("ftwrl_to_degraded", Clock::now() - locked, "three intervals", 600ms);
    std::cout << "[ reason   ] " << line_with(a_.process->log(), "mysql_check degraded: ") << "\n";
    // What the write waited for, from the processlist (FTWRL is a backup lock since 10.4).
    EXPECT_TRUE(a_.log_mentions("Waiting for global read lock") ||
                a_.log_mentions("Waiting for backup lock"))
        << a_.process->log_tail(20);
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_FALSE(vip_changed_since("a", locked));
    EXPECT_FALSE(a_.log_mentions("mysql_check down"));
    lock.stop(1s);
    EXPECT_TRUE(wait_until(
        [&] {
            auto log = a_.process->log();
            const auto at = log.rfind("mysql_check ");
            return at != std::string::npos && log.compare(at, 20, "mysql_check healthy:") == 0;
        },
        5s, 50ms))
        << a_.process->log_tail(10);
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
}

// Issue 15, item 7: without BINLOG ADMIN the write probe's session cannot be unlogged; the
// check is degraded and names the grant to add, it does not fail, and the VIP stays.
TEST_F(MysqlCheckTest, holder_without_the_write_probes_grant_is_degraded_naming_it) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    ASSERT_TRUE(
        db_a_->exec("SET sql_log_bin=0; REVOKE BINLOG ADMIN ON *.* FROM 'chk'@'localhost';"));
    ASSERT_NO_FATAL_FAILURE(start_managed_pair());
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("GRANT BINLOG ADMIN"); }, 3s, 50ms))
        << a_.process->log_tail(20);
    std::cout << "[ reason   ] " << line_with(a_.process->log(), "mysql_check degraded: ") << "\n";
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_FALSE(a_.log_mentions("mysql_check down"));
}

// Issue 15, item 7: the holder's inbound channel is information, not its health. The
// holder's relay log is on a file system that fills up; its IO thread, receiving a write from
// the peer, waits for space (MariaDB retries a full disk every 60 s) holding the channel's
// data lock, and SHOW ALL SLAVES STATUS waits behind it. The holder keeps the VIP (degraded,
// saying the replica status did not answer) instead of going down.
TEST_F(MysqlCheckTest, holder_whose_replica_status_hangs_keeps_the_vip) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    // Outside the lab directory, detached lazily (mariadbd may still hold it open) however the
    // test ends.
    const std::filesystem::path relay = fmt::format("/tmp/havip-relay-{}", ::getpid());
    std::filesystem::create_directories(relay);
    ASSERT_TRUE(
        run_command({"mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", relay.string()}, 5s).ok());
    struct Unmount {
        std::filesystem::path dir;
        ~Unmount() {
            run_command({"umount", "-l", dir.string()}, std::chrono::seconds(5));
            std::error_code ec;
            std::filesystem::remove(dir, ec);
        }
    } unmount{relay};
    const auto cnf = lab().dir() / "relay-on-tmpfs.cnf";
    {
        std::ofstream out(cnf);
        out << fmt::format("[mysqld]\nrelay_log = {0}/relay\nrelay_log_index = {0}/relay.index\n",
                           relay.string());
    }
    db_a_.emplace(lab(), "a", "10.77.0.1", 1);
    db_b_.emplace(lab(), "b", "10.77.0.2", 2);
    db_a_->include_config(cnf);
    ASSERT_TRUE(db_a_->start());
    ASSERT_TRUE(db_b_->start());
    ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));
    ASSERT_NO_FATAL_FAILURE(start_managed_pair());
    // Fill the relay log's file system, then a write from the peer (root writes through
    // read_only) has nowhere to go on a.
    run_command({"dd", "if=/dev/zero", fmt::format("of={}/fill", relay.string()), "bs=64k"}, 10s);
    // More than the page of the relay log already allocated.
    ASSERT_TRUE(
        db_b_->exec("INSERT INTO lab.t (node) SELECT 'b-full-relay' FROM lab.seq_1_to_4000"));
    std::this_thread::sleep_for(500ms);
    const auto hung = Clock::now();
    auto show = db_a_->sql("SHOW ALL SLAVES STATUS", 2s);
    ASSERT_TRUE(show.timed_out) << "SHOW ALL SLAVES STATUS answered: " << show.out;
    EXPECT_TRUE(
        wait_until([&] { return a_.log_mentions("replica status did not answer"); }, 3s, 50ms))
        << a_.process->log_tail(20);
    std::cout << "[ reason   ] " << line_with(a_.process->log(), "mysql_check degraded: ") << "\n";
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_FALSE(vip_changed_since("a", hung));
    EXPECT_FALSE(a_.log_mentions("mysql_check down")) << a_.process->log_tail(20);
    // The check does not leave a session waiting behind the lock every interval.
    const auto waiting = db_a_->value(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'chk' AND "
        "INFO LIKE '%SHOW ALL SLAVES STATUS%'");
    EXPECT_EQ(waiting, "1");
}

}  // namespace
}  // namespace havip::test
