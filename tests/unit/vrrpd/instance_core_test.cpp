// vrrpd/core/instance_core: what one instance decides from its tracked items, its sync group, its
// interface and its holds, without the daemon: the Router's actions, the group's signals and the
// notes, in the order the daemon executes them.
#include "vrrpd/core/instance_core.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/unit/vrrpd/fsm_test_support.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using fsm_test::at;
using fsm_test::make_config;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string describe(const SyncSignal& s) {
    if (s.kind == SyncSignal::Kind::wants_master) return "group: " + s.member + " wants MASTER";
    return "group: " + s.member + " " + std::string{to_string(s.from)} + " -> " +
           std::string{to_string(s.to)};
}

// One instance and everything it says, as lines in the order it said them.
struct Recorded {
    std::vector<std::string> lines;
    std::deque<SyncSignal> signals;  // for route_sync, as the daemon posts them
    std::unique_ptr<InstanceCore> core;
    std::function<void(const Actions&)> also;  // runs with each batch, as the daemon's shell

    Recorded(std::string name, std::uint8_t priority, int weight, std::string group = "") {
        auto config = make_config(priority);
        config.sync_group = !group.empty();
        TrackSettings check;
        check.name = "chk";
        check.weight = weight;
        core = std::make_unique<InstanceCore>(
            std::move(name), config, std::vector{check}, std::move(group),
            InstanceCore::Outputs{
                [this](const Actions& actions) {
                    for (const auto& a : actions)
                        lines.push_back(vrrp::describe(a));
                    if (also) also(actions);
                },
                [this](const SyncSignal& s) {
                    lines.push_back(describe(s));
                    signals.push_back(s);
                },
                [this](const CoreNote& n) { lines.push_back("note: " + n.message); }});
    }
    std::vector<std::string> take() { return std::exchange(lines, {}); }
};

TEST(InstanceCore, a_check_failing_with_weight_zero_faults_and_its_recovery_returns_to_backup) {
    Recorded r{"VI_1", 100, 0};
    r.core->start(at(0s));
    r.take();
    r.core->report("chk", Outcome::failed, "exit 1", at(1s));
    const auto fault = r.take();
    ASSERT_FALSE(fault.empty());
    // The item's change is noted before the state change it causes.
    EXPECT_THAT(fault.front(), ::testing::StartsWith("note: "));
    EXPECT_THAT(fault, Contains("state BACKUP -> FAULT (fault: chk (exit 1))"));
    EXPECT_EQ(r.core->state(), State::fault);
    EXPECT_EQ(r.core->fault_reason(), "chk");

    r.core->report("chk", Outcome::ok, "exit 0", at(2s));
    EXPECT_THAT(r.take(), Contains("state FAULT -> BACKUP (fault cleared)"));
    EXPECT_FALSE(r.core->in_fault());
}

TEST(InstanceCore, a_check_failing_with_a_weight_lowers_the_priority_without_a_fault) {
    Recorded r{"VI_1", 100, -30};
    r.core->start(at(0s));
    r.core->report("chk", Outcome::failed, "exit 1", at(1s));
    EXPECT_EQ(r.core->router().variables().priority, 70);
    EXPECT_EQ(r.core->state(), State::backup);
}

TEST(InstanceCore, a_tracked_item_failed_before_start_means_fault_from_the_first_state) {
    Recorded r{"VI_1", 100, 0};
    r.core->report("chk", Outcome::failed, "exit 1", at(0s));
    r.core->start(at(0s));
    EXPECT_EQ(r.core->state(), State::fault);
    EXPECT_THAT(r.take(), ::testing::Not(Contains("send advert priority 100")));
}

TEST(InstanceCore, the_groups_fault_is_lifted_by_the_group_but_an_own_fault_is_not) {
    Recorded r{"VI_1", 100, 0, "G"};
    r.core->start(at(0s));
    r.core->sync_order({"VI_1", SyncOrder::Kind::fault, "sync group G: VI_2 is in FAULT"}, at(1s));
    EXPECT_EQ(r.core->state(), State::fault);
    EXPECT_FALSE(r.core->own_fault());
    r.core->report("chk", Outcome::failed, "exit 1", at(2s));
    r.core->sync_order({"VI_1", SyncOrder::Kind::clear_fault, ""}, at(3s));
    EXPECT_EQ(r.core->state(), State::fault) << "its own check still fails";
    r.core->report("chk", Outcome::ok, "exit 0", at(4s));
    EXPECT_EQ(r.core->state(), State::backup);
}

TEST(InstanceCore, the_switchover_hold_is_gone_before_the_new_masters_actions_run) {
    Recorded r{"VI_1", 100, 0};
    r.core->start(at(0s));
    EXPECT_TRUE(r.core->switchover_hold("handed over by havip switchover", at(1s)));
    EXPECT_TRUE(r.core->preempt_held());
    // What the daemon saves on a state change (the holds) must not list it any more.
    std::optional<bool> held_when_master;
    r.also = [&](const Actions& actions) {
        for (const auto& a : actions)
            if (const auto* c = std::get_if<StateChanged>(&a); c && c->to == State::master)
                held_when_master = r.core->switchover_hold().has_value();
    };
    r.take();
    r.core->handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    EXPECT_EQ(held_when_master, false);
    EXPECT_THAT(r.take(), Contains("note: switchover hold ended: this node is MASTER again"));
    EXPECT_FALSE(r.core->preempt_held());
}

TEST(InstanceCore, a_reload_that_drops_the_check_ends_its_failback_hold) {
    Recorded r{"VI_1", 100, 0};
    r.core->start(at(0s));
    EXPECT_TRUE(r.core->failback_hold("chk", "2 transactions behind", at(1s)));
    EXPECT_FALSE(r.core->failback_hold("chk", "1 transaction behind", at(1s))) << "still held";
    EXPECT_TRUE(r.core->preempt_held());
    EXPECT_FALSE(r.core->failback_hold("other", "behind", at(1s))) << "not tracked";
    r.core->reconfigure(make_config(100), {}, "", at(2s));
    EXPECT_FALSE(r.core->preempt_held());
}

TEST(InstanceCore, a_lost_interface_is_a_fault_of_its_own_until_rebound) {
    Recorded r{"VI_1", 100, 0, "G"};
    r.core->start(at(0s));
    r.take();
    EXPECT_TRUE(r.core->lose_interface("interface eth0 deleted", at(1s)));
    EXPECT_FALSE(r.core->lose_interface("interface eth0 deleted", at(1s)));
    EXPECT_THAT(r.take(), ElementsAre("state BACKUP -> FAULT (fault: interface eth0 deleted)",
                                      "cancel master_down", "group: VI_1 BACKUP -> FAULT",
                                      "group: VI_1 FAULT -> FAULT"));
    EXPECT_TRUE(r.core->own_fault());
    auto moved = make_config(100);
    moved.primary_address = boost::asio::ip::make_address("10.0.0.6");
    moved.sync_group = true;
    r.core->rebind(moved, {r.core->tracker().items().front().settings}, "G", at(2s));
    EXPECT_EQ(r.core->state(), State::backup);
    EXPECT_EQ(r.core->router().config().primary_address, moved.primary_address);
    EXPECT_FALSE(r.core->own_fault());
}

TEST(InstanceCore, route_sync_takes_the_backup_member_along_and_says_the_groups_state) {
    Recorded one{"VI_1", 100, 0, "G"};
    Recorded two{"VI_2", 100, 0, "G"};
    one.core->start(at(0s));
    two.core->start(at(0s));
    one.signals.clear();
    two.signals.clear();
    one.core->handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    two.core->handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    ASSERT_EQ(two.signals.size(), 1u);
    const std::vector<InstanceCore*> members{one.core.get(), two.core.get()};
    // Both want MASTER: the group goes together.
    EXPECT_EQ(route_sync("G", members, two.signals.front(), at(4s)), State::master);
    EXPECT_EQ(one.core->state(), State::master);
    EXPECT_EQ(two.core->state(), State::master);
}

// The swarm, seed 11107452: the group takes both members to MASTER; a peer with a higher
// priority answers each advert at once, so one member is displaced before the group hears of
// the other's (ordered) change. That change must not take the displaced member back to MASTER:
// the signals, routed in the order they were posted, leave both BACKUP.
TEST(InstanceCore, a_member_displaced_right_after_the_groups_order_is_not_ordered_back) {
    Recorded one{"VI_1", 100, 0, "G"};
    Recorded two{"VI_2", 100, 0, "G"};
    one.core->start(at(0s));
    two.core->start(at(0s));
    one.core->handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    two.core->handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    one.signals.clear();
    two.signals.clear();
    const std::vector<InstanceCore*> members{one.core.get(), two.core.get()};
    ASSERT_EQ(route_sync("G", members, {"VI_2", SyncSignal::Kind::wants_master}, at(4s)),
              State::master);
    ASSERT_EQ(one.signals.size(), 1u);
    EXPECT_TRUE(one.signals.front().by_group) << "the group ordered it";
    // The peer's answer reaches VI_2 before the group hears of VI_1's change.
    two.signals.clear();
    two.core->handle(fsm_test::advert(200), at(4s));
    ASSERT_EQ(two.core->state(), State::backup);
    ASSERT_EQ(two.signals.size(), 1u);
    EXPECT_FALSE(two.signals.front().by_group);
    route_sync("G", members, one.signals.front(), at(4s));
    EXPECT_EQ(two.core->state(), State::backup) << "not ordered back to MASTER";
    route_sync("G", members, two.signals.front(), at(4s));
    EXPECT_EQ(one.core->state(), State::backup) << "VI_2's own change takes the group along";
}

}  // namespace
}  // namespace havip::vrrp
