// keepalived's vrrp_script: a program run every `interval`, exit 0 = success, a timeout is a
// failure, reported as soon as the group is gone (SIGTERM at the deadline, SIGKILL to the rest
// of the group once the leader exits, or after kill_grace when it does not). Which runs start
// and what each counts for is vrrpd/core/script_runs: a run still going at the next interval is
// not joined by a second one (that interval is skipped and reported), and a run the daemon could
// not start (fork failed) is skipped, not counted as a failure.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "checks/child_process.hpp"
#include "vrrpd/core/script_runs.hpp"

namespace havip::checks {

struct ScriptSettings {
    std::string name;
    Command command;
    std::chrono::steady_clock::duration interval = std::chrono::seconds(1);
    std::chrono::steady_clock::duration timeout{};  // zero: the interval (keepalived)
};

struct ScriptReport {
    enum class Kind { finished, skipped };
    Kind kind = Kind::finished;
    RunResult result;    // finished
    std::string reason;  // one line for logs
    bool success() const { return kind == Kind::finished && result.success(); }
};

class ScriptRunner {
  public:
    using Callback = std::function<void(const ScriptReport&)>;

    ScriptRunner(boost::asio::io_context& io, ScriptSettings settings, Callback report);
    ~ScriptRunner();  // kills a running script's group
    ScriptRunner(const ScriptRunner&) = delete;
    ScriptRunner& operator=(const ScriptRunner&) = delete;

    // Runs now and then every interval until stop().
    void start();
    void stop();
    // One run now; false (and a `skipped` report) when the previous run is still going.
    bool run_once();
    bool running() const { return runs_.running(); }
    const ScriptSettings& settings() const { return settings_; }

  private:
    void arm();

    boost::asio::io_context& io_;
    ScriptSettings settings_;
    Callback report_;
    boost::asio::steady_timer timer_;
    vrrp::ScriptRuns runs_;
    std::shared_ptr<ChildProcess> child_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    bool started_ = false;
};

}  // namespace havip::checks
