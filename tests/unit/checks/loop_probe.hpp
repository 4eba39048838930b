// A timer that ticks on an io_context and records the longest gap between two ticks: how long
// the loop was held by something else. The loop-stall tests' yardstick.
#pragma once

#include <chrono>
#include <functional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

namespace havip::checks::testing {

class LoopProbe {
  public:
    using Clock = std::chrono::steady_clock;

    LoopProbe(boost::asio::io_context& io, Clock::duration period)
        : timer_{io}, period_{period}, last_{Clock::now()} {
        arm();
    }
    ~LoopProbe() { timer_.cancel(); }

    // Runs the io_context until `done()` or `limit`; the probe keeps ticking meanwhile.
    void run_until(const std::function<bool()>& done, Clock::duration limit) {
        auto& io = static_cast<boost::asio::io_context&>(timer_.get_executor().context());
        const auto end = Clock::now() + limit;
        while (!done() && Clock::now() < end) {
            io.run_for(std::chrono::milliseconds(10));
            io.restart();
        }
    }
    // The longest time between two ticks (or since the last tick, if longer).
    Clock::duration longest_gap() const { return std::max(longest_, Clock::now() - last_); }
    // Forgets the gaps seen so far.
    void reset() {
        longest_ = {};
        last_ = Clock::now();
    }

  private:
    void arm() {
        timer_.expires_after(period_);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (ec) return;
            const auto now = Clock::now();
            longest_ = std::max(longest_, now - last_);
            last_ = now;
            arm();
        });
    }

    boost::asio::steady_timer timer_;
    Clock::duration period_;
    Clock::time_point last_;
    Clock::duration longest_{};
};

}  // namespace havip::checks::testing
