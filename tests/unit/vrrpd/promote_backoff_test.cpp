// Back-off after a failed promote (issue 15, item 5): failback does not loop against a live
// master whose promote keeps failing.
#include <gtest/gtest.h>

#include "vrrpd/core/promote_backoff.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
const auto t0 = std::chrono::steady_clock::time_point(100s);

TEST(PromoteBackoff, each_failure_in_a_row_doubles_the_pause_up_to_the_cap) {
    EXPECT_EQ(backoff_delay(0), 0s);
    EXPECT_EQ(backoff_delay(1), 1s);
    EXPECT_EQ(backoff_delay(2), 2s);
    EXPECT_EQ(backoff_delay(4), 8s);
    EXPECT_EQ(backoff_delay(7), 60s);
    EXPECT_EQ(backoff_delay(500), 60s);
}

TEST(PromoteBackoff, failback_is_held_until_the_next_attempt_time_and_says_when) {
    PromoteBackoff b;
    EXPECT_EQ(backoff_hold(b, t0), "");
    promote_failed(b, t0);
    promote_failed(b, t0 + 1s);
    promote_failed(b, t0 + 3s);  // third in a row: 4 s
    ASSERT_TRUE(b.next);
    EXPECT_EQ(*b.next, t0 + 7s);
    EXPECT_EQ(backoff_hold(b, t0 + 4s), "3 failed promotes in a row; next attempt in 3 s");
    EXPECT_EQ(backoff_hold(b, t0 + 7s), "");
}

TEST(PromoteBackoff, a_successful_promote_resets_the_pause) {
    PromoteBackoff b;
    promote_failed(b, t0);
    promote_failed(b, t0 + 1s);
    promote_succeeded(b);
    EXPECT_EQ(backoff_hold(b, t0 + 1s), "");
    promote_failed(b, t0 + 10s);
    EXPECT_EQ(*b.next, t0 + 11s);
}

}  // namespace
}  // namespace havip::vrrp
