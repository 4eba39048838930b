#include "vrrpd/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <string_view>

#include <fmt/format.h>

namespace havip::vrrp {

namespace {

std::error_code last_error() { return {errno, std::generic_category()}; }

std::string process_name(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/comm", pid));
    std::string name;
    std::getline(in, name);
    return name;
}

}  // namespace

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
                detail = fmt::format("{} (pid {}) is already running with pid file {}", name,
                                     other, path);
                return std::make_error_code(std::errc::device_or_resource_busy);
            }
        }
    }
    auto tmp = path + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        detail = fmt::format("cannot write pid file {}", tmp);
        return last_error();
    }
    auto text = fmt::format("{}\n", ::getpid());
    bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    ok = (::close(fd) == 0) && ok;
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
        detail = fmt::format("cannot write pid file {}", path);
        auto ec = last_error();
        ::unlink(tmp.c_str());
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
