// Only the stale side is latched (issue 15, item 2). After an async failover b is the writer;
// a comes back holding its crash-window transaction 0-1-11, which b never had. b's channel
// from a stops (1950: a's 0-1-11 is out of order after b's 0-2-15; or 1062; or 1236 when b
// asks a for a GTID of b's own), and a's channel from b stops with 1236 (a asks for 0-1-11).
// b keeps serving and says its peer needs a rejoin; a is latched diverged.
#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>

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

// b, server 2, wrote 0-2-11 … 0-2-15 after the failover; its channel from a got a's 0-1-11.
Snapshot b_channel_stopped(bool read_only, unsigned error = 1950) {
    auto snap = load_snapshot("mariadb-10.11/standby-sql-error-1062.txt");
    snap.read_only = read_only;
    snap.server_id = 2;
    snap.gtid_binlog_pos = "0-2-15";
    snap.gtid_current_pos = "0-2-15";
    snap.gtid_slave_pos = "0-1-10";
    auto& row = snap.replicas[0];
    row["Gtid_IO_Pos"] = "0-1-11";
    row["Gtid_Slave_Pos"] = "0-1-10";
    if (error == 1950) {
        row["Last_SQL_Errno"] = "1950";
        row["Last_SQL_Error"] =
            "An attempt was made to binlog GTID 0-1-11 which would create an out-of-order "
            "sequence number with existing GTID 0-2-15, and gtid strict mode is enabled";
    } else if (error == 1236) {
        row["Slave_IO_Running"] = "No";
        row["Slave_SQL_Running"] = "Yes";
        row["Last_SQL_Errno"] = "0";
        row["Last_SQL_Error"] = "";
        row["Last_IO_Errno"] = "1236";
        row["Last_IO_Error"] =
            "Got fatal error 1236 from master when reading data from binary log: 'Error: "
            "connecting slave requested to start from GTID 0-2-15, which is not in the master's "
            "binlog'";
    }
    return snap;
}

// a, server 1, back from its crash with 0-1-11; its channel from b refuses to start there.
Snapshot a_back_with_extra_transaction() {
    auto snap = load_snapshot("mariadb-10.11/standby-io-error-1236.txt");
    snap.read_only = true;
    snap.server_id = 1;
    snap.gtid_binlog_pos = "0-1-11";
    snap.gtid_current_pos = "0-1-11";
    auto& row = snap.replicas[0];
    row["Master_Server_Id"] = "2";
    row["Last_IO_Error"] =
        "Got fatal error 1236 from master when reading data from binary log: 'Error: connecting "
        "slave requested to start from GTID 0-1-11, which is not in the master's binlog'";
    return snap;
}

// b as the VIP holder, taking writes, when a comes back.
History b_writer() {
    auto snap = load_snapshot("mariadb-10.11/standby-peer-gone.txt");
    snap.read_only = false;
    snap.server_id = 2;
    snap.gtid_binlog_pos = "0-2-15";
    auto d = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_TRUE(d.history.writer);
    return d.history;
}

TEST(MysqlStaleSide, writer_holding_the_vip_is_not_latched_when_its_returning_peer_diverged) {
    for (unsigned error : {1950u, 1062u, 1236u}) {
        auto d =
            decide(b_channel_stopped(false, error), Role::holder, b_writer(), settings(), t0 + 10s);
        EXPECT_EQ(d.status, Status::healthy) << error << ": " << d.reason;
        EXPECT_FALSE(d.diverged) << error << ": " << d.history.diverged_reason;
        EXPECT_FALSE(d.history.diverged) << error;
        EXPECT_TRUE(d.history.peer_diverged) << error;
        EXPECT_NE(d.reason.find("peer diverged"), std::string::npos) << error << ": " << d.reason;
        const bool alerted = std::any_of(d.alerts.begin(), d.alerts.end(), [](const auto& a) {
            return a.find("peer diverged") != std::string::npos &&
                   a.find("rejoin") != std::string::npos;
        });
        EXPECT_TRUE(alerted) << error << ": " << fmt::format("{}", fmt::join(d.alerts, " | "));
    }
}

TEST(MysqlStaleSide, writer_whose_peer_diverged_stays_eligible_as_a_standby_after_a_restart) {
    auto serving = decide(b_channel_stopped(false), Role::holder, b_writer(), settings(), t0 + 10s);
    // havipd (or mysqld) on b restarts: b is judged as a standby, long after.
    auto d = decide(b_channel_stopped(true), Role::standby, restarted(serving.history), settings(),
                    t0 + 2h);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_FALSE(d.diverged) << d.history.diverged_reason;
    EXPECT_NE(d.reason.find("peer diverged"), std::string::npos) << d.reason;
    EXPECT_NE(d.reason.find("was the writer"), std::string::npos) << d.reason;
}

TEST(MysqlStaleSide, writer_whose_peer_diverged_is_not_eligible_alone_without_its_writes) {
    auto serving = decide(b_channel_stopped(false), Role::holder, b_writer(), settings(), t0 + 10s);
    auto restored = b_channel_stopped(true);
    restored.gtid_binlog_pos = "0-2-12";  // an older backup: 0-2-13 … 0-2-15 are gone
    auto d = decide(restored, Role::standby, restarted(serving.history), settings(), t0 + 1h);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
}

TEST(MysqlStaleSide, stale_node_back_with_transactions_the_writer_lacks_is_latched) {
    // a was the writer before its crash, and its state file says so: that does not make it the
    // authority once it no longer holds the VIP.
    History a;
    a.writer = true;
    a.writer_position = "0-1-10";
    auto d =
        decide(a_back_with_extra_transaction(), Role::standby, restarted(a), settings(), t0 + 1min);
    EXPECT_TRUE(d.diverged);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
    EXPECT_FALSE(d.history.peer_diverged);
    EXPECT_NE(d.reason.find("transactions its master lacks"), std::string::npos) << d.reason;
}

TEST(MysqlStaleSide, standby_that_never_held_the_vip_is_latched_on_1950_as_before) {
    auto d = decide(b_channel_stopped(true), Role::standby, {}, settings(), t0);
    EXPECT_TRUE(d.diverged);
    EXPECT_EQ(d.status, Status::unsafe);
}

TEST(MysqlStaleSide, peer_diverged_ends_once_the_rejoined_peer_replicates_again) {
    auto serving = decide(b_channel_stopped(false), Role::holder, b_writer(), settings(), t0 + 10s);
    ASSERT_TRUE(serving.history.peer_diverged);
    auto healthy = load_snapshot("mariadb-10.11/standby-healthy.txt");
    healthy.read_only = false;
    auto d = decide(healthy, Role::holder, serving.history, settings(), t0 + 1h);
    healthy.replicas[0]["Slave_received_heartbeats"] = "8";
    d = decide(healthy, Role::holder, d.history, settings(), t0 + 1h + 1s);
    EXPECT_FALSE(d.history.peer_diverged);
    EXPECT_EQ(d.reason.find("peer diverged"), std::string::npos) << d.reason;
}

// Terms (checks/term.hpp). A partition: X held the VIP and wrote on term 1, its peer took over
// on term 2 and wrote; the link is back and X's channel meets the peer's writes (1950). Which
// branch is newer is the term's to say, not who holds the VIP now.
TEST(MysqlTerms, holder_waits_for_the_peers_term_before_latching_anyone) {
    auto snap = b_channel_stopped(false, 1950);
    snap.term = 1;
    auto d = decide(snap, Role::holder, b_writer(), settings(), t0 + 10s);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_FALSE(d.diverged);
    EXPECT_FALSE(d.history.peer_diverged);
    ASSERT_TRUE(d.ask_peer_term);
    EXPECT_EQ(*d.ask_peer_term, (PeerAddress{"127.0.0.1", 33061}));
    EXPECT_NE(d.reason.find("reading the peer's term"), std::string::npos) << d.reason;
}

TEST(MysqlTerms, holder_on_the_older_term_is_the_stale_side_and_leaves_the_vip) {
    auto snap = b_channel_stopped(false, 1950);
    snap.term = 1;
    auto d = decide(snap, Role::holder, b_writer(), settings(), t0 + 10s);
    record_peer_term(d.history, 2, "");
    d = decide(snap, Role::holder, d.history, settings(), t0 + 11s);
    EXPECT_TRUE(d.diverged);
    EXPECT_FALSE(d.history.peer_diverged);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
    EXPECT_NE(d.reason.find("term 1 here, 2 on the peer"), std::string::npos) << d.reason;
    EXPECT_FALSE(d.ask_peer_term);
    // Latched: a restart does not forget it, and the term is not asked again.
    d = decide(snap, Role::holder, restarted(d.history), settings(), t0 + 1h);
    EXPECT_TRUE(d.diverged);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
}

TEST(MysqlTerms, standby_on_the_newer_term_is_the_authority_and_stays_eligible) {
    // The peer took the VIP back when the link returned; this node's channel now asks the
    // peer for a GTID of its own the peer never got (1236).
    auto snap = b_channel_stopped(true, 1236);
    snap.term = 2;
    auto d = decide(snap, Role::standby, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe) << d.reason;
    EXPECT_FALSE(d.diverged) << d.history.diverged_reason;
    EXPECT_TRUE(d.ask_peer_term);
    EXPECT_NE(d.reason.find("reading the peer's term"), std::string::npos) << d.reason;
    record_peer_term(d.history, 1, "");
    d = decide(snap, Role::standby, d.history, settings(), t0 + 1s);
    EXPECT_FALSE(d.diverged) << d.history.diverged_reason;
    EXPECT_TRUE(d.history.peer_diverged);
    EXPECT_TRUE(d.history.writer);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_NE(d.history.peer_diverged_reason.find("term 2 here, 1 on the peer"), std::string::npos)
        << d.history.peer_diverged_reason;
}

TEST(MysqlTerms, without_an_answer_from_the_peer_the_writer_mark_decides_after_the_wait) {
    auto snap = b_channel_stopped(false, 1950);
    snap.term = 1;
    auto d = decide(snap, Role::holder, b_writer(), settings(), t0 + 10s);
    record_peer_term(d.history, std::nullopt, "error 1142 (SELECT command denied)");
    d = decide(snap, Role::holder, d.history, settings(), t0 + 12s);
    EXPECT_FALSE(d.history.peer_diverged);  // still waiting
    d = decide(snap, Role::holder, d.history, settings(), t0 + 16s);
    EXPECT_TRUE(d.history.peer_diverged);
    EXPECT_FALSE(d.diverged);
    EXPECT_NE(d.history.peer_diverged_reason.find("1142"), std::string::npos)
        << d.history.peer_diverged_reason;
}

TEST(MysqlTerms, a_one_shot_run_that_cannot_read_the_peers_term_decides_by_the_writer_mark_now) {
    // `havip check mysql` asks once and is gone: it does not wait for a next interval.
    auto snap = b_channel_stopped(false, 1950);
    snap.term = 1;
    auto d = decide(snap, Role::holder, b_writer(), settings(), t0 + 10s);
    record_peer_term(d.history, std::nullopt, "error 2003 (Can't connect)", true);
    d = decide(snap, Role::holder, d.history, settings(), t0 + 10s);
    EXPECT_TRUE(d.history.peer_diverged);
    EXPECT_NE(d.history.peer_diverged_reason.find("2003"), std::string::npos)
        << d.history.peer_diverged_reason;
}

TEST(MysqlTerms, equal_terms_leave_it_to_the_writer_mark) {
    auto snap = b_channel_stopped(false, 1950);
    snap.term = 3;
    auto d = decide(snap, Role::holder, b_writer(), settings(), t0 + 10s);
    record_peer_term(d.history, 3, "");
    d = decide(snap, Role::holder, d.history, settings(), t0 + 11s);
    EXPECT_TRUE(d.history.peer_diverged);
    EXPECT_FALSE(d.diverged);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
}

TEST(MysqlTerms, a_peer_term_is_forgotten_once_the_data_agree_again) {
    auto snap = b_channel_stopped(true, 1236);
    snap.term = 2;
    auto d = decide(snap, Role::standby, {}, settings(), t0);
    record_peer_term(d.history, 5, "");
    auto healthy = load_snapshot("mariadb-10.11/standby-healthy.txt");
    d = decide(healthy, Role::standby, d.history, settings(), t0 + 1s);
    EXPECT_FALSE(d.history.peer_term);
    EXPECT_FALSE(d.history.conflict_since);
    record_peer_term(d.history, 7, "");  // an answer that comes late changes nothing
    EXPECT_FALSE(d.history.peer_term);
}

}  // namespace
}  // namespace havip::checks
