#include "checks/mysql_decision.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checks/gtid.hpp"
#include "tests/unit/checks/fixture.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using testing::load_snapshot;

const WallClock::time_point t0 = WallClock::time_point(std::chrono::seconds(1'700'000'000));

DecisionSettings settings() {
    DecisionSettings s;
    s.interval = 1s;
    s.slave_net_timeout = 4s;  // fresh window: 2 × 4 + 1 = 9 s
    s.lag_warn = 5s;
    s.max_lag = 30s;
    return s;
}

History contact_at(WallClock::time_point t) {
    History h;
    h.last_ok = t;
    return h;
}

// ---- GTID parsing and comparison ----

TEST(Gtid, parses_mariadb_lists_with_several_domains) {
    auto list = parse_mariadb_gtid_list("0-1-100, 1-2-5");
    ASSERT_TRUE(list.value);
    ASSERT_EQ(list.value->size(), 2u);
    EXPECT_EQ(list.value->at(0).server_id, 1u);
    EXPECT_EQ(list.value->at(0).sequence, 100u);
    EXPECT_EQ(list.value->at(1).sequence, 5u);
    EXPECT_TRUE(parse_mariadb_gtid_list("").value->empty());
}

TEST(Gtid, rejects_malformed_mariadb_gtids_with_a_reason) {
    auto bad = parse_mariadb_gtid_list("0-1");
    EXPECT_FALSE(bad.value);
    EXPECT_NE(bad.error.message.find("0-1"), std::string::npos);
    EXPECT_FALSE(parse_mariadb_gtid_list("0-1-5,0-2-6").value);  // domain twice
}

TEST(Gtid, applied_compares_sequences_per_domain_not_server_ids) {
    auto received = *parse_mariadb_gtid_list("0-1-100,1-2-5").value;
    EXPECT_TRUE(mariadb_applied(received, *parse_mariadb_gtid_list("0-2-100,1-2-7").value));
    EXPECT_FALSE(mariadb_applied(received, *parse_mariadb_gtid_list("0-1-99,1-2-5").value));
    EXPECT_FALSE(mariadb_applied(received, *parse_mariadb_gtid_list("0-1-100").value));
    auto missing = mariadb_missing(received, *parse_mariadb_gtid_list("0-1-98,1-2-5").value);
    ASSERT_EQ(missing.size(), 1u);
    EXPECT_EQ(missing[0], "domain 0: 0-1-100 received, 0-1-98 applied");
}

TEST(Gtid, mysql_sets_merge_intervals_and_test_subsets) {
    auto set = parse_mysql_gtid_set(
        "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5:6-9:20,\n"
        "8a94f357-aab4-11df-86ab-c80aa9429562:1-3");
    ASSERT_TRUE(set.value);
    const auto& a = set.value->at("3e11fa47-71ca-11e1-9e33-c80aa9429562");
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].first, 1u);
    EXPECT_EQ(a[0].second, 9u);
    EXPECT_EQ(a[1].first, 20u);
    auto sub = *parse_mysql_gtid_set("3e11fa47-71ca-11e1-9e33-c80aa9429562:2-8").value;
    auto gap = *parse_mysql_gtid_set("3e11fa47-71ca-11e1-9e33-c80aa9429562:9-10").value;
    EXPECT_TRUE(mysql_gtid_subset(sub, *set.value));
    EXPECT_FALSE(mysql_gtid_subset(gap, *set.value));
    EXPECT_FALSE(parse_mysql_gtid_set("not-a-uuid:1-5").value);
    EXPECT_FALSE(parse_mysql_gtid_set("3e11fa47-71ca-11e1-9e33-c80aa9429562:5-1").value);
    // A source with nothing to cover does not end the test for the sources after it.
    MysqlGtidSet partly{{"0000", {}}, {"ffff", {{1, 5}}}};
    EXPECT_FALSE(mysql_gtid_subset(partly, MysqlGtidSet{}));
}

TEST(Gtid, mysql_tagged_gtids_are_separate_sources) {
    auto set = *parse_mysql_gtid_set("3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:job:1-2").value;
    EXPECT_TRUE(set.contains("3e11fa47-71ca-11e1-9e33-c80aa9429562"));
    EXPECT_TRUE(set.contains("3e11fa47-71ca-11e1-9e33-c80aa9429562:job"));
}

// ---- Standby (recorded MariaDB 10.11 answers) ----

TEST(MysqlDecision, standby_replicating_without_lag_is_healthy) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-healthy.txt"), Role::standby, {},
                    settings(), t0);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_EQ(d.reason, "replicating, lag 0 s");
    EXPECT_EQ(d.applied, true);
}

TEST(MysqlDecision, standby_lag_between_warn_and_max_is_degraded) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-lag-12.txt"), Role::standby, {},
                    settings(), t0);
    EXPECT_EQ(d.status, Status::degraded) << d.reason;
    EXPECT_EQ(d.lag_seconds, 12.0);
}

TEST(MysqlDecision, standby_lag_beyond_max_is_unsafe) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-lag-45.txt"), Role::standby, {},
                    settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_NE(d.reason.find("45 s exceeds max_lag 30 s"), std::string::npos) << d.reason;
}

TEST(MysqlDecision, standby_lag_status_holds_until_the_lag_is_under_80_percent_of_the_bound) {
    auto snap = load_snapshot("mariadb-10.11/standby-lag-12.txt");
    History history;
    auto at_lag = [&](int lag) {
        snap.replicas.at(0)["Seconds_Behind_Master"] = std::to_string(lag);
        auto d = decide(snap, Role::standby, history, settings(), t0);
        history = d.history;
        return d;
    };
    // Never over: 5 s is healthy. Hovering at the 5 s bound after crossing it does not flip
    // back to healthy until 4 s.
    EXPECT_EQ(at_lag(5).status, Status::healthy);
    EXPECT_EQ(at_lag(6).status, Status::degraded);
    const auto hovering = at_lag(5);
    EXPECT_EQ(hovering.status, Status::degraded);
    EXPECT_NE(hovering.reason.find("healthy again under 4 s"), std::string::npos)
        << hovering.reason;
    EXPECT_EQ(at_lag(4).status, Status::healthy);
    EXPECT_EQ(at_lag(5).status, Status::healthy);
    // The same at max_lag (30 s): unsafe until 24 s.
    EXPECT_EQ(at_lag(31).status, Status::unsafe);
    const auto still_unsafe = at_lag(25);
    EXPECT_EQ(still_unsafe.status, Status::unsafe);
    EXPECT_NE(still_unsafe.reason.find("safe again under 24 s"), std::string::npos)
        << still_unsafe.reason;
    EXPECT_EQ(at_lag(24).status, Status::degraded);
    EXPECT_EQ(at_lag(3).status, Status::healthy);
}

TEST(MysqlDecision, standby_with_peer_gone_and_recent_contact_is_eligible) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby,
                    contact_at(t0 - 3s), settings(), t0);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_TRUE(d.peer_gone);
    EXPECT_EQ(d.applied, true);
    EXPECT_EQ(d.reason, "peer gone, relay log applied, last in contact 3 s ago");
}

TEST(MysqlDecision, standby_with_peer_gone_but_stale_contact_is_unsafe) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby,
                    contact_at(t0 - 10s), settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_TRUE(d.peer_gone);
    EXPECT_NE(d.reason.find("last in contact 10 s ago"), std::string::npos) << d.reason;
}

TEST(MysqlDecision, standby_with_peer_gone_and_no_history_is_unsafe) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-peer-gone.txt"), Role::standby, {},
                    settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_NE(d.reason.find("never seen in contact"), std::string::npos);
}

TEST(MysqlDecision, fresh_window_is_twice_slave_net_timeout_plus_interval) {
    auto snap = load_snapshot("mariadb-10.11/standby-peer-gone.txt");
    EXPECT_EQ(decide(snap, Role::standby, contact_at(t0 - 9s), settings(), t0).status,
              Status::healthy);
    EXPECT_EQ(decide(snap, Role::standby, contact_at(t0 - 9100ms), settings(), t0).status,
              Status::unsafe);
}

TEST(MysqlDecision, peer_gone_with_unapplied_relay_log_stays_eligible_and_says_so) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-peer-gone-unapplied.txt"), Role::standby,
                    contact_at(t0 - 2s), settings(), t0);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_EQ(d.applied, false);
    EXPECT_NE(d.reason.find("not yet applied (domain 0: 0-1-12 received, 0-1-10 applied)"),
              std::string::npos)
        << d.reason;
}

TEST(MysqlDecision, standby_sql_thread_stopped_by_1062_is_unsafe_and_latches_diverged) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-sql-error-1062.txt"), Role::standby, {},
                    settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_NE(d.reason.find("replication SQL thread stopped: error 1062"), std::string::npos)
        << d.reason;
    EXPECT_TRUE(d.diverged);
    EXPECT_TRUE(d.history.diverged);
    EXPECT_EQ(d.history.diverged_since, t0);
}

TEST(MysqlDecision, diverged_latch_keeps_standby_unsafe_after_replication_resumes) {
    auto first = decide(load_snapshot("mariadb-10.11/standby-sql-error-1062.txt"), Role::standby,
                        {}, settings(), t0);
    auto later = decide(load_snapshot("mariadb-10.11/standby-healthy.txt"), Role::standby,
                        first.history, settings(), t0 + 60s);
    EXPECT_EQ(later.status, Status::unsafe);
    EXPECT_NE(later.reason.find("data diverged"), std::string::npos);
    History cleared = later.history;
    clear_diverged(cleared);
    EXPECT_EQ(decide(load_snapshot("mariadb-10.11/standby-healthy.txt"), Role::standby, cleared,
                     settings(), t0 + 61s)
                  .status,
              Status::healthy);
}

TEST(MysqlDecision, strict_mode_error_1950_latches_diverged_too) {
    auto snap = load_snapshot("mariadb-10.11/standby-sql-error-1062.txt");
    snap.replicas[0]["Last_SQL_Errno"] = "1950";
    auto d = decide(snap, Role::standby, {}, settings(), t0);
    EXPECT_TRUE(d.history.diverged);
    EXPECT_NE(d.history.diverged_reason.find("1950"), std::string::npos);
}

TEST(MysqlDecision, standby_io_error_1236_is_unsafe) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-io-error-1236.txt"), Role::standby,
                    contact_at(t0 - 1s), settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_NE(d.reason.find("IO thread stopped: error 1236"), std::string::npos) << d.reason;
    EXPECT_FALSE(d.diverged);
}

TEST(MysqlDecision, grant_error_1045_while_connecting_is_broken_not_peer_gone) {
    auto snap = load_snapshot("mariadb-10.11/standby-peer-gone.txt");
    snap.replicas[0]["Last_IO_Errno"] = "1045";
    auto d = decide(snap, Role::standby, contact_at(t0 - 1s), settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_FALSE(d.peer_gone);
    EXPECT_NE(d.reason.find("1045"), std::string::npos);
}

TEST(MysqlDecision, standby_without_a_channel_is_unsafe) {
    auto d =
        decide(load_snapshot("mariadb-10.11/no-channel.txt"), Role::standby, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_NE(d.reason.find("no replication channel"), std::string::npos);
    auto named = settings();
    named.connection_name = "from_db1";
    auto d2 =
        decide(load_snapshot("mariadb-10.11/standby-healthy.txt"), Role::standby, {}, named, t0);
    EXPECT_EQ(d2.status, Status::unsafe);
    EXPECT_EQ(d2.reason, "no replication channel 'from_db1'");
}

TEST(MysqlDecision, standby_replicating_from_the_wrong_master_is_unsafe) {
    auto s = settings();
    s.expected_master_server_id = 7;
    auto d = decide(load_snapshot("mariadb-10.11/standby-healthy.txt"), Role::standby, {}, s, t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_EQ(d.reason, "replicating from server id 1, expected 7");
}

TEST(MysqlDecision, null_and_missing_columns_are_unknown_not_healthy) {
    auto d = decide(load_snapshot("mariadb-10.11/standby-null-missing.txt"), Role::standby, {},
                    settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_NE(d.reason.find("unknown"), std::string::npos) << d.reason;
}

TEST(MysqlDecision, lag_null_with_both_threads_running_is_degraded) {
    auto snap = load_snapshot("mariadb-10.11/standby-healthy.txt");
    snap.replicas[0]["Seconds_Behind_Master"] = std::nullopt;
    auto d = decide(snap, Role::standby, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::degraded);
}

TEST(MysqlDecision, missing_replication_privilege_is_unsafe_with_the_error) {
    Snapshot snap = load_snapshot("mariadb-10.11/standby-healthy.txt");
    snap.replicas.clear();
    snap.replica_error = 1227;
    snap.replica_error_message = "Access denied; you need (at least one of) the SLAVE MONITOR";
    auto d = decide(snap, Role::standby, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::unsafe);
    EXPECT_NE(d.reason.find("error 1227"), std::string::npos);
}

// ---- Contact history ----

TEST(MysqlDecision, contact_needs_heartbeats_or_received_position_to_advance) {
    auto snap = load_snapshot("mariadb-10.11/standby-healthy.txt");  // heartbeats 7, 0-1-4
    auto first = decide(snap, Role::standby, {}, settings(), t0);
    EXPECT_FALSE(first.history.last_ok);  // nothing to compare with yet
    EXPECT_EQ(first.history.last_heartbeats, 7u);
    // Frozen primary: IO=Yes but nothing advances (reference: SIGSTOPped master).
    auto frozen = decide(snap, Role::standby, first.history, settings(), t0 + 1s);
    EXPECT_FALSE(frozen.history.last_ok);
    snap.replicas[0]["Slave_received_heartbeats"] = "8";
    auto beat = decide(snap, Role::standby, frozen.history, settings(), t0 + 2s);
    EXPECT_EQ(beat.history.last_ok, t0 + 2s);
    snap.replicas[0]["Gtid_IO_Pos"] = "0-1-5";
    snap.gtid_slave_pos = "0-1-5";
    auto moved = decide(snap, Role::standby, beat.history, settings(), t0 + 3s);
    EXPECT_EQ(moved.history.last_ok, t0 + 3s);
}

TEST(MysqlDecision, unreachable_server_keeps_history_untouched) {
    Snapshot snap;
    snap.outcome = ProbeOutcome::connect_failed;
    snap.error_code = 2002;
    snap.error_message = "Can't connect to local server through socket";
    auto h = contact_at(t0 - 2s);
    auto d = decide(snap, Role::standby, h, settings(), t0);
    EXPECT_EQ(d.status, Status::down);
    EXPECT_EQ(d.history.last_ok, h.last_ok);
    EXPECT_NE(d.reason.find("cannot connect: error 2002"), std::string::npos);
}

// ---- Holder ----

TEST(MysqlDecision, holder_with_healthy_inbound_channel_is_healthy) {
    auto d =
        decide(load_snapshot("mariadb-10.11/holder-healthy.txt"), Role::holder, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::healthy);
    EXPECT_EQ(d.reason, "writable; inbound channel replicating");
}

TEST(MysqlDecision, holder_is_never_lowered_by_its_inbound_channel) {
    for (const char* f :
         {"mariadb-10.11/standby-peer-gone.txt", "mariadb-10.11/standby-io-error-1236.txt",
          "mariadb-10.11/standby-lag-45.txt", "mariadb-10.11/no-channel.txt"}) {
        auto snap = load_snapshot(f);
        snap.read_only = false;
        auto d = decide(snap, Role::holder, {}, settings(), t0);
        EXPECT_EQ(d.status, Status::healthy) << f << ": " << d.reason;
    }
}

TEST(MysqlDecision, holder_inbound_1062_stays_healthy_and_alerts_that_its_peer_diverged) {
    auto snap = load_snapshot("mariadb-10.11/standby-sql-error-1062.txt");
    snap.read_only = false;
    auto d = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::healthy);
    // Only the stale side is latched (mysql_stale_side_test.cpp): the writer says its peer
    // needs a rejoin.
    EXPECT_FALSE(d.diverged);
    EXPECT_TRUE(d.history.peer_diverged);
    ASSERT_FALSE(d.alerts.empty());
    EXPECT_NE(d.alerts.back().find("peer diverged"), std::string::npos);
}

TEST(MysqlDecision, holder_down_when_connect_fails_or_times_out) {
    Snapshot snap;
    snap.outcome = ProbeOutcome::timed_out;
    snap.error_message = "no answer within 1.0 s";
    auto d = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::down);
    EXPECT_EQ(d.reason, "no answer before the deadline (no answer within 1.0 s)");
}

// ---- Issue 15, item 7: the write probe, and a replica status that does not answer ----

// A write probe's result with a 0.3 s bound.
WriteProbe write_result(bool committed, unsigned code = 0, std::string message = "",
                        std::string waiting_for = "") {
    WriteProbe w;
    w.committed = committed;
    w.error_code = code;
    w.error_message = std::move(message);
    w.bound_s = 0.3;
    w.waiting_for = std::move(waiting_for);
    return w;
}

Snapshot writable_holder() {
    auto snap = load_snapshot("mariadb-10.11/holder-healthy.txt");
    snap.read_only = false;
    return snap;
}

// The history of a holder whose last write probes did not commit either, one short of degraded.
History failing_writes() {
    History h;
    h.write_failures = write_failures_to_degrade - 1;
    return h;
}

TEST(MysqlDecision, a_write_that_does_not_commit_degrades_only_when_it_stays_so) {
    auto snap = writable_holder();
    snap.write = write_result(false, 0, "", "Waiting for global read lock");
    History h;
    for (unsigned n = 1; n < write_failures_to_degrade; ++n) {
        auto d = decide(snap, Role::holder, h, settings(), t0);
        EXPECT_EQ(d.status, Status::healthy) << n;
        EXPECT_NE(d.reason.find(fmt::format(
                      "; a write does not commit within 0.30 s: Waiting for global read lock ({} "
                      "of 3 in a row before degraded)",
                      n)),
                  std::string::npos)
            << d.reason;
        h = d.history;
    }
    EXPECT_EQ(decide(snap, Role::holder, h, settings(), t0).status, Status::degraded);
    // One commit starts the count again.
    snap.write = write_result(true);
    h = decide(snap, Role::holder, h, settings(), t0).history;
    EXPECT_EQ(h.write_failures, 0u);
}

TEST(MysqlDecision, holder_whose_write_commits_is_healthy) {
    auto snap = writable_holder();
    snap.write = write_result(true);
    auto d = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::healthy);
    EXPECT_EQ(d.reason, "writable; inbound channel replicating");
}

TEST(MysqlDecision, holder_whose_write_does_not_commit_in_time_is_degraded_not_down) {
    auto snap = writable_holder();
    snap.write = write_result(false, 0, "", "Waiting for global read lock");
    auto d = decide(snap, Role::holder, failing_writes(), settings(), t0);
    EXPECT_EQ(d.status, Status::degraded);
    EXPECT_EQ(d.reason,
              "a write does not commit within 0.30 s: Waiting for global read lock; writable; "
              "inbound channel replicating");
    ASSERT_FALSE(d.alerts.empty());
    EXPECT_EQ(d.alerts.back(),
              "a write does not commit within 0.30 s: Waiting for global read lock");
}

TEST(MysqlDecision, holder_whose_write_fails_is_degraded_with_the_error) {
    auto snap = writable_holder();
    snap.write = write_result(false, 1290,
                              "The MariaDB server is running with the --read-only option so it "
                              "cannot execute this statement");
    auto d = decide(snap, Role::holder, failing_writes(), settings(), t0);
    EXPECT_EQ(d.status, Status::degraded);
    EXPECT_EQ(d.reason.rfind("a write does not commit: error 1290 (The MariaDB server", 0), 0u)
        << d.reason;
}

TEST(MysqlDecision, write_probe_without_its_grant_is_degraded_and_names_the_grant) {
    for (unsigned code : {1227u, 1142u, 1044u}) {
        auto snap = writable_holder();
        snap.write = write_result(false, code, "denied");
        auto d = decide(snap, Role::holder, failing_writes(), settings(), t0);
        EXPECT_EQ(d.status, Status::degraded) << code;
        EXPECT_NE(d.reason.find("GRANT BINLOG ADMIN ON *.* and GRANT INSERT, UPDATE, CREATE ON "
                                "havip.* to the check's account"),
                  std::string::npos)
            << d.reason;
    }
}

TEST(MysqlDecision, holder_whose_job_ran_out_of_time_in_the_write_is_degraded_not_down) {
    auto snap = writable_holder();
    snap.replicas.clear();  // not read: the write comes first
    snap.outcome = ProbeOutcome::timed_out;
    snap.step = ProbeStep::write;
    snap.error_message = "no answer within 1.0 s";
    auto d = decide(snap, Role::holder, failing_writes(), settings(), t0);
    EXPECT_EQ(d.status, Status::degraded);
    EXPECT_EQ(d.reason.rfind("a write does not commit before the probe's deadline (no answer "
                             "within 1.0 s); writable",
                             0),
              0u)
        << d.reason;
    // The same job ending earlier, before the server answered anything, is still down.
    snap.step = ProbeStep::variables;
    EXPECT_EQ(decide(snap, Role::holder, failing_writes(), settings(), t0).status, Status::down);
}

TEST(MysqlDecision, holder_whose_replica_status_does_not_answer_is_degraded_not_down) {
    auto snap = writable_holder();
    snap.replicas.clear();
    snap.replica_unanswered = 0.12;
    snap.replica_waiting_for = "Waiting for slave mutex on exit";
    auto d = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::degraded);
    EXPECT_EQ(d.reason,
              "writable; replica status did not answer within 0.12 s: Waiting for slave mutex on "
              "exit");
    // The job's deadline passed in that step: the same.
    snap.replica_unanswered.reset();
    snap.outcome = ProbeOutcome::timed_out;
    snap.step = ProbeStep::replica_status;
    snap.error_message = "no answer within 1.0 s";
    d = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::degraded);
    EXPECT_NE(d.reason.find("replica status did not answer before the probe's deadline"),
              std::string::npos)
        << d.reason;
}

TEST(MysqlDecision, standby_whose_replica_status_does_not_answer_stays_down) {
    auto snap = load_snapshot("mariadb-10.11/standby-healthy.txt");
    snap.replicas.clear();
    snap.replica_unanswered = 0.12;
    auto d = decide(snap, Role::standby, contact_at(t0 - 1s), settings(), t0);
    EXPECT_EQ(d.status, Status::down);
    EXPECT_EQ(d.reason,
              "no answer before the deadline (replica status did not answer within 0.12 s)");
    // So when the job's deadline passed there, as before.
    snap.replica_unanswered.reset();
    snap.outcome = ProbeOutcome::timed_out;
    snap.step = ProbeStep::replica_status;
    EXPECT_EQ(decide(snap, Role::standby, contact_at(t0 - 1s), settings(), t0).status,
              Status::down);
    // A promoting node is judged as a standby.
    EXPECT_EQ(decide(snap, Role::promoting, contact_at(t0 - 1s), settings(), t0).status,
              Status::down);
}

TEST(MysqlDecision, too_many_connections_means_alive) {
    Snapshot snap;
    snap.outcome = ProbeOutcome::connect_failed;
    snap.error_code = 1040;
    snap.error_message = "Too many connections";
    auto holder = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(holder.status, Status::healthy);
    EXPECT_FALSE(holder.alerts.empty());
    snap.error_code = 1203;
    EXPECT_EQ(decide(snap, Role::standby, contact_at(t0 - 1s), settings(), t0).status,
              Status::healthy);
    EXPECT_EQ(decide(snap, Role::standby, {}, settings(), t0).status, Status::unsafe);
}

TEST(MysqlDecision, holder_read_only_not_set_by_us_is_cleared_once_then_fault) {
    auto s = settings();
    s.manage_read_only = true;
    auto snap = load_snapshot("mariadb-10.11/holder-healthy.txt");
    snap.read_only = true;
    auto first = decide(snap, Role::holder, {}, s, t0);
    EXPECT_EQ(first.status, Status::healthy);
    EXPECT_TRUE(first.clear_read_only);
    auto second = decide(snap, Role::holder, first.history, s, t0 + 1s);
    EXPECT_EQ(second.status, Status::down);
    EXPECT_FALSE(second.clear_read_only);
    // Cleared successfully in between: the next surprise gets one more attempt.
    snap.read_only = false;
    auto fixed = decide(snap, Role::holder, first.history, s, t0 + 1s);
    snap.read_only = true;
    EXPECT_TRUE(decide(snap, Role::holder, fixed.history, s, t0 + 2s).clear_read_only);
}

TEST(MysqlDecision, holder_read_only_without_manage_read_only_only_alerts) {
    auto snap = load_snapshot("mariadb-10.11/holder-healthy.txt");
    snap.read_only = true;
    auto d = decide(snap, Role::holder, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::healthy);
    EXPECT_FALSE(d.clear_read_only);
    ASSERT_FALSE(d.alerts.empty());
    EXPECT_NE(d.alerts[0].find("manage_read_only is off"), std::string::npos);
}

TEST(MysqlDecision, holder_alerts_when_semi_sync_falls_back_to_async) {
    auto s = settings();
    s.expect_semi_sync = true;
    auto snap = load_snapshot("mariadb-10.11/holder-healthy.txt");
    snap.semi_sync["Rpl_semi_sync_master_status"] = "OFF";
    auto d = decide(snap, Role::holder, {}, s, t0);
    ASSERT_EQ(d.alerts.size(), 1u);
    EXPECT_NE(d.alerts[0].find("semi-sync"), std::string::npos);
}

// ---- MySQL 8 names ----

TEST(MysqlDecision, mysql8_replica_and_source_column_names_are_understood) {
    auto d =
        decide(load_snapshot("mysql-8.0/replica-healthy.txt"), Role::standby, {}, settings(), t0);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_EQ(d.applied, true);
    EXPECT_EQ(d.lag_seconds, 0.0);
    // No heartbeat column: IO=Yes and SQL=Yes count as contact.
    EXPECT_EQ(d.history.last_ok, t0);
}

TEST(MysqlDecision, mysql8_source_gone_compares_retrieved_and_executed_sets) {
    auto d = decide(load_snapshot("mysql-8.0/replica-source-gone-unapplied.txt"), Role::standby,
                    contact_at(t0 - 2s), settings(), t0);
    EXPECT_EQ(d.status, Status::healthy) << d.reason;
    EXPECT_TRUE(d.peer_gone);
    EXPECT_EQ(d.applied, false);
}

TEST(MysqlDecision, without_gtids_applied_falls_back_to_read_equals_exec_position) {
    auto snap = load_snapshot("mysql-8.0/replica-healthy.txt");
    snap.replicas[0].erase("Retrieved_Gtid_Set");
    EXPECT_EQ(decide(snap, Role::standby, {}, settings(), t0).applied, true);
    snap.replicas[0]["Read_Source_Log_Pos"] = "9000";
    EXPECT_EQ(decide(snap, Role::standby, {}, settings(), t0).applied, false);
}

}  // namespace
}  // namespace havip::checks
