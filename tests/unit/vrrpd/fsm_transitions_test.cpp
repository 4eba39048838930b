// Every transition of vrrpd/core/fsm (RFC 5798 §6.4, RFC 9568, keepalived's choices) under a fake
// clock: time is a TimePoint counted from the clock's epoch, so "arm master_down at 3.609375s"
// means 3.609375 s after the test's t = 0.
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
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using fsm_test::advert;
using fsm_test::at;
using fsm_test::lines;
using fsm_test::make_config;

// A router of priority 100 (v2, 1 s adverts) that has started and is BACKUP at t = 0:
// Skew_Time 0.609375 s, Master_Down_Interval 3.609375 s.
Router started_backup(RouterConfig config = make_config(100)) {
    Router router(std::move(config));
    router.handle(Startup{}, at(0s));
    return router;
}

// The same router after its down timer expired at 3.609375 s: MASTER, adver timer at 4.609375 s.
Router started_master(RouterConfig config = make_config(100)) {
    Router router = started_backup(std::move(config));
    router.handle(MasterDownTimerFired{}, *router.deadline(TimerId::master_down));
    return router;
}

// ---- INIT ---------------------------------------------------------------------------------

TEST(FsmStartup, non_owner_starts_as_backup_with_master_down_timer) {
    Router router(make_config(100));
    EXPECT_EQ(router.state(), State::init);
    EXPECT_THAT(lines(router.handle(Startup{}, at(0s))),
                ElementsAre("state INIT -> BACKUP (startup)", "arm master_down at 3.609375s"));
    EXPECT_EQ(router.state(), State::backup);
    EXPECT_EQ(router.variables().master_adver_interval, 1s);
    EXPECT_EQ(router.variables().skew_time, 609'375'000ns);
}

TEST(FsmStartup, address_owner_becomes_master_at_once) {
    Router router(make_config(255));
    EXPECT_THAT(lines(router.handle(Startup{}, at(2s))),
                ElementsAre("state INIT -> MASTER (startup: address owner (priority 255))",
                            "add VIPs", "announce", "send advert priority 255", "arm adver at 3s"));
    EXPECT_EQ(router.state(), State::master);
    EXPECT_EQ(router.master_address(), make_address("10.0.0.5"));
}

TEST(FsmStartup, fault_raised_before_startup_starts_in_fault) {
    Router router(make_config(100));
    EXPECT_THAT(router.handle(FaultRaised{"chk_mysql failed"}, at(0s)), IsEmpty());
    EXPECT_THAT(lines(router.handle(Startup{}, at(1s))),
                ElementsAre("state INIT -> FAULT (fault: chk_mysql failed)"));
    EXPECT_EQ(router.state(), State::fault);
    EXPECT_FALSE(router.deadline(TimerId::master_down));
}

TEST(FsmStartup, second_startup_is_ignored) {
    Router router = started_backup();
    EXPECT_THAT(router.handle(Startup{}, at(1s)), IsEmpty());
    EXPECT_EQ(router.deadline(TimerId::master_down), at(3'609'375'000ns));
}

// ---- BACKUP -------------------------------------------------------------------------------

TEST(FsmBackup, backup_takes_over_after_skew_on_priority_zero) {
    Router router = started_backup();
    EXPECT_THAT(lines(router.handle(advert(0), at(1s))),
                ElementsAre("arm master_down at 1.609375s"));
    EXPECT_THAT(
        lines(router.handle(MasterDownTimerFired{}, at(1'609'375'000ns))),
        ElementsAre("state BACKUP -> MASTER (priority 0 received from 10.0.0.2)", "add VIPs",
                    "announce", "send advert priority 100", "arm adver at 2.609375s"));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmBackup, backup_accepts_higher_priority_and_rearms_down_timer) {
    Router router = started_backup();
    EXPECT_THAT(lines(router.handle(advert(150), at(2s))),
                ElementsAre("arm master_down at 5.609375s"));
    EXPECT_EQ(router.master_address(), make_address("10.0.0.2"));
    // The first deadline may still be delivered by a timer that completed before the re-arm.
    EXPECT_THAT(router.handle(MasterDownTimerFired{}, at(3'609'375'000ns)), IsEmpty());
    EXPECT_EQ(router.state(), State::backup);
}

TEST(FsmBackup, backup_accepts_equal_priority_from_any_address) {
    // The address tie-break is only between masters: a backup follows an equal master even
    // if its own address is higher.
    Router router = started_backup();
    EXPECT_THAT(lines(router.handle(advert(100, "10.0.0.1"), at(1s))),
                ElementsAre("arm master_down at 4.609375s"));
}

TEST(FsmBackup, backup_discards_lower_priority_and_preempts_when_its_timer_expires) {
    Router router = started_backup();
    EXPECT_THAT(router.handle(advert(50), at(1s)), IsEmpty());
    EXPECT_THAT(router.handle(advert(50), at(2s)), IsEmpty());
    EXPECT_EQ(router.deadline(TimerId::master_down), at(3'609'375'000ns));
    EXPECT_THAT(
        lines(router.handle(MasterDownTimerFired{}, at(3'609'375'000ns))),
        ElementsAre("state BACKUP -> MASTER (preempting lower priority 50 from 10.0.0.2)",
                    "add VIPs", "announce", "send advert priority 100", "arm adver at 4.609375s"));
}

TEST(FsmBackup, backup_becomes_master_when_master_down_timer_expires) {
    Router router = started_backup();
    router.handle(advert(150), at(1s));
    EXPECT_THAT(lines(router.handle(MasterDownTimerFired{}, at(4'609'375'000ns))),
                ElementsAre("state BACKUP -> MASTER (master down timer expired)", "add VIPs",
                            "announce", "send advert priority 100", "arm adver at 5.609375s"));
    EXPECT_FALSE(router.deadline(TimerId::master_down));
    EXPECT_EQ(router.deadline(TimerId::adver), at(5'609'375'000ns));
}

TEST(FsmBackup, v3_backup_learns_master_adver_interval) {
    Router router = started_backup(make_config(100, ProtocolVersion::v3, 1s));
    EXPECT_THAT(lines(router.handle(advert(150, "10.0.0.2", 100ms), at(1s))),
                ElementsAre("arm master_down at 1.3609375s"));
    EXPECT_EQ(router.variables().master_adver_interval, 100ms);
    EXPECT_EQ(router.variables().skew_time, 60'937'500ns);
    EXPECT_EQ(router.variables().master_down_interval, 360'937'500ns);
    // Our own Advertisement_Interval is unchanged: it is what we send when we are master.
    EXPECT_EQ(router.variables().advertisement_interval, 1s);
    router.handle(MasterDownTimerFired{}, at(1'360'937'500ns));
    EXPECT_EQ(router.deadline(TimerId::adver), at(2'360'937'500ns));
}

TEST(FsmBackup, v2_backup_keeps_its_own_interval) {
    Router router = started_backup(make_config(100, ProtocolVersion::v2, 1s));
    EXPECT_THAT(lines(router.handle(advert(150, "10.0.0.2", 100ms), at(1s))),
                ElementsAre("arm master_down at 4.609375s"));
    EXPECT_EQ(router.variables().master_adver_interval, 1s);
}

TEST(FsmBackup, v3_priority_zero_uses_current_skew_without_learning) {
    Router router = started_backup(make_config(100, ProtocolVersion::v3, 1s));
    router.handle(advert(150, "10.0.0.2", 100ms), at(1s));
    EXPECT_THAT(lines(router.handle(advert(0, "10.0.0.2", 2s), at(1'100'000'000ns))),
                ElementsAre("arm master_down at 1.1609375s"));
    EXPECT_EQ(router.variables().master_adver_interval, 100ms);
}

TEST(FsmBackup, nopreempt_backup_never_displaces_live_master) {
    RouterConfig config = make_config(200);
    config.preempt = false;
    Router router = started_backup(config);
    // A lower-priority master advertising every second keeps the down timer from expiring.
    for (int s = 1; s <= 30; ++s) {
        const auto actions = router.handle(advert(100), at(std::chrono::seconds{s}));
        ASSERT_THAT(
            lines(actions),
            ElementsAre(fmt::format("arm master_down at {}",
                                    format_seconds(std::chrono::seconds{s} + 3'218'750'000ns))));
        ASSERT_EQ(router.state(), State::backup);
    }
    EXPECT_THAT(router.handle(MasterDownTimerFired{}, at(30s)), IsEmpty());
    // Only the master's silence lets it take over.
    router.handle(MasterDownTimerFired{}, at(33'218'750'000ns));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmBackup, preempt_delay_postpones_takeover) {
    RouterConfig config = make_config(100);
    config.preempt_delay = 10s;
    Router router = started_backup(config);
    // Inside the window a lower master is followed like a higher one.
    for (int s = 1; s <= 9; ++s) {
        EXPECT_THAT(router.handle(advert(50), at(std::chrono::seconds{s})), testing::SizeIs(1))
            << "advert at " << s << " s";
    }
    EXPECT_EQ(router.deadline(TimerId::master_down), at(12'609'375'000ns));
    // From 10 s on, its adverts are discarded and the timer runs out.
    EXPECT_THAT(router.handle(advert(50), at(10s)), IsEmpty());
    EXPECT_THAT(router.handle(advert(50), at(11s)), IsEmpty());
    EXPECT_THAT(router.handle(advert(50), at(12s)), IsEmpty());
    router.handle(MasterDownTimerFired{}, at(12'609'375'000ns));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmBackup, preempt_delay_window_opens_at_first_lower_advert_after_losing_mastership) {
    RouterConfig config = make_config(100);
    config.preempt_delay = 5s;
    Router router = started_master(config);  // master since 3.609375 s
    router.handle(advert(200), at(10s));     // displaced
    ASSERT_EQ(router.state(), State::backup);
    // The displacing master drops its priority at 11 s: the window opens then, until 16 s.
    EXPECT_THAT(router.handle(advert(50), at(11s)), testing::SizeIs(1));
    EXPECT_THAT(router.handle(advert(50), at(15s)), testing::SizeIs(1));
    EXPECT_THAT(router.handle(advert(50), at(16s)), IsEmpty());
    EXPECT_EQ(router.deadline(TimerId::master_down), at(18'609'375'000ns));
}

// Issue 16: keepalived stops the preempt_delay window at every advert of a master at or above
// our priority, so the window reopens when a lower master follows it. havipd kept the
// start-up window, long expired, and preempted the lower master after ~3 s.
TEST(FsmBackup, preempt_delay_window_reopens_at_a_lower_master_after_a_higher_one) {
    RouterConfig config = make_config(100);
    config.preempt_delay = 5s;
    Router router = started_backup(config);  // window from 0 s to 5 s
    for (int s = 1; s <= 20; ++s)
        router.handle(advert(200, "10.0.0.9"), at(std::chrono::seconds{s}));
    // The higher master hands over to a lower one at 21 s: the window runs to 26 s.
    EXPECT_THAT(router.handle(advert(50), at(21s)), testing::SizeIs(1));
    EXPECT_THAT(router.handle(advert(50), at(25s)), testing::SizeIs(1));
    EXPECT_THAT(router.handle(advert(50), at(26s)), IsEmpty());
    EXPECT_EQ(router.deadline(TimerId::master_down), at(28'609'375'000ns));
}

TEST(FsmBackup, priority_change_in_backup_changes_skew_and_preemption) {
    Router router = started_backup();
    router.handle(advert(120), at(1s));  // followed: 120 >= 100
    // The timer armed at 1 s (3.609375 s of interval) moves by the shorter skew.
    EXPECT_THAT(lines(router.handle(PriorityChanged{150}, at(1'500'000'000ns))),
                ElementsAre("arm master_down at 4.4140625s"));
    EXPECT_EQ(router.variables().priority, 150);
    EXPECT_EQ(router.variables().skew_time, 414'062'500ns);
    // 120 is now lower: discarded, so the running timer runs out.
    EXPECT_THAT(router.handle(advert(120), at(2s)), IsEmpty());
    router.handle(MasterDownTimerFired{}, at(4'414'062'500ns));
    EXPECT_EQ(router.state(), State::master);
    // And a priority-0 advert would now give the new, shorter skew.
    Router other = started_backup();
    other.handle(PriorityChanged{150}, at(0s));
    EXPECT_THAT(lines(other.handle(advert(0), at(1s))),
                ElementsAre("arm master_down at 1.4140625s"));
}

TEST(FsmBackup, priority_change_in_backup_shifts_the_running_master_down_timer) {
    // keepalived moves a backup's running timer by the change in Master_Down_Interval.
    Router router = started_backup();    // priority 100: skew 0.609375 s
    router.handle(advert(200), at(1s));  // armed at 4.609375 s
    EXPECT_THAT(lines(router.handle(PriorityChanged{50}, at(2s))),
                ElementsAre("arm master_down at 4.8046875s"));           // skew 0.8046875 s
    EXPECT_THAT(router.handle(PriorityChanged{50}, at(2s)), IsEmpty());  // no change, no arm
    EXPECT_THAT(lines(router.handle(PriorityChanged{100}, at(3s))),
                ElementsAre("arm master_down at 4.609375s"));
    // Not before the change: a shift into the past fires at once.
    router.handle(advert(0), at(4s));  // skew: 4.609375 s
    EXPECT_THAT(lines(router.handle(PriorityChanged{250}, at(4'600'000'000ns))),
                ElementsAre("arm master_down at 4.6s"));
    EXPECT_EQ(router.deadline(TimerId::master_down), at(4'600'000'000ns));
}

// ---- MASTER -------------------------------------------------------------------------------

TEST(FsmMaster, master_readvertises_on_absolute_deadlines) {
    Router router = started_master();  // adver timer at 4.609375 s
    // The caller wakes 3 ms late: the next deadline still follows the original grid.
    EXPECT_THAT(lines(router.handle(AdverTimerFired{}, at(4'612'375'000ns))),
                ElementsAre("send advert priority 100", "arm adver at 5.609375s"));
    EXPECT_THAT(lines(router.handle(AdverTimerFired{}, at(5'609'375'000ns))),
                ElementsAre("send advert priority 100", "arm adver at 6.609375s"));
}

TEST(FsmMaster, master_skips_missed_slots_after_a_stall) {
    Router router = started_master();
    // Woken 2.5 intervals late: one advert now, then back on the grid, no burst.
    EXPECT_THAT(lines(router.handle(AdverTimerFired{}, at(7'109'375'000ns))),
                ElementsAre("send advert priority 100", "arm adver at 7.609375s"));
}

TEST(FsmMaster, early_or_stale_adver_fire_is_ignored) {
    Router router = started_master();
    EXPECT_THAT(router.handle(AdverTimerFired{}, at(4s)), IsEmpty());
    EXPECT_EQ(router.deadline(TimerId::adver), at(4'609'375'000ns));
}

TEST(FsmMaster, master_answers_priority_zero_with_advert_and_rearm) {
    Router router = started_master();
    EXPECT_THAT(lines(router.handle(advert(0), at(4s))),
                ElementsAre("send advert priority 100", "arm adver at 5s"));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmMaster, master_steps_down_to_higher_priority_without_priority_zero) {
    Router router = started_master();
    EXPECT_THAT(lines(router.handle(advert(200, "10.0.0.1"), at(4s))),
                ElementsAre("state MASTER -> BACKUP (preempted by higher priority 200 from "
                            "10.0.0.1)",
                            "cancel adver", "remove VIPs", "arm master_down at 7.609375s"));
    EXPECT_EQ(router.state(), State::backup);
    EXPECT_EQ(router.master_address(), make_address("10.0.0.1"));
    EXPECT_FALSE(router.deadline(TimerId::adver));
}

TEST(FsmMaster, tie_break_on_source_address_only_between_masters) {
    // Master at 10.0.0.5, equal priority from a lower address: we stay and assert ourselves.
    Router router = started_master();
    EXPECT_THAT(
        lines(router.handle(advert(100, "10.0.0.4"), at(4s))),
        ElementsAre("send advert priority 100", "announce", "rival master 10.0.0.4 priority 100"));
    EXPECT_EQ(router.state(), State::master);
    // Equal priority from a higher address: we yield.
    EXPECT_THAT(lines(router.handle(advert(100, "10.0.0.9"), at(4'100'000'000ns))),
                ElementsAre("state MASTER -> BACKUP (preempted by equal priority 100 from "
                            "higher address 10.0.0.9)",
                            "cancel adver", "remove VIPs", "arm master_down at 7.709375s"));
    // As a backup the address no longer matters: a lower-address equal master is followed.
    EXPECT_THAT(lines(router.handle(advert(100, "10.0.0.4"), at(5s))),
                ElementsAre("arm master_down at 8.609375s"));
    EXPECT_EQ(router.state(), State::backup);
}

TEST(FsmMaster, tie_break_compares_ipv6_addresses) {
    RouterConfig config = make_config(100, ProtocolVersion::v3, 1s);
    config.primary_address = make_address("fe80::5");
    Router router = started_master(config);
    router.handle(advert(100, "fe80::4"), at(4s));
    EXPECT_EQ(router.state(), State::master);
    router.handle(advert(100, "fe80::1:0"), at(4'100'000'000ns));
    EXPECT_EQ(router.state(), State::backup);
}

TEST(FsmMaster, v3_master_learns_interval_when_displaced) {
    Router router = started_master(make_config(100, ProtocolVersion::v3, 1s));
    // 3 * 200 ms + 156/256 * 200 ms = 721.875 ms after 4 s.
    EXPECT_THAT(lines(router.handle(advert(200, "10.0.0.9", 200ms), at(4s))),
                ElementsAre("state MASTER -> BACKUP (preempted by higher priority 200 from "
                            "10.0.0.9)",
                            "cancel adver", "remove VIPs", "arm master_down at 4.721875s"));
    EXPECT_EQ(router.variables().master_adver_interval, 200ms);
}

TEST(FsmMaster, master_answers_lower_priority_with_advert_and_announce) {
    Router router = started_master();
    EXPECT_THAT(
        lines(router.handle(advert(50, "10.0.0.9"), at(4s))),
        ElementsAre("send advert priority 100", "announce", "rival master 10.0.0.9 priority 50"));
    EXPECT_EQ(router.state(), State::master);
    // The periodic schedule is not disturbed.
    EXPECT_EQ(router.deadline(TimerId::adver), at(4'609'375'000ns));
}

TEST(FsmMaster, master_ignores_its_own_looped_advert) {
    Router router = started_master();
    EXPECT_THAT(router.handle(advert(100, "10.0.0.5"), at(4s)), IsEmpty());
}

TEST(FsmMaster, priority_change_applies_to_next_advert) {
    Router router = started_master();
    EXPECT_THAT(router.handle(PriorityChanged{40}, at(4s)), IsEmpty());
    EXPECT_THAT(lines(router.handle(AdverTimerFired{}, at(4'609'375'000ns))),
                ElementsAre("send advert priority 40", "arm adver at 5.609375s"));
    // A master at 40 now yields to a 50.
    router.handle(advert(50, "10.0.0.1"), at(5s));
    EXPECT_EQ(router.state(), State::backup);
}

TEST(FsmMaster, owner_priority_never_changes) {
    Router router(make_config(255));
    router.handle(Startup{}, at(0s));
    router.handle(PriorityChanged{100}, at(0s));
    EXPECT_EQ(router.variables().priority, 255);
    EXPECT_THAT(lines(router.handle(AdverTimerFired{}, at(1s))),
                ElementsAre("send advert priority 255", "arm adver at 2s"));
}

TEST(FsmPriority, priority_zero_change_is_ignored) {
    Router router = started_backup();
    router.handle(PriorityChanged{0}, at(0s));
    EXPECT_EQ(router.variables().priority, 100);
}

// ---- FAULT --------------------------------------------------------------------------------

TEST(FsmFault, master_fault_sends_priority_zero_and_removes_vips) {
    Router router = started_master();
    EXPECT_THAT(lines(router.handle(FaultRaised{"chk_mysql failed"}, at(4s))),
                ElementsAre("state MASTER -> FAULT (fault: chk_mysql failed)", "cancel adver",
                            "send advert priority 0", "remove VIPs"));
    EXPECT_EQ(router.state(), State::fault);
    EXPECT_TRUE(router.fault_active());
}

TEST(FsmFault, backup_fault_cancels_down_timer) {
    Router router = started_backup();
    EXPECT_THAT(lines(router.handle(FaultRaised{"eth0 down"}, at(1s))),
                ElementsAre("state BACKUP -> FAULT (fault: eth0 down)", "cancel master_down"));
    EXPECT_FALSE(router.deadline(TimerId::master_down));
    // A second fault while in FAULT changes nothing visible.
    EXPECT_THAT(router.handle(FaultRaised{"chk_mysql failed"}, at(2s)), IsEmpty());
}

TEST(FsmFault, fault_cleared_returns_to_backup_with_down_timer) {
    Router router = started_master(make_config(100, ProtocolVersion::v3, 1s));
    router.handle(advert(200, "10.0.0.9", 100ms), at(4s));  // learnt 100 ms
    router.handle(FaultRaised{"eth0 down"}, at(5s));
    EXPECT_THAT(
        lines(router.handle(FaultCleared{}, at(10s))),
        ElementsAre("state FAULT -> BACKUP (fault cleared)", "arm master_down at 13.609375s"));
    EXPECT_FALSE(router.fault_active());
    // Restarting listening: Master_Adver_Interval back to our own (RFC 5798 §6.4.1).
    EXPECT_EQ(router.variables().master_adver_interval, 1s);
}

TEST(FsmFault, address_owner_retakes_at_once_when_fault_clears) {
    Router router(make_config(255));
    router.handle(Startup{}, at(0s));
    router.handle(FaultRaised{"eth0 down"}, at(1s));
    EXPECT_THAT(lines(router.handle(FaultCleared{}, at(2s))),
                ElementsAre("state FAULT -> MASTER (fault cleared: address owner (priority 255))",
                            "add VIPs", "announce", "send advert priority 255", "arm adver at 3s"));
}

TEST(FsmFault, fault_cleared_in_init_lets_startup_go_to_backup) {
    Router router(make_config(100));
    router.handle(FaultRaised{"x"}, at(0s));
    router.handle(FaultCleared{}, at(0s));
    router.handle(Startup{}, at(0s));
    EXPECT_EQ(router.state(), State::backup);
}

TEST(FsmFault, adverts_are_ignored_in_init_and_fault) {
    Router init_router(make_config(100));
    EXPECT_THAT(init_router.handle(advert(0), at(0s)), IsEmpty());
    EXPECT_THAT(init_router.handle(advert(200), at(0s)), IsEmpty());
    EXPECT_EQ(init_router.state(), State::init);

    Router fault_router = started_backup();
    fault_router.handle(FaultRaised{"eth0 down"}, at(1s));
    EXPECT_THAT(fault_router.handle(advert(0), at(2s)), IsEmpty());
    EXPECT_THAT(fault_router.handle(advert(50), at(2s)), IsEmpty());
    EXPECT_THAT(fault_router.handle(advert(200), at(2s)), IsEmpty());
    EXPECT_EQ(fault_router.state(), State::fault);
}

TEST(FsmFault, timer_events_outside_their_state_are_ignored) {
    Router backup = started_backup();
    EXPECT_THAT(backup.handle(AdverTimerFired{}, at(100s)), IsEmpty());
    Router master = started_master();
    EXPECT_THAT(master.handle(MasterDownTimerFired{}, at(100s)), IsEmpty());
    Router fault = started_backup();
    fault.handle(FaultRaised{"x"}, at(1s));
    EXPECT_THAT(fault.handle(MasterDownTimerFired{}, at(100s)), IsEmpty());
    EXPECT_EQ(fault.state(), State::fault);
}

// ---- VIPs lost, shutdown -----------------------------------------------------------------

TEST(FsmVips, master_losing_vips_steps_down_and_retakes_after_skew) {
    Router router = started_master();
    EXPECT_THAT(
        lines(router.handle(VipsLostExternally{}, at(5s))),
        ElementsAre("state MASTER -> BACKUP (VIPs removed externally)", "cancel adver",
                    "send advert priority 0", "remove VIPs", "arm master_down at 5.609375s"));
    EXPECT_THAT(lines(router.handle(MasterDownTimerFired{}, at(5'609'375'000ns))),
                ElementsAre("state BACKUP -> MASTER (retaking VIPs after skew time)", "add VIPs",
                            "announce", "send advert priority 100", "arm adver at 6.609375s"));
}

TEST(FsmVips, higher_master_wins_while_vips_are_being_retaken) {
    Router router = started_master();
    router.handle(VipsLostExternally{}, at(5s));
    // A higher peer took over meanwhile: it is followed and the retake is called off.
    EXPECT_THAT(lines(router.handle(advert(150), at(5'300'000'000ns))),
                ElementsAre("arm master_down at 8.909375s"));
    EXPECT_THAT(router.handle(MasterDownTimerFired{}, at(5'609'375'000ns)), IsEmpty());
    EXPECT_EQ(router.state(), State::backup);
}

TEST(FsmVips, vips_lost_outside_master_is_ignored) {
    Router router = started_backup();
    EXPECT_THAT(router.handle(VipsLostExternally{}, at(1s)), IsEmpty());
}

TEST(FsmShutdown, master_shutdown_sends_priority_zero_and_removes_vips) {
    Router router = started_master();
    EXPECT_THAT(lines(router.handle(Shutdown{}, at(4s))),
                ElementsAre("state MASTER -> INIT (shutdown)", "cancel adver",
                            "send advert priority 0", "remove VIPs"));
    EXPECT_EQ(router.state(), State::init);
    EXPECT_FALSE(router.deadline(TimerId::adver));
}

TEST(FsmShutdown, backup_shutdown_cancels_timer_silently) {
    Router router = started_backup();
    EXPECT_THAT(lines(router.handle(Shutdown{}, at(1s))),
                ElementsAre("state BACKUP -> INIT (shutdown)", "cancel master_down"));
    EXPECT_THAT(router.handle(Shutdown{}, at(2s)), IsEmpty());
}

TEST(FsmShutdown, fault_shutdown_goes_to_init_and_restart_returns_to_fault) {
    Router router = started_backup();
    router.handle(FaultRaised{"eth0 down"}, at(1s));
    EXPECT_THAT(lines(router.handle(Shutdown{}, at(2s))),
                ElementsAre("state FAULT -> INIT (shutdown)"));
    EXPECT_THAT(lines(router.handle(Startup{}, at(3s))),
                ElementsAre("state INIT -> FAULT (fault: eth0 down)"));
}

TEST(FsmShutdown, restart_after_shutdown_listens_again) {
    Router router = started_master();
    router.handle(Shutdown{}, at(4s));
    EXPECT_THAT(lines(router.handle(Startup{}, at(10s))),
                ElementsAre("state INIT -> BACKUP (startup)", "arm master_down at 13.609375s"));
}

}  // namespace
}  // namespace havip::vrrp
