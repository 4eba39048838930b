// The notify hook queue of one vrrp_instance: notify scripts run one at a time, in the
// order the transitions happened, each with a timeout, and each exit status is reported.
// keepalived runs them concurrently and unordered (its issues #996, #1055, #584, #1991), so a
// slow notify_backup may finish after the notify_master that followed it.
#pragma once

#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "checks/child_process.hpp"

namespace havip::checks {

struct NotifyJob {
    std::string label;  // "notify_master", "notify", … for the report
    Command command;
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(30);
};

struct NotifyReport {
    std::string label;
    RunResult result;
    std::string reason;
};

class NotifyQueue {
  public:
    using Callback = std::function<void(const NotifyReport&)>;

    // `report` hears each hook's result while the queue lives; `orphan_report` hears those of
    // hooks that finish after it was destroyed, so it must not refer to the queue's owner.
    NotifyQueue(boost::asio::io_context& io, Callback report, Callback orphan_report = {});
    // What is queued still runs, one at a time and each bounded by its timeout: the hooks of an
    // instance a reload removes include its notify_stop, which may be the fencing step.
    ~NotifyQueue();
    NotifyQueue(const NotifyQueue&) = delete;
    NotifyQueue& operator=(const NotifyQueue&) = delete;

    void enqueue(NotifyJob job);
    std::size_t pending() const;

  private:
    struct State;  // shared with the running hook, which keeps it after the queue is gone
    std::shared_ptr<State> state_;
};

}  // namespace havip::checks
