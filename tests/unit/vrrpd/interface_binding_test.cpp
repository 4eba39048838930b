#include "vrrpd/core/interface_binding.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using Indexes = std::vector<std::size_t>;

InstanceInterfaces on(std::string name, int ifindex, std::vector<BoundInterface> others = {}) {
    return {{std::move(name), ifindex}, false, std::move(others)};
}

TEST(InterfaceBinding, interfaces_unchanged_plan_nothing) {
    const std::vector instances{on("eth0", 2, {{"eth1", 3}}), on("eth1", 3)};
    const auto plan = plan_interfaces(instances, {{"eth0", 2}, {"eth1", 3}});
    EXPECT_TRUE(plan.empty());
}

TEST(InterfaceBinding, deleted_interface_loses_only_the_instances_on_it) {
    const std::vector instances{on("eth0", 2), on("eth1", 3), on("eth0", 2)};
    const auto plan = plan_interfaces(instances, {{"eth1", 3}});
    EXPECT_EQ(plan.lose, (Indexes{0, 2}));
    EXPECT_TRUE(plan.rebind.empty()) << "nothing to bind to until eth0 is back";
}

TEST(InterfaceBinding, lost_instance_is_not_lost_twice_while_its_interface_stays_away) {
    auto lost = on("eth0", 2);
    lost.lost = true;
    const std::vector instances{lost};
    EXPECT_TRUE(plan_interfaces(instances, {}).empty());
}

TEST(InterfaceBinding, recreated_interface_rebinds_the_lost_instance) {
    auto lost = on("eth0", 2);
    lost.lost = true;
    const std::vector instances{lost};
    const auto plan = plan_interfaces(instances, {{"eth0", 7}});
    EXPECT_TRUE(plan.lose.empty());
    EXPECT_EQ(plan.rebind, (Indexes{0}));
}

TEST(InterfaceBinding, lost_instance_whose_rebind_failed_is_tried_again_at_the_next_event) {
    // The new eth0 had no address yet: the instance is still bound to the dead index 2.
    auto lost = on("eth0", 2);
    lost.lost = true;
    const std::vector instances{lost};
    EXPECT_EQ(plan_interfaces(instances, {{"eth0", 7}}).rebind, (Indexes{0}));
}

TEST(InterfaceBinding, replaced_before_the_deletion_was_seen_loses_then_rebinds) {
    // Deleted and re-created between two reads of the monitor: the same name, a new index.
    const std::vector instances{on("br0", 4)};
    const auto plan = plan_interfaces(instances, {{"br0", 9}});
    EXPECT_EQ(plan.lose, (Indexes{0}));
    EXPECT_EQ(plan.rebind, (Indexes{0}));
}

TEST(InterfaceBinding, recreated_tracked_interface_rebinds_without_losing_the_own) {
    const std::vector instances{on("eth0", 2, {{"eth1", 3}}), on("eth2", 5)};
    const auto plan = plan_interfaces(instances, {{"eth0", 2}, {"eth1", 8}, {"eth2", 5}});
    EXPECT_TRUE(plan.lose.empty());
    EXPECT_EQ(plan.rebind, (Indexes{0}));
}

TEST(InterfaceBinding, deleted_tracked_or_vip_interface_plans_nothing_until_it_returns) {
    // Its link_state already says down (tracked), or its VIP changes are retried.
    const std::vector instances{on("eth0", 2, {{"eth1", 3}})};
    EXPECT_TRUE(plan_interfaces(instances, {{"eth0", 2}}).empty());
}

TEST(InterfaceBinding, tracked_interface_missing_at_the_last_resolution_rebinds_when_it_appears) {
    const std::vector instances{on("eth0", 2, {{"vlan9", 0}})};
    EXPECT_EQ(plan_interfaces(instances, {{"eth0", 2}, {"vlan9", 11}}).rebind, (Indexes{0}));
}

TEST(InterfaceBinding, link_events_of_other_interfaces_do_not_concern_the_instances) {
    const std::vector instances{on("eth0", 2, {{"vlan9", 11}})};
    EXPECT_TRUE(concerns(instances, "eth0", 7)) << "eth0 created again";
    EXPECT_TRUE(concerns(instances, "vlan9", 12));
    EXPECT_TRUE(concerns(instances, "eth9", 2)) << "eth0 renamed";
    EXPECT_FALSE(concerns(instances, "veth3f2a", 40)) << "a container's veth";
}

}  // namespace
}  // namespace havip::vrrp

namespace havip::vrrp {
namespace {

using boost::asio::ip::make_address;

TEST(InterfaceBinding, the_chosen_source_removed_from_its_interface_is_seen_without_scope_ids) {
    const ChosenSource v6{2, make_address("fe80::1%2")};
    EXPECT_TRUE(chosen_source_removed(v6, 2, make_address("fe80::1")));
    EXPECT_TRUE(chosen_source_removed(v6, 2, make_address("fe80::1%2")));
    EXPECT_FALSE(chosen_source_removed(v6, 3, make_address("fe80::1")));  // another interface
    EXPECT_FALSE(chosen_source_removed(v6, 2, make_address("fe80::2")));
    const ChosenSource v4{2, make_address("10.77.0.1")};
    EXPECT_TRUE(chosen_source_removed(v4, 2, make_address("10.77.0.1")));
    EXPECT_FALSE(chosen_source_removed(v4, 2, make_address("10.77.0.100")));  // a VIP
    EXPECT_FALSE(chosen_source_removed(v4, 2, make_address("::ffff:10.77.0.1")));
}

}  // namespace
}  // namespace havip::vrrp
