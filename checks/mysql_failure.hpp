// Whether a failed mysql_check probe proves the server gone (definitive: `down` at once) or
// only suggests it (ambiguous: counts toward `fall`). Pure: the snapshot goes in, the class
// and a reason come out.
//
// A killed or stopped mysqld is not a guess: the kernel closes its sockets at once, so a
// connect to its unix socket fails with ENOENT (the file is gone) or ECONNREFUSED (nobody
// listens on it), and a TCP connect to it on loopback is refused. No network lies between,
// so no retry can change the answer. A timeout, a reset or a refusal from a remote host can
// be the network's doing, or a server too busy to answer in time: those wait for `fall`.
#pragma once

#include <string>

#include "checks/mysql_decision.hpp"
#include "vrrpd/core/track.hpp"

namespace havip::checks {

// The transport a check with `unix_socket` (preferred when set) or `host` uses.
Transport transport_of(const std::string& unix_socket, const std::string& host);

struct FailureClass {
    bool definitive = false;
    std::string why;  // for a definitive failure: what proves the server gone
};

// Definitive only for a failed connect (2002/2003, the first probe or the reconnect after
// the held connection closed) whose own connect() saw ENOENT or ECONNREFUSED on the unix
// socket, or ECONNREFUSED on loopback TCP. Everything else, success included, is not.
FailureClass classify_failure(const Snapshot& snapshot);

// What the tracker is told for a decision's status: a `down` that is definitive is `gone`,
// which skips `fall`.
vrrp::Outcome track_outcome(Status status, const FailureClass& failure);

}  // namespace havip::checks
