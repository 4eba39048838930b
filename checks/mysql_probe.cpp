#include "checks/mysql_probe.hpp"

#include "checks/mysql_api.hpp"
#include "checks/mysql_reply.hpp"

#include <unistd.h>

#include <variant>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

namespace havip::checks {

namespace {

// The server's slave_net_timeout into the snapshot; left out when the query fails: the
// decision then keeps what it knew.
void ask_slave_net_timeout(MysqlConnection& c, Snapshot& snap) {
    auto answer = c.query(c.bounded(slave_net_timeout_query));
    if (const auto* rows = std::get_if<std::vector<ReplicaRow>>(&answer))
        read_slave_net_timeout(*rows, snap);
}

}  // namespace

// A job. The worker may hold the last reference to it once the probe is gone, so it owns no
// I/O object: its deadline timer lives with the loop's handlers and is only pointed to here.
struct MysqlProbe::Pending {
    Job job;
    std::function<void(JobOutcome)> done;
    std::weak_ptr<boost::asio::steady_timer> timer;
    bool answered = false;  // loop thread only
};

namespace {

// Probe workers still running, so the library is not ended under one of them.
std::mutex workers_mutex;
std::condition_variable workers_done;
int live_workers = 0;

}  // namespace

bool wait_for_probe_workers(std::chrono::steady_clock::duration bound) {
    std::unique_lock lock(workers_mutex);
    return workers_done.wait_for(lock, bound, [] { return live_workers == 0; });
}

struct MysqlProbe::Worker {
    explicit Worker(ConnectSettings settings) : connection(std::move(settings)) {}
    MysqlConnection connection;
    std::mutex mutex;
    std::condition_variable wake;
    std::shared_ptr<Pending> queued;   // handed to the worker
    std::shared_ptr<Pending> running;  // the worker is in it
    bool stopping = false;             // the probe is gone: post nothing to the loop
};

MysqlProbe::MysqlProbe(boost::asio::io_context& io, ConnectSettings settings)
    : io_(io), worker_(std::make_shared<Worker>(std::move(settings))) {
    {
        std::lock_guard lock(workers_mutex);
        ++live_workers;
    }
    std::thread([w = worker_, &io, alive = alive_, self = this] {
        worker_loop(*w, io, alive, self);
        std::lock_guard lock(workers_mutex);
        --live_workers;
        workers_done.notify_all();
    }).detach();
}

MysqlProbe::~MysqlProbe() {
    *alive_ = false;
    stop_watch();
    {
        std::lock_guard lock(worker_->mutex);
        worker_->stopping = true;
        worker_->queued.reset();
    }
    worker_->connection.interrupt();
    worker_->wake.notify_all();
}

// The worker thread. It posts to `io` only while the probe lives (`stopping` is checked under
// the mutex the destructor takes), and what it posts touches `self` only if `alive` still says
// so on the loop thread, where the probe is destroyed.
void MysqlProbe::worker_loop(Worker& w, boost::asio::io_context& io,
                             const std::shared_ptr<bool>& alive, MysqlProbe* self) {
    const auto& api = mysql_api();
    if (api.loaded()) api.thread_init();
    while (true) {
        std::shared_ptr<Pending> job;
        {
            std::unique_lock lock(w.mutex);
            w.wake.wait(lock, [&] { return w.stopping || w.queued; });
            if (w.stopping) break;
            job = std::move(w.queued);
            w.running = job;
        }
        job->job(w.connection);
        const int idle_fd = w.connection.duplicate_socket();
        {
            std::lock_guard lock(w.mutex);
            w.running.reset();
            if (w.stopping) {
                if (idle_fd >= 0) ::close(idle_fd);
                break;
            }
            // The answer goes back to the loop, which alone decides whether it was in time.
            boost::asio::post(io, [self, job, idle_fd, alive] {
                if (!*alive || job->answered) {
                    // Late: the connection was interrupted and is dropped by the next job.
                    if (idle_fd >= 0) ::close(idle_fd);
                    return;
                }
                job->answered = true;
                if (auto timer = job->timer.lock()) timer->cancel();
                self->watch_idle(idle_fd);  // before done(), which may start the next job
                job->done(JobOutcome::completed);
            });
        }
    }
    w.connection.close();
    if (api.loaded()) api.thread_end();
}

void MysqlProbe::watch_idle(int fd) {
    stop_watch();
    if (fd < 0) return;
    idle_watch_ = std::make_unique<boost::asio::posix::stream_descriptor>(io_, fd);
    idle_watch_->async_wait(boost::asio::posix::stream_descriptor::wait_read,
                            [this, alive = alive_,
                             generation = watch_generation_](const boost::system::error_code& ec) {
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
    auto pending = std::make_shared<Pending>();
    pending->job = std::move(job);
    pending->done = std::move(done);
    {
        std::lock_guard lock(worker_->mutex);
        if (worker_->running || worker_->queued) {
            boost::asio::post(io_, [pending] { pending->done(JobOutcome::busy); });
            return;
        }
        worker_->queued = pending;
    }
    worker_->wake.notify_one();
    auto timer = std::make_shared<boost::asio::steady_timer>(io_, timeout);
    pending->timer = timer;
    timer->async_wait([this, pending, timer, alive = alive_](const boost::system::error_code& ec) {
        if (ec || !*alive || pending->answered) return;
        pending->answered = true;
        {
            std::lock_guard lock(worker_->mutex);
            if (worker_->queued == pending) worker_->queued.reset();  // never started
            // Unblock a read stuck on a frozen server; the worker then drops the connection.
            if (worker_->running == pending) worker_->connection.interrupt();
        }
        pending->done(JobOutcome::timed_out);
    });
}

void MysqlProbe::snapshot(std::chrono::steady_clock::duration timeout,
                          std::function<void(const Snapshot&)> done) {
    auto result = std::make_shared<Snapshot>();
    // What the worker had when the deadline passed, and the step it was in.
    struct Progress {
        std::mutex mutex;
        std::optional<Snapshot> snap;
    };
    auto progress = std::make_shared<Progress>();
    // The write probe and the replica status each get 30 % of the deadline, so both can hang
    // and the snapshot still ends in time.
    const auto step_bound = std::chrono::duration_cast<std::chrono::milliseconds>(timeout * 3 / 10);
    run(
        [result, progress, step_bound](MysqlConnection& c) {
            *result = take_snapshot(c, step_bound, [&progress](const Snapshot& so_far) {
                std::lock_guard lock(progress->mutex);
                progress->snap = so_far;
            });
            if (result->outcome == ProbeOutcome::ok) ask_slave_net_timeout(c, *result);
        },
        timeout,
        [result, progress, timeout, done = std::move(done)](JobOutcome outcome) {
            if (outcome == JobOutcome::completed) {
                done(*result);
                return;
            }
            Snapshot late;
            if (outcome == JobOutcome::timed_out) {
                std::lock_guard lock(progress->mutex);
                if (progress->snap) late = *progress->snap;
            } else {
                late.step = ProbeStep::connect;
            }
            late.outcome = ProbeOutcome::timed_out;
            double secs = std::chrono::duration<double>(timeout).count();
            late.error_message = outcome == JobOutcome::busy
                                     ? "the previous probe is still waiting for the server"
                                     : fmt::format("no answer within {:.1f} s", secs);
            done(late);
        });
}

}  // namespace havip::checks
