// checks/background: blocking work runs off the loop, its result comes back on the loop, and
// the loop never waits for it — not while it runs, not when its owner goes away.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "checks/background.hpp"
#include "tests/unit/checks/loop_probe.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;

TEST(Background, a_slow_job_does_not_hold_the_loop_and_its_result_comes_back_on_it) {
    boost::asio::io_context io;
    testing::LoopProbe probe{io, 20ms};
    Background background{io};
    std::optional<int> result;
    std::thread::id delivered_on;
    background.run(
        [] {
            std::this_thread::sleep_for(1s);
            return 42;
        },
        [&](int value) {
            result = value;
            delivered_on = std::this_thread::get_id();
        });
    probe.run_until([&] { return result.has_value(); }, 10s);
    ASSERT_EQ(result, 42);
    EXPECT_EQ(delivered_on, std::this_thread::get_id());
    // Generous: a loaded two-core machine delays timers, but never by the job's full second.
    EXPECT_LT(probe.longest_gap(), 500ms) << "the loop waited for the job";
}

TEST(Background, jobs_run_in_the_order_given) {
    boost::asio::io_context io;
    Background background{io};
    std::vector<int> order;
    for (int i = 0; i < 5; ++i)
        background.run(
            [i] {
                std::this_thread::sleep_for(10ms);
                return i;
            },
            [&](int value) { order.push_back(value); });
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (order.size() < 5 && std::chrono::steady_clock::now() < end) {
        io.run_for(10ms);
        io.restart();
    }
    EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
}

TEST(Background, destroying_it_does_not_wait_for_a_running_job_and_drops_its_result) {
    boost::asio::io_context io;
    auto background = std::make_unique<Background>(io);
    std::atomic<bool> started{false};
    bool delivered = false;
    background->run(
        [&started] {
            started = true;
            std::this_thread::sleep_for(800ms);
            return 1;
        },
        [&](int) { delivered = true; });
    while (!started)
        std::this_thread::sleep_for(1ms);
    const auto before = std::chrono::steady_clock::now();
    background.reset();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 300ms) << "the owner waited for the job";
    std::this_thread::sleep_for(1200ms);  // the job is over and found its owner gone
    io.run_for(50ms);
    EXPECT_FALSE(delivered);
}

}  // namespace
}  // namespace havip::checks
