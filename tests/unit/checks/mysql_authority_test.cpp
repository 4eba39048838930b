// The node that was the writer keeps the VIP alone when its peer is gone, across restarts of
// havipd or mysqld (issue 15, item 1), without making a stale standby eligible; and contact
// ages measured on the monotonic clock within a run (item 8).
#include <gtest/gtest.h>

#include "checks/mysql_decision.hpp"
#include "checks/mysql_history.hpp"
#include "tests/unit/checks/fixture.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using testing::load_snapshot;

const WallClock::time_point t0 = WallClock::time_point(std::chrono::seconds(1'700'000'000));
const SteadyClock::time_point s0 = SteadyClock::time_point(std::chrono::seconds(50'000));

DecisionSettings settings() {
    DecisionSettings s;
    s.interval = 1s;
    s.slave_net_timeout = 4s;  // fresh window: 2 × 4 + 1 = 9 s
    return s;
}

// n2 after a failover: n1 (server 1) is gone, n2 (server 2) took writes 0-2-11 … 0-2-15 on top
// of everything n1 sent (0-1-10). read_only as the role has it.
Snapshot n2_peer_gone(bool read_only, const std::string& binlog = "0-2-15") {
    auto snap = load_snapshot("mariadb-10.11/standby-peer-gone.txt");
    snap.read_only = read_only;
    snap.gtid_binlog_pos = binlog;
    snap.gtid_current_pos = binlog;
    return snap;
}

// What a restart of havipd keeps: the state file's text, parsed back.
History restarted(const History& h) {
    History out;
    std::string detail;
    EXPECT_TRUE(parse_history(format_history(h), out, detail)) << detail;
    return out;
}

// Two observations of a live master a second apart (the heartbeat counter advances).
History in_contact(History h, WallClock::time_point at) {
    auto snap = load_snapshot("mariadb-10.11/standby-healthy.txt");
    h = decide(snap, Role::standby, h, settings(), at).history;
    snap.replicas[0]["Slave_received_heartbeats"] = "8";
    return decide(snap, Role::standby, h, settings(), at + 1s).history;
}

TEST(MysqlAuthority, writer_whose_peer_is_gone_stays_eligible_after_a_restart) {
    auto writer = decide(n2_peer_gone(false), Role::holder, {}, settings(), t0);
    ASSERT_EQ(writer.status, Status::healthy) << writer.reason;
    auto d =
        decide(n2_peer_gone(true), Role::standby, restarted(writer.history), settings(), t0 + 72h);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_TRUE(d.peer_gone);
    EXPECT_NE(d.reason.find("this node was the writer"), std::string::npos) << d.reason;
    // And again after a second restart, still nothing heard from the peer.
    auto again =
        decide(n2_peer_gone(true), Role::standby, restarted(d.history), settings(), t0 + 96h);
    EXPECT_EQ(again.status, Status::healthy) << again.reason;
}

TEST(MysqlAuthority, writer_whose_data_lacks_what_it_wrote_is_not_eligible_alone) {
    auto writer = decide(n2_peer_gone(false), Role::holder, {}, settings(), t0);
    // A restore from an older backup: 0-2-13 … 0-2-15 are gone.
    auto d = decide(n2_peer_gone(true, "0-2-12"), Role::standby, restarted(writer.history),
                    settings(), t0 + 1h);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
    EXPECT_NE(d.reason.find("0-2-15"), std::string::npos) << d.reason;
}

TEST(MysqlAuthority, writer_that_heard_its_peer_as_a_standby_is_judged_by_freshness_again) {
    auto writer = decide(n2_peer_gone(false), Role::holder, {}, settings(), t0);
    // The peer came back and this node, now a standby, heard from it: the peer may take the
    // VIP and writes, so being the writer once no longer says anything.
    auto heard = in_contact(restarted(writer.history), t0 + 10s);
    auto d = decide(n2_peer_gone(true), Role::standby, restarted(heard), settings(), t0 + 1h);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
    EXPECT_NE(d.reason.find("may be missing transactions"), std::string::npos) << d.reason;
}

TEST(MysqlAuthority, holder_keeps_its_authority_while_its_peer_replicates_from_it) {
    auto writer = decide(n2_peer_gone(false), Role::holder, {}, settings(), t0);
    // The holder's own inbound channel from a live peer is not a new writer.
    auto snap = load_snapshot("mariadb-10.11/holder-healthy.txt");
    auto h = decide(snap, Role::holder, writer.history, settings(), t0 + 1s).history;
    snap.replicas[0]["Slave_received_heartbeats"] = "2";
    h = decide(snap, Role::holder, h, settings(), t0 + 2s).history;
    auto d = decide(n2_peer_gone(true), Role::standby, restarted(h), settings(), t0 + 1h);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
}

TEST(MysqlAuthority, latched_writer_is_not_eligible_alone) {
    auto writer = decide(n2_peer_gone(false), Role::holder, {}, settings(), t0);
    // Latched (a state file that could not be loaded, say): a peer that diverged from the
    // writer no longer latches it (mysql_stale_side_test.cpp), a latch still counts.
    writer.history.diverged = true;
    writer.history.diverged_reason = "the state file could not be loaded";
    auto d =
        decide(n2_peer_gone(true), Role::standby, restarted(writer.history), settings(), t0 + 1h);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
}

TEST(MysqlAuthority, read_only_holder_is_not_the_writer) {
    auto holder = decide(n2_peer_gone(true), Role::holder, {}, settings(), t0);
    auto d =
        decide(n2_peer_gone(true), Role::standby, restarted(holder.history), settings(), t0 + 1h);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
}

TEST(MysqlAuthority, node_that_took_the_vip_while_eligible_stays_eligible_through_a_slow_promote) {
    History h;
    h.last_ok = t0 - 3s;  // contact 3 s ago: eligible
    auto fresh = decide(n2_peer_gone(true, "0-1-10"), Role::standby, h, settings(), t0);
    ASSERT_EQ(fresh.status, Status::healthy) << fresh.reason;
    History took = fresh.history;
    took_vip(took, fresh.status);
    // The promote waits longer than the 9 s window for the relay log.
    auto d = decide(n2_peer_gone(true, "0-1-10"), Role::promoting, took, settings(), t0 + 60s);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    // It failed and the VIP went; havipd restarted: still the node with everything.
    auto later = decide(n2_peer_gone(true, "0-1-10"), Role::standby, restarted(d.history),
                        settings(), t0 + 1h);
    EXPECT_EQ(later.status, Status::healthy) << later.reason;
}

TEST(MysqlAuthority, node_that_took_the_vip_while_unsafe_does_not_become_the_writer) {
    auto stale = decide(n2_peer_gone(true, "0-1-10"), Role::standby, {}, settings(), t0);
    ASSERT_EQ(stale.status, Status::unsafe);
    History took = stale.history;
    took_vip(took, stale.status);
    auto d = decide(n2_peer_gone(true, "0-1-10"), Role::promoting, took, settings(), t0 + 1s);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
}

// ---- Monotonic ages (item 8) ----

TEST(MysqlAuthority, contact_age_within_a_run_is_measured_on_the_monotonic_clock) {
    auto snap = load_snapshot("mariadb-10.11/standby-healthy.txt");
    auto h = decide(snap, Role::standby, {}, settings(), Now{t0, s0}).history;
    snap.replicas[0]["Slave_received_heartbeats"] = "8";
    h = decide(snap, Role::standby, h, settings(), Now{t0 + 1s, s0 + 1s}).history;
    // The wall clock steps an hour forward (NTP); 2 s passed for real.
    auto d = decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby, h,
                    settings(), Now{t0 + 1h, s0 + 3s});
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    // And backwards: 20 s passed for real, the wall clock says 5.
    auto back = decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby, h,
                       settings(), Now{t0 + 5s, s0 + 21s});
    EXPECT_EQ(back.status, Status::unsafe) << back.reason;
}

TEST(MysqlAuthority, contact_recorded_after_now_is_not_fresh) {
    // After a restart only the wall time is known; the clock stepped back since it was saved.
    History h;
    h.last_ok = t0 + 30s;
    auto d = decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby, h,
                    settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
}

}  // namespace
}  // namespace havip::checks
