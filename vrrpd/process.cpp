#include "vrrpd/process.hpp"

#include "checks/atomic_file.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace havip::vrrp {

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

std::string process_name(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/comm", pid));
    std::string name;
    std::getline(in, name);
    return name;
}

// The lock's abstract socket name (shown as "@havipd.vrrp" in /proc/net/unix and `ss -x`).
constexpr std::string_view node_lock_name = "havipd.vrrp";

// The pids holding the abstract unix socket `name` in this network namespace: its inode from
// /proc/net/unix, then every process with a descriptor on that inode. Only for the message.
std::vector<long> abstract_socket_holders(std::string_view name) {
    std::ifstream table("/proc/net/unix");
    std::string line, inode;
    std::getline(table, line);  // the header
    while (inode.empty() && std::getline(table, line)) {
        // Num RefCount Protocol Flags Type St Inode Path
        std::istringstream fields(line);
        std::string skip, node, path;
        for (int i = 0; i < 6; ++i)
            fields >> skip;
        if (fields >> node >> path && path.size() == name.size() + 1 && path[0] == '@' &&
            path.compare(1, std::string_view::npos, name) == 0)
            inode = node;
    }
    std::vector<long> out;
    if (inode.empty()) return out;
    const auto target = fmt::format("socket:[{}]", inode);
    namespace fs = std::filesystem;
    std::error_code ec;
    for (const auto& proc : fs::directory_iterator("/proc", ec)) {
        const auto pid_text = proc.path().filename().string();
        if (pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
        const long pid = std::stol(pid_text);
        if (pid == ::getpid()) continue;
        std::error_code fd_ec;
        for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fd_ec)) {
            std::error_code link_ec;
            if (fs::read_symlink(fd.path(), link_ec) == target) {
                out.push_back(pid);
                break;
            }
        }
    }
    return out;
}

}  // namespace

NodeLock::~NodeLock() {
    if (fd_ >= 0) ::close(fd_);
}

std::error_code take_node_lock(NodeLock& lock, std::string& detail) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        detail = "cannot open the node lock's socket";
        return last_error();
    }
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // Abstract: a leading NUL, and the length says where the name ends.
    node_lock_name.copy(address.sun_path + 1, node_lock_name.size());
    const auto length =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + node_lock_name.size());
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0) {
        const auto ec = last_error();
        ::close(fd);
        if (ec != std::errc::address_in_use) {
            detail = "cannot take the node lock";
            return ec;
        }
        const auto holders = abstract_socket_holders(node_lock_name);
        std::string pids;
        for (const long pid : holders)
            pids += fmt::format("{}{}", pids.empty() ? "" : ", ", pid);
        detail = fmt::format(
            "another havipd ({}) is already running in this network namespace; two daemons "
            "would fight over its VIPs",
            pids.empty() ? std::string("pid unknown") : "pid " + pids);
        return std::make_error_code(std::errc::device_or_resource_busy);
    }
    if (lock.fd_ >= 0) ::close(lock.fd_);
    lock.fd_ = fd;
    return {};
}

std::string short_host_name() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0) return {};
    std::string_view v{name};
    return std::string{v.substr(0, v.find('.'))};
}

std::error_code daemonize(StartupReport& report) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return last_error();
    pid_t pid = ::fork();
    if (pid < 0) return last_error();
    if (pid > 0) {
        // Original parent: wait for the daemon's verdict on start-up, then exit with it.
        ::close(fds[1]);
        unsigned char status = 1;
        if (::read(fds[0], &status, 1) != 1) status = 1;
        ::_exit(status);
    }
    ::close(fds[0]);
    if (::setsid() < 0) return last_error();
    pid = ::fork();  // the session leader exits so we can never reacquire a terminal
    if (pid < 0) return last_error();
    if (pid > 0) ::_exit(0);
    report.fd_ = fds[1];
    [[maybe_unused]] int rc = ::chdir("/");
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null >= 0) {
        ::dup2(null, STDIN_FILENO);
        ::dup2(null, STDOUT_FILENO);
        ::dup2(null, STDERR_FILENO);
        if (null > STDERR_FILENO) ::close(null);
    }
    return {};
}

void StartupReport::done(int status) {
    if (fd_ < 0) return;
    unsigned char s = static_cast<unsigned char>(status);
    [[maybe_unused]] auto n = ::write(fd_, &s, 1);
    ::close(fd_);
    fd_ = -1;
}

std::error_code write_pid_file(const std::string& path, std::string& detail) {
    {
        std::ifstream in(path);
        long other = 0;
        if (in >> other && other > 0 && other != ::getpid() &&
            ::kill(static_cast<pid_t>(other), 0) == 0) {
            auto name = process_name(static_cast<pid_t>(other));
            if (name == "havipd" || name == "keepalived") {
                detail = fmt::format("{} (pid {}) is already running with pid file {}", name, other,
                                     path);
                return std::make_error_code(std::errc::device_or_resource_busy);
            }
        }
    }
    if (auto ec =
            checks::write_file_atomically(path, fmt::format("{}\n", ::getpid()), 0644, false)) {
        detail = fmt::format("cannot write pid file {}", path);
        return ec;
    }
    return {};
}

void remove_pid_file(const std::string& path) {
    std::ifstream in(path);
    long pid = 0;
    // Only our own: a successor may already have written its pid.
    if (in >> pid && pid == ::getpid()) ::unlink(path.c_str());
}

std::error_code enter_net_namespace(const std::string& name) {
    auto path = fmt::format("/run/netns/{}", name);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return last_error();
    int rc = ::setns(fd, CLONE_NEWNET);
    auto ec = rc == 0 ? std::error_code{} : last_error();
    ::close(fd);
    return ec;
}

}  // namespace havip::vrrp
