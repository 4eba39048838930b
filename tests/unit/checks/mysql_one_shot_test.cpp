// The keepalived route (issue 15 item 3): `havip check mysql` is a new process every interval,
// so all it knows of the previous run is the state file. Each run here is what check_mysql
// does: the history parsed back from the text the previous run saved, one decision at the
// wall clock, the new history formatted for the next run. A standby watching a living master
// must become eligible this way, stay eligible when the master dies (so keepalived can move
// the VIP), and still never call a standby fresh on evidence a one-shot run cannot have.
#include <gtest/gtest.h>

#include "checks/mysql_decision.hpp"
#include "checks/mysql_history.hpp"
#include "tests/unit/checks/fixture.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using testing::load_snapshot;

const WallClock::time_point t0 = WallClock::time_point(std::chrono::seconds(1'700'000'000));

DecisionSettings settings() {
    DecisionSettings s;
    s.interval = 800ms;        // check_mysql: the --timeout
    s.slave_net_timeout = 4s;  // fresh window: 2 × 4 + 0.8 = 8.8 s
    return s;
}

// One `havip check mysql` run: the state file's text in, the decision and the new text out.
struct Run {
    Decision decision;
    std::string state;
};
Run one_shot(const Snapshot& snap, Role role, const std::string& state, WallClock::time_point now) {
    History h;
    std::string detail;
    if (!state.empty()) {
        EXPECT_TRUE(parse_history(state, h, detail)) << detail;
    }
    Run r;
    r.decision = decide(snap, role, h, settings(), now);
    r.state = format_history(r.decision.history);
    return r;
}

Snapshot live_master(std::uint64_t heartbeats, const std::string& received = "0-1-4") {
    auto snap = load_snapshot("mariadb-10.11/standby-healthy.txt");  // heartbeats 7, 0-1-4
    snap.replicas[0]["Slave_received_heartbeats"] = std::to_string(heartbeats);
    snap.replicas[0]["Gtid_IO_Pos"] = received;
    snap.gtid_slave_pos = received;
    snap.replicas[0]["Gtid_Slave_Pos"] = received;
    return snap;
}

Snapshot master_gone() {
    return load_snapshot("mariadb-10.11/standby-peer-gone.txt");
}

TEST(MysqlOneShot, standby_runs_become_eligible_and_stay_so_when_the_master_dies) {
    std::string state;
    // A living, idle master heard every 5 runs (heartbeats every 5 s, keepalived's interval 1 s).
    std::uint64_t beats = 7;
    for (int i = 0; i < 12; ++i) {
        if (i % 5 == 4) ++beats;
        auto r = one_shot(live_master(beats), Role::standby, state, t0 + i * 1s);
        EXPECT_EQ(r.decision.status, Status::healthy) << i << ": " << r.decision.reason;
        state = r.state;
    }
    // The runs saw the master: contact is recorded (the last beat came between t0+8 and t0+9).
    History h;
    std::string detail;
    ASSERT_TRUE(parse_history(state, h, detail)) << detail;
    ASSERT_TRUE(h.last_ok);
    EXPECT_EQ(*h.last_ok, t0 + 8s);  // the run before the beat: the earliest it can have come
    // mysqld on the master is killed at t0+11.5; the standby's IO thread reconnects in vain.
    for (int i = 12; i < 17; ++i) {
        auto r = one_shot(master_gone(), Role::standby, state, t0 + i * 1s);
        EXPECT_EQ(r.decision.status, Status::healthy) << i << ": " << r.decision.reason;
        EXPECT_TRUE(r.decision.peer_gone);
        state = r.state;
    }
    // keepalived moved the VIP here and notify_master cleared read_only: the holder is the
    // writer, eligible alone long after the freshness window.
    auto writable = master_gone();
    writable.read_only = false;
    writable.gtid_binlog_pos = "0-2-12";
    for (int i = 17; i < 20; ++i) {
        auto r = one_shot(writable, Role::holder, state, t0 + i * 1s);
        EXPECT_EQ(r.decision.status, Status::healthy) << i << ": " << r.decision.reason;
        state = r.state;
    }
    auto later = one_shot(writable, Role::standby, state, t0 + 1h);
    EXPECT_EQ(later.decision.status, Status::healthy) << later.decision.reason;
}

TEST(MysqlOneShot, standby_whose_master_died_long_after_its_last_contact_is_unsafe) {
    std::string state;
    for (int i = 0; i < 3; ++i)
        state = one_shot(live_master(7 + i), Role::standby, state, t0 + i * 1s).state;
    // The counter stops (a frozen master), the runs go on; then the master is gone.
    for (int i = 3; i < 12; ++i)
        state = one_shot(live_master(9), Role::standby, state, t0 + i * 1s).state;
    auto r = one_shot(master_gone(), Role::standby, state, t0 + 12s);
    EXPECT_EQ(r.decision.status, Status::unsafe) << r.decision.reason;
    EXPECT_NE(r.decision.reason.find("last in contact 11 s ago"), std::string::npos)
        << r.decision.reason;
}

TEST(MysqlOneShot, first_run_has_nothing_to_compare_with) {
    auto r = one_shot(live_master(8), Role::standby, "", t0);
    EXPECT_FALSE(r.decision.history.last_ok);
    auto gone = one_shot(master_gone(), Role::standby, r.state, t0 + 1s);
    EXPECT_EQ(gone.decision.status, Status::unsafe) << gone.decision.reason;
}

TEST(MysqlOneShot, a_run_in_between_that_found_the_server_down_breaks_the_comparison) {
    auto first = one_shot(live_master(7), Role::standby, "", t0);
    Snapshot down;
    down.outcome = ProbeOutcome::connect_failed;
    down.error_code = 2002;
    auto between = one_shot(down, Role::standby, first.state, t0 + 1s);
    // The server restarted: its counter starts afresh and passes the old value.
    auto after = one_shot(live_master(9), Role::standby, between.state, t0 + 20s);
    EXPECT_FALSE(after.decision.history.last_ok);
}

TEST(MysqlOneShot, received_position_read_back_from_the_relay_log_is_not_contact) {
    // A restart of the standby between two runs: Gtid_IO_Pos starts again from gtid_slave_pos,
    // behind what the previous run saw; the counter restarted below its old value.
    auto first = one_shot(live_master(7, "0-1-9"), Role::standby, "", t0);
    auto r = one_shot(live_master(2, "0-1-4"), Role::standby, first.state, t0 + 1s);
    EXPECT_FALSE(r.decision.history.last_ok);
    // New transactions from the master are.
    auto moved = one_shot(live_master(2, "0-1-6"), Role::standby, r.state, t0 + 2s);
    ASSERT_TRUE(moved.decision.history.last_ok);
    EXPECT_EQ(*moved.decision.history.last_ok, t0 + 1s);
}

TEST(MysqlOneShot, previous_run_recorded_in_the_future_proves_nothing) {
    auto first = one_shot(live_master(7), Role::standby, "", t0 + 60s);
    // The clock stepped back a minute between the runs.
    auto r = one_shot(live_master(8), Role::standby, first.state, t0 + 1s);
    EXPECT_FALSE(r.decision.history.last_ok);
}

// The write probe's count of failures in a row (issue 15, item 7) lived only in the process:
// each `havip check mysql` run started at 0, so a holder whose writes never commit was never
// degraded on the keepalived route.
TEST(MysqlOneShot, writes_that_do_not_commit_run_after_run_make_the_holder_degraded) {
    auto snap = load_snapshot("mariadb-10.11/holder-healthy.txt");
    snap.read_only = false;
    snap.write = WriteProbe{};
    snap.write->bound_s = 0.3;
    snap.write->waiting_for = "Waiting for global read lock";
    std::string state;
    for (unsigned n = 1; n < write_failures_to_degrade; ++n) {
        auto r = one_shot(snap, Role::holder, state, t0 + n * 1s);
        EXPECT_EQ(r.decision.status, Status::healthy) << n;
        state = r.state;
    }
    EXPECT_EQ(one_shot(snap, Role::holder, state, t0 + 10s).decision.status, Status::degraded);
    // A run whose write commits starts the count again.
    snap.write->committed = true;
    state = one_shot(snap, Role::holder, state, t0 + 11s).state;
    snap.write->committed = false;
    EXPECT_EQ(one_shot(snap, Role::holder, state, t0 + 12s).decision.status, Status::healthy);
}

TEST(MysqlHistory, previous_observation_round_trips_through_the_file) {
    History h;
    h.connected = true;
    h.in_contact = true;
    h.observed_at = t0 + 1234ms;
    History out;
    std::string detail;
    ASSERT_TRUE(parse_history(format_history(h), out, detail)) << detail;
    EXPECT_TRUE(out.connected);
    EXPECT_TRUE(out.in_contact);
    EXPECT_EQ(out.observed_at, h.observed_at);
    // A file written before these keys existed still loads, as "not connected".
    ASSERT_TRUE(parse_history("version=1\nlast_received=0-1-4\nlast_heartbeats=7\n", out, detail))
        << detail;
    EXPECT_FALSE(out.connected);
    EXPECT_FALSE(out.in_contact);
    EXPECT_FALSE(out.observed_at);
}

}  // namespace
}  // namespace havip::checks
