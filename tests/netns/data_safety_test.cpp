// Data safety across failover and failback (issue 9): a client in a third namespace writes
// numbered rows through the VIP and records every acknowledged id; the VIP holder's mariadbd
// is SIGKILLed, the VIP moves, the old master comes back with replication restarting, and the
// acknowledged ids missing on the final VIP holder are counted. Both nodes run mysql_check
// with manage_read_only and default weights, priorities 150/100, preemption on (the HA
// guide's configuration, no nopreempt).
//   semi-sync (AFTER_SYNC): nothing acknowledged is lost, the old master fails back only once
//     it has applied everything, replication is healthy in both directions afterwards;
//   async: at most the crash window is lost, and an old master that came back holding
//     transactions its peer lacks (diverged) never gets the VIP back and says why.
#include <chrono>
#include <csignal>
#include <fstream>
#include <future>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>
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
#include "tests/harness/tls.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"
#include "tests/harness/writer.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using Clock = AddressWatcher::Clock;
namespace fs = std::filesystem;

constexpr const char* vip4 = "10.77.0.100";
constexpr const char* writer_password = "w-lab-secret";
constexpr auto advert = 100ms;
const std::string havip_bin = havip_path();

// Whether a raw VRRP socket in the namespace holds unread packets (`ss`'s Recv-Q).
bool vrrp_bytes_queued(const std::string& ns) {
    const auto ss = run_in_netns(ns, {"ss", "-H", "-w", "-a", "-n"});
    std::istringstream lines(ss.out);
    for (std::string state, recv_q, rest; lines >> state >> recv_q && std::getline(lines, rest);) {
        if (rest.find(":112 ") != std::string::npos && recv_q != "0") return true;
    }
    return false;
}

class DataSafetyTest : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        VrrpPairTest::SetUp();
    }
    void TearDown() override {
        if (writer_) writer_->stop();
        writer_.reset();
        // A havipd the test froze: teardown's SIGTERM must reach it.
        for (auto* d : {&a_, &b_})
            if (frozen_.count(d->process)) d->process->signal(SIGCONT);
        VrrpPairTest::TearDown();
        db_a_.reset();
        db_b_.reset();
    }

    fs::path extra_cnf(std::string_view node) {
        return lab().dir() / fmt::format("safety-{}.cnf", node);
    }
    MariadbServer& db(std::string_view node) { return node == "a" ? *db_a_ : *db_b_; }

    // SIGSTOP: the daemon neither advertises nor acts, its VIP and its server's state stay;
    // thawed at teardown, also after a failed assertion.
    testing::AssertionResult freeze(RunningDaemon& daemon) {
        if (!daemon.process->signal(SIGSTOP))
            return testing::AssertionFailure() << "cannot stop havipd on " << daemon.node;
        frozen_.insert(daemon.process);
        return testing::AssertionSuccess();
    }
    // a frozen, b takes the VIP and, its fence refused by a, does not promote unfenced.
    void freeze_a_until_b_refuses_to_promote_unfenced() {
        ASSERT_TRUE(freeze(a_));
        EXPECT_TRUE(wait_vip("b", true, 10s, Clock::now())) << "b never took the VIP";
        EXPECT_TRUE(
            wait_until([&] { return b_.log_mentions("not promoting unfenced"); }, 15s, 100ms))
            << check_reason("b");
    }

    // Nodes a, b (databases, havipd) and c (the client); GTID master-master; the writer's
    // account and table, replicated.
    // With `tls`, both servers speak TLS with the lab's certificates (certificates_).
    void start_databases(bool semi_sync, bool tls = false) {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        if (tls) {
            certificates_ = make_lab_certificates(lab().dir(), {"10.77.0.1", "10.77.0.2"});
            ASSERT_TRUE(certificates_);
        }
        ASSERT_TRUE(lab().add_node("c"));
        ASSERT_TRUE(lab().add_address("c", "10.77.0.3/24"));
        db_a_.emplace(lab(), "a", "10.77.0.1", 1);
        db_b_.emplace(lab(), "b", "10.77.0.2", 2);
        for (const char* node : {"a", "b"}) {
            // Semi-sync on both sides of both directions: whichever node holds the VIP waits
            // for the other's ack (AFTER_SYNC: before its own engine commit), up to 1 s.
            std::ofstream(extra_cnf(node))
                << "[mariadbd]\n"
                << "bind-address = 0.0.0.0\n"  // clients come through the VIP
                << (semi_sync ? "rpl_semi_sync_master_enabled = OFF\n"  // as generated
                                "rpl_semi_sync_slave_enabled = ON\n"
                                "rpl_semi_sync_master_wait_point = AFTER_SYNC\n"
                                "rpl_semi_sync_master_timeout = 1000\n"
                              : "")
                << (certificates_
                        ? fmt::format("ssl_ca = {}\nssl_cert = {}\nssl_key = {}\n",
                                      certificates_->ca, certificates_->cert, certificates_->key)
                        : "");
            db(node).include_config(extra_cnf(node));
        }
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_b_->start());
        ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));
        // The client has no READ_ONLY ADMIN: read_only=1 refuses its writes (1290).
        ASSERT_TRUE(db_a_->exec(
            fmt::format("CREATE TABLE lab.w (id BIGINT PRIMARY KEY, at TIMESTAMP(6) DEFAULT "
                        "CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;"
                        "CREATE USER 'w'@'10.77.0.%' IDENTIFIED BY '{}';"
                        "GRANT INSERT, SELECT ON lab.* TO 'w'@'10.77.0.%';",
                        writer_password)));
        ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    }

    std::string config(std::string_view node, int priority) {
        VrrpInstanceSpec s;
        s.vrid = 98;
        s.priority = priority;
        s.version = 3;
        s.advert_int = advert;
        s.state = "BACKUP";
        s.vips = {fmt::format("{}/24", vip4)};
        MariadbServer::CheckSpec check;
        check.interval = 200ms;
        check.timeout = 400ms;
        check.fall = 2;
        check.manage_read_only = true;
        s.extra_lines = {"track_script {", fmt::format("    {}", check.name), "}"};
        return render_keepalived_conf(single_instance(s, node)) + "\n" +
               db(node).check_block(check) + "\n";
    }

    void start_pair() {
        a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 150));
        ASSERT_TRUE(wait_vip("a", true, 5s, Clock::now() - 1s)) << "havipd on a never took the VIP";
        b_ = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 100));
        ASSERT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 5s));
        ASSERT_TRUE(wait_until([&] { return b_.log_mentions("mysql_check healthy"); }, 5s, 50ms));
        ASSERT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 5s, 50ms));
        ASSERT_EQ(db_b_->read_only(), true);
    }

    // `havip status --json` of the node's havipd (the harness's socket path).
    nlohmann::json status(std::string_view node) {
        auto argv =
            daemon_command(havipd(havipd_path()), lab().dir() / "x.conf", lab().dir(), node);
        std::string socket;
        for (std::size_t i = 0; i + 1 < argv.size(); ++i)
            if (argv[i] == "--socket") socket = argv[i + 1];
        auto r = run_command({havip_bin, "status", "--json", "--socket", socket}, 10s);
        auto doc = nlohmann::json::parse(r.out, nullptr, false);
        return doc.is_discarded() ? nlohmann::json{} : doc;
    }
    std::string check_reason(std::string_view node) {
        auto doc = status(node);
        try {
            return doc.at("instances").at(0).at("checks").back().at("reason").get<std::string>();
        } catch (const std::exception&) {
            return "(no status: " + doc.dump() + ")";
        }
    }

    std::vector<std::uint64_t> ids_on(std::string_view node) {
        auto r = db(node).sql("SELECT id FROM lab.w", 20s);
        EXPECT_TRUE(r.ok()) << r.err;
        return parse_ids(r.out);
    }

    struct Figures {
        WriterFigures writer;
        std::size_t lost = 0;
        std::string final_holder;
        milliseconds kill_to_vip_on_b{0};
        std::optional<milliseconds> return_to_failback;
        // Semi-sync: transactions a committed without b's acknowledgement before the kill (the
        // master waited rpl_semi_sync_master_timeout and went on asynchronously).
        std::uint64_t unacknowledged_commits = 0;
    };

    // The whole story; returns the figures and leaves the assertions to the mode.
    Figures run_story(bool semi_sync) {
        Figures f;
        checks::MysqlLibrary library;
        WriterSettings ws{lab().ns("c"), vip4, 3306, "w", writer_password};
        // 1,000 writes a second: busy, yet one SQL thread on a loaded CI machine keeps up.
        ws.write_interval = std::chrono::microseconds(1000);
        writer_.emplace(ws);
        writer_->start();
        std::this_thread::sleep_for(4s);
        EXPECT_GT(writer_->figures().acked, 0u) << writer_->last_error();

        if (semi_sync) {
            const auto no_tx = db_a_->value(
                "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                "WHERE VARIABLE_NAME = 'RPL_SEMI_SYNC_MASTER_NO_TX'");
            f.unacknowledged_commits = no_tx ? std::stoull(*no_tx) : 0;
        }
        const auto killed = Clock::now();
        EXPECT_TRUE(db_a_->kill());
        auto gained = wait_vip("b", true, 10s, killed);
        EXPECT_TRUE(gained) << "b never took the VIP";
        if (gained) f.kill_to_vip_on_b = duration_cast<milliseconds>(gained->at - killed);
        std::this_thread::sleep_for(4s);

        // The old master comes back; its channel from b restarts (MASTER_CONNECT_RETRY=1).
        // With semi-sync it starts as a slave: crash recovery truncates a transaction that was
        // in its binlog but never acknowledged by b (MariaDB's init_rpl_role).
        if (semi_sync) std::ofstream(extra_cnf("a"), std::ios::app) << "init_rpl_role = SLAVE\n";
        const auto returned = Clock::now();
        EXPECT_TRUE(db_a_->start());
        if (semi_sync) {
            // a applies what it missed while the writer goes on: on a loaded machine that
            // takes a while, and the hold rightly lasts until it is done.
            auto back = wait_vip("a", true, 40s, returned);
            if (back) {
                f.return_to_failback = duration_cast<milliseconds>(back->at - returned);
                EXPECT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms));
            }
        } else {
            // Long enough for a's check to judge its channel and for a failback to happen if
            // it were allowed (a 100 ms advert pair preempts within half a second).
            std::this_thread::sleep_for(6s);
        }
        std::this_thread::sleep_for(2s);  // writes through the final holder
        writer_->stop();
        f.writer = writer_->figures();
        auto h = holders();
        f.final_holder = h.size() == 1 ? h.front() : fmt::format("{}", fmt::join(h, "+"));
        if (h.size() == 1) {
            // What the holder will ever have: let it apply what it received.
            std::this_thread::sleep_for(500ms);
            f.lost = missing_ids(writer_->acked(), ids_on(h.front())).size();
        }
        std::cout << fmt::format(
                         "[ figures ] {}: acked {} of {} attempted ({} errors), lost {}, final "
                         "holder {}, kill -> VIP on b {} ms, return -> failback {}, longest write "
                         "gap {} ms, commits without a semi-sync ack {}\n",
                         semi_sync ? "semi-sync" : "async", f.writer.acked, f.writer.attempted,
                         f.writer.errors, f.lost, f.final_holder, f.kill_to_vip_on_b.count(),
                         f.return_to_failback ? fmt::format("{} ms", f.return_to_failback->count())
                                              : std::string{"none"},
                         f.writer.longest_gap.count(), f.unacknowledged_commits)
                  << std::flush;
        RecordProperty(semi_sync ? "semi_sync_lost" : "async_lost", static_cast<int>(f.lost));
        return f;
    }

    std::optional<MariadbServer> db_a_, db_b_;
    std::optional<LabCertificates> certificates_;
    std::set<Process*> frozen_;
    std::optional<Writer> writer_;
    RunningDaemon a_, b_;
};

TEST_F(DataSafetyTest, semi_sync_loses_no_acknowledged_write_and_fails_back_only_when_caught_up) {
    ASSERT_NO_FATAL_FAILURE(start_databases(true));
    ASSERT_NO_FATAL_FAILURE(start_pair());
    ASSERT_EQ(db_a_->value("SELECT @@rpl_semi_sync_master_wait_point"), "AFTER_SYNC");
    const auto f = run_story(true);

    // With every commit acknowledged by b, nothing is lost. A machine loaded enough for b's
    // acknowledgement to miss the 1 s timeout turns a asynchronous for a while (MariaDB's
    // semi-sync, not havip): then only async's crash window may be lost.
    if (f.unacknowledged_commits == 0)
        EXPECT_EQ(f.lost, 0u) << "acknowledged writes missing on " << f.final_holder;
    else
        EXPECT_LE(f.lost, 20u) << "acknowledged writes missing on " << f.final_holder;
    EXPECT_GT(f.writer.acked, 100u);
    // Failback happened, and only after a's check said it had caught up.
    EXPECT_EQ(f.final_holder, "a");
    EXPECT_TRUE(a_.log_mentions("failback held: chk_db not caught up")) << check_reason("a");
    EXPECT_TRUE(a_.log_mentions("failback hold released: chk_db caught up"));
    EXPECT_FALSE(a_.log_mentions("data diverged"));
    // The holder reports semi-sync, and replication runs both ways.
    EXPECT_TRUE(wait_until(
        [&] { return check_reason("a").find("semi-sync on") != std::string::npos; }, 10s, 200ms))
        << check_reason("a");
    for (auto* d : {&*db_a_, &*db_b_}) {
        EXPECT_EQ(d->slave_status("Slave_IO_Running"), "Yes") << d->node();
        EXPECT_EQ(d->slave_status("Slave_SQL_Running"), "Yes") << d->node();
    }
    EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    EXPECT_EQ(db_b_->read_only(), true);
}

TEST_F(DataSafetyTest, async_loses_only_the_crash_window_and_never_fails_back_to_a_diverged_node) {
    ASSERT_NO_FATAL_FAILURE(start_databases(false));
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto f = run_story(false);

    const std::string reason = check_reason("a");
    const bool diverged = a_.log_mentions("data diverged");
    std::cout << fmt::format("[ figures ] async: a diverged: {}; a's check: {}\n", diverged, reason)
              << std::flush;
    // Only what a committed and acknowledged in the instant before the kill, not yet sent.
    EXPECT_LE(f.lost, 20u);
    EXPECT_GT(f.writer.acked, 100u);
    if (f.lost > 0) {
        // a came back with transactions b never had: that must be seen, and a kept away.
        EXPECT_TRUE(diverged) << reason;
    }
    if (diverged) {
        EXPECT_EQ(f.final_holder, "b");
        EXPECT_EQ(a_.times_entered("VI_1", "MASTER"), 1u) << "the VIP went back to diverged a";
        EXPECT_NE(reason.find("gtid_binlog_pos"), std::string::npos) << reason;
        EXPECT_EQ(db_b_->read_only(), false);
    } else {
        // Nothing was in flight: a is an ordinary returning master and may fail back, once
        // caught up.
        EXPECT_EQ(f.lost, 0u);
    }
}

// Issue 15, item 1: after a failover b is the only node with the data. Its havipd, then its
// mysqld, restart long after its last contact with a (more than the 8.2 s freshness window):
// b was the writer and has heard nothing newer, so it gets the VIP back at once, where it
// used to be "unsafe: peer gone and last in contact … ago" for good after the mysqld restart.
// (After the havipd restart the old code got away with it here: with fall 2 the promote ended
// before the second unsafe verdict, and the holder is not judged by freshness.)
TEST_F(DataSafetyTest, lone_survivor_gets_the_vip_back_after_its_havipd_or_its_mysqld_restarts) {
    ASSERT_NO_FATAL_FAILURE(start_databases(false));
    ASSERT_NO_FATAL_FAILURE(start_pair());
    // b hears from a (a write, then heartbeats): fresh when a dies.
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w (id) VALUES (0)"));
    std::this_thread::sleep_for(4s);
    const auto killed = Clock::now();
    ASSERT_TRUE(db_a_->kill());
    ASSERT_TRUE(wait_vip("b", true, 10s, killed)) << "b never took the VIP";
    ASSERT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 10s, 50ms))
        << check_reason("b");
    ASSERT_TRUE(db_b_->exec("INSERT INTO lab.w (id) VALUES (1)"));
    std::this_thread::sleep_for(10s);  // past the freshness window

    // havipd on b restarts.
    ASSERT_TRUE(b_.process->signal(SIGTERM));
    ASSERT_TRUE(wait_until([&] { return !b_.process->running(); }, 10s, 50ms));
    const auto restarted = Clock::now();
    b_ = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 100));
    EXPECT_TRUE(wait_vip("b", true, 5s, restarted))
        << "no VIP on b after its havipd restarted: " << check_reason("b");
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 5s, 50ms))
        << check_reason("b");
    // And it stays there once the check has judged b (it starts BACKUP before the first
    // verdict, and could take the VIP only to drop it).
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"}) << check_reason("b");

    // mysqld on b restarts (read_only=1 from its config, the channel to a connecting).
    ASSERT_TRUE(db_b_->stop());
    ASSERT_TRUE(wait_vip("b", false, 10s, restarted)) << "b kept the VIP without its mysqld";
    std::this_thread::sleep_for(2s);
    const auto back = Clock::now();
    ASSERT_TRUE(db_b_->start());
    EXPECT_TRUE(wait_vip("b", true, 5s, back))
        << "no VIP on b after its mysqld restarted: " << check_reason("b");
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 5s, 50ms))
        << check_reason("b");
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"}) << check_reason("b");
    EXPECT_EQ(db_b_->value("SELECT COUNT(*) FROM lab.w"), "2");
}

// Issue 15, item 1: a promote slower than the freshness window (2 × slave_net_timeout +
// interval, 8.2 s here) still ends with the VIP on the promoted node, writable. b's SQL thread
// is held by a table lock on a transaction a wrote just before its mysqld was killed, so b's
// promotes (each waits apply_timeout, 5 × timeout = 2 s) fail until the lock goes, 12 s in.
// The old code judged b between two of them, still read-only, a standby "last in contact 8 s
// ago (more than 8 s)" and unsafe for good: FAULT and no VIP anywhere. Now b became the writer
// when it took the VIP as a fresh standby.
TEST_F(DataSafetyTest, promote_slower_than_the_freshness_window_ends_with_the_vip_on_b) {
    ASSERT_NO_FATAL_FAILURE(start_databases(false));
    ASSERT_NO_FATAL_FAILURE(start_pair());
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w (id) VALUES (0)"));
    ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    constexpr auto held = 12s;
    auto locker = std::async(std::launch::async, [&] {
        return db_b_->sql(fmt::format("LOCK TABLES lab.w WRITE; DO SLEEP({}); UNLOCK TABLES",
                                      duration_cast<std::chrono::seconds>(held).count()),
                          held + 10s);
    });
    ASSERT_TRUE(wait_until(
        [&] {
            return db_b_->value(
                       "SELECT COUNT(*) FROM information_schema.PROCESSLIST "
                       "WHERE INFO LIKE 'DO SLEEP%'") == "1";
        },
        5s, 50ms));
    const auto locked = Clock::now();
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w (id) VALUES (1)"));
    // b received it (its IO thread) and cannot apply it.
    const auto written = db_a_->value("SELECT @@gtid_binlog_pos").value_or("?");
    ASSERT_TRUE(wait_until(
        [&] {
            return db_b_->slave_status("Gtid_IO_Pos").value_or("").find(written) !=
                   std::string::npos;
        },
        5s, 50ms));
    ASSERT_TRUE(db_a_->kill());
    const auto killed = Clock::now();
    EXPECT_TRUE(wait_vip("b", true, 10s, killed)) << "b never took the VIP";
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, held + 10s, 100ms))
        << check_reason("b");
    const auto writable = Clock::now();
    EXPECT_GT(writable - killed, 9s) << "the promote was not slower than the freshness window";
    EXPECT_GE(writable - locked, held - 1s);
    EXPECT_EQ(db_b_->value("SELECT COUNT(*) FROM lab.w"), "2");
    EXPECT_TRUE(locker.get().ok());
    // And it stays there, judged as the writer it now is.
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"}) << check_reason("b");
    EXPECT_EQ(db_b_->read_only(), false) << check_reason("b");
    EXPECT_TRUE(db_b_->exec("INSERT INTO lab.w (id) VALUES (2)"));
}

// Issue 15, item 2: only the stale side is latched. a (the master) is killed, b takes the VIP
// and writes; a comes back holding a transaction b never had (written before its channel
// starts, as a crash window leaves one). a's channel stops with 1236 and a latches; b's
// channel from a stops with 1950 and b — the writer holding the VIP — keeps serving, says its
// peer diverged, and gets the VIP back after a restart of its havipd. The old code latched b
// too, which then lost the VIP for good at that restart.
TEST_F(DataSafetyTest, only_the_stale_side_is_latched_when_the_old_master_returns_diverged) {
    ASSERT_NO_FATAL_FAILURE(start_databases(false));
    ASSERT_NO_FATAL_FAILURE(start_pair());
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w (id) VALUES (0)"));
    ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    // b's check has seen its channel in contact and caught up: a standby that never was cannot
    // know it is current and rightly would not take over (an ASan build starts b's havipd late
    // enough for the kill to come first).
    ASSERT_TRUE(wait_until([&] { return b_.log_mentions("failback hold released"); }, 10s, 50ms))
        << b_.process->log_tail(20);
    const auto killed = Clock::now();
    ASSERT_TRUE(db_a_->kill());
    ASSERT_TRUE(wait_vip("b", true, 10s, killed)) << "b never took the VIP";
    ASSERT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 10s, 50ms))
        << check_reason("b");
    ASSERT_TRUE(db_b_->exec("INSERT INTO lab.w (id) VALUES (1),(2),(3)"));

    // a returns with its channel stopped, takes a transaction b lacks, then replicates.
    std::ofstream(extra_cnf("a"), std::ios::app) << "skip_slave_start\n";
    ASSERT_TRUE(db_a_->start());
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w (id) VALUES (100)"));
    ASSERT_TRUE(db_a_->exec("START SLAVE"));
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("data diverged"); }, 10s, 100ms))
        << check_reason("a");
    EXPECT_TRUE(wait_until([&] { return b_.log_mentions("peer diverged"); }, 10s, 100ms))
        << check_reason("b");
    std::this_thread::sleep_for(2s);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"}) << check_reason("b");
    EXPECT_NE(check_reason("b").find("peer diverged and needs rejoin"), std::string::npos)
        << check_reason("b");
    EXPECT_FALSE(b_.log_mentions("data diverged"));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s)) << check_reason("a");
    // a's status says what it is and how to get out.
    auto argv = daemon_command(havipd(havipd_path()), lab().dir() / "x.conf", lab().dir(), "a");
    std::string socket;
    for (std::size_t i = 0; i + 1 < argv.size(); ++i)
        if (argv[i] == "--socket") socket = argv[i + 1];
    const auto table = run_command({havip_bin, "status", "--socket", socket}, 10s).out;
    EXPECT_NE(table.find("latched diverged"), std::string::npos) << table;
    EXPECT_NE(table.find("havip clear-diverged VI_1"), std::string::npos) << table;
    // … and the terms that tell the stale side: a's first promote recorded 1, b's takeover 2.
    EXPECT_NE(table.find("term 1 here, 2 on the peer: the peer holds the newer branch"),
              std::string::npos)
        << table;

    // b's havipd restarts: b is still the writer, its peer still diverged.
    ASSERT_TRUE(b_.process->signal(SIGTERM));
    ASSERT_TRUE(wait_until([&] { return !b_.process->running(); }, 10s, 50ms));
    const auto restarted = Clock::now();
    b_ = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 100));
    EXPECT_TRUE(wait_vip("b", true, 5s, restarted))
        << "no VIP on b after its havipd restarted: " << check_reason("b");
    std::this_thread::sleep_for(3s);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"}) << check_reason("b");
    EXPECT_EQ(db_b_->read_only(), false);
}

// The fence (checks::promote): the node that takes over sets read_only=1 on the old master
// itself, so the old master stops taking writes even when its own havipd cannot demote it —
// here it is SIGSTOPped, which makes the fence, not the demote, the thing under test. Without
// the fence a stays writable beside b and the pair diverges on a's next write. Then a partition
// (b's switch port stops forwarding): a takes over unfenced and takes a write; when it heals,
// b, still MASTER with the higher priority, re-fences a and applies that write before it is
// writable again.
TEST_F(DataSafetyTest, new_master_fences_a_frozen_old_master_and_refences_after_a_partition) {
    ASSERT_NO_FATAL_FAILURE(start_databases(false));
    // The fence logs in on the peer with the check's login, which the harness also creates for
    // the lab network (tests/harness/mariadb.cpp).
    // a (the lower priority) is the master and writable; then its havipd freezes.
    a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 100));
    ASSERT_TRUE(wait_vip("a", true, 5s, Clock::now() - 1s)) << "havipd on a never took the VIP";
    ASSERT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 5s, 50ms));
    ASSERT_TRUE(freeze(a_));
    // b (higher priority) comes back and takes over: a can neither advertise nor demote.
    b_ = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 150));
    EXPECT_TRUE(b_.wait_for_state("VI_1", "MASTER", 5s));
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 5s, 50ms))
        << check_reason("b");
    // b went writable only after a stopped taking writes: a is read-only although its havipd
    // never ran again.
    EXPECT_EQ(db_a_->read_only(), true);
    EXPECT_TRUE(b_.log_mentions("peer 10.77.0.1:3306: SET GLOBAL read_only=1: ok"));
    EXPECT_FALSE(b_.log_mentions("promoting unfenced"));

    // a's havipd resumes (it reads b's queued adverts and becomes BACKUP, demoting a).
    ASSERT_TRUE(
        wait_until([&] { return b_.log_mentions("manage_read_only promote done"); }, 5s, 50ms));
    ASSERT_TRUE(a_.process->signal(SIGCONT));
    ASSERT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 5s));

    // Partition: b's switch port stops forwarding (its carrier stays up, so b stays MASTER,
    // alone). a takes over, cannot reach b to fence it, and takes a write.
    auto port = [&](int state) {
        return run_in_netns(lab().switch_ns(), {"bridge", "link", "set", "dev", lab().port("b"),
                                                "state", std::to_string(state)});
    };
    ASSERT_TRUE(port(0).ok());  // disabled
    ASSERT_TRUE(a_.wait_for_state("VI_1", "MASTER", 5s, 2));
    ASSERT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 5s, 50ms))
        << check_reason("a");
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.t (node) VALUES ('a-in-partition')"));
    // Healed: b (higher priority, still MASTER) hears a lower master, goes read_only=1, fences
    // a and becomes writable again only with a's write from the partition applied. Both
    // advertise every 100 ms, and a that hears b first just demotes itself; b is held until
    // a's advert waits in its socket, so that b hears the rival master first.
    ASSERT_TRUE(freeze(b_));
    ASSERT_TRUE(port(3).ok());  // forwarding
    ASSERT_TRUE(wait_until([&] { return vrrp_bytes_queued(lab().ns("b")); }, 5s, 20ms))
        << "no advert from a reached b's socket";
    ASSERT_TRUE(b_.process->signal(SIGCONT));
    EXPECT_TRUE(wait_until([&] { return b_.log_mentions("manage_read_only re-fence"); }, 5s, 50ms));
    EXPECT_TRUE(b_.log_mentions("manage_read_only re-fence: lower-priority master 10.77.0.1"));
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 10s, 50ms))
        << check_reason("b");
    EXPECT_EQ(db_b_->value("SELECT COUNT(*) FROM lab.t WHERE node = 'a-in-partition'"), "1");
    EXPECT_EQ(db_a_->read_only(), true);
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 5s, 2));
}

// Issue 15, item 4: an old master that refuses the fence's login (1045: its grants or the
// check's password changed) is alive and maybe writable, not down. a's havipd freezes (its VIP
// and its writable server stay); b takes over, cannot log in on a, and must not go writable
// beside it: it says why in `havip status` and stays read-only, as does nobody else write.
// The way out is the login: once a lets the check in again, b's next promote fences a and
// goes writable. The old code took 1045 as "down, promoting unfenced": both writable.
TEST_F(DataSafetyTest, new_master_does_not_promote_unfenced_when_the_old_master_refuses_the_login) {
    ASSERT_NO_FATAL_FAILURE(start_databases(false));
    ASSERT_NO_FATAL_FAILURE(start_pair());
    // The fence logs in from the lab network as chk@'10.77.0.%'; a's own check uses
    // chk@localhost and is unaffected.
    const auto set_fence_password = [&](std::string_view password) {
        return db_a_->exec(fmt::format(
            "SET sql_log_bin=0; ALTER USER 'chk'@'10.77.0.%' IDENTIFIED BY '{}'", password));
    };
    ASSERT_TRUE(set_fence_password("not-the-checks-password"));
    ASSERT_NO_FATAL_FAILURE(freeze_a_until_b_refuses_to_promote_unfenced());
    EXPECT_TRUE(b_.log_mentions("error 1045"));
    EXPECT_FALSE(b_.log_mentions("taken as down, promoting unfenced"));
    // For as long as it lasts (several promotes): only a writable.
    const auto until = Clock::now() + 4s;
    while (Clock::now() < until) {
        ASSERT_EQ(db_b_->read_only(), true) << check_reason("b");
        std::this_thread::sleep_for(200ms);
    }
    EXPECT_EQ(db_a_->read_only(), false);
    // Whatever b is doing at the moment (it steps down after each failed promote and is
    // demoted), `havip status` says why it cannot take writes.
    std::string said;
    try {
        said = status("b").at("instances").at(0).at("checks").back().at("promote_failure");
    } catch (const std::exception&) {
        said = status("b").dump();
    }
    EXPECT_NE(said.find("error 1045"), std::string::npos) << said;
    EXPECT_NE(said.find("not promoting unfenced"), std::string::npos) << said;

    // a lets the check in again: b fences it and becomes the only writable server.
    const auto fixed = Clock::now();
    ASSERT_TRUE(set_fence_password(lab_monitor_password()));
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 15s, 100ms))
        << check_reason("b");
    EXPECT_EQ(db_a_->read_only(), true);
    EXPECT_TRUE(b_.log_mentions("peer 10.77.0.1:3306: SET GLOBAL read_only=1: ok"));
    std::cerr << fmt::format("[figure] login fixed -> b writable: {} ms\n",
                             duration_cast<milliseconds>(Clock::now() - fixed).count());
}

// Issue 17, item 13: the fence logs in over TLS when the check's option file names the CA (the
// ssl-* keys the mariadb tools read). a's fence account requires TLS. With the option file in
// clear, b's promote cannot fence a (1045) and does not promote unfenced; once the file has
// ssl-ca and ssl-verify-server-cert (and b reloads), the fence gets in over TLS and b becomes
// the only writable server.
TEST_F(DataSafetyTest, the_fence_logs_in_over_tls_with_the_option_files_ssl_keys) {
    ASSERT_NO_FATAL_FAILURE(start_databases(false, true));
    ASSERT_NO_FATAL_FAILURE(start_pair());
    ASSERT_TRUE(db_a_->exec("SET sql_log_bin=0; ALTER USER 'chk'@'10.77.0.%' REQUIRE SSL"));
    ASSERT_NO_FATAL_FAILURE(freeze_a_until_b_refuses_to_promote_unfenced());
    EXPECT_EQ(db_b_->read_only(), true);

    const auto option_file = db_b_->monitor_option_file();
    std::ofstream(option_file, std::ios::app)
        << fmt::format("ssl-ca = {}\nssl-verify-server-cert\n", certificates_->ca);
    ASSERT_TRUE(b_.process->signal(SIGHUP));
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 15s, 100ms))
        << check_reason("b") << "\n"
        << b_.process->log_tail(20);
    EXPECT_EQ(db_a_->read_only(), true);
    EXPECT_TRUE(b_.log_mentions("peer 10.77.0.1:3306: SET GLOBAL read_only=1: ok"));
    // The session the fence used was encrypted: a counts it.
    const auto encrypted = db_a_->value(
        "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE "
        "VARIABLE_NAME = 'SSL_ACCEPTS'");
    ASSERT_TRUE(encrypted);
    EXPECT_NE(*encrypted, "0");
}

}  // namespace
}  // namespace havip::test
