#include "checks/child_process.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#ifndef P_PIDFD
#define P_PIDFD 3  // waitid(2) idtype, Linux 5.4
#endif

namespace havip::checks {
namespace {

int pidfd_open(pid_t pid) {
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
}

// execv needs a path; PATH is searched here, before fork, because execvp may allocate and
// only async-signal-safe calls are allowed in the child of a multi-threaded process.
std::string resolve_program(const std::string& name) {
    if (name.find('/') != std::string::npos) return name;
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::size_t start = 0;
    while (start <= dirs.size()) {
        auto end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        std::string dir = dirs.substr(start, end - start);
        std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + name;
        if (::access(candidate.c_str(), X_OK) == 0) return candidate;
        start = end + 1;
    }
    return name;
}

// Closes every descriptor from `first` up, in the child between fork and exec, so a script
// inherits nothing of the daemon's: close_range(2) where the kernel has it (5.9) and seccomp
// allows it; otherwise one by one, as /proc/self/fd lists them (read with getdents64 into a
// stack buffer: only async-signal-safe calls here); without /proc, every number below the soft
// RLIMIT_NOFILE. Descriptors are also opened close-on-exec; this is the second line.
void close_descriptors_from(int first) {
    if (::syscall(SYS_close_range, static_cast<unsigned>(first), ~0U, 0U) == 0) return;
    const int dir = ::open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        alignas(dirent64) char buffer[4096];
        long n = 0;
        // Closing entries ahead of the read position is safe: /proc lists by number.
        while ((n = ::syscall(SYS_getdents64, dir, buffer, sizeof buffer)) > 0) {
            for (long at = 0; at < n;) {
                const auto* entry = reinterpret_cast<const dirent64*>(buffer + at);
                at += entry->d_reclen;
                int fd = 0;
                const char* c = entry->d_name;
                if (*c < '0' || *c > '9') continue;  // "." and ".."
                for (; *c >= '0' && *c <= '9'; ++c)
                    fd = fd * 10 + (*c - '0');
                if (fd >= first && fd != dir) ::close(fd);
            }
        }
        ::close(dir);
        if (n == 0) return;
    }
    rlimit limit{};
    const rlim_t end = ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY
                           ? limit.rlim_cur
                           : 65536;
    for (rlim_t fd = static_cast<rlim_t>(first); fd < end; ++fd)
        ::close(static_cast<int>(fd));
}

[[noreturn]] void exec_child(const std::string& program, char* const* argv, int devnull,
                             const std::optional<Credentials>& creds) {
    // Only async-signal-safe calls from here on.
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2}) {
        ::signal(sig, SIG_DFL);
    }
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    close_descriptors_from(3);
    if (creds) {
        // Group first: after setuid we may no longer change it.
        if (::setgroups(1, &creds->gid) != 0 || ::setgid(creds->gid) != 0 ||
            ::setuid(creds->uid) != 0) {
            ::_exit(126);
        }
    }
    ::execv(program.c_str(), argv);
    ::_exit(127);  // the shell's "command not found"
}

}  // namespace

CredentialsResult resolve_credentials(const std::string& user, const std::string& group) {
    std::vector<char> buf(16384);
    passwd pw{};
    passwd* pw_result = nullptr;
    if (::getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &pw_result) != 0 || !pw_result) {
        return {std::nullopt, fmt::format("unknown user '{}'", user)};
    }
    Credentials c{pw.pw_uid, pw.pw_gid};
    if (!group.empty()) {
        struct group gr {};
        struct group* gr_result = nullptr;
        if (::getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &gr_result) != 0 ||
            !gr_result) {
            return {std::nullopt, fmt::format("unknown group '{}'", group)};
        }
        c.gid = gr.gr_gid;
    }
    return {c, ""};
}

std::string RunResult::describe() const {
    double secs = std::chrono::duration<double>(elapsed).count();
    switch (kind) {
        case Kind::exited:
            return fmt::format("exit status {} after {:.2f} s", exit_status, secs);
        case Kind::signaled:
            return fmt::format("killed by signal {} ({}) after {:.2f} s", signal,
                               ::strsignal(signal), secs);
        case Kind::timed_out:
            return fmt::format("timed out after {:.2f} s, group killed", secs);
        case Kind::spawn_failed:
            return fmt::format("could not start: {}", error.message());
    }
    return "?";
}

ChildProcess::ChildProcess(boost::asio::io_context& io, Callback done)
    : io_(io), done_(std::move(done)), pidfd_(io), deadline_(io), kill_timer_(io) {}

ChildProcess::~ChildProcess() {
    abandon();
}

std::string kernel_support_error(int pidfd_open_errno, int waitid_errno, std::string_view release) {
    const char* missing = nullptr;
    if (pidfd_open_errno == ENOSYS)
        missing = "pidfd_open (Linux 5.3)";
    else if (waitid_errno == EINVAL)
        missing = "waitid(P_PIDFD) (Linux 5.4)";
    if (!missing) return "";
    return fmt::format(
        "havipd needs Linux 5.4 or later to run scripts and notify hooks; this "
        "kernel ({}) lacks {}",
        release, missing);
}

std::string probe_kernel_support() {
    utsname u{};
    const std::string release = ::uname(&u) == 0 ? u.release : "unknown release";
    const int fd = pidfd_open(::getpid());
    if (fd < 0) return kernel_support_error(errno, 0, release);
    siginfo_t info{};
    const int rc =
        ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(fd), &info, WEXITED | WNOHANG);
    const int err = rc == 0 ? 0 : errno;
    ::close(fd);
    return kernel_support_error(0, err, release);
}

std::shared_ptr<ChildProcess> ChildProcess::start(boost::asio::io_context& io,
                                                  const Command& command,
                                                  std::chrono::steady_clock::duration timeout,
                                                  Callback done) {
    auto self = std::make_shared<ChildProcess>(io, std::move(done));
    self->started_ = std::chrono::steady_clock::now();
    auto fail = [&](int err) {
        RunResult r;
        r.kind = RunResult::Kind::spawn_failed;
        r.error = {err, std::generic_category()};
        self->finished_ = true;
        // Reported from the loop, never re-entrantly from start().
        boost::asio::post(io, [cb = self->done_, r] { cb(r); });
        return self;
    };
    if (command.argv.empty()) return fail(EINVAL);

    std::string program = resolve_program(command.argv[0]);
    std::vector<std::string> args = command.argv;
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) return fail(errno);

    pid_t pid = ::fork();
    if (pid < 0) {
        int err = errno;
        ::close(devnull);
        return fail(err);
    }
    if (pid == 0) exec_child(program, argv.data(), devnull, command.credentials);
    ::close(devnull);
    // Also from the parent: whichever of the two runs first, the group exists before we
    // could ever signal it.
    ::setpgid(pid, pid);
    self->pid_ = pid;
    // A pidfd of an exited but unreaped child still works, so there is no race with a fast
    // exit (as long as SIGCHLD is not SIG_IGN, which would reap it behind our back).
    int fd = pidfd_open(pid);
    if (fd < 0) {
        int err = errno;
        ::kill(-pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        self->pid_ = -1;
        return fail(err);
    }
    self->pidfd_.assign(fd);
    self->pidfd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [weak = std::weak_ptr(self)](const boost::system::error_code& ec) {
                                auto s = weak.lock();
                                if (!ec && s) s->on_exit_ready();
                            });
    if (timeout > std::chrono::steady_clock::duration::zero()) {
        self->deadline_.expires_after(timeout);
        self->deadline_.async_wait(
            [weak = std::weak_ptr(self)](const boost::system::error_code& ec) {
                auto s = weak.lock();
                if (!ec && s) s->on_timeout();
            });
    }
    return self;
}

void ChildProcess::on_timeout() {
    if (finished_ || exited_) return;
    timed_out_ = true;
    ::kill(-pid_, SIGTERM);
    kill_timer_.expires_after(kill_grace);
    kill_timer_.async_wait([weak = weak_from_this()](const boost::system::error_code& ec) {
        auto s = weak.lock();
        if (!ec && s) s->on_kill_timer();
    });
}

void ChildProcess::on_kill_timer() {
    if (finished_) return;
    // The leader may be gone already while a background child ignores SIGTERM. Until we reap
    // the leader its pid (the group id) cannot be reused, so this cannot hit a stranger.
    ::kill(-pid_, SIGKILL);
    killed_group_ = true;
    if (exited_) on_exit_ready();
}

void ChildProcess::on_exit_ready() {
    if (finished_) return;
    exited_ = true;
    // After a timeout the leader's exit says nothing about a background child that ignores
    // SIGTERM: SIGKILL the group now, while the unreaped leader still pins the group id (as
    // keepalived does), and report the timeout at once rather than after the grace period.
    if (timed_out_ && !killed_group_) {
        ::kill(-pid_, SIGKILL);
        killed_group_ = true;
    }
    siginfo_t info{};
    int rc = ::waitid(static_cast<idtype_t>(P_PIDFD), static_cast<id_t>(pidfd_.native_handle()),
                      &info, WEXITED);
    if (rc != 0) {
        ::waitpid(pid_, nullptr, 0);
    }
    RunResult r;
    if (timed_out_) {
        r.kind = RunResult::Kind::timed_out;
        r.signal = info.si_code == CLD_EXITED ? 0 : info.si_status;
    } else if (info.si_code == CLD_EXITED) {
        r.kind = RunResult::Kind::exited;
        r.exit_status = info.si_status;
    } else {
        r.kind = RunResult::Kind::signaled;
        r.signal = info.si_status;
    }
    pid_ = -1;
    finish(r);
}

void ChildProcess::finish(RunResult result) {
    finished_ = true;
    result.elapsed = std::chrono::steady_clock::now() - started_;
    deadline_.cancel();
    kill_timer_.cancel();
    boost::system::error_code ignored;
    pidfd_.close(ignored);
    if (done_) {
        auto cb = std::move(done_);
        done_ = nullptr;
        cb(result);
    }
}

void ChildProcess::abandon() {
    done_ = nullptr;
    if (pid_ > 0) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);  // SIGKILL cannot be ignored: this returns promptly
        pid_ = -1;
    }
    finished_ = true;
    deadline_.cancel();
    kill_timer_.cancel();
    boost::system::error_code ignored;
    pidfd_.close(ignored);
}

}  // namespace havip::checks
