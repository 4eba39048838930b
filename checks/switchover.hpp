// `havip switchover`: the database steps of a planned move of the VIP, run by the havipd that
// holds it (vrrpd/core/switchover has the sequence). Blocking; run them on a worker
// (MysqlProbe::run) with a deadline. Each returns its steps, as promote and demote do, for the log
// and status.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "checks/mysql_actions.hpp"

namespace havip::checks {

struct SwitchoverSettings {
    std::string connection_name;  // this node's channel from the target (the same name there)
    // The target must be this server (mysql_check peer_server_id), or this address (`--to`).
    std::optional<std::uint32_t> target_server_id;
    std::optional<std::string> target_host;
    // Preflight: the target must apply this node's position within this bound.
    std::chrono::duration<double> lag_bound{1.0};
    // Longest single MASTER_GTID_WAIT (under the client's read timeout).
    std::chrono::duration<double> wait_slice{0.75};
    std::function<void(std::chrono::duration<double>)> pause;  // empty: sleep (tests record)
};

// The node the VIP goes to: the Master_Host:Master_Port of this node's channel.
struct SwitchoverTarget {
    std::string host;
    unsigned port = 3306;
    std::uint32_t server_id = 0;
    std::string where() const;  // "10.0.0.2:3306", "[fd00::2]:3306"
};

struct SwitchoverPreflight {
    ActionResult result;  // ok: go ahead; else the last step says why not
    std::optional<SwitchoverTarget> target;
};

// Whether a switchover can start, changing nothing: this node is writable and its channel from
// the target runs (it must replicate from the new master afterwards); the target answers, is
// read-only, is the expected server and applies this node's position within lag_bound.
SwitchoverPreflight switchover_preflight(SqlSession& local, const SwitchoverSettings& settings,
                                         const PeerConnector& connect_peer);

// After read_only=1 here: this node's final position, waited for on the target within
// `timeout`. The target's own transactions (echoed back through log_slave_updates) are not
// waited for, as in the fence.
ActionResult switchover_catch_up(SqlSession& local, const SwitchoverTarget& target,
                                 const SwitchoverSettings& settings,
                                 const PeerConnector& connect_peer,
                                 std::chrono::duration<double> timeout);

// After the target took the VIP: until its havipd (or keepalived's notify script) has cleared
// read_only there, within `timeout`.
ActionResult switchover_target_writable(const SwitchoverTarget& target,
                                        const SwitchoverSettings& settings,
                                        const PeerConnector& connect_peer,
                                        std::chrono::duration<double> timeout);

// The client sessions that may keep SET GLOBAL read_only=1 waiting (a lock held, a long
// statement, FLUSH TABLES WITH READ LOCK), longest first, for the reason of a failed step.
std::string blocking_sessions(SqlSession& local);

}  // namespace havip::checks
