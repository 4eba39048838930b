// vrrp_sync_group: the FSM side (a member's expired down timer is a wish, not a takeover) and
// the group's plan after each member's change (vrrpd/core/sync_group.hpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/vrrpd/fsm_test_support.hpp"
#include "vrrpd/core/fsm.hpp"
#include "vrrpd/core/sync_group.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using fsm_test::advert;
using fsm_test::at;
using fsm_test::lines;
using fsm_test::make_config;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Priority 100, v2 1 s adverts: Master_Down_Interval 3.609375 s, Skew_Time 0.609375 s.
Router member() {
    auto config = make_config(100);
    config.sync_group = true;
    Router router(config);
    router.handle(Startup{}, at(0s));
    return router;
}

TEST(SyncGroupFsm, expired_down_timer_asks_the_group_instead_of_taking_over) {
    Router router = member();
    EXPECT_THAT(lines(router.handle(MasterDownTimerFired{}, at(3'609'375'000ns))),
                ElementsAre("sync group: wants MASTER"));
    EXPECT_EQ(router.state(), State::backup);
    EXPECT_TRUE(router.wants_master());
    EXPECT_FALSE(router.deadline(TimerId::master_down));

    EXPECT_THAT(lines(router.handle(SyncMaster{"sync group G: no member hears a master"}, at(4s))),
                ElementsAre("state BACKUP -> MASTER (sync group G: no member hears a master)",
                            "add VIPs", "announce", "send advert priority 100", "arm adver at 5s"));
    EXPECT_FALSE(router.wants_master());
}

TEST(SyncGroupFsm, an_advert_heard_after_the_wish_withdraws_it) {
    Router router = member();
    router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    ASSERT_TRUE(router.wants_master());
    EXPECT_THAT(lines(router.handle(advert(150), at(4s))),
                ElementsAre("arm master_down at 7.609375s"));
    EXPECT_FALSE(router.wants_master());
}

TEST(SyncGroupFsm, a_lower_advert_does_not_withdraw_the_wish_to_preempt) {
    Router router = member();
    router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    EXPECT_THAT(router.handle(advert(50), at(4s)), IsEmpty());
    EXPECT_TRUE(router.wants_master());
}

TEST(SyncGroupFsm, sync_backup_sends_priority_zero_and_leaves_master) {
    Router router = member();
    router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    router.handle(SyncMaster{"x"}, at(4s));
    EXPECT_THAT(lines(router.handle(SyncBackup{"sync group G: VI_2 became BACKUP"}, at(5s))),
                ElementsAre("send advert priority 0",
                            "state MASTER -> BACKUP (sync group G: VI_2 became BACKUP)",
                            "cancel adver", "remove VIPs", "arm master_down at 8.609375s"));
    // Orders that do not apply to the current state are ignored.
    EXPECT_THAT(router.handle(SyncBackup{"again"}, at(6s)), IsEmpty());
}

bool retakes(const Actions& actions) {
    for (const auto& a : actions)
        if (const auto* c = std::get_if<StateChanged>(&a)) return c->retake;
    return false;
}

// Issue 16: a member whose VIP someone else removed retakes it after its Skew_Time, and the
// group's other MASTER members do the same (keepalived 2.2.7's set_vrrp_backup), so they all
// want MASTER again after their skew, before a lower peer's skew runs out.
TEST(SyncGroupFsm, sync_retake_steps_a_master_down_until_its_skew_time) {
    Router router = member();
    router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    router.handle(SyncMaster{"x"}, at(4s));
    const auto actions = router.handle(SyncRetake{"sync group G: DB is retaking its VIPs"}, at(5s));
    EXPECT_THAT(lines(actions),
                ElementsAre("state MASTER -> BACKUP (sync group G: DB is retaking its VIPs)",
                            "cancel adver", "send advert priority 0", "remove VIPs",
                            "arm master_down at 5.609375s"));
    EXPECT_TRUE(retakes(actions));
    EXPECT_THAT(lines(router.handle(MasterDownTimerFired{}, at(5'609'375'000ns))),
                ElementsAre("sync group: wants MASTER"));
    // Not a MASTER: nothing to retake.
    Router backup = member();
    EXPECT_THAT(backup.handle(SyncRetake{"x"}, at(1s)), IsEmpty());
}

TEST(SyncGroupFsm, losing_a_vip_is_a_retake_and_a_better_peer_is_not) {
    Router router = member();
    router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    router.handle(SyncMaster{"x"}, at(4s));
    EXPECT_TRUE(retakes(router.handle(VipsLostExternally{}, at(5s))));
    EXPECT_EQ(router.state(), State::backup);
    router.handle(MasterDownTimerFired{}, at(5'609'375'000ns));
    router.handle(SyncMaster{"x"}, at(6s));
    const auto displaced = router.handle(advert(200), at(7s));
    ASSERT_EQ(router.state(), State::backup);
    EXPECT_FALSE(retakes(displaced));
}

// Issue 16: a reload taking a member out of its group while it waited for the group: alone,
// it does what its expired timer said.
TEST(SyncGroupFsm, leaving_the_group_while_wanting_master_takes_over) {
    Router router = member();
    router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    ASSERT_TRUE(router.wants_master());
    auto alone = make_config(100);
    EXPECT_THAT(lines(router.handle(Reconfigure{alone, 100}, at(4s))),
                ::testing::Contains("state BACKUP -> MASTER (master down timer expired)"));
    EXPECT_EQ(router.state(), State::master);
    // Joining a group, or staying in one, changes nothing by itself.
    Router waiting = member();
    waiting.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    auto grouped = make_config(100);
    grouped.sync_group = true;
    EXPECT_THAT(waiting.handle(Reconfigure{grouped, 100}, at(4s)), IsEmpty());
    EXPECT_TRUE(waiting.wants_master());
}

TEST(SyncGroupFsm, outside_a_group_the_down_timer_takes_over_alone) {
    Router router(make_config(100));
    router.handle(Startup{}, at(0s));
    EXPECT_THAT(lines(router.handle(MasterDownTimerFired{}, at(3'609'375'000ns))),
                ::testing::Contains("state BACKUP -> MASTER (master down timer expired)"));
    EXPECT_FALSE(router.wants_master());
}

SyncMemberView view(const char* name, State state, bool wants = false, bool own_fault = false) {
    return {name, state, wants, own_fault};
}

SyncSignal changed(const char* member, State from, State to) {
    return {member, SyncSignal::Kind::changed, from, to};
}

SyncSignal wants(const char* member) {
    return {member, SyncSignal::Kind::wants_master, State::backup, State::backup};
}

using Kind = SyncOrder::Kind;

TEST(SyncGroupPlan, master_only_when_every_member_wants_it) {
    EXPECT_THAT(plan_sync("G", {view("DB", State::backup, true), view("GW", State::backup, false)},
                          wants("DB")),
                IsEmpty());
    EXPECT_THAT(
        plan_sync("G", {view("DB", State::backup, true), view("GW", State::backup, true)},
                  wants("GW")),
        ElementsAre(SyncOrder{"DB", Kind::master, "sync group G: no member hears a master"},
                    SyncOrder{"GW", Kind::master, "sync group G: no member hears a master"}));
}

TEST(SyncGroupPlan, a_member_becoming_master_takes_the_backups_with_it) {
    EXPECT_THAT(
        plan_sync("G",
                  {view("DB", State::master), view("GW", State::backup), view("X", State::fault)},
                  changed("DB", State::backup, State::master)),
        ElementsAre(SyncOrder{"X", Kind::clear_fault, ""},
                    SyncOrder{"GW", Kind::master, "sync group G: DB became MASTER"}));
}

TEST(SyncGroupPlan, a_master_displaced_by_a_better_peer_takes_the_masters_with_it) {
    EXPECT_THAT(plan_sync("G", {view("DB", State::backup), view("GW", State::master)},
                          changed("DB", State::master, State::backup)),
                ElementsAre(SyncOrder{"GW", Kind::backup, "sync group G: DB became BACKUP"}));
    // A backup that was only restarting its timer changes nothing.
    EXPECT_THAT(plan_sync("G", {view("DB", State::backup), view("GW", State::master)},
                          changed("DB", State::fault, State::backup)),
                IsEmpty());
}

// The group hears of a change after the member's own handling (the daemon posts it). A change
// the member has undone since (MASTER, then displaced by a better peer's advert before the group
// heard of it) orders nothing: the later change is on its way, and acting on both had the
// members pass MASTER back and forth for ever (found by the swarm, seed 203750349).
TEST(SyncGroupPlan, a_change_its_member_has_undone_since_orders_nothing) {
    EXPECT_THAT(plan_sync("G", {view("DB", State::backup), view("GW", State::backup)},
                          changed("DB", State::backup, State::master)),
                IsEmpty());
    EXPECT_THAT(plan_sync("G", {view("DB", State::master), view("GW", State::master)},
                          changed("DB", State::master, State::backup)),
                IsEmpty());
}

// A change the group ordered was planned with every member as it was then: it orders nothing
// more. Here the group took DB and GW to MASTER together; GW heard a better peer at once (it
// answers a lower-priority master's advert immediately) and is BACKUP on its own. Acting on
// DB's ordered change would take GW back to MASTER, whose advert the peer answers again: the
// members passed MASTER back and forth without end in one instant (the swarm, seed 11107452).
TEST(SyncGroupPlan, a_change_the_group_ordered_orders_nothing_more) {
    auto ordered = changed("DB", State::backup, State::master);
    ordered.by_group = true;
    EXPECT_THAT(plan_sync("G", {view("DB", State::master), view("GW", State::backup)}, ordered),
                IsEmpty());
    // GW's own change is news: the group follows it.
    EXPECT_THAT(plan_sync("G", {view("DB", State::master), view("GW", State::backup)},
                          changed("GW", State::master, State::backup)),
                ElementsAre(SyncOrder{"DB", Kind::backup, "sync group G: GW became BACKUP"}));
}

TEST(SyncGroupPlan, a_master_retaking_its_vips_has_the_masters_retake_with_it) {
    auto retaking = changed("DB", State::master, State::backup);
    retaking.retake = true;
    EXPECT_THAT(
        plan_sync("G",
                  {view("DB", State::backup), view("GW", State::master), view("X", State::backup)},
                  retaking),
        ElementsAre(SyncOrder{"GW", Kind::retake, "sync group G: DB is retaking its VIPs"}));
    // Every member then wants MASTER after its own skew: the group takes over together.
    EXPECT_THAT(
        plan_sync("G", {view("DB", State::backup, true), view("GW", State::backup, true)},
                  wants("GW")),
        ElementsAre(SyncOrder{"DB", Kind::master, "sync group G: no member hears a master"},
                    SyncOrder{"GW", Kind::master, "sync group G: no member hears a master"}));
}

TEST(SyncGroupPlan, own_fault_of_one_member_faults_the_others_until_it_clears) {
    EXPECT_THAT(plan_sync("G", {view("DB", State::fault, false, true), view("GW", State::master)},
                          changed("DB", State::master, State::fault)),
                ElementsAre(SyncOrder{"GW", Kind::fault, "sync group G: DB is in FAULT"}));
    EXPECT_THAT(plan_sync("G", {view("DB", State::backup), view("GW", State::fault)},
                          changed("DB", State::fault, State::backup)),
                ElementsAre(SyncOrder{"GW", Kind::clear_fault, ""}));
}

TEST(SyncGroupPlan, a_member_wanting_master_joins_a_group_already_master) {
    EXPECT_THAT(
        plan_sync("G", {view("DB", State::master), view("GW", State::backup, true)}, wants("GW")),
        ElementsAre(SyncOrder{"GW", Kind::master, "sync group G: DB is MASTER"}));
}

TEST(SyncGroupPlan, group_state_is_the_members_common_state_or_fault) {
    EXPECT_EQ(group_state({view("A", State::master), view("B", State::master)}), State::master);
    EXPECT_EQ(group_state({view("A", State::backup), view("B", State::backup)}), State::backup);
    EXPECT_EQ(group_state({view("A", State::master), view("B", State::fault)}), State::fault);
    EXPECT_EQ(group_state({view("A", State::master), view("B", State::backup)}), std::nullopt);
    EXPECT_EQ(group_state({view("A", State::init), view("B", State::init)}), std::nullopt);
}

}  // namespace
}  // namespace havip::vrrp
