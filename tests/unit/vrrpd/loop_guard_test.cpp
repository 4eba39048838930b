// The loop guard (issue 17, item 10): an exception escaping a handler starts the graceful stop,
// and the loop runs on until that stop is done.
#include <gtest/gtest.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "vrrpd/loop_guard.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;

TEST(LoopGuard, escaped_exception_runs_the_stop_and_the_loop_finishes_it) {
    boost::asio::io_context io;
    boost::asio::steady_timer advert{io}, release{io};
    std::vector<std::string> escapes;
    bool released = false;
    // Work that is pending when the exception escapes: the daemon's own timers.
    advert.expires_after(1h);
    advert.async_wait([](auto) {});
    boost::asio::post(io, [] { throw std::runtime_error("invalid UTF-8 byte"); });
    const auto escaped = run_guarded(io, [&](std::string_view what) {
        escapes.emplace_back(what);
        // The stop cancels the daemon's timers and leaves work of its own (a priority-0
        // advert, notify_stop) that the loop must still run.
        advert.cancel();
        release.expires_after(10ms);
        release.async_wait([&](auto) { released = true; });
    });
    EXPECT_EQ(escaped, 1u);
    EXPECT_EQ(escapes, std::vector<std::string>{"invalid UTF-8 byte"});
    EXPECT_TRUE(released) << "the loop ended before the stop's own work";
}

TEST(LoopGuard, clean_end_reports_no_escape) {
    boost::asio::io_context io;
    bool ran = false;
    boost::asio::post(io, [&] { ran = true; });
    EXPECT_EQ(run_guarded(io, [](std::string_view) { FAIL() << "nothing escaped"; }), 0u);
    EXPECT_TRUE(ran);
}

TEST(LoopGuard, gives_up_after_the_limit_of_escapes) {
    boost::asio::io_context io;
    std::size_t calls = 0;
    std::function<void()> thrower = [&] {
        boost::asio::post(io, thrower);  // a stop that keeps failing
        throw 42;
    };
    boost::asio::post(io, thrower);
    EXPECT_EQ(run_guarded(io, [&](std::string_view what) {
                  ++calls;
                  EXPECT_EQ(what, "an exception of unknown type");
              }, 5),
              5u);
    EXPECT_EQ(calls, 5u);
}

}  // namespace
}  // namespace havip::vrrp
