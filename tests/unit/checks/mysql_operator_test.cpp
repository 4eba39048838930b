// The operator's ways out of a latch (issue 15): `havip promote --force` makes an unsafe node
// eligible by decision of a person, recorded as such, until the next normal change of writer;
// `havip clear-diverged` forgets the latch. The decision side of both.
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
    s.interval = 1s;
    s.slave_net_timeout = 4s;
    return s;
}

History restarted(const History& h) {
    History out;
    std::string detail;
    EXPECT_TRUE(parse_history(format_history(h), out, detail)) << detail;
    return out;
}

// A standby whose peer vanished three days ago and which was never the writer: stale.
Decision stale(const History& h, WallClock::time_point at) {
    History old = h;
    if (!old.last_ok) old.last_ok = at - 72h;
    return decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby, old,
                  settings(), at);
}

TEST(MysqlOperator, promote_force_makes_a_stale_standby_eligible_and_says_whose_decision_it_is) {
    auto before = stale({}, t0);
    ASSERT_EQ(before.status, Status::unsafe) << before.reason;
    History h = before.history;
    force_eligible(h, t0 + 1s, "uid 0, pid 4242");
    auto d = stale(h, t0 + 2s);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_TRUE(d.forced);
    EXPECT_TRUE(d.caught_up);
    EXPECT_NE(d.reason.find("operator decision"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("uid 0, pid 4242"), std::string::npos) << d.reason;
    // What the data alone says stays visible.
    EXPECT_NE(d.reason.find(before.reason), std::string::npos) << d.reason;
    ASSERT_FALSE(d.alerts.empty());
}

TEST(MysqlOperator, promote_force_makes_a_diverged_node_eligible) {
    auto latched = decide(load_snapshot("mariadb-10.11/standby-sql-error-1062.txt"),
                          Role::standby, {}, settings(), t0);
    ASSERT_TRUE(latched.diverged);
    History h = latched.history;
    force_eligible(h, t0 + 1s, "uid 0, pid 1");
    auto d = decide(load_snapshot("mariadb-10.11/standby-sql-error-1062.txt"), Role::standby, h,
                    settings(), t0 + 2s);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_TRUE(d.diverged);  // the latch is still there, and said
    EXPECT_NE(d.reason.find("data diverged"), std::string::npos) << d.reason;
}

TEST(MysqlOperator, promote_force_is_kept_across_a_restart) {
    History h = stale({}, t0).history;
    force_eligible(h, t0 + 1s, "uid 0, pid 4242");
    const History back = restarted(h);
    ASSERT_TRUE(back.forced_since);
    EXPECT_EQ(back.forced_by, "uid 0, pid 4242");
    EXPECT_EQ(stale(back, t0 + 1h).status, Status::healthy);
}

TEST(MysqlOperator, promote_force_never_makes_a_dead_server_eligible) {
    History h;
    force_eligible(h, t0, "uid 0, pid 1");
    Snapshot dead;
    dead.outcome = ProbeOutcome::connect_failed;
    dead.error_code = 2002;
    auto d = decide(dead, Role::standby, h, settings(), t0 + 1s);
    EXPECT_EQ(d.status, Status::down) << d.reason;
}

TEST(MysqlOperator, promote_force_ends_at_the_next_normal_change_of_writer) {
    History h = stale({}, t0).history;
    force_eligible(h, t0 + 1s, "uid 0, pid 4242");
    // It takes the VIP and writes: the writer, still by decision of a person.
    auto holder = load_snapshot("mariadb-10.11/standby-peer-gone.txt");
    holder.read_only = false;
    auto serving = decide(holder, Role::holder, h, settings(), t0 + 2s);
    EXPECT_TRUE(serving.history.writer);
    EXPECT_TRUE(serving.history.forced_since);
    EXPECT_NE(serving.reason.find("operator decision"), std::string::npos) << serving.reason;
    // Later the peer is back and takes over normally; this node hears from it as a standby.
    auto snap = load_snapshot("mariadb-10.11/standby-healthy.txt");
    auto heard = decide(snap, Role::standby, serving.history, settings(), t0 + 1h).history;
    snap.replicas[0]["Slave_received_heartbeats"] = "8";
    heard = decide(snap, Role::standby, heard, settings(), t0 + 1h + 1s).history;
    EXPECT_FALSE(heard.writer);
    EXPECT_FALSE(heard.forced_since);
    EXPECT_TRUE(heard.forced_by.empty());
    // So a stale verdict counts again.
    EXPECT_EQ(stale(heard, t0 + 100h).status, Status::unsafe);
}

TEST(MysqlOperator, unreadable_state_file_latch_names_clear_diverged_as_the_way_out) {
    const std::string path = std::string(HAVIP_BINARY_DIR) + "/mysql_operator_test.state";
    {
        std::FILE* f = std::fopen(path.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("garbage\n", f);
        std::fclose(f);
    }
    auto loaded = load_history(path);
    std::remove(path.c_str());
    ASSERT_TRUE(loaded.history.diverged);
    EXPECT_NE(loaded.history.diverged_reason.find("havip clear-diverged"), std::string::npos)
        << loaded.history.diverged_reason;
}

}  // namespace
}  // namespace havip::checks
