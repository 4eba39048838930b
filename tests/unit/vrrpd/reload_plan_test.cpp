#include "vrrpd/core/reload_plan.hpp"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using Keep = ReloadPlan::Keep;

RouterKey key(std::uint8_t vrid) {
    return {
        .vrid = vrid, .ipv6 = false, .ifindex = 2, .unicast = false, .addressing = "224.0.0.18"};
}

TEST(ReloadPlan, unchanged_configuration_keeps_every_instance_in_place) {
    const std::vector running{key(51), key(52)};
    const auto plan = plan_reload(running, running);
    EXPECT_EQ(plan.keep, (std::vector<Keep>{{0, 0}, {1, 1}}));
    EXPECT_TRUE(plan.stop.empty());
    EXPECT_TRUE(plan.start.empty());
}

TEST(ReloadPlan, removing_the_first_of_two_keeps_the_second_and_stops_the_first) {
    const std::vector running{key(51), key(52)};
    const std::vector wanted{key(52)};
    const auto plan = plan_reload(running, wanted);
    EXPECT_EQ(plan.keep, (std::vector<Keep>{{1, 0}}));
    EXPECT_EQ(plan.stop, (std::vector<std::size_t>{0}));
    EXPECT_TRUE(plan.start.empty());
}

TEST(ReloadPlan, reordered_instances_are_matched_by_router_not_by_position) {
    const std::vector running{key(51), key(52), key(53)};
    const std::vector wanted{key(53), key(51), key(54)};
    const auto plan = plan_reload(running, wanted);
    EXPECT_EQ(plan.keep, (std::vector<Keep>{{2, 0}, {0, 1}}));
    EXPECT_EQ(plan.stop, (std::vector<std::size_t>{1}));
    EXPECT_EQ(plan.start, (std::vector<std::size_t>{2}));
}

TEST(ReloadPlan, another_family_interface_or_unicast_mode_is_another_router) {
    const std::vector running{key(51)};
    auto v6 = key(51);
    v6.ipv6 = true;
    auto other_if = key(51);
    other_if.ifindex = 3;
    auto unicast = key(51);
    unicast.unicast = true;
    for (const auto& k : {v6, other_if, unicast}) {
        const std::vector wanted{k};
        const auto plan = plan_reload(running, wanted);
        EXPECT_TRUE(plan.keep.empty());
        EXPECT_EQ(plan.stop, (std::vector<std::size_t>{0}));
        EXPECT_EQ(plan.start, (std::vector<std::size_t>{0}));
    }
}

TEST(ReloadPlan, a_running_instance_is_kept_for_one_configured_instance_only) {
    const std::vector running{key(51)};
    const std::vector wanted{key(51), key(51)};
    const auto plan = plan_reload(running, wanted);
    EXPECT_EQ(plan.keep, (std::vector<Keep>{{0, 0}}));
    EXPECT_EQ(plan.start, (std::vector<std::size_t>{1}));
}

// keepalived's vrrp_exist: another multicast group (vrrp_mcast_group4/6) is another router,
// as is another unicast source; the same one with other unicast peers is kept in place.
TEST(ReloadPlan, another_multicast_group_restarts_the_instance) {
    const std::vector running{key(51)};
    auto moved = key(51);
    moved.addressing = "224.0.0.119";
    const std::vector wanted{moved};
    const auto plan = plan_reload(running, wanted);
    EXPECT_TRUE(plan.keep.empty());
    EXPECT_EQ(plan.stop, (std::vector<std::size_t>{0}));
    EXPECT_EQ(plan.start, (std::vector<std::size_t>{0}));
}

TEST(ReloadPlan, another_unicast_source_restarts_the_instance) {
    auto unicast = [](std::string source) {
        auto k = key(51);
        k.unicast = true;
        k.addressing = std::move(source);
        return k;
    };
    const std::vector running{unicast("10.0.0.1")};
    const std::vector wanted{unicast("10.0.0.9")};
    const auto plan = plan_reload(running, wanted);
    EXPECT_TRUE(plan.keep.empty());
    EXPECT_EQ(plan.stop, (std::vector<std::size_t>{0}));
    EXPECT_EQ(plan.start, (std::vector<std::size_t>{0}));
}

// Issue 16: keepalived's vrrp_exist ignores sync groups, so a reload grouping running
// instances, renaming their group or adding one to a group keeps them; the groups they joined
// are named so the daemon can settle them.
TEST(ReloadPlan, the_groups_kept_instances_joined_are_named_once) {
    const std::vector running{key(51), key(52), key(53), key(54)};
    const auto plan = plan_reload(running, running);
    ASSERT_EQ(plan.keep.size(), 4u);
    const std::vector<std::string> before{"", "G", "G", "H"};
    const std::vector<std::string> after{"G2", "G2", "G", ""};
    EXPECT_EQ(joined_sync_groups(plan, before, after), (std::vector<std::string>{"G2"}));
    EXPECT_TRUE(joined_sync_groups(plan, before, before).empty());
    const std::vector<std::string> added{"H", "G", "G", "H"};
    EXPECT_EQ(joined_sync_groups(plan, before, added), (std::vector<std::string>{"H"}));
}

TEST(ReloadPlan, started_instances_join_no_group_by_the_plan) {
    const std::vector running{key(51)};
    const std::vector wanted{key(52)};
    const auto plan = plan_reload(running, wanted);
    const std::vector<std::string> before{"G"}, after{"G2"};
    EXPECT_TRUE(joined_sync_groups(plan, before, after).empty());
}

using Vips = std::set<std::string>;

TEST(ReloadPlan, a_vip_moved_to_another_kept_master_is_left_for_it) {
    const std::vector<KeptVips> kept{{true, {"10.0.0.101/24"}},
                                     {true, {"10.0.0.102/24", "10.0.0.103/24"}}};
    const auto taken = vips_taken_over(kept);
    EXPECT_EQ(taken[0], (Vips{"10.0.0.102/24", "10.0.0.103/24"}));
    EXPECT_EQ(taken[1], (Vips{"10.0.0.101/24"}));
}

TEST(ReloadPlan, a_kept_backup_takes_no_vip_over) {
    const std::vector<KeptVips> kept{{true, {"10.0.0.101/24"}}, {false, {"10.0.0.103/24"}}};
    const auto taken = vips_taken_over(kept);
    EXPECT_EQ(taken[0], Vips{}) << "the backup does not hold 10.0.0.103: the master removes it";
    EXPECT_EQ(taken[1], (Vips{"10.0.0.101/24"}));
}

using Kind = ReloadStep::Kind;

// Where the first step of `kind` is in `program`, or its size.
std::size_t first(const std::vector<ReloadStep>& program, Kind kind) {
    std::size_t i = 0;
    while (i < program.size() && program[i].kind != kind)
        ++i;
    return i;
}
std::size_t last(const std::vector<ReloadStep>& program, Kind kind) {
    std::size_t found = program.size();
    for (std::size_t i = 0; i < program.size(); ++i)
        if (program[i].kind == kind) found = i;
    return found;
}

TEST(ReloadProgram, runs_every_step_of_the_plan_once) {
    // Running 51 52 53; wanted 52, 54, 53, 55: 51 stops, 52 and 53 stay, 54 and 55 start.
    const std::vector running{key(51), key(52), key(53)};
    const std::vector wanted{key(52), key(54), key(53), key(55)};
    const auto plan = plan_reload(running, wanted);
    const std::vector<std::string> joined{"G", "H"};
    const auto program = reload_program(plan, joined);
    const std::vector<ReloadStep> expected{
        {Kind::list_kept},       {Kind::stop, 0},        {Kind::release_dropped},
        {Kind::reconfigure, 0},  {Kind::reconfigure, 1}, {Kind::create, 0},
        {Kind::create, 1},       {Kind::replace_checks}, {Kind::report_links, 0},
        {Kind::report_links, 1}, {Kind::sockets},        {Kind::start, 0},
        {Kind::start, 1},        {Kind::forget_groups},  {Kind::regroup, 0, "G"},
        {Kind::regroup, 0, "H"}};
    EXPECT_EQ(program, expected);
}

// The reasons for the order, each stated once: a VIP moved from a stopped instance to a kept
// one is released before it is added; every kept master lets go before any takes; the checks
// see the new instances; a new instance starts on a socket in its group; a group judges its
// members after every member runs.
TEST(ReloadProgram, orders_releases_before_takes_and_starts_after_checks_and_sockets) {
    const std::vector running{key(51), key(52), key(53)};
    const std::vector wanted{key(53), key(56), key(52)};
    const auto plan = plan_reload(running, wanted);
    const std::vector<std::string> joined{"G"};
    const auto p = reload_program(plan, joined);
    EXPECT_EQ(first(p, Kind::list_kept), 0u) << "nothing reads a stopped instance as listed";
    EXPECT_LT(last(p, Kind::stop), first(p, Kind::release_dropped));
    EXPECT_LT(first(p, Kind::release_dropped), first(p, Kind::reconfigure));
    EXPECT_LT(last(p, Kind::create), first(p, Kind::replace_checks));
    EXPECT_LT(first(p, Kind::replace_checks), first(p, Kind::start));
    EXPECT_LT(first(p, Kind::sockets), first(p, Kind::start));
    EXPECT_LT(last(p, Kind::start), first(p, Kind::regroup));
    EXPECT_LT(first(p, Kind::forget_groups), first(p, Kind::regroup));
}

TEST(ReloadProgram, an_unchanged_configuration_starts_and_stops_nothing) {
    const std::vector running{key(51), key(52)};
    const auto p = reload_program(plan_reload(running, running), {});
    for (auto kind : {Kind::stop, Kind::create, Kind::start, Kind::regroup})
        EXPECT_EQ(first(p, kind), p.size());
    EXPECT_EQ(last(p, Kind::reconfigure), first(p, Kind::reconfigure) + 1);
}

}  // namespace
}  // namespace havip::vrrp
