// A long-running process started by a test (a daemon, a capture), with its output in a log file.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace havip::test {

class Process {
  public:
    // Starts argv in a new process group (so everything it forks can be signalled at once),
    // stdin from /dev/null, stdout and stderr appended to `log`. A process that cannot be
    // forked has pid() == -1; one that cannot be executed exits with 127 and says why in the log.
    static Process start(std::string name, const std::vector<std::string>& argv,
                         std::filesystem::path log);

    Process(Process&& other) noexcept;
    Process& operator=(Process&&) = delete;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    // Kills the whole process group and reaps the leader.
    ~Process();

    const std::string& name() const { return name_; }
    pid_t pid() const { return pid_; }
    const std::filesystem::path& log_path() const { return log_; }
    const std::vector<std::string>& argv() const { return argv_; }

    // True until the leader has exited (reaps it when it has).
    bool running();
    // Signals the leader only; keepalived's parent forwards signals to its children itself.
    bool signal(int sig) const;
    // Signals the whole process group.
    bool signal_group(int sig) const;
    // Waits for the leader to exit: its exit status (128 + signal when killed), or nullopt
    // when it is still running at the timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout);
    // SIGTERM, then SIGKILL to the group after `grace`. Returns the exit status.
    std::optional<int> stop(std::chrono::milliseconds grace = std::chrono::seconds(3));
    // The group's remaining members after the leader exited are killed too.
    void kill_group();
    std::optional<int> exit_status() const { return exit_status_; }

    std::string log() const;
    bool log_contains(std::string_view text) const;
    // The last `lines` lines of the log.
    std::string log_tail(std::size_t lines) const;

  private:
    Process(std::string name, std::vector<std::string> argv, std::filesystem::path log, pid_t pid)
        : name_(std::move(name)), argv_(std::move(argv)), log_(std::move(log)), pid_(pid) {}
    bool reap(bool block);

    std::string name_;
    std::vector<std::string> argv_;
    std::filesystem::path log_;
    pid_t pid_ = -1;
    std::optional<int> exit_status_;
};

}  // namespace havip::test
