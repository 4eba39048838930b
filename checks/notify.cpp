#include "checks/notify.hpp"

#include <fmt/format.h>

namespace havip::checks {

NotifyQueue::NotifyQueue(boost::asio::io_context& io, Callback report)
    : io_(io), report_(std::move(report)) {}

NotifyQueue::~NotifyQueue() {
    *alive_ = false;
    queue_.clear();
    if (current_) current_->abandon();
}

void NotifyQueue::enqueue(NotifyJob job) {
    queue_.push_back(std::move(job));
    if (!current_) next();
}

void NotifyQueue::next() {
    if (queue_.empty()) return;
    NotifyJob job = std::move(queue_.front());
    queue_.pop_front();
    current_ = ChildProcess::start(
        io_, job.command, job.timeout,
        [this, alive = alive_, label = job.label](const RunResult& result) {
            if (!*alive) return;
            current_.reset();
            NotifyReport r{label, result, fmt::format("{}: {}", label, result.describe())};
            report_(r);
            if (*alive) next();
        });
}

}  // namespace havip::checks
