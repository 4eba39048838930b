// The control protocol's write commands — `clear-diverged` and `promote` with `force` — as a
// pure function: the request line, the caller's credentials (SO_PEERCRED) and the daemon's
// status snapshot go in; the answer, what to do, and the audit line for the journal come out.
// The daemon (vrrpd/daemon) executes the action and logs the audit; nothing here touches a
// check, a socket or a log. Read-only requests (`status`) are answered by answer_request.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vrrpd/status.hpp"

namespace havip::vrrp {

// Who sent the request, as the kernel says (SO_PEERCRED).
struct Caller {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    std::int32_t pid = 0;
};

enum class WriteCommand {
    clear_diverged,  // forget the diverged latch of the named mysql_checks
    promote_force,   // make the named mysql_checks' unsafe verdicts count as healthy
    switchover,      // move the VIP to the peer, no write lost (vrrpd/core/switchover)
    end_hold,        // end the switchover hold of an instance
};
const char* to_string(WriteCommand command);

// What the daemon must do: the command on each of these mysql_checks.
struct ControlAction {
    WriteCommand command = WriteCommand::clear_diverged;
    std::vector<std::string> checks;
    std::string by;  // "uid 0, pid 4242": recorded with a promote --force
    // switchover and end_hold: the instance; switchover: its options.
    std::string instance;
    std::optional<std::string> to;
    bool dry_run = false;
    double timeout_s = 30;
};

// One line for the journal, with MESSAGE_ID message_id_operator_command: every write command
// asked for, done or refused.
struct Audit {
    std::string message;
    bool refused = false;
    std::string command;
    std::string instance;  // "" for every instance
    std::vector<std::string> checks;
};

struct ControlAnswer {
    nlohmann::json reply;
    std::optional<ControlAction> action;
    std::optional<Audit> audit;
};

// Answers one request line. Write commands:
//   {"version":1,"command":"clear-diverged"[,"instance":"VI_1"]}
//   {"version":1,"command":"promote","force":true[,"instance":"VI_1"]}
// are for uid 0 only (havip_control_group and the daemon's own user may read status, not
// write). Without "instance" clear-diverged acts on every latched mysql_check, and promote on
// the one instance that tracks a mysql_check (several: the request must name one). The answer
// is {"version":1,"command":…,"done":[{"check","was"}],"message":…} or {"version":1,"error":…}
// (with "refused":"permission" when the caller may not write).
//   {"version":1,"command":"switchover"[,"instance":"VI_1"][,"to":"10.0.0.2"][,"dry_run":true]
//    [,"timeout":30]}
//   {"version":1,"command":"switchover","end_hold":true[,"instance":"VI_1"]}
// start a switchover of an instance that is MASTER here and tracks one mysql_check with
// manage_read_only (answered {"started":true,…}; status shows its steps), or end the hold a
// switchover left on the old master. Anything else goes to answer_request.
ControlAnswer plan_request(std::string_view line, const Caller& caller,
                           const std::function<StatusSnapshot()>& status);

}  // namespace havip::vrrp
