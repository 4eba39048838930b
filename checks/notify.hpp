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

    NotifyQueue(boost::asio::io_context& io, Callback report);
    ~NotifyQueue();  // kills a running hook and drops the rest
    NotifyQueue(const NotifyQueue&) = delete;
    NotifyQueue& operator=(const NotifyQueue&) = delete;

    void enqueue(NotifyJob job);
    std::size_t pending() const { return queue_.size() + (current_ ? 1 : 0); }

  private:
    void next();

    boost::asio::io_context& io_;
    Callback report_;
    std::list<NotifyJob> queue_;  // not a deque: that allocates 576 bytes while empty
    std::shared_ptr<ChildProcess> current_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace havip::checks
