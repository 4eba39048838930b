// Where the control socket may live (vrrpd/control_access): nobody but the daemon (or root)
// may be able to replace it.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "vrrpd/control_access.hpp"

namespace havip::vrrp {
namespace {

TEST(ControlDirectory, ours_or_roots_and_closed_to_others_is_safe) {
    EXPECT_EQ(control_directory_problem(0, S_IFDIR | 0700, 0), "");     // RuntimeDirectory=
    EXPECT_EQ(control_directory_problem(0, S_IFDIR | 0755, 0), "");     // /run
    EXPECT_EQ(control_directory_problem(0, S_IFDIR | 01777, 0), "");    // /tmp: sticky
    EXPECT_EQ(control_directory_problem(0, S_IFDIR | 0755, 1000), "");  // root's, daemon not root
    EXPECT_EQ(control_directory_problem(1000, S_IFDIR | 0700, 1000), "");  // the daemon's own
}

TEST(ControlDirectory, another_users_or_writable_by_others_is_refused_with_why) {
    const auto other = control_directory_problem(65534, S_IFDIR | 0700, 0);
    EXPECT_NE(other.find("uid 65534"), std::string::npos) << other;
    const auto world = control_directory_problem(0, S_IFDIR | 0777, 0);
    EXPECT_NE(world.find("everyone"), std::string::npos) << world;
    EXPECT_NE(world.find("0777"), std::string::npos) << world;
    const auto group = control_directory_problem(0, S_IFDIR | 0770, 0);
    EXPECT_NE(group.find("its group"), std::string::npos) << group;
}

}  // namespace
}  // namespace havip::vrrp
