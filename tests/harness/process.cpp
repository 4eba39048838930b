#include "tests/harness/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

namespace havip::test {

Process Process::start(std::string name, const std::vector<std::string>& argv,
                       std::filesystem::path log) {
    std::vector<char*> args;
    for (const auto& word : argv)
        args.push_back(const_cast<char*>(word.c_str()));
    args.push_back(nullptr);
    const int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    const int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    const pid_t parent = getpid();

    const pid_t pid = argv.empty() ? -1 : fork();
    if (pid == 0) {
        // Async-signal-safe calls only: the test runner has threads.
        setpgid(0, 0);
        // If the test runner dies without cleaning up, the leader goes with it; the Lab's
        // stale-namespace sweep catches anything the leader forked.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(126);
        if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
        if (log_fd >= 0) {
            dup2(log_fd, STDOUT_FILENO);
            dup2(log_fd, STDERR_FILENO);
        }
        execvp(args[0], args.data());
        static constexpr char message[] = "havip test harness: exec failed\n";
        [[maybe_unused]] const auto written = write(STDERR_FILENO, message, sizeof message - 1);
        _exit(127);
    }
    if (log_fd >= 0) close(log_fd);
    if (null_fd >= 0) close(null_fd);
    if (pid > 0) setpgid(pid, pid);
    return Process(std::move(name), argv, std::move(log), pid);
}

Process::Process(Process&& other) noexcept
    : name_(std::move(other.name_)),
      argv_(std::move(other.argv_)),
      log_(std::move(other.log_)),
      pid_(std::exchange(other.pid_, -1)),
      exit_status_(other.exit_status_) {}

Process::~Process() {
    if (pid_ <= 0) return;
    kill_group();
    if (!exit_status_) reap(true);
}

bool Process::reap(bool block) {
    if (pid_ <= 0) return true;
    if (exit_status_) return true;
    int status = 0;
    pid_t got = 0;
    do {
        got = waitpid(pid_, &status, block ? 0 : WNOHANG);
    } while (got < 0 && errno == EINTR);
    if (got == pid_) {
        if (WIFEXITED(status)) {
            exit_status_ = WEXITSTATUS(status);
        } else if (WIFSIGNALED(status)) {
            exit_status_ = 128 + WTERMSIG(status);
        } else {
            exit_status_ = -1;
        }
        return true;
    }
    if (got < 0) {
        exit_status_ = -1;  // not our child any more (reaped elsewhere)
        return true;
    }
    return false;
}

bool Process::running() {
    return pid_ > 0 && !reap(false);
}

bool Process::signal(int sig) const {
    return pid_ > 0 && !exit_status_ && kill(pid_, sig) == 0;
}

bool Process::signal_group(int sig) const {
    return pid_ > 0 && kill(-pid_, sig) == 0;
}

void Process::kill_group() {
    if (pid_ > 0) kill(-pid_, SIGKILL);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        if (reap(false)) return exit_status_;
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

std::optional<int> Process::stop(std::chrono::milliseconds grace) {
    if (pid_ <= 0) return exit_status_;
    signal(SIGTERM);
    auto status = wait_exit(grace);
    kill_group();
    if (!status) {
        reap(true);
        status = exit_status_;
    }
    return status;
}

std::string Process::log() const {
    std::ifstream in(log_);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool Process::log_contains(std::string_view text) const {
    return log().find(text) != std::string::npos;
}

std::string Process::log_tail(std::size_t lines) const {
    const std::string text = log();
    std::size_t start = text.size();
    std::size_t seen = 0;
    // Skip a final newline so it does not count as an empty last line.
    if (start > 0 && text[start - 1] == '\n') --start;
    while (start > 0) {
        if (text[start - 1] == '\n' && ++seen == lines) break;
        --start;
    }
    return text.substr(start);
}

}  // namespace havip::test
