// vrrpd/core/text.hpp: the core's descriptions written as fmt wrote them before the core
// stopped using it. fmt is the reference here, the test's own dependency, not the core's.
#include "vrrpd/core/text.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

TEST(Text, a_priority_prints_as_a_number_not_a_character) {
    EXPECT_EQ(text::concat("send advert priority ", std::uint8_t{100}), "send advert priority 100");
    EXPECT_EQ(text::concat(std::uint8_t{0}, " ", std::uint8_t{255}), "0 255");
    EXPECT_EQ(text::decimal(std::int8_t{-128}), "-128");
}

TEST(Text, concat_writes_strings_as_they_are_and_integers_in_decimal) {
    const std::string reason = "master down timer expired";
    const std::string_view state = "MASTER";
    EXPECT_EQ(text::concat("state ", std::string_view{"BACKUP"}, " -> ", state, " (", reason, ")"),
              "state BACKUP -> MASTER (master down timer expired)");
    EXPECT_EQ(text::concat(), "");
    EXPECT_EQ(text::concat(-1, "/", 3u, "/", std::int64_t{-9'000'000'000}), "-1/3/-9000000000");
    EXPECT_EQ(text::decimal(std::numeric_limits<std::int64_t>::min()), "-9223372036854775808");
    EXPECT_EQ(text::decimal(std::numeric_limits<std::uint64_t>::max()), "18446744073709551615");
}

TEST(Text, signed_decimal_always_carries_the_sign) {
    EXPECT_EQ(text::signed_decimal(10), "+10");
    EXPECT_EQ(text::signed_decimal(-20), "-20");
    EXPECT_EQ(text::signed_decimal(0), "+0");
}

TEST(Text, zero_padded_fills_after_the_sign_and_never_cuts) {
    EXPECT_EQ(text::zero_padded(1'500'000, 9), "001500000");  // the nanoseconds of 1.0015 s
    EXPECT_EQ(text::zero_padded(-42, 5), "-0042");
    EXPECT_EQ(text::zero_padded(1'234'567'890, 9), "1234567890");
    EXPECT_EQ(text::zero_padded(7, 0), "7");
}

TEST(Text, fixed_rounds_to_nearest_and_an_exact_tie_to_even) {
    EXPECT_EQ(text::fixed(2.0 / 3.0, 2), "0.67");
    EXPECT_EQ(text::fixed(0.125, 2), "0.12");  // exactly halfway: to the even digit
    EXPECT_EQ(text::fixed(0.375, 2), "0.38");
    EXPECT_EQ(text::fixed(1.005, 2), "1.00");  // 1.00499999… as a double
    EXPECT_EQ(text::fixed(2.5, 0), "2");       // no point without digits after it
    EXPECT_EQ(text::fixed(3.0, 0), "3");
    EXPECT_EQ(text::fixed(12.0, 2), "12.00");
    EXPECT_EQ(text::fixed(-0.0, 2), "-0.00");
    EXPECT_EQ(text::fixed(1e21, 0), "1000000000000000000000");
    EXPECT_EQ(text::fixed(std::numeric_limits<double>::infinity(), 2), "inf");
    EXPECT_EQ(text::fixed(std::numeric_limits<double>::quiet_NaN(), 2), "nan");
    EXPECT_EQ(text::fixed(std::numeric_limits<double>::max(), 2).size(), 309u + 3u);
}

TEST(Text, join_puts_the_separator_between_items_only) {
    EXPECT_EQ(text::join({}, ", "), "");
    EXPECT_EQ(text::join({"chk_db"}, ", "), "chk_db");
    EXPECT_EQ(text::join({"chk_db", "", "file f"}, ", "), "chk_db, , file f");
}

// The promise the core's log lines rely on, over the values its descriptions take: a
// switchover's seconds ("{:.2f}"), a back-off's ceiled seconds ("{:.0f}"), a time's
// nanoseconds ("{:09d}"), a tracked weight ("{:+d}").
TEST(Text, writes_what_fmt_wrote_for_the_specs_the_core_used) {
    for (std::int64_t ms = 0; ms <= 100'000; ms += 7) {
        const double s = std::chrono::duration<double>(std::chrono::milliseconds{ms}).count();
        ASSERT_EQ(text::fixed(s, 2), fmt::format("{:.2f}", s)) << ms << " ms";
        ASSERT_EQ(text::fixed(s + 0.005, 2), fmt::format("{:.2f}", s + 0.005)) << ms << " ms";
        ASSERT_EQ(text::fixed(s, 0), fmt::format("{:.0f}", s)) << ms << " ms";
    }
    for (int k = -4000; k <= 4000; ++k) {  // every exact tie of k/8 at 0, 1 and 2 digits
        const double v = k / 8.0;
        for (unsigned p = 0; p <= 2; ++p)
            ASSERT_EQ(text::fixed(v, p), fmt::format("{:.{}f}", v, p)) << v << " ." << p;
    }
    for (std::int64_t ns : {0LL, 1LL, 999'999'999LL, 5'000'000LL, 123'456'789LL})
        ASSERT_EQ(text::zero_padded(ns, 9), fmt::format("{:09d}", ns));
    for (int weight = -253; weight <= 253; ++weight)
        ASSERT_EQ(text::signed_decimal(weight), fmt::format("{:+d}", weight));
}

}  // namespace
}  // namespace havip::vrrp
