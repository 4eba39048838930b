// The operator's write commands on havipd's control socket (root only, audited in the journal):
//   havip clear-diverged [INSTANCE]    forget the diverged latch once the data is repaired
//   havip promote --force [INSTANCE]   make a stale or latched node eligible by decision of a
//                                      person, recorded as such until the next normal writer
//                                      change
//   havip switchover [INSTANCE]        move the VIP to the peer with no write lost, showing
//                                      each step as it runs (vrrpd/core/switchover)
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "havip/status.hpp"

namespace havip::cli {

// Exit codes of the write commands (README.md "Operations"): 0 done or nothing to do, 1 the
// daemon refused the request (unknown instance…), 2 unreachable, 64 usage, 77 not root.
inline constexpr int exit_refused = 1;
inline constexpr int exit_no_permission = 77;  // EX_NOPERM

struct OperatorArgs {
    std::string command;  // "clear-diverged" or "promote"
    std::optional<std::string> instance;
    std::string socket = default_socket;
    bool force = false;
    bool json = false;
    bool help = false;
    // switchover
    std::optional<std::string> to;
    bool dry_run = false;
    bool end_hold = false;
    std::optional<double> timeout;
};

// The arguments after the command name.
std::variant<OperatorArgs, UsageError> parse_operator_args(const std::string& command,
                                                           const std::vector<std::string>& args);
std::string operator_usage(const std::string& command);
// The request line's document.
nlohmann::json operator_request(const OperatorArgs& args);
// What the daemon answered, for a person; and the exit code it means.
std::string render_operator_reply(const nlohmann::json& reply);
int operator_exit_code(const nlohmann::json& reply);

// `havip switchover`'s progress in a status document: the instance's switchover lines not
// printed yet (`printed` steps were), and whether the one started after `before` (its "started"
// then, "" for none) has finished, with its result.
struct SwitchoverProgress {
    std::string lines;
    std::size_t printed = 0;
    bool finished = false;
    std::string result;
    std::string summary;
};
SwitchoverProgress switchover_progress(const nlohmann::json& status, const std::string& instance,
                                       const std::string& before, std::size_t printed);

int run_operator(const std::string& command, const std::vector<std::string>& args,
                 std::ostream& out, std::ostream& err);

}  // namespace havip::cli
