#include "checks/mysql_probe.hpp"

#include "checks/mysql_api.hpp"

#include <unistd.h>

#include <cstdlib>
#include <variant>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

namespace havip::checks {

namespace {

// The server's slave_net_timeout (whole seconds, or fractional on MariaDB), nullopt when the
// query fails: the decision then keeps what it knew.
std::optional<double> slave_net_timeout(MysqlConnection& c) {
    auto answer = c.query(c.bounded("SELECT @@slave_net_timeout AS t"));
    const auto* rows = std::get_if<std::vector<ReplicaRow>>(&answer);
    if (!rows || rows->empty()) return std::nullopt;
    auto it = rows->front().find("t");
    if (it == rows->front().end() || !it->second) return std::nullopt;
    char* end = nullptr;
    const double value = std::strtod(it->second->c_str(), &end);
    if (end == it->second->c_str() || value <= 0) return std::nullopt;
    return value;
}

}  // namespace

struct MysqlProbe::Pending {
    explicit Pending(boost::asio::io_context& io) : timer(io) {}
    Job job;
    std::function<void(JobOutcome)> done;
    boost::asio::steady_timer timer;
    bool answered = false;  // loop thread only
};

MysqlProbe::MysqlProbe(boost::asio::io_context& io, ConnectSettings settings)
    : io_(io), connection_(std::move(settings)), worker_([this] { worker_loop(); }) {}

MysqlProbe::~MysqlProbe() {
    *alive_ = false;
    stop_watch();
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
        queued_.reset();
    }
    connection_.interrupt();
    wake_.notify_all();
    worker_.join();
}

void MysqlProbe::worker_loop() {
    const auto& api = mysql_api();
    if (api.loaded()) api.thread_init();
    while (true) {
        std::shared_ptr<Pending> job;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || queued_; });
            if (stopping_) break;
            job = std::move(queued_);
            running_ = job;
        }
        job->job(connection_);
        const int idle_fd = connection_.duplicate_socket();
        {
            std::lock_guard lock(mutex_);
            running_.reset();
        }
        // The answer goes back to the loop, which alone decides whether it was in time.
        boost::asio::post(io_, [this, job, idle_fd, alive = alive_] {
            if (!*alive || job->answered) {
                // Late: the connection was interrupted and is dropped by the next job.
                if (idle_fd >= 0) ::close(idle_fd);
                return;
            }
            job->answered = true;
            job->timer.cancel();
            watch_idle(idle_fd);  // before done(), which may start the next job at once
            job->done(JobOutcome::completed);
        });
    }
    connection_.close();
    if (api.loaded()) api.thread_end();
}

void MysqlProbe::watch_idle(int fd) {
    stop_watch();
    if (fd < 0) return;
    idle_watch_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
    idle_watch_->async_wait(
        boost::asio::posix::stream_descriptor::wait_read,
        [this, alive = alive_, generation = watch_generation_](const boost::system::error_code& ec) {
            if (ec || !*alive || generation != watch_generation_) return;
            stop_watch();
            if (idle_readable_) idle_readable_();
        });
}

void MysqlProbe::stop_watch() {
    ++watch_generation_;
    if (!idle_watch_) return;
    boost::system::error_code ignored;
    idle_watch_->close(ignored);  // cancels the wait; the duplicate goes, the connection stays
    idle_watch_.reset();
}

void MysqlProbe::run(Job job, std::chrono::steady_clock::duration timeout,
                     std::function<void(JobOutcome)> done) {
    stop_watch();  // the worker reads the connection now
    auto pending = std::make_shared<Pending>(io_);
    pending->job = std::move(job);
    pending->done = std::move(done);
    {
        std::lock_guard lock(mutex_);
        if (running_ || queued_) {
            boost::asio::post(io_, [pending] { pending->done(JobOutcome::busy); });
            return;
        }
        queued_ = pending;
    }
    wake_.notify_one();
    pending->timer.expires_after(timeout);
    pending->timer.async_wait([this, pending, alive = alive_](const boost::system::error_code& ec) {
        if (ec || !*alive || pending->answered) return;
        pending->answered = true;
        {
            std::lock_guard lock(mutex_);
            if (queued_ == pending) queued_.reset();  // never started: nothing to interrupt
            // Unblock a read stuck on a frozen server; the worker then drops the connection.
            if (running_ == pending) connection_.interrupt();
        }
        pending->done(JobOutcome::timed_out);
    });
}

void MysqlProbe::snapshot(std::chrono::steady_clock::duration timeout,
                          std::function<void(const Snapshot&)> done) {
    auto result = std::make_shared<Snapshot>();
    run(
        [result](MysqlConnection& c) {
            *result = take_snapshot(c);
            if (result->outcome == ProbeOutcome::ok)
                result->slave_net_timeout = slave_net_timeout(c);
        },
        timeout,
        [result, timeout, done = std::move(done)](JobOutcome outcome) {
            if (outcome == JobOutcome::completed) {
                done(*result);
                return;
            }
            Snapshot late;
            late.outcome = ProbeOutcome::timed_out;
            double secs = std::chrono::duration<double>(timeout).count();
            late.error_message = outcome == JobOutcome::busy
                                     ? "the previous probe is still waiting for the server"
                                     : fmt::format("no answer within {:.1f} s", secs);
            done(late);
        });
}

}  // namespace havip::checks
