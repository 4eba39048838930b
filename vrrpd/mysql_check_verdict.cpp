#include "vrrpd/mysql_check_verdict.hpp"

#include <utility>

#include <fmt/format.h>

#include "checks/mysql_failure.hpp"
#include "vrrpd/core/promote_backoff.hpp"

namespace havip::vrrp {

MysqlJudgeBasis judge_basis(const checks::Snapshot& snap, bool holder, bool manage_read_only,
                            const ReadOnlyRole& role, checks::DecisionSettings decision,
                            std::optional<bool> semi_sync_master) {
    MysqlJudgeBasis b;
    b.holder = holder;
    b.manage_read_only = manage_read_only;
    b.promoting = manage_read_only && holder && role.writable() != true;
    b.role = !holder       ? checks::Role::standby
             : b.promoting ? checks::Role::promoting
                           : checks::Role::holder;
    // The server's slave_net_timeout defines "fresh".
    if (snap.slave_net_timeout && *snap.slave_net_timeout > 0)
        decision.slave_net_timeout = std::chrono::duration<double>(*snap.slave_net_timeout);
    b.decision = std::move(decision);
    // A semi-sync pair: promote and demote move the master side with the VIP.
    if (snap.semi_sync_slave_enabled) semi_sync_master = *snap.semi_sync_slave_enabled;
    b.semi_sync_master = semi_sync_master;
    return b;
}

MysqlVerdict judge_verdict(const checks::Snapshot& snap, const checks::Decision& d,
                           const MysqlJudgeBasis& basis, ReadOnlyRole& role, bool in_flight,
                           const std::vector<std::string>& last_alerts,
                           std::chrono::steady_clock::time_point now) {
    MysqlVerdict v;
    // A failed promote/demote is retried once the server answers again, not in a tight loop
    // against a dead one.
    // After failed promotes in a row, not before the back-off says (vrrpd/core/promote_backoff).
    const auto backoff = backoff_hold(role.backoff(), now);
    role.snapshot(snap.outcome == checks::ProbeOutcome::ok, now);
    v.warn_writable_standby =
        basis.manage_read_only && snap.read_only == false && role.server_writable();
    if (d.alerts != last_alerts) v.alerts = d.alerts;
    if (basis.manage_read_only && basis.role == checks::Role::holder && d.clear_read_only) {
        // Someone set read_only on the holder: promote again (the decision latches this, so a
        // second time is "down").
        role.read_only_set_elsewhere();
    }
    v.restart_io = d.restart_io && !in_flight;
    v.ask_peer_term = d.ask_peer_term;
    v.status = d.status;
    v.reason = d.reason;
    if (basis.promoting && !role.promote_failure().empty() && v.status != checks::Status::down) {
        v.status = checks::Status::unsafe;
        v.reason = fmt::format("cannot become writable ({}); as a standby: {}",
                               role.promote_failure(), v.reason);
    }
    // A server certainly gone is down now; an ambiguous failure waits for `fall`.
    const auto failure = checks::classify_failure(snap);
    if (v.status == checks::Status::down && failure.definitive)
        v.reason = fmt::format("{}: {}, down without waiting for fall", v.reason, failure.why);
    v.outcome = checks::track_outcome(v.status, failure);
    // A standby whose promote failed does not preempt its live peer again until the back-off
    // is over: failback would loop otherwise. It stays eligible if the peer is gone.
    v.failback_hold = basis.holder ? std::string{} : d.failback_hold;
    if (!basis.holder && v.failback_hold.empty() && !backoff.empty())
        v.failback_hold = "after a failed promote: " + backoff;
    return v;
}

}  // namespace havip::vrrp
