#include "checks/background.hpp"

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include <boost/asio/post.hpp>

namespace havip::checks {

// Shared by the owner and the thread, so that the thread can outlive the owner.
struct Background::Shared {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void(const Deliver&)>> tasks;
    boost::asio::io_context* io = nullptr;  // null once the owner is gone
    bool started = false;
};

Background::Background(boost::asio::io_context& io) : shared_{std::make_shared<Shared>()} {
    shared_->io = &io;
}

Background::~Background() {
    std::lock_guard lock{shared_->mutex};
    shared_->io = nullptr;
    shared_->tasks.clear();
    shared_->wake.notify_one();
}

void Background::serve(const std::shared_ptr<Shared>& shared) {
    const Deliver deliver = [&shared](std::function<void()> completion) {
        std::lock_guard lock{shared->mutex};
        if (shared->io) boost::asio::post(*shared->io, std::move(completion));
    };
    std::unique_lock lock{shared->mutex};
    for (;;) {
        shared->wake.wait(lock, [&] { return !shared->io || !shared->tasks.empty(); });
        if (!shared->io) return;
        auto task = std::move(shared->tasks.front());
        shared->tasks.pop_front();
        lock.unlock();
        task(deliver);
        task = nullptr;  // what it captured goes here, off the loop
        lock.lock();
    }
}

void Background::submit(std::function<void(const Deliver&)> task) {
    std::lock_guard lock{shared_->mutex};
    shared_->tasks.push_back(std::move(task));
    shared_->wake.notify_one();
    if (shared_->started) return;
    shared_->started = true;
    // Detached: it ends by itself once the owner is gone and its job is done. It holds the
    // shared state, never the owner; the io_context outlives the owner, and a completion is
    // posted only under the lock while the owner still exists.
    std::thread{[shared = shared_] { serve(shared); }}.detach();
}

}  // namespace havip::checks
