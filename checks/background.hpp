// Blocking work off the loop: a /proc scan, a name-service lookup, a whole configuration
// load. One thread per Background, started on the first job; jobs run in order and each
// result is posted back to the io_context. Destroying it never waits for a job still running
// (the loop must not): that job finishes on its own and its result is dropped.
#pragma once

#include <functional>
#include <memory>
#include <utility>

#include <boost/asio/io_context.hpp>

namespace havip::checks {

class Background {
  public:
    explicit Background(boost::asio::io_context& io);
    ~Background();
    Background(const Background&) = delete;
    Background& operator=(const Background&) = delete;

    // Runs `job()` on the thread after the jobs queued before it, then `done(result)` on the
    // io_context — unless this Background is gone by then. Both must be copyable.
    template <typename Job, typename Done>
    void run(Job job, Done done) {
        submit([job = std::move(job), done = std::move(done)](const Deliver& deliver) mutable {
            auto result = std::make_shared<decltype(job())>(job());
            deliver([done, result] { done(std::move(*result)); });
        });
    }

  private:
    // Posts a completion to the io_context while the Background exists; drops it after.
    using Deliver = std::function<void(std::function<void()>)>;
    void submit(std::function<void(const Deliver&)> task);

    struct Shared;
    // The thread's body: runs the tasks until the owner is gone.
    static void serve(const std::shared_ptr<Shared>& shared);
    std::shared_ptr<Shared> shared_;
};

}  // namespace havip::checks
