// The mysql_check probe: a worker thread owning one blocking Connector/C connection, and a
// hard deadline on the Asio loop. Each job (a snapshot, a promote/demote action) races a
// timer; a late answer is discarded, the socket is shut down so the worker returns at once,
// and the connection is reopened on the next job. A SIGSTOPped mysqld is so reported "down"
// within the timeout even though the client library only knows whole-second timeouts.
//
// Between jobs the loop watches the idle connection's socket (a duplicate of its descriptor,
// no extra thread): a server that dies closes it, and the check is told at once instead of at
// the next interval.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "checks/mysql_client.hpp"
#include "checks/mysql_decision.hpp"

namespace havip::checks {

enum class JobOutcome { completed, timed_out, busy };

class MysqlProbe {
  public:
    using Job = std::function<void(MysqlConnection&)>;

    // Needs a MysqlLibrary alive. Starts the worker thread.
    MysqlProbe(boost::asio::io_context& io, ConnectSettings settings);
    // Interrupts a running job and lets the worker go without waiting for it: a worker in a
    // connect to a host that does not answer returns only at connect_timeout, and the loop
    // (a reload, a stop) must not wait for that. The worker touches nothing of the probe's
    // or the loop's after this; ~MysqlLibrary waits for such workers (bounded).
    ~MysqlProbe();
    MysqlProbe(const MysqlProbe&) = delete;
    MysqlProbe& operator=(const MysqlProbe&) = delete;

    // Runs `job` on the worker; `done` is called on the io_context exactly once: completed,
    // timed_out (the answer, if it ever comes, is dropped), or busy (the previous job is
    // still stuck, e.g. in a connect bounded only by connect_timeout).
    void run(Job job, std::chrono::steady_clock::duration timeout,
             std::function<void(JobOutcome)> done);

    // One interval's snapshot with the hard deadline; a timeout or a busy worker becomes a
    // Snapshot with outcome timed_out.
    void snapshot(std::chrono::steady_clock::duration timeout,
                  std::function<void(const Snapshot&)> done);

    // Called on the loop when the connection, idle between jobs, becomes readable: the server
    // closed it (EOF, HUP) or sent something unasked, which in the MySQL protocol is an error
    // before a disconnect. Once per idle period; the next job re-arms it.
    void on_idle_readable(std::function<void()> readable) { idle_readable_ = std::move(readable); }

  private:
    struct Pending;
    struct Worker;  // what the worker thread shares with the probe, kept alive by both
    static void worker_loop(Worker& worker, boost::asio::io_context& io,
                            const std::shared_ptr<bool>& alive, MysqlProbe* self);
    // Watches `fd` (a duplicate of the idle connection's, owned from here on), or nothing.
    void watch_idle(int fd);
    void stop_watch();

    boost::asio::io_context& io_;
    std::shared_ptr<Worker> worker_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::function<void()> idle_readable_;
    std::unique_ptr<boost::asio::posix::stream_descriptor> idle_watch_;  // loop thread only
    std::uint64_t watch_generation_ = 0;  // a wait already completed must not outlive its watch
};

// Waits up to `bound` until every probe worker let go by ~MysqlProbe has returned; whether they
// all did. ~MysqlLibrary calls it before ending the library.
bool wait_for_probe_workers(std::chrono::steady_clock::duration bound);

}  // namespace havip::checks
