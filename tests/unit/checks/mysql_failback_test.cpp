// Failback gating and divergence evidence of the mysql_check decision (issue 9): a standby is
// "caught up" — allowed to preempt a live master — only when its channel runs, has advanced
// since it (re)connected, is fresh and has applied what it received; an old master whose IO
// thread gets 1236 "not in the master's binlog" is latched diverged with its GTID positions;
// "fresh" follows the server's own slave_net_timeout; the holder reports semi-sync.
#include <gtest/gtest.h>

#include "checks/mysql_decision.hpp"
#include "tests/unit/checks/fixture.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using testing::load_snapshot;

const WallClock::time_point t0 = WallClock::time_point(std::chrono::seconds(1'700'000'000));

DecisionSettings settings() {
    DecisionSettings s;
    s.interval = 1s;
    s.slave_net_timeout = 4s;
    return s;
}

// Two intervals of a healthy standby whose heartbeat counter advanced in between.
History in_contact_history(const Snapshot& snap) {
    auto first = decide(snap, Role::standby, {}, settings(), t0 - 2s);
    Snapshot next = snap;
    next.replicas[0]["Slave_received_heartbeats"] = "100";
    return decide(next, Role::standby, first.history, settings(), t0 - 1s).history;
}

Snapshot healthy() {
    return load_snapshot("mariadb-10.11/standby-healthy.txt");
}

TEST(MysqlFailback, standby_in_contact_and_applied_is_caught_up) {
    auto snap = healthy();
    snap.replicas[0]["Slave_received_heartbeats"] = "101";
    auto d = decide(snap, Role::standby, in_contact_history(healthy()), settings(), t0);
    EXPECT_TRUE(d.caught_up) << d.failback_hold;
    EXPECT_EQ(d.failback_hold, "");
}

TEST(MysqlFailback, reconnected_channel_holds_failback_until_something_arrives) {
    // Restarted server: IO=Yes again but the counter and position have not moved yet, even
    // though the persisted last contact is recent.
    History h;
    h.last_ok = t0 - 1s;
    h.last_received = "0-1-4";
    h.last_heartbeats = 7;
    auto d = decide(healthy(), Role::standby, h, settings(), t0);
    EXPECT_EQ(d.status, Status::healthy);
    EXPECT_FALSE(d.caught_up);
    EXPECT_NE(d.failback_hold.find("waiting for the first event or heartbeat"), std::string::npos)
        << d.failback_hold;
}

TEST(MysqlFailback, after_a_reconnect_only_an_advance_seen_on_the_new_connection_is_contact) {
    // In contact, then the channel drops (the peer's or our own mysqld restarted).
    History h = in_contact_history(healthy());
    auto lost = healthy();
    lost.replicas[0]["Slave_IO_Running"] = "Connecting";
    h = decide(lost, Role::standby, h, settings(), t0 - 1s).history;
    EXPECT_FALSE(h.in_contact);
    // Back: the position reads differently (relay log recovery) and the counter restarted.
    // Neither is news from the master, so the first look is only the new baseline.
    auto back = healthy();
    back.replicas[0]["Gtid_IO_Pos"] = "0-1-3";
    back.replicas[0]["Slave_received_heartbeats"] = "0";
    auto first = decide(back, Role::standby, h, settings(), t0);
    EXPECT_FALSE(first.caught_up);
    EXPECT_NE(first.failback_hold.find("waiting for the first event or heartbeat"),
              std::string::npos)
        << first.failback_hold;
    // A heartbeat on the new connection: in contact, caught up.
    back.replicas[0]["Slave_received_heartbeats"] = "1";
    auto second = decide(back, Role::standby, first.history, settings(), t0 + 1s);
    EXPECT_TRUE(second.caught_up) << second.failback_hold;
}

TEST(MysqlFailback, contact_must_be_as_current_as_the_heartbeat_period_for_failback) {
    // A link cut: IO=Yes on a connection that has carried nothing for 5 s. slave_net_timeout
    // (4 s) would call that recent (2 x 4 + 1 = 9 s); the master's 2 s heartbeat says it is
    // not (2 + 2 x 1 = 4 s).
    auto snap = healthy();
    History h = in_contact_history(snap);
    h.last_ok = t0 - 5s;
    h.last_ok_steady.reset();  // measured from the wall time, as after a restart
    snap.replicas[0]["Slave_received_heartbeats"] = "100";  // unchanged since
    auto d = decide(snap, Role::standby, h, settings(), t0);
    EXPECT_FALSE(d.caught_up);
    EXPECT_NE(d.failback_hold.find("last in contact with its master 5 s ago (more than 4 s)"),
              std::string::npos)
        << d.failback_hold;
}

TEST(MysqlFailback, peer_gone_standby_is_eligible_for_failover_but_not_caught_up) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby,
                    in_contact_history(healthy()), settings(), t0);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;  // the failover case is unchanged
    EXPECT_FALSE(d.caught_up);
    EXPECT_NE(d.failback_hold.find("not connected to its master (IO Connecting)"),
              std::string::npos)
        << d.failback_hold;
    EXPECT_NE(d.failback_hold.find("gtid_slave_pos 0-1-"), std::string::npos) << d.failback_hold;
}

TEST(MysqlFailback, unapplied_relay_log_with_lag_holds_failback_quoting_the_gtids) {
    auto snap = healthy();
    snap.replicas[0]["Gtid_IO_Pos"] = "0-2-1234";
    snap.replicas[0]["Seconds_Behind_Master"] = "3";
    snap.gtid_slave_pos = "0-2-1200";
    snap.replicas[0]["Slave_received_heartbeats"] = "101";
    auto d = decide(snap, Role::standby, in_contact_history(healthy()), settings(), t0);
    EXPECT_FALSE(d.caught_up);
    EXPECT_NE(d.failback_hold.find("has not applied domain 0: 0-2-1234 received, 0-2-1200 applied"),
              std::string::npos)
        << d.failback_hold;
    // A SQL thread less than a second behind counts as caught up: promotion waits the rest.
    snap.replicas[0]["Seconds_Behind_Master"] = "0";
    snap.replicas[0]["Slave_received_heartbeats"] = "102";
    EXPECT_TRUE(decide(snap, Role::standby, d.history, settings(), t0 + 1s).caught_up);
}

TEST(MysqlFailback, holder_is_always_caught_up) {
    auto d =
        decide(load_snapshot("mariadb-10.11/holder-healthy.txt"), Role::holder, {}, settings(), t0);
    EXPECT_TRUE(d.caught_up);
    EXPECT_EQ(d.failback_hold, "");
}

TEST(MysqlFailback, unreachable_standby_holds_failback) {
    Snapshot snap;
    snap.outcome = ProbeOutcome::connect_failed;
    snap.error_code = 2002;
    auto d = decide(snap, Role::standby, in_contact_history(healthy()), settings(), t0);
    EXPECT_FALSE(d.caught_up);
    EXPECT_NE(d.failback_hold.find("cannot connect"), std::string::npos) << d.failback_hold;
    EXPECT_FALSE(d.history.in_contact);
}

TEST(MysqlFailback, io_error_1236_not_in_masters_binlog_latches_diverged_with_positions) {
    auto snap = load_snapshot("mariadb-10.11/standby-io-error-1236.txt");
    snap.server_id = 1;  // 0-1-30 is ours: the async crash window
    snap.gtid_binlog_pos = "0-1-30";
    snap.gtid_slave_pos = "0-2-28";
    snap.replicas[0]["Gtid_IO_Pos"] = "0-2-40";
    snap.replicas[0]["Last_IO_Error"] =
        "Got fatal error 1236 from master when reading data from binary log: 'Error: connecting "
        "slave requested to start from GTID 0-1-30, which is not in the master's binlog'";
    auto d = decide(snap, Role::standby, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_TRUE(d.diverged);
    EXPECT_FALSE(d.caught_up);
    EXPECT_NE(d.reason.find("data diverged (this node has transactions its master lacks"),
              std::string::npos)
        << d.reason;
    EXPECT_NE(d.history.diverged_reason.find(
                  "gtid_binlog_pos 0-1-30, gtid_slave_pos 0-2-28, peer Gtid_IO_Pos 0-2-40"),
              std::string::npos)
        << d.history.diverged_reason;
    // The latch holds after replication is repaired behind our back.
    auto later = decide(healthy(), Role::standby, d.history, settings(), t0 + 60s);
    EXPECT_EQ(later.status, Status::unsafe);
    EXPECT_FALSE(later.caught_up);
}

// The master's own GTID missing from its binlog: its semi-sync crash recovery truncated what we
// had already received, and it fetches it back from us; MariaDB does not retry the 1236.
TEST(MysqlFailback, master_missing_its_own_gtid_is_retried_before_it_counts_as_diverged) {
    auto snap = load_snapshot("mariadb-10.11/standby-io-error-1236.txt");
    ASSERT_EQ(snap.server_id, 2u);
    snap.replicas[0]["Last_IO_Error"] =
        "Got fatal error 1236 from master when reading data from binary log: 'Error: connecting "
        "slave requested to start from GTID 0-1-30, which is not in the master's binlog'";
    auto d = decide(snap, Role::standby, {}, settings(), t0);
    EXPECT_FALSE(d.diverged);
    EXPECT_TRUE(d.restart_io);
    EXPECT_EQ(d.status, Status::unsafe);  // not a standby to fail over to meanwhile
    auto still = decide(snap, Role::standby, d.history, settings(), t0 + 29s);
    EXPECT_FALSE(still.diverged);
    EXPECT_TRUE(still.restart_io);
    // Not back after the grace: it never will be.
    auto late = decide(snap, Role::standby, still.history, settings(), t0 + 31s);
    EXPECT_TRUE(late.diverged);
    EXPECT_FALSE(late.restart_io);
    // Fetched back in time: the next connect works and the wait starts afresh next time.
    auto back = decide(healthy(), Role::standby, still.history, settings(), t0 + 5s);
    EXPECT_FALSE(back.diverged);
    EXPECT_FALSE(back.history.master_gtid_missing_since.has_value());
}

TEST(MysqlFailback, purged_binlog_1236_is_broken_but_not_diverged) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-io-error-1236.txt"), Role::standby, {},
                    settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_FALSE(d.diverged);
    EXPECT_FALSE(d.caught_up);
}

TEST(MysqlFailback, fresh_window_follows_the_servers_slave_net_timeout) {
    auto snap = load_snapshot("mariadb-10.11/standby-peer-gone.txt");
    History h;
    h.last_ok = t0 - 20s;
    auto configured = settings();
    configured.slave_net_timeout = 60s;  // the old default: 121 s window
    EXPECT_EQ(decide(snap, Role::standby, h, configured, t0).status, Status::healthy);
    snap.slave_net_timeout = 4.0;  // what the server says: 9 s window
    EXPECT_EQ(decide(snap, Role::standby, h, configured, t0).status, Status::unsafe);
}

TEST(MysqlFailback, holder_reports_semi_sync_on_and_fallback_to_async) {
    auto snap = load_snapshot("mariadb-10.11/holder-healthy.txt");
    snap.semi_sync["Rpl_semi_sync_master_enabled"] = "ON";
    snap.semi_sync["Rpl_semi_sync_master_status"] = "ON";
    auto on = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_NE(on.reason.find("; semi-sync on"), std::string::npos) << on.reason;
    EXPECT_TRUE(on.alerts.empty());
    snap.semi_sync["Rpl_semi_sync_master_status"] = "OFF";
    auto off = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_NE(off.reason.find("semi-sync fell back to async (Rpl_semi_sync_master_status=OFF)"),
              std::string::npos)
        << off.reason;
    ASSERT_EQ(off.alerts.size(), 1u);
    // Plugin present but never enabled: async by choice, nothing to report.
    snap.semi_sync["Rpl_semi_sync_master_enabled"] = "OFF";
    auto plain = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(plain.reason.find("semi-sync"), std::string::npos) << plain.reason;
}

}  // namespace
}  // namespace havip::checks
