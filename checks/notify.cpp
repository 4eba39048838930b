#include "checks/notify.hpp"

#include <fmt/format.h>

namespace havip::checks {

NotifyMerge merge_notify(std::list<NotifyJob>& waiting, std::vector<NotifyJob> transition,
                         std::optional<std::uint64_t> started, std::size_t bound) {
    NotifyMerge merge;
    merge.superseded = waiting.size();
    waiting.remove_if([&](const NotifyJob& j) { return j.transition != started; });
    merge.superseded -= waiting.size();
    for (auto& job : transition)
        waiting.push_back(std::move(job));
    while (waiting.size() > bound) {
        waiting.pop_front();
        ++merge.dropped;
    }
    return merge;
}

struct NotifyQueue::State : std::enable_shared_from_this<State> {
    State(boost::asio::io_context& io_, Callback report_, Callback orphan_report_)
        : io{io_}, report{std::move(report_)}, orphan_report{std::move(orphan_report_)} {}

    boost::asio::io_context& io;
    Callback report;
    Callback orphan_report;
    std::list<NotifyJob> queue;  // not a deque: that allocates 576 bytes while empty
    std::shared_ptr<ChildProcess> current;
    std::uint64_t superseded = 0;
    std::uint64_t dropped = 0;
    std::uint64_t transitions = 0;               // numbers each enqueued transition
    std::optional<std::uint64_t> running;        // the transition of the running hook

    void next() {
        if (queue.empty()) return;
        NotifyJob job = std::move(queue.front());
        queue.pop_front();
        running = job.transition;
        // The callback holds the state: after the queue is destroyed, the running hook keeps
        // it until the last queued hook has finished.
        current = ChildProcess::start(
            io, job.command, job.timeout,
            [self = shared_from_this(), label = job.label](const RunResult& result) {
                self->current.reset();
                self->running.reset();
                const NotifyReport r{label, result, fmt::format("{}: {}", label, result.describe())};
                if (self->report) self->report(r);
                self->next();
            });
    }
};

NotifyQueue::NotifyQueue(boost::asio::io_context& io, Callback report, Callback orphan_report)
    : state_{std::make_shared<State>(io, std::move(report), std::move(orphan_report))} {}

NotifyQueue::~NotifyQueue() {
    state_->report = std::move(state_->orphan_report);
}

void NotifyQueue::enqueue(std::vector<NotifyJob> transition) {
    const auto id = ++state_->transitions;
    for (auto& job : transition)
        job.transition = id;
    const auto merge = merge_notify(state_->queue, std::move(transition), state_->running);
    state_->superseded += merge.superseded;
    state_->dropped += merge.dropped;
    if (!state_->current) state_->next();
}

std::uint64_t NotifyQueue::superseded() const {
    return state_->superseded;
}

std::uint64_t NotifyQueue::dropped() const {
    return state_->dropped;
}

std::size_t NotifyQueue::pending() const {
    return state_->queue.size() + (state_->current ? 1 : 0);
}

}  // namespace havip::checks
