// vrrpd/mysql_check_verdict: how a mysql_check snapshot is judged and what the check set does
// with the decision, without a server or a clock.
#include "vrrpd/mysql_check_verdict.hpp"

#include <cerrno>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using Action = ReadOnlyRole::Action;
using checks::Status;

const ReadOnlyRole::Clock::time_point t0{};

checks::Snapshot answered(std::optional<bool> read_only = true) {
    checks::Snapshot s;
    s.outcome = checks::ProbeOutcome::ok;
    s.read_only = read_only;
    return s;
}

checks::Snapshot no_answer() {
    checks::Snapshot s;
    s.outcome = checks::ProbeOutcome::timed_out;
    s.step = checks::ProbeStep::connect;
    return s;
}

// A failed connect on the unix socket; ENOENT proves the server gone.
checks::Snapshot socket_connect_failed(int connect_errno) {
    checks::Snapshot s;
    s.outcome = checks::ProbeOutcome::connect_failed;
    s.error_code = 2002;
    s.transport = checks::Transport::unix_socket;
    s.connect_errno = connect_errno;
    return s;
}

checks::Decision decided(Status status, std::string reason) {
    checks::Decision d;
    d.status = status;
    d.reason = std::move(reason);
    return d;
}

// A holder whose promote failed at t0 (1 s back-off): writable unknown.
ReadOnlyRole failed_promote() {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, false, "fence: 1045 access denied", t0);
    return role;
}

// A standby whose demote succeeded.
ReadOnlyRole read_only_standby() {
    ReadOnlyRole role;
    role.finished(Action::demote, true, "", t0);
    return role;
}

// A holder whose promote succeeded.
ReadOnlyRole writable_holder() {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, true, "", t0);
    return role;
}

MysqlJudgeBasis basis(bool holder, bool manage_read_only, const ReadOnlyRole& role) {
    return judge_basis(answered(), holder, manage_read_only, role, {}, false);
}

MysqlVerdict verdict(const checks::Snapshot& snap, const checks::Decision& d, bool holder,
                     ReadOnlyRole& role, ReadOnlyRole::Clock::time_point now = t0 + 100ms) {
    return judge_verdict(snap, d, basis(holder, true, role), role, false, {}, now);
}

TEST(MysqlCheckBasis, a_node_without_the_vip_is_judged_as_a_standby) {
    const auto b = basis(false, true, writable_holder());
    EXPECT_EQ(b.role, checks::Role::standby);
    EXPECT_FALSE(b.promoting);
    EXPECT_FALSE(b.holder);
}

TEST(MysqlCheckBasis, a_holder_is_promoting_until_its_server_is_writable) {
    const auto promoting = basis(true, true, failed_promote());
    EXPECT_EQ(promoting.role, checks::Role::promoting);
    EXPECT_TRUE(promoting.promoting);
    ReadOnlyRole unknown;
    unknown.holds_vip(true);
    EXPECT_EQ(basis(true, true, unknown).role, checks::Role::promoting) << "not known writable";
    auto demoted = read_only_standby();
    demoted.holds_vip(true);
    EXPECT_EQ(basis(true, true, demoted).role, checks::Role::promoting) << "still read-only";
    const auto writable = basis(true, true, writable_holder());
    EXPECT_EQ(writable.role, checks::Role::holder);
    EXPECT_FALSE(writable.promoting);
}

TEST(MysqlCheckBasis, without_manage_read_only_the_holder_is_judged_as_the_holder) {
    const auto b = basis(true, false, ReadOnlyRole{});
    EXPECT_EQ(b.role, checks::Role::holder);
    EXPECT_FALSE(b.promoting);
    EXPECT_FALSE(b.manage_read_only);
}

TEST(MysqlCheckBasis, the_servers_slave_net_timeout_is_remembered_once_it_answers_one) {
    checks::DecisionSettings remembered;
    remembered.slave_net_timeout = std::chrono::duration<double>(45.0);
    auto snap = answered();
    snap.slave_net_timeout = 30.0;
    EXPECT_DOUBLE_EQ(
        judge_basis(snap, false, true, {}, remembered, false).decision.slave_net_timeout.count(),
        30.0);
    snap.slave_net_timeout = 0.0;
    EXPECT_DOUBLE_EQ(
        judge_basis(snap, false, true, {}, remembered, false).decision.slave_net_timeout.count(),
        45.0)
        << "0 is no timeout";
    EXPECT_DOUBLE_EQ(judge_basis(no_answer(), false, true, {}, remembered, false)
                         .decision.slave_net_timeout.count(),
                     45.0)
        << "kept while the server does not answer";
}

TEST(MysqlCheckBasis, semi_sync_follows_the_servers_answer_and_is_kept_without_one) {
    auto snap = answered();
    snap.semi_sync_slave_enabled = true;
    EXPECT_EQ(judge_basis(snap, false, true, {}, {}, std::nullopt).semi_sync_master, true);
    snap.semi_sync_slave_enabled = false;
    EXPECT_EQ(judge_basis(snap, false, true, {}, {}, true).semi_sync_master, false);
    EXPECT_EQ(judge_basis(no_answer(), false, true, {}, {}, std::nullopt).semi_sync_master,
              std::nullopt);
    EXPECT_EQ(judge_basis(no_answer(), false, true, {}, {}, true).semi_sync_master, true);
}

TEST(MysqlCheckVerdict, a_promoting_holder_whose_promote_failed_is_unsafe) {
    auto role = failed_promote();
    const auto v =
        verdict(answered(), decided(Status::healthy, "replicating, all applied"), true, role);
    EXPECT_EQ(v.status, Status::unsafe);
    EXPECT_EQ(v.reason,
              "cannot become writable (fence: 1045 access denied); as a standby: replicating, all "
              "applied");
    EXPECT_EQ(v.outcome, Outcome::unsafe);
}

TEST(MysqlCheckVerdict, a_promoting_holder_without_a_failed_promote_is_judged_as_decided) {
    ReadOnlyRole role;
    role.holds_vip(true);
    const auto v = verdict(answered(), decided(Status::healthy, "replicating"), true, role);
    EXPECT_EQ(v.status, Status::healthy);
    EXPECT_EQ(v.reason, "replicating");
    EXPECT_EQ(v.outcome, Outcome::ok);
}

TEST(MysqlCheckVerdict, a_standby_after_a_failed_promote_is_judged_as_decided) {
    auto role = failed_promote();
    role.holds_vip(false);
    const auto v = verdict(answered(), decided(Status::degraded, "lagging 7 s"), false, role);
    EXPECT_EQ(v.status, Status::degraded);
    EXPECT_EQ(v.reason, "lagging 7 s");
    EXPECT_EQ(v.outcome, Outcome::degraded);
}

TEST(MysqlCheckVerdict, a_down_server_stays_down_while_promoting) {
    auto role = failed_promote();
    const auto v =
        verdict(no_answer(), decided(Status::down, "no answer within 1.0 s"), true, role);
    EXPECT_EQ(v.status, Status::down);
    EXPECT_EQ(v.reason, "no answer within 1.0 s");
    EXPECT_EQ(v.outcome, Outcome::down);
}

TEST(MysqlCheckVerdict, a_definitive_failure_is_down_without_waiting_for_fall) {
    ReadOnlyRole role = read_only_standby();
    const auto v = verdict(socket_connect_failed(ENOENT),
                           decided(Status::down, "cannot connect: 2002 no socket"), false, role);
    EXPECT_EQ(v.status, Status::down);
    EXPECT_EQ(v.reason,
              "cannot connect: 2002 no socket: the server's unix socket is gone, down without "
              "waiting for fall");
    EXPECT_EQ(v.outcome, Outcome::gone);
}

TEST(MysqlCheckVerdict, an_ambiguous_failure_waits_for_fall) {
    ReadOnlyRole role = read_only_standby();
    const auto v = verdict(socket_connect_failed(ETIMEDOUT),
                           decided(Status::down, "cannot connect: 2002 timed out"), false, role);
    EXPECT_EQ(v.reason, "cannot connect: 2002 timed out");
    EXPECT_EQ(v.outcome, Outcome::down);
}

TEST(MysqlCheckVerdict, a_definitive_failure_is_not_added_to_a_status_other_than_down) {
    ReadOnlyRole role = read_only_standby();
    const auto v =
        verdict(socket_connect_failed(ENOENT), decided(Status::unsafe, "diverged"), false, role);
    EXPECT_EQ(v.reason, "diverged");
    EXPECT_EQ(v.outcome, Outcome::unsafe);
}

TEST(MysqlCheckVerdict, a_gone_server_while_promoting_is_down_not_unsafe) {
    auto role = failed_promote();
    const auto v = verdict(socket_connect_failed(ENOENT),
                           decided(Status::down, "cannot connect: 2002 no socket"), true, role);
    EXPECT_EQ(v.status, Status::down);
    EXPECT_EQ(v.reason,
              "cannot connect: 2002 no socket: the server's unix socket is gone, down without "
              "waiting for fall");
    EXPECT_EQ(v.outcome, Outcome::gone);
}

TEST(MysqlCheckVerdict, a_standby_holds_failback_for_the_decisions_reason_first) {
    auto role = failed_promote();
    role.holds_vip(false);
    auto d = decided(Status::healthy, "replicating");
    d.failback_hold = "not caught up: applied 0-2-9, received 0-2-10";
    EXPECT_EQ(verdict(answered(), d, false, role).failback_hold,
              "not caught up: applied 0-2-9, received 0-2-10");
}

TEST(MysqlCheckVerdict, a_standby_holds_failback_during_the_promote_back_off) {
    auto role = failed_promote();
    role.holds_vip(false);
    const auto d = decided(Status::healthy, "replicating");
    EXPECT_EQ(verdict(answered(), d, false, role, t0 + 200ms).failback_hold,
              "after a failed promote: 1 failed promote in a row; next attempt in 1 s");
    EXPECT_EQ(verdict(answered(), d, false, role, t0 + 2s).failback_hold, "")
        << "the back-off is over";
}

TEST(MysqlCheckVerdict, the_holder_never_holds_failback) {
    auto role = failed_promote();
    auto d = decided(Status::healthy, "replicating");
    d.failback_hold = "not caught up";
    EXPECT_EQ(verdict(answered(), d, true, role, t0 + 200ms).failback_hold, "");
}

TEST(MysqlCheckVerdict, restart_io_is_asked_only_when_decided_and_no_job_runs) {
    ReadOnlyRole role = read_only_standby();
    auto d = decided(Status::healthy, "replicating");
    d.restart_io = true;
    const auto b = basis(false, true, role);
    EXPECT_TRUE(judge_verdict(answered(), d, b, role, false, {}, t0).restart_io);
    EXPECT_FALSE(judge_verdict(answered(), d, b, role, true, {}, t0).restart_io);
    d.restart_io = false;
    EXPECT_FALSE(judge_verdict(answered(), d, b, role, false, {}, t0).restart_io);
}

TEST(MysqlCheckVerdict, the_peers_term_is_asked_when_decided) {
    ReadOnlyRole role = read_only_standby();
    auto d = decided(Status::unsafe, "the data differ");
    EXPECT_EQ(verdict(answered(), d, false, role).ask_peer_term, std::nullopt);
    d.ask_peer_term = checks::PeerAddress{"10.0.0.2", 3307};
    EXPECT_EQ(verdict(answered(), d, false, role).ask_peer_term,
              (checks::PeerAddress{"10.0.0.2", 3307}));
}

TEST(MysqlCheckVerdict, alerts_are_logged_only_when_they_change) {
    ReadOnlyRole role = read_only_standby();
    const auto b = basis(false, true, role);
    auto d = decided(Status::healthy, "replicating");
    d.alerts = {"semi-sync fell back to async"};
    const std::vector<std::string> none, same{"semi-sync fell back to async"}, other{"lag 6 s"};
    EXPECT_EQ(judge_verdict(answered(), d, b, role, false, none, t0).alerts, d.alerts);
    EXPECT_EQ(judge_verdict(answered(), d, b, role, false, same, t0).alerts, std::nullopt);
    EXPECT_EQ(judge_verdict(answered(), d, b, role, false, other, t0).alerts, d.alerts);
    d.alerts.clear();
    EXPECT_EQ(judge_verdict(answered(), d, b, role, false, same, t0).alerts,
              std::vector<std::string>{})
        << "gone: nothing to log, forgotten";
    EXPECT_EQ(judge_verdict(answered(), d, b, role, false, none, t0).alerts, std::nullopt);
}

TEST(MysqlCheckVerdict, read_only_off_on_a_standby_is_said_once_and_demoted_again) {
    ReadOnlyRole role = read_only_standby();
    const auto d = decided(Status::healthy, "replicating");
    EXPECT_FALSE(verdict(answered(true), d, false, role).warn_writable_standby);
    EXPECT_FALSE(verdict(answered(std::nullopt), d, false, role).warn_writable_standby);
    EXPECT_EQ(role.owed(), Action::none);
    EXPECT_TRUE(verdict(answered(false), d, false, role).warn_writable_standby);
    EXPECT_EQ(role.owed(), Action::demote);
    EXPECT_FALSE(verdict(answered(false), d, false, role).warn_writable_standby) << "not news";
}

TEST(MysqlCheckVerdict, without_manage_read_only_a_writable_standby_is_left_alone) {
    ReadOnlyRole role = read_only_standby();
    const auto b = basis(false, false, role);
    EXPECT_FALSE(judge_verdict(answered(false), decided(Status::healthy, "replicating"), b, role,
                               false, {}, t0)
                     .warn_writable_standby);
    EXPECT_EQ(role.writable(), false) << "the role did not learn of it";
}

TEST(MysqlCheckVerdict, read_only_set_on_the_holder_promotes_again) {
    ReadOnlyRole role = writable_holder();
    auto d = decided(Status::degraded, "read_only=1 on the holder");
    d.clear_read_only = true;
    verdict(answered(true), d, true, role);
    EXPECT_EQ(role.owed(), Action::promote);
}

TEST(MysqlCheckVerdict, read_only_is_not_cleared_for_a_standby_or_without_manage_read_only) {
    ReadOnlyRole standby = read_only_standby();
    auto d = decided(Status::healthy, "replicating");
    d.clear_read_only = true;
    verdict(answered(true), d, false, standby);
    EXPECT_EQ(standby.owed(), Action::none);
    ReadOnlyRole holder = writable_holder();
    judge_verdict(answered(true), d, basis(true, false, holder), holder, false, {}, t0);
    EXPECT_EQ(holder.owed(), Action::none);
}

TEST(MysqlCheckVerdict, a_failed_promote_is_retried_only_after_the_server_answers) {
    auto role = failed_promote();
    const auto d = decided(Status::down, "no answer");
    verdict(no_answer(), d, true, role, t0 + 2s);
    EXPECT_EQ(role.owed(), Action::none) << "the server did not answer";
    verdict(answered(), decided(Status::healthy, "replicating"), true, role, t0 + 2s);
    EXPECT_EQ(role.owed(), Action::promote);
}

}  // namespace
}  // namespace havip::vrrp
