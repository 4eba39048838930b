// havipd's automatic rejoin (issue 15): when a mysql_check is latched diverged on the stale side
// (this node does not hold the VIP), havipd runs `havip rejoin` as a child process. Whether to
// start one now is pure (the clock is an argument); a failed run backs off as a failed promote
// does (vrrpd/core/promote_backoff: 1 s doubling, here up to 10 min) and leaves the latch.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "checks/child_process.hpp"
#include "vrrpd/core/promote_backoff.hpp"

namespace havip::checks {

inline constexpr std::chrono::minutes rejoin_backoff_cap{10};
// `havip rejoin`'s exit status when the authority does not answer (nothing was changed): not a
// failure of the rejoin, tried again after a fixed pause (no growing back-off, so a peer that
// comes back after an hour is rejoined within seconds).
inline constexpr int rejoin_exit_peer_unreachable = 3;
inline constexpr std::chrono::seconds rejoin_peer_retry{5};

struct AutoRejoin {
    bool running = false;
    vrrp::PromoteBackoff backoff;  // failed rejoins in a row
    std::uint64_t started = 0, succeeded = 0, failed = 0;
    std::uint64_t deferred = 0;  // ended at once: the peer was unreachable
    // Succeeded runs by how the node was brought back (`havip rejoin`'s "(method: …)").
    std::uint64_t by_flashback = 0, by_reseed = 0;
    std::string last;            // the last run's result, for status: "succeeded at …; saved …"
};

enum class RejoinGo {
    start,         // run `havip rejoin` now
    not_needed,    // not latched diverged, or this node holds the VIP (never the authority)
    disabled,      // auto_rejoin off
    running,       // one is running
    backing_off,   // the last failed; the pause is not over
    missing_files  // the inventory or the admin option file is not there
};

RejoinGo should_rejoin(bool enabled, bool diverged, bool holds_vip, const AutoRejoin& state,
                       bool files_present, std::chrono::steady_clock::time_point now);

// Records the end of a run: counters (by method when it succeeded: "flashback", "reseed"),
// back-off (reset on success), `last`.
void rejoin_finished(AutoRejoin& state, bool success, const std::string& summary,
                     std::chrono::steady_clock::time_point now, std::string_view method = {});

// Records a run that found the peer unreachable: not a failure; tried again after
// rejoin_peer_retry, the failure back-off left as it was.
void rejoin_deferred(AutoRejoin& state, const std::string& summary,
                     std::chrono::steady_clock::time_point now);

// The run: `havip rejoin INVENTORY --admin-option-file F --state-dir D [--socket S]`, its
// stdout and stderr into `output` (kept for status: the saved file's name, or why it failed).
Command rejoin_command(const std::string& inventory, const std::string& admin_option_file,
                       const std::string& state_directory, const std::string& control_socket,
                       const std::string& output);

// Records how a run ended, from its result and its output: finished (succeeded or failed) or
// deferred (the peer was unreachable). `at` is the wall time to say in `state.last`. Returns the
// method a successful run named ("" when none).
std::string rejoin_ended(AutoRejoin& state, const RunResult& result, std::string_view output,
                         std::string_view at, std::chrono::steady_clock::time_point now);

// `havip rejoin`'s "saved N transaction(s) to PATH: GTIDs" line in its output, trimmed; nullopt
// when it saved nothing.
std::optional<std::string> rejoin_saved_line(std::string_view output);

// The method of `havip rejoin`'s "done: … (method: flashback)" line: "flashback" or "reseed";
// nullopt when there is none.
std::optional<std::string> rejoin_method(std::string_view output);

// The last non-empty line of the output (the reason of a refusal or failure), at most 300 bytes.
std::string last_line(std::string_view output);

}  // namespace havip::checks
