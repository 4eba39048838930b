// Listener slots (vrrpd/admission): no client takes them all; root keeps its own on the
// control socket.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vrrpd/admission.hpp"

namespace havip::vrrp {
namespace {

const AdmissionLimits control{16, 4, 4};

TEST(Admission, one_user_gets_at_most_its_share) {
    std::vector<std::string> live;
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(session_admitted(live, "1000", false, control));
        live.push_back("1000");
    }
    EXPECT_FALSE(session_admitted(live, "1000", false, control));
    EXPECT_TRUE(session_admitted(live, "1001", false, control));
}

TEST(Admission, the_last_slots_are_roots_and_the_total_binds_everyone) {
    std::vector<std::string> live;
    for (int uid = 1000; uid < 1003; ++uid)
        for (int i = 0; i < 4; ++i)
            live.push_back(std::to_string(uid));
    ASSERT_EQ(live.size(), 12u);
    EXPECT_FALSE(session_admitted(live, "1003", false, control)) << "took a slot kept for root";
    for (int i = 0; i < 4; ++i) {
        EXPECT_TRUE(session_admitted(live, "0", true, control));
        live.push_back("0");
    }
    EXPECT_FALSE(session_admitted(live, "0", true, control));
}

TEST(Admission, an_unknown_client_is_one_client) {
    const AdmissionLimits metrics{8, 4, 0};
    const std::vector<std::string> live(4, "");
    EXPECT_FALSE(session_admitted(live, "", false, metrics));
    EXPECT_TRUE(session_admitted(live, "127.0.0.1", false, metrics));
}

}  // namespace
}  // namespace havip::vrrp
