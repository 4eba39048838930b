// RFC 5798 §6.1 / RFC 3768 §6.1 timer formulas.
#include "vrrpd/core/timers.hpp"

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;

TEST(Timers, v3_skew_is_fraction_of_master_adver_interval) {
    // (256 - 100) * 1 s / 256 = 0.609375 s
    EXPECT_EQ(skew_time(100, 1s, ProtocolVersion::v3), 609'375'000ns);
    // (256 - 150) * 100 ms / 256 = 41.40625 ms
    EXPECT_EQ(skew_time(150, 100ms, ProtocolVersion::v3), 41'406'250ns);
}

TEST(Timers, v2_skew_ignores_advert_interval) {
    // RFC 3768: (256 - Priority) / 256 seconds, even with 5 s adverts.
    EXPECT_EQ(skew_time(100, 5s, ProtocolVersion::v2), 609'375'000ns);
    EXPECT_EQ(skew_time(100, 1s, ProtocolVersion::v2), 609'375'000ns);
    EXPECT_EQ(skew_time(99, 1s, ProtocolVersion::v2), 613'281'250ns);
}

TEST(Timers, ten_ms_adverts_keep_distinct_skews_for_neighbouring_priorities) {
    const Duration skew100 = skew_time(100, 10ms, ProtocolVersion::v3);
    const Duration skew99 = skew_time(99, 10ms, ProtocolVersion::v3);
    // 6.09375 ms exactly; 6.1328125 ms truncated to whole nanoseconds.
    EXPECT_EQ(skew100, 6'093'750ns);
    EXPECT_EQ(skew99, 6'132'812ns);
    EXPECT_LT(skew100, skew99);
    // Centiseconds would have made both 0: the lower priority must still wait longer.
    EXPECT_EQ(skew99 - skew100, 39'062ns);
}

TEST(Timers, owner_priority_has_smallest_skew) {
    EXPECT_EQ(skew_time(255, 1s, ProtocolVersion::v3), 3'906'250ns);
    EXPECT_EQ(skew_time(1, 1s, ProtocolVersion::v3), 996'093'750ns);
}

TEST(Timers, master_down_interval_is_three_adverts_plus_skew_by_default) {
    const Duration skew = skew_time(100, 1s, ProtocolVersion::v2);
    // keepalived measured 3.61 s for priority 100 at 1 s adverts (keepalived.md §6).
    EXPECT_EQ(master_down_interval(1s, skew), 3'609'375'000ns);
}

TEST(Timers, master_down_interval_follows_down_timer_adverts) {
    const Duration skew = skew_time(150, 100ms, ProtocolVersion::v3);
    EXPECT_EQ(master_down_interval(100ms, skew, 5), 541'406'250ns);
    EXPECT_EQ(master_down_interval(100ms, skew, 1), 141'406'250ns);
}

TEST(Timers, format_seconds_strips_trailing_zeros) {
    EXPECT_EQ(format_seconds(3'609'375'000ns), "3.609375s");
    EXPECT_EQ(format_seconds(2s), "2s");
    EXPECT_EQ(format_seconds(1ns), "0.000000001s");
    EXPECT_EQ(format_seconds(-1500ms), "-1.5s");
}

}  // namespace
}  // namespace havip::vrrp
