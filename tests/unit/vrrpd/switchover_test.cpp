// The sequence of `havip switchover` (vrrpd/core/switchover): which step follows which, the
// budgets, and what a failure at each step leads to. Virtual time.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "vrrpd/core/switchover.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;

TimePoint at(Duration d) {
    return TimePoint{d};
}

SwitchoverSettings settings() {
    SwitchoverSettings s;
    s.timeout = 10s;
    s.preflight_bound = 8s;
    s.hand_over_bound = 5s;
    s.writable_bound = 15s;
    s.roll_back_bound = 20s;
    return s;
}

TEST(Switchover, every_step_in_order_then_switched) {
    Switchover s(settings(), at(0s));
    EXPECT_EQ(s.step(), SwitchoverStep::preflight);
    s.ended(true, "caught up", at(100ms));
    EXPECT_EQ(s.step(), SwitchoverStep::read_only);
    s.ended(true, "read_only=1", at(150ms));
    EXPECT_EQ(s.step(), SwitchoverStep::catch_up);
    s.ended(true, "applied", at(400ms));
    EXPECT_EQ(s.step(), SwitchoverStep::hand_over);
    s.ended(true, "10.0.0.2 is MASTER", at(700ms));
    EXPECT_EQ(s.step(), SwitchoverStep::target_writable);
    EXPECT_FALSE(s.finished());
    s.ended(true, "writable", at(1s));
    EXPECT_EQ(s.result(), SwitchoverResult::switched);
    EXPECT_EQ(s.summary(), "switched over in 1.00 s");
    ASSERT_EQ(s.records().size(), 5u);
    EXPECT_EQ(s.records()[2].step, SwitchoverStep::catch_up);
    EXPECT_EQ(s.records()[2].took, 250ms);
}

TEST(Switchover, a_failed_preflight_refuses_and_changes_nothing) {
    Switchover s(settings(), at(0s));
    s.ended(false, "the target lags", at(1s));
    EXPECT_EQ(s.result(), SwitchoverResult::refused);
    EXPECT_EQ(s.summary(), "refused, nothing was changed: preflight: the target lags");
}

TEST(Switchover, a_dry_run_stops_after_the_preflight) {
    auto st = settings();
    st.dry_run = true;
    Switchover s(st, at(0s));
    s.ended(true, "ok", at(1s));
    EXPECT_EQ(s.result(), SwitchoverResult::dry_run);
}

TEST(Switchover, a_failure_after_the_preflight_rolls_back) {
    for (int failing = 1; failing <= 3; ++failing) {
        Switchover s(settings(), at(0s));
        s.ended(true, "ok", at(1s));
        for (int i = 1; i < failing; ++i)
            s.ended(true, "ok", at(1s));
        const auto step = s.step();
        s.ended(false, "it broke", at(2s));
        ASSERT_EQ(s.step(), SwitchoverStep::roll_back) << failing;
        s.ended(true, "writable again", at(3s));
        EXPECT_EQ(s.result(), SwitchoverResult::rolled_back);
        EXPECT_EQ(s.summary(),
                  fmt::format("rolled back after 3.00 s: {}: it broke", to_string(step)));
    }
}

TEST(Switchover, a_target_that_took_the_vip_but_stays_read_only_is_a_failure) {
    Switchover s(settings(), at(0s));
    for (int i = 0; i < 4; ++i)
        s.ended(true, "ok", at(1s));
    s.ended(false, "not writable within 15.0 s", at(16s));
    ASSERT_EQ(s.step(), SwitchoverStep::roll_back);
    s.ended(false, "the VIP did not come back", at(36s));
    EXPECT_EQ(s.result(), SwitchoverResult::failed);
    EXPECT_EQ(s.summary(),
              "failed after 36.00 s: target_writable: not writable within 15.0 s; and the "
              "roll-back: the VIP did not come back");
}

TEST(Switchover, writes_are_refused_for_at_most_the_timeout_over_read_only_and_catch_up) {
    Switchover s(settings(), at(0s));
    EXPECT_EQ(s.budget(at(1s)), 7s);  // the preflight's own bound
    s.ended(true, "ok", at(2s));
    EXPECT_EQ(s.budget(at(2s)), 10s);
    s.ended(true, "read_only=1", at(5s));
    EXPECT_EQ(s.budget(at(5s)), 7s);  // what read_only left of the timeout
    EXPECT_EQ(s.budget(at(13s)), 0s);
    s.ended(true, "applied", at(6s));
    EXPECT_EQ(s.budget(at(7s)), 4s);  // hand_over's own
}

}  // namespace
}  // namespace havip::vrrp
