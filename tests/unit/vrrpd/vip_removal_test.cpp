// Which removals of an address by someone else a MASTER answers (vrrpd/core/vip_removal.hpp):
// keepalived 2.2.7's address_is_ours.
#include "vrrpd/core/vip_removal.hpp"

#include <vector>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

HeldAddress on(int ifindex, const char* address) {
    return {ifindex, boost::asio::ip::make_address(address)};
}

TEST(VipRemoval, a_vip_or_excluded_vip_removed_from_its_interface_is_answered) {
    const std::vector held{on(2, "10.0.0.100"), on(3, "192.168.9.1"), on(2, "fd00::100")};
    EXPECT_TRUE(answers_removal(held, {}, on(2, "10.0.0.100")));
    EXPECT_TRUE(answers_removal(held, {}, on(3, "192.168.9.1")));  // an eVIP on another link
    EXPECT_TRUE(answers_removal(held, {}, on(2, "fd00::100")));    // of the other family
}

TEST(VipRemoval, other_addresses_and_other_interfaces_are_not) {
    const std::vector held{on(2, "10.0.0.100")};
    EXPECT_FALSE(answers_removal(held, {}, on(2, "10.0.0.1")));
    EXPECT_FALSE(answers_removal(held, {}, on(3, "10.0.0.100")));
}

TEST(VipRemoval, no_track_addresses_are_left_as_they_are) {
    const std::vector held{on(2, "10.0.0.100"), on(2, "10.0.0.101")};
    const std::vector untracked{on(2, "10.0.0.101")};
    EXPECT_TRUE(answers_removal(held, untracked, on(2, "10.0.0.100")));
    EXPECT_FALSE(answers_removal(held, untracked, on(2, "10.0.0.101")));
}

}  // namespace
}  // namespace havip::vrrp
