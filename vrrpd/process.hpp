// Process-level chores of a daemon: forking into the background, pid files, the host name
// for @ID conditionals, entering a network namespace.
#pragma once

#include <string>
#include <system_error>

namespace havip::vrrp {

// The short host name (up to the first dot): keepalived's default config id.
std::string short_host_name();

// Tells the original parent of a daemonized process how start-up went; it exits with that
// status, so `havipd` without -n fails visibly when start-up fails.
class StartupReport {
public:
    StartupReport() = default;
    StartupReport(const StartupReport&) = delete;
    StartupReport& operator=(const StartupReport&) = delete;
    ~StartupReport() { done(1); }
    void done(int status);

private:
    friend std::error_code daemonize(StartupReport&);
    int fd_ = -1;
};

// Forks into the background (double fork, new session, cwd /, stdio on /dev/null). Returns in
// the daemon process only; the original parent waits for `report.done(status)`.
std::error_code daemonize(StartupReport& report);

// Writes our pid to `path` (atomically: a temporary file renamed). An existing file whose pid
// is alive and named havipd or keepalived is an error: two daemons must not fight over VIPs.
std::error_code write_pid_file(const std::string& path, std::string& detail);
void remove_pid_file(const std::string& path);

// One havipd per node (issue 17): VIPs, VRRP sockets and the start-up removal of stale VIPs
// belong to the network namespace, so a second daemon in it (a hand-run `havipd -n -l -D` with
// its own pid files) would remove the running master's VIPs. The lock is a unix socket bound to
// a fixed abstract name: abstract names are per network namespace, the kernel releases the name
// with the socket (a SIGKILLed daemon never blocks its restart), no directory has to be
// writable, and the socket is close-on-exec, so no script keeps it.
class NodeLock {
public:
    NodeLock() = default;
    NodeLock(const NodeLock&) = delete;
    NodeLock& operator=(const NodeLock&) = delete;
    ~NodeLock();

private:
    friend std::error_code take_node_lock(NodeLock&, std::string&);
    int fd_ = -1;
};

// Takes the lock of this network namespace. When another process holds it, `detail` names it:
// "another havipd (pid N) is already running in this network namespace".
std::error_code take_node_lock(NodeLock& lock, std::string& detail);

// Moves this process into the named network namespace (/run/netns/NAME), like keepalived -s.
std::error_code enter_net_namespace(const std::string& name);

}  // namespace havip::vrrp
