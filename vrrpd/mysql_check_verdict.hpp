// Judging one mysql_check snapshot, around checks::decide: how the node is judged (holder,
// standby, or a holder still promoting), what the snapshot teaches the check (the server's
// slave_net_timeout, whether the pair runs semi-sync), and, from the decision, what the instances
// are told and which actions the check set runs. Pure: the clock is an argument; CheckSet logs
// and runs the actions, in the order of MysqlVerdict's fields.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "checks/mysql_decision.hpp"
#include "vrrpd/core/read_only_role.hpp"
#include "vrrpd/core/track.hpp"

namespace havip::vrrp {

// Before the decision.
struct MysqlJudgeBasis {
    bool holder = false;  // an instance tracking the check holds the VIP
    bool manage_read_only = false;
    // Holds the VIP, but manage_read_only has not made the server writable yet: still a
    // read-only standby, judged as one (as the holder it would "clear read_only" behind the
    // promote's wait for the relay log).
    bool promoting = false;
    checks::Role role = checks::Role::standby;
    // The check's decision settings, with the server's slave_net_timeout ("fresh") once it
    // answered one: kept for intervals in which the server does not answer.
    checks::DecisionSettings decision;
    // PromoteSettings::semi_sync_master, as the server last answered: a semi-sync pair moves
    // the master side with the VIP.
    std::optional<bool> semi_sync_master;
};

// `decision` and `semi_sync_master`: what the check remembers from earlier snapshots.
MysqlJudgeBasis judge_basis(const checks::Snapshot& snap, bool holder, bool manage_read_only,
                            const ReadOnlyRole& role, checks::DecisionSettings decision,
                            std::optional<bool> semi_sync_master);

// After the decision: what the check set does, in this order.
struct MysqlVerdict {
    // The server answered read_only=0 where it is to be read-only: say so (the role now owes
    // the demote).
    bool warn_writable_standby = false;
    // The decision's alerts, when they differ from those logged last: log each and remember
    // them. Unchanged: nothing (they are logged when they change, not every interval).
    std::optional<std::vector<std::string>> alerts;
    // START SLAVE IO_THREAD, asked for by the decision, unless a job runs on the worker.
    bool restart_io = false;
    std::optional<checks::PeerAddress> ask_peer_term;
    // What the instances are told: the decision's status and reason, rewritten for a failed
    // promote and a definitive failure, and why failback waits ("" when it does not).
    checks::Status status = checks::Status::down;
    std::string reason;
    Outcome outcome = Outcome::down;
    std::string failback_hold;
};

// `role` learns of the snapshot (answered or not, read_only=0 on a standby, read_only set on
// the holder by someone else). `in_flight`: a job runs on the check's worker. `last_alerts`: the
// alerts logged last. `now`: the steady clock, for the promote back-off.
MysqlVerdict judge_verdict(const checks::Snapshot& snap, const checks::Decision& d,
                           const MysqlJudgeBasis& basis, ReadOnlyRole& role, bool in_flight,
                           const std::vector<std::string>& last_alerts,
                           std::chrono::steady_clock::time_point now);

}  // namespace havip::vrrp
