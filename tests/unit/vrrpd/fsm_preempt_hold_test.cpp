// The failback hold of vrrpd/core/fsm (issue 9): a higher-priority BACKUP whose database is not
// caught up follows a live lower-priority master instead of preempting it, and preempts
// through its running Master_Down_Timer once the hold ends. Fake clock as in
// fsm_test_support.hpp: v2, 1 s adverts, priority 200 → Master_Down_Interval 3.21875 s.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>
#include <vector>

#include "tests/unit/vrrpd/fsm_test_support.hpp"
#include "vrrpd/core/fsm.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

using fsm_test::advert;
using fsm_test::at;
using fsm_test::lines;
using fsm_test::make_config;

// Priority 200, started at t = 0, the hold set at once (as the instance does when its
// mysql_check reports "not caught up" before the first advert).
Router held_backup() {
    Router router(make_config(200));
    router.handle(Startup{}, at(0s));
    EXPECT_THAT(router.handle(PreemptHold{true}, at(0s)), IsEmpty());
    EXPECT_TRUE(router.preempt_held());
    return router;
}

TEST(FsmPreemptHold, held_backup_follows_a_live_lower_priority_master_instead_of_preempting) {
    Router router = held_backup();
    for (int s = 1; s <= 20; ++s) {
        const auto actions = router.handle(advert(100), at(std::chrono::seconds{s}));
        // Accepted: the down timer restarts from this advert, exactly as under nopreempt.
        ASSERT_THAT(lines(actions), ElementsAre(fmt::format(
                                        "arm master_down at {}",
                                        format_seconds(std::chrono::seconds{s} + 3'218'750'000ns))))
            << "advert at " << s << " s";
    }
    EXPECT_EQ(router.state(), State::backup);
    EXPECT_EQ(router.master_address(), make_address("10.0.0.2"));
}

TEST(FsmPreemptHold, released_hold_preempts_when_the_running_down_timer_expires) {
    Router router = held_backup();
    router.handle(advert(100), at(1s));
    EXPECT_THAT(router.handle(PreemptHold{false}, at(1'500'000'000ns)), IsEmpty());
    // Lower adverts are discarded again: the timer armed at 1 s runs out at 4.21875 s.
    EXPECT_THAT(router.handle(advert(100), at(2s)), IsEmpty());
    EXPECT_THAT(router.handle(advert(100), at(3s)), IsEmpty());
    EXPECT_THAT(router.handle(advert(100), at(4s)), IsEmpty());
    const auto actions = router.handle(MasterDownTimerFired{}, at(4'218'750'000ns));
    EXPECT_EQ(router.state(), State::master);
    ASSERT_FALSE(actions.empty());
    EXPECT_EQ(describe(actions.front()),
              "state BACKUP -> MASTER (preempting lower priority 100 from 10.0.0.2)");
}

TEST(FsmPreemptHold, hold_does_not_delay_takeover_when_the_master_goes_silent) {
    Router router = held_backup();
    router.handle(advert(100), at(1s));
    // No more adverts: the failover case, the hold is no reason to leave the VIP unserved.
    router.handle(MasterDownTimerFired{}, at(4'218'750'000ns));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmPreemptHold, hold_does_not_delay_takeover_after_priority_zero) {
    Router router = held_backup();
    router.handle(advert(100), at(1s));
    // The master resigns: take over after Skew_Time (0.21875 s at priority 200).
    EXPECT_THAT(lines(router.handle(advert(0), at(2s))),
                ElementsAre("arm master_down at 2.21875s"));
    router.handle(MasterDownTimerFired{}, at(2'218'750'000ns));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmPreemptHold, held_backup_still_yields_to_a_higher_priority_master) {
    Router router = held_backup();
    EXPECT_THAT(router.handle(advert(250), at(1s)), testing::SizeIs(1));
    EXPECT_EQ(router.state(), State::backup);
    EXPECT_EQ(router.master_address(), make_address("10.0.0.2"));
}

TEST(FsmPreemptHold, hold_never_makes_a_master_step_down_for_a_lower_priority_one) {
    Router router(make_config(200));
    router.handle(Startup{}, at(0s));
    router.handle(MasterDownTimerFired{}, at(3'218'750'000ns));
    ASSERT_EQ(router.state(), State::master);
    router.handle(PreemptHold{true}, at(4s));
    // RFC 9568 §6.4.3: the lower master is answered at once; we stay MASTER.
    EXPECT_THAT(
        lines(router.handle(advert(100), at(5s))),
        ElementsAre("send advert priority 200", "announce", "rival master 10.0.0.2 priority 100"));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmPreemptHold, hold_outlasts_a_fault_and_applies_after_it_clears) {
    Router router = held_backup();
    router.handle(FaultRaised{"mysql_check chk_db (down)"}, at(1s));
    ASSERT_EQ(router.state(), State::fault);
    router.handle(FaultCleared{}, at(2s));
    ASSERT_EQ(router.state(), State::backup);
    EXPECT_TRUE(router.preempt_held());
    EXPECT_THAT(router.handle(advert(100), at(3s)), testing::SizeIs(1));
    router.handle(PreemptHold{false}, at(4s));
    EXPECT_THAT(router.handle(advert(100), at(5s)), IsEmpty());
}

// `havip switchover`: the MASTER hands over with priority 0 and stays BACKUP, held, while the
// lower-priority peer is MASTER; with nobody taking over it becomes MASTER again by itself.
Router master_at_200() {
    Router router(make_config(200));
    router.handle(Startup{}, at(0s));
    router.handle(MasterDownTimerFired{}, at(3'218'750'000ns));
    EXPECT_EQ(router.state(), State::master);
    return router;
}

TEST(FsmHandOver, a_master_sends_priority_zero_and_becomes_backup_with_a_full_down_timer) {
    Router router = master_at_200();
    router.handle(PreemptHold{true}, at(5s));
    // The VIPs stay until the new master speaks.
    EXPECT_THAT(
        lines(router.handle(HandOver{"switchover to 10.0.0.2"}, at(5s))),
        ElementsAre("send advert priority 0", "state MASTER -> BACKUP (switchover to 10.0.0.2)",
                    "cancel adver", "arm master_down at 8.21875s"));
    // The peer took over: the VIPs go at its second advert; it is followed, not preempted,
    // while held.
    EXPECT_THAT(lines(router.handle(advert(100), at(5'500'000'000ns))),
                ElementsAre("arm master_down at 8.71875s"));
    EXPECT_THAT(lines(router.handle(advert(100), at(6s))),
                ElementsAre("remove VIPs", "arm master_down at 9.21875s"));
    EXPECT_THAT(lines(router.handle(advert(100), at(7s))),
                ElementsAre("arm master_down at 10.21875s"));
    EXPECT_EQ(router.state(), State::backup);
}

TEST(FsmHandOver, nobody_taking_over_makes_the_old_master_master_again_with_its_vips) {
    Router router = master_at_200();
    router.handle(PreemptHold{true}, at(5s));
    router.handle(HandOver{"switchover"}, at(5s));
    // A priority-0 advert (another router leaving) releases nothing.
    EXPECT_THAT(lines(router.handle(advert(0), at(6s))), Not(Contains("remove VIPs")));
    const auto back = lines(router.handle(MasterDownTimerFired{}, at(8'218'750'000ns)));
    EXPECT_EQ(router.state(), State::master);
    EXPECT_THAT(back, Not(Contains("remove VIPs")));
    // Later a normal step-down releases them again.
    EXPECT_THAT(lines(router.handle(advert(250), at(9s))), Contains("remove VIPs"));
}

TEST(FsmHandOver, a_fault_or_shutdown_during_the_hand_over_releases_the_vips) {
    for (const bool fault : {true, false}) {
        Router router = master_at_200();
        router.handle(HandOver{"switchover"}, at(5s));
        const auto out = fault ? lines(router.handle(FaultRaised{"chk_db"}, at(5'010'000'000ns)))
                               : lines(router.handle(Shutdown{}, at(5'010'000'000ns)));
        EXPECT_THAT(out, Contains("remove VIPs")) << fault;
        EXPECT_THAT(out, Not(Contains("send advert priority 0"))) << fault;
    }
}

TEST(FsmHandOver, a_backup_ignores_it) {
    Router router(make_config(200));
    router.handle(Startup{}, at(0s));
    EXPECT_THAT(router.handle(HandOver{"switchover"}, at(1s)), IsEmpty());
    EXPECT_EQ(router.state(), State::backup);
}

}  // namespace
}  // namespace havip::vrrp
