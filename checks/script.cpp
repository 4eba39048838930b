#include "checks/script.hpp"

#include <fmt/format.h>

namespace havip::checks {

ScriptRunner::ScriptRunner(boost::asio::io_context& io, ScriptSettings settings, Callback report)
    : io_(io), settings_(std::move(settings)), report_(std::move(report)), timer_(io) {}

ScriptRunner::~ScriptRunner() {
    *alive_ = false;
    stop();
    if (child_) child_->abandon();
}

void ScriptRunner::start() {
    started_ = true;
    run_once();
    arm();
}

void ScriptRunner::stop() {
    started_ = false;
    timer_.cancel();
}

void ScriptRunner::arm() {
    if (!started_) return;
    timer_.expires_after(settings_.interval);
    timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
        if (ec || !*alive) return;
        run_once();
        arm();
    });
}

bool ScriptRunner::run_once() {
    if (!runs_.interval()) {
        ScriptReport r;
        r.kind = ScriptReport::Kind::skipped;
        r.reason = fmt::format("script {} still running (pid {}): interval skipped", settings_.name,
                               child_->pid());
        report_(r);
        return false;
    }
    auto timeout = settings_.timeout > std::chrono::steady_clock::duration::zero()
                       ? settings_.timeout
                       : settings_.interval;
    child_ = ChildProcess::start(
        io_, settings_.command, timeout, [this, alive = alive_](const RunResult& result) {
            if (!*alive) return;
            child_.reset();
            using End = vrrp::ScriptRuns::End;
            ScriptReport r;
            r.result = result;
            r.reason = fmt::format("script {}: {}", settings_.name, result.describe());
            const auto counted =
                runs_.ended(result.kind == RunResult::Kind::spawn_failed ? End::not_started
                            : result.success()                           ? End::exited_zero
                                                                         : End::failed);
            if (!counted) {
                r.kind = ScriptReport::Kind::skipped;
                r.reason += ": run skipped, the script's state is unchanged";
            }
            report_(r);
        });
    return true;
}

}  // namespace havip::checks
