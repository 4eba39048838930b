// A reload that changes a running router's settings (vrrpd/core/fsm Reconfigure): the state and
// timers stay, the new settings take effect, as keepalived does for an instance a reload
// matches. Fake clock as in fsm_test_support.hpp.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/vrrpd/fsm_test_support.hpp"
#include "vrrpd/core/fsm.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using fsm_test::advert;
using fsm_test::at;
using fsm_test::lines;
using fsm_test::make_config;

// A router that started at t = 0 and became MASTER when its down timer ran out.
Router master(RouterConfig config) {
    Router router(std::move(config));
    router.handle(Startup{}, at(0s));
    const auto down = router.deadline(TimerId::master_down);
    EXPECT_TRUE(down.has_value());
    router.handle(MasterDownTimerFired{}, *down);
    EXPECT_EQ(router.state(), State::master);
    return router;
}

TEST(FsmReconfigure, master_stays_master_and_its_next_advert_carries_the_new_priority) {
    Router router = master(make_config(150));
    const auto next = *router.deadline(TimerId::adver);
    EXPECT_THAT(router.handle(Reconfigure{make_config(120), 110}, next - 500ms), IsEmpty());
    EXPECT_EQ(router.state(), State::master);
    EXPECT_EQ(router.variables().priority, 110);
    EXPECT_EQ(router.config().priority, 120);
    EXPECT_THAT(lines(router.handle(AdverTimerFired{}, next)),
                ElementsAre("send advert priority 110",
                            "arm adver at " + format_seconds((next + 1s).time_since_epoch())));
}

TEST(FsmReconfigure, shorter_interval_rearms_the_advert_timer_at_once) {
    Router router = master(make_config(150));
    const auto now = *router.deadline(TimerId::adver) - 900ms;
    const auto config = make_config(150, ProtocolVersion::v3, 100ms);
    EXPECT_THAT(lines(router.handle(Reconfigure{config, 150}, now)),
                ElementsAre("arm adver at " + format_seconds((now + 100ms).time_since_epoch())));
    EXPECT_EQ(router.variables().advertisement_interval, 100ms);
    EXPECT_EQ(router.variables().master_adver_interval, 100ms);
}

TEST(FsmReconfigure, backup_raised_above_the_master_preempts_it) {
    Router router(make_config(100));
    router.handle(Startup{}, at(0s));
    router.handle(advert(150), at(1s));  // accepted: the master outranks us
    const auto down = *router.deadline(TimerId::master_down);
    EXPECT_THAT(router.handle(Reconfigure{make_config(200), 200}, at(1'500ms)), IsEmpty());
    EXPECT_EQ(router.state(), State::backup);
    EXPECT_EQ(router.deadline(TimerId::master_down), down) << "the running timer stays";
    // Lower adverts are now discarded, so the running timer runs out and we take over.
    EXPECT_THAT(router.handle(advert(150), at(2s)), IsEmpty());
    router.handle(MasterDownTimerFired{}, down);
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmReconfigure, backup_told_not_to_preempt_follows_a_lower_master) {
    Router router(make_config(200));
    router.handle(Startup{}, at(0s));
    auto config = make_config(200);
    config.preempt = false;
    router.handle(Reconfigure{config, 200}, at(100ms));
    EXPECT_THAT(
        lines(router.handle(advert(100), at(1s))),
        ElementsAre(
            "arm master_down at " +
            format_seconds((at(1s) + router.variables().master_down_interval).time_since_epoch())));
}

TEST(FsmReconfigure, v3_backup_keeps_the_interval_learnt_from_its_master) {
    Router router(make_config(100, ProtocolVersion::v3, 1s));
    router.handle(Startup{}, at(0s));
    router.handle(advert(150, "10.0.0.2", 200ms), at(1s));
    ASSERT_EQ(router.variables().master_adver_interval, 200ms);
    router.handle(Reconfigure{make_config(90, ProtocolVersion::v3, 500ms), 90}, at(1'100ms));
    EXPECT_EQ(router.variables().advertisement_interval, 500ms);
    EXPECT_EQ(router.variables().master_adver_interval, 200ms);
    EXPECT_EQ(router.variables().skew_time, skew_time(90, 200ms, ProtocolVersion::v3));
}

}  // namespace
}  // namespace havip::vrrp
