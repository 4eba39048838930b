// Starting a VRRP daemon (keepalived, or havipd in its place) on a lab node from a config
// description, so a test can say "node a runs keepalived with X, node b runs havipd with X'".
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/process.hpp"

namespace havip::test {

enum class DaemonKind { keepalived, havipd };
std::string_view to_string(DaemonKind kind);

struct Daemon {
    DaemonKind kind = DaemonKind::keepalived;
    std::string binary;
};
inline Daemon keepalived(std::string binary = "/usr/sbin/keepalived") {
    return Daemon{DaemonKind::keepalived, std::move(binary)};
}
// The build under test's binary: havipd_path() (tests/harness/product.hpp).
inline Daemon havipd(std::string binary) {
    return Daemon{DaemonKind::havipd, std::move(binary)};
}

struct RunningDaemon {
    Daemon daemon;
    std::string node;
    std::filesystem::path config;
    Process* process = nullptr;

    // Waits until the daemon has logged entering `state` at least `occurrence` times:
    // keepalived's "(INSTANCE) Entering STATE STATE", havipd's "[INSTANCE vrid N] FROM -> STATE:
    // reason". A later occurrence (2, 3…) waits for a return to a state seen before.
    testing::AssertionResult wait_for_state(std::string_view instance, std::string_view state,
                                            std::chrono::milliseconds timeout,
                                            std::size_t occurrence = 1) const;
    // How many times the log says the instance entered `state`.
    std::size_t times_entered(std::string_view instance, std::string_view state) const;
    // Whether the daemon's log contains `text`.
    bool log_mentions(std::string_view text) const { return process->log_contains(text); }
    // How many state changes of the instance the log shows, whatever the states.
    std::size_t state_changes(std::string_view instance) const;
};

// Whether one log line of that daemon kind reports the instance entering `state` (an empty
// `state` matches any state).
bool is_state_line(DaemonKind kind, std::string_view line, std::string_view instance,
                   std::string_view state);

// The command line for the daemon: foreground, console log with detail, VRRP only, its own
// pid files in the lab directory (so several can run on one host), and for keepalived no
// syslog (-G) so nothing lands in the host's journal.
std::vector<std::string> daemon_command(const Daemon& daemon, const std::filesystem::path& config,
                                        const std::filesystem::path& run_dir,
                                        std::string_view node);

// Writes the rendered config to <lab dir>/<node>-<kind>.conf and starts the daemon in the
// node's namespace; the log is <lab dir>/<node>-<kind>.log.
RunningDaemon start_vrrp_daemon(Lab& lab, std::string_view node, const Daemon& daemon,
                                const KeepalivedConfig& config);
// The same with the configuration text given verbatim (e.g. rendered, plus a vrrp_script).
RunningDaemon start_vrrp_daemon(Lab& lab, std::string_view node, const Daemon& daemon,
                                const std::string& config_text);

// RFC 3768 §6.1 / RFC 5798 §6.1 timers for a backup of that priority, as an independent
// oracle for the tests (not the product's implementation).
struct VrrpTiming {
    std::chrono::microseconds skew;
    std::chrono::microseconds master_down;
};
VrrpTiming rfc_timing(int version, int priority, std::chrono::milliseconds advert_int);

}  // namespace havip::test
