// The notify hook queue of one vrrp_instance: notify scripts run one at a time, in the
// order the transitions happened, each with a timeout, and each exit status is reported. A
// hook not yet started is superseded by a newer state's, so flapping never builds a backlog.
// keepalived runs them concurrently and unordered (its issues #996, #1055, #584, #1991), so a
// slow notify_backup may finish after the notify_master that followed it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "checks/child_process.hpp"

namespace havip::checks {

struct NotifyJob {
    std::string label;  // "notify_master", "notify", … for the report
    Command command;
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(30);
    std::uint64_t transition = 0;  // which transition it belongs to (the queue numbers them)
};

struct NotifyReport {
    std::string label;
    RunResult result;
    std::string reason;
};

// At most this many hooks wait behind the running one. A transition has two hooks
// (notify_STATE and `notify`), and a newer state supersedes the older ones, so only a
// transition with more hooks than this meets the bound; the oldest are dropped.
inline constexpr std::size_t max_waiting_notify = 8;

struct NotifyMerge {
    std::size_t superseded = 0;  // hooks of older states removed unstarted
    std::size_t dropped = 0;     // hooks removed by the bound
};

// Enqueuing one transition's hooks behind those waiting: the newer state supersedes every
// waiting hook of an older transition none of whose hooks has started; the rest of the
// transition whose hook is running (`started`) still runs, so its `notify` follows its
// notify_STATE. Then at most `bound` hooks wait, the oldest dropped. Pure: `waiting` is the
// queue's list.
NotifyMerge merge_notify(std::list<NotifyJob>& waiting, std::vector<NotifyJob> transition,
                         std::optional<std::uint64_t> started,
                         std::size_t bound = max_waiting_notify);

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

    // One transition's hooks, run in order after the running one (see merge_notify).
    void enqueue(std::vector<NotifyJob> transition);
    void enqueue(NotifyJob job) { enqueue(std::vector<NotifyJob>{std::move(job)}); }
    std::size_t pending() const;  // waiting, plus the running one
    std::uint64_t superseded() const;
    std::uint64_t dropped() const;

  private:
    struct State;  // shared with the running hook, which keeps it after the queue is gone
    std::shared_ptr<State> state_;
};

}  // namespace havip::checks
