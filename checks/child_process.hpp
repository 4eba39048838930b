// One run of an external program for vrrp_script and notify: fork+exec in its own process
// group with stdin/stdout/stderr on /dev/null, optional user/group, a timeout enforced on
// the Asio loop (SIGTERM to the group, SIGKILL two seconds later), exit detected through a
// pidfd so no global SIGCHLD handler is needed. Nothing here blocks the io_context.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace havip::checks {

// Who the program runs as; resolved from names once, at configuration time, because name
// lookups may block (NSS) and must not run on the loop or between fork and exec.
struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
};

// getpwnam/getgrnam: the group defaults to the user's primary group (keepalived `user`).
struct CredentialsResult {
    std::optional<Credentials> credentials;
    std::string error;
};
CredentialsResult resolve_credentials(const std::string& user, const std::string& group = "");

struct Command {
    std::vector<std::string> argv;  // already split; argv[0] is resolved through PATH
    std::optional<Credentials> credentials;
};

struct RunResult {
    enum class Kind { exited, signaled, timed_out, spawn_failed };
    Kind kind = Kind::spawn_failed;
    int exit_status = -1;   // exited
    int signal = 0;         // signaled (also the signal that ended a timed-out run)
    std::error_code error;  // spawn_failed
    std::chrono::steady_clock::duration elapsed{};

    bool success() const { return kind == Kind::exited && exit_status == 0; }
    std::string describe() const;  // "exit status 1", "timed out after 2.0 s", …
};

// Running children needs Linux 5.4: pidfd_open (5.3) and waitid(P_PIDFD) (5.4). Given what
// probing them returned (0, or the errno: ENOSYS / EINVAL where the kernel lacks them) and the
// kernel's release, the start-up error to print, or "" when the kernel has both.
std::string kernel_support_error(int pidfd_open_errno, int waitid_errno, std::string_view release);
// Probes this kernel: pidfd_open of our own pid, then waitid(P_PIDFD) on it (ECHILD when the
// kernel knows P_PIDFD: we are not our own child).
std::string probe_kernel_support();

// The most that may be spent killing a timed-out group: SIGTERM, then SIGKILL after this.
inline constexpr std::chrono::seconds kill_grace{2};

class ChildProcess : public std::enable_shared_from_this<ChildProcess> {
  public:
    using Callback = std::function<void(const RunResult&)>;

    // Starts `command`; `done` is called once on the io_context when the run is over (the
    // group killed if it timed out). timeout zero = none.
    static std::shared_ptr<ChildProcess> start(boost::asio::io_context& io, const Command& command,
                                               std::chrono::steady_clock::duration timeout,
                                               Callback done);

    // Kills the whole group now and reaps the child; `done` is not called. For shutdown.
    void abandon();

    pid_t pid() const { return pid_; }
    ~ChildProcess();

    ChildProcess(boost::asio::io_context& io, Callback done);  // use start()

  private:
    void on_exit_ready();
    void on_timeout();
    void on_kill_timer();
    void finish(RunResult result);

    boost::asio::io_context& io_;
    Callback done_;
    pid_t pid_ = -1;
    boost::asio::posix::stream_descriptor pidfd_;
    boost::asio::steady_timer deadline_;
    boost::asio::steady_timer kill_timer_;
    std::chrono::steady_clock::time_point started_;
    bool timed_out_ = false;
    bool exited_ = false;        // the pidfd became readable
    bool killed_group_ = false;  // SIGKILL sent to the group after a timeout
    bool finished_ = false;
};

}  // namespace havip::checks
