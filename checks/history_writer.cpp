#include "checks/history_writer.hpp"

#include <utility>

namespace havip::checks {

HistoryWriter::HistoryWriter(Save save) : save_{std::move(save)} {}

HistoryWriter::~HistoryWriter() {
    {
        std::lock_guard lock{mutex_};
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
}

void HistoryWriter::store(const std::string& path, const History& history, OnError on_error) {
    {
        std::lock_guard lock{mutex_};
        auto& entry = entries_[path];
        entry.queued = history;
        entry.on_error = std::move(on_error);
        // Started with the first history: a daemon without mysql_check has no such thread.
        if (!thread_.joinable()) thread_ = std::thread{[this] { run(); }};
    }
    wake_.notify_one();
}

std::optional<History> HistoryWriter::unwritten(const std::string& path) const {
    std::lock_guard lock{mutex_};
    const auto it = entries_.find(path);
    if (it == entries_.end()) return std::nullopt;
    return it->second.queued ? it->second.queued : it->second.writing;
}

void HistoryWriter::run() {
    std::unique_lock lock{mutex_};
    for (;;) {
        // Round robin from the path written last, so a check saving often starves no other.
        auto next = entries_.end();
        auto from = entries_.upper_bound(last_);
        for (std::size_t n = 0; n < entries_.size(); ++n, ++from) {
            if (from == entries_.end()) from = entries_.begin();
            if (from->second.queued) {
                next = from;
                break;
            }
        }
        if (next == entries_.end()) {
            if (stopping_) return;  // everything stored has been written
            wake_.wait(lock);
            continue;
        }
        // One path at a time, on this one thread: writes of a path never overlap or reorder.
        const std::string path = next->first;
        last_ = path;
        next->second.writing = std::move(next->second.queued);
        next->second.queued.reset();
        const History history = *next->second.writing;
        const OnError on_error = next->second.on_error;
        lock.unlock();
        const auto ec = save_(path, history);
        if (ec && on_error) on_error(ec);
        lock.lock();
        auto& entry = entries_[path];
        entry.writing.reset();
        if (!entry.queued) entries_.erase(path);
    }
}

}  // namespace havip::checks
