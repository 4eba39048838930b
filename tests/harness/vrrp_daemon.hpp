// Starting a VRRP daemon (keepalived, or havipd in its place) on a lab node from a config
// description, so a test can say "node a runs keepalived with X, node b runs havipd with X'".
#pragma once

#include <chrono>
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
// Test executables get the path as the HAVIPD_BIN compile definition.
inline Daemon havipd(std::string binary) {
    return Daemon{DaemonKind::havipd, std::move(binary)};
}

struct RunningDaemon {
    Daemon daemon;
    std::string node;
    std::filesystem::path config;
    Process* process = nullptr;

    // Waits for the log line "(INSTANCE) Entering STATE STATE" that keepalived prints (and
    // havipd, as a drop-in, prints the same way).
    testing::AssertionResult wait_for_state(std::string_view instance, std::string_view state,
                                            std::chrono::milliseconds timeout) const;
};

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

// RFC 3768 §6.1 / RFC 5798 §6.1 timers for a backup of that priority, as an independent
// oracle for the tests (not the product's implementation).
struct VrrpTiming {
    std::chrono::microseconds skew;
    std::chrono::microseconds master_down;
};
VrrpTiming rfc_timing(int version, int priority, std::chrono::milliseconds advert_int);

}  // namespace havip::test
