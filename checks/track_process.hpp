// track_process: keepalived's vrrp_track_process (keepalived.conf(5)). A process counts as
// running while enough processes (not threads, not zombies) match it; the kernel's process
// events connector says at once when one forks, execs, renames itself or exits, so nothing is
// polled while the connector works.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <linux/cn_proc.h>

#include <boost/asio/io_context.hpp>

namespace havip::checks {

// How configured parameters match a process's arguments (keepalived's param_match). Without
// it the arguments are the configured ones, no more.
enum class ParamMatch {
    initial,  // the first n-1 equal, the n-th starts with the last configured one
    partial,  // the first n equal, more may follow
};

struct ProcessMatch {
    std::string process;              // the comm, or argv[0] when the command line is used
    std::vector<std::string> params;  // argv[1…]
    // Set without params: the process has no arguments.
    std::optional<ParamMatch> param_match;
    bool full_command = false;
};

// Whether the match needs the command line (/proc/PID/cmdline) rather than the 15-byte name
// (/proc/PID/comm): full_command, parameters or param_match do.
bool uses_command_line(const ProcessMatch& match);

// Whether a process with this name (comm) and command line matches. `argv` is only looked at
// when uses_command_line(match).
bool process_matches(const ProcessMatch& match, std::string_view comm,
                     const std::vector<std::string>& argv);

// Whether `count` matching processes make the process "running": at least quorum and, with a
// quorum_max, no more than it.
bool quorum_met(std::size_t count, int quorum, std::optional<int> quorum_max);
// For logs and `havip status`: "2 processes (quorum 1)", "0 processes (quorum 1)".
std::string quorum_reason(std::size_t count, int quorum, std::optional<int> quorum_max);

// What /proc/PID/stat says: the comm (in parentheses, may itself hold ") ") and the state.
struct ProcStat {
    std::string comm;
    char state = '?';
};
std::optional<ProcStat> parse_proc_stat(std::string_view text);
// /proc/PID/cmdline: NUL-separated words (the last NUL optional).
std::vector<std::string> split_cmdline(std::string_view text);

// The proc connector's events in one receive buffer (netlink messages one after the other);
// other connectors' messages and short ones are skipped, a message running past the end stops
// the walk.
std::vector<proc_event> decode_proc_events(std::string_view buffer);

// For each match (by index), the live processes (not zombies) that match it: one pass over
// /proc. On a host with many processes this takes long, so the watcher runs it off the loop.
std::vector<std::set<int>> scan_processes(const std::vector<ProcessMatch>& matches);

class TrackProcessWatcher {
  public:
    struct Process {
        std::string name;  // the vrrp_track_process block's name
        ProcessMatch match;
        int quorum = 1;
        std::optional<int> quorum_max;
        std::chrono::microseconds terminate_delay{0};  // before a loss is reported
        std::chrono::microseconds fork_delay{0};       // before a gain by a fork is reported
    };
    // name, running, and a reason for logs ("2 processes (quorum 1)").
    using Report = std::function<void(const std::string&, bool, const std::string&)>;
    // Once: the connector is unavailable (no CAP_NET_ADMIN, or not the initial network
    // namespace) and /proc is scanned every second instead; exits are still seen at once,
    // through a pidfd per counted process.
    using Warn = std::function<void(const std::string&)>;
    // How /proc is scanned (scan_processes); called on the watcher's background thread.
    using Scan = std::function<std::vector<std::set<int>>(const std::vector<ProcessMatch>&)>;

    TrackProcessWatcher(boost::asio::io_context& io, std::vector<Process> processes, Report report,
                        Warn warn, Scan scan = scan_processes);
    ~TrackProcessWatcher();
    TrackProcessWatcher(const TrackProcessWatcher&) = delete;
    TrackProcessWatcher& operator=(const TrackProcessWatcher&) = delete;

    // Where the first scan runs: `now` (daemon start-up, before the loop runs: every process's
    // state is reported before start() returns, so instances start with it), or `background`
    // (a reload, on the running loop: reported when the scan is done). Every later scan (a
    // second apart without the connector, or after lost events) runs in the background, and the
    // events that arrive meanwhile are applied again on top of its result.
    enum class FirstScan { now, background };
    // Subscribes to process events, scans /proc and reports every process's state.
    void start(FirstScan first = FirstScan::now);

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace havip::checks
