// A vrrp_sync_group on havipd against keepalived 2.2.7 on the other node (issue 16): the
// configuration of tests/netns/sync_group_test.cpp, a (havipd) at 200 and b (keepalived) at 50.
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/lab.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/sync_group.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;

class SyncGroupInterop : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (!std::filesystem::exists("/usr/sbin/keepalived"))
            GTEST_SKIP() << "needs keepalived at /usr/sbin/keepalived";
        VrrpPairTest::SetUp();
    }
    bool group_on_a() {
        return lab().has_address("a", sync_db_vip) && lab().has_address("a", sync_gw_vip) &&
               !lab().has_address("b", sync_db_vip) && !lab().has_address("b", sync_gw_vip);
    }
};

// One member's VIP deleted on havipd's MASTER: the group steps down with priority 0 and retakes
// after its own Skew_Time (as keepalived's set_vrrp_backup does), before keepalived's backup,
// hearing priority 0, can take over at its longer Skew_Time. No failover, no VIP on b.
TEST_F(SyncGroupInterop, a_member_vip_removed_on_havipd_is_retaken_without_keepalived_taking_over) {
    ASSERT_NO_FATAL_FAILURE(build(sync_db_vip));
    const auto start = Clock::now();
    auto a = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), two_member_group("a", 200, "G"));
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a.process->log_tail(30);
    auto b = start_vrrp_daemon(lab(), "b", keepalived(), two_member_group("b", 50, "G"));
    ASSERT_TRUE(b.wait_for_state("VI_GW", "BACKUP", 5s)) << b.process->log_tail(30);
    ASSERT_TRUE(wait_until([&] { return group_on_a(); }, 3s, 10ms)) << a.process->log_tail(30);
    std::this_thread::sleep_for(1s);  // b has heard a for a while

    const auto removed = Clock::now();
    ASSERT_TRUE(lab()
                    .run("a", {"ip", "addr", "del", fmt::format("{}/24", sync_db_vip), "dev",
                               "eth0"})
                    .ok());
    const auto back = wait_vip("a", true, 2s, removed);
    ASSERT_TRUE(back.has_value()) << "the VIP never came back on a\n" << a.process->log_tail(30);
    fmt::print("[ measure  ] sync_vip_restored_against_keepalived_ms {:.3f}\n",
               std::chrono::duration<double, std::milli>(back->at - removed).count());
    // Past b's Master_Down_Interval (760.9 ms): b would have taken over by now.
    std::this_thread::sleep_for(1500ms);
    EXPECT_TRUE(group_on_a()) << a.process->log_tail(30) << b.process->log_tail(30);
    EXPECT_FALSE(vip_changed_since("b", removed))
        << "keepalived on b took a VIP\n"
        << a.process->log_tail(30) << b.process->log_tail(30);
    EXPECT_EQ(b.times_entered("VI_DB", "MASTER"), 0u) << b.process->log_tail(30);
    EXPECT_EQ(b.times_entered("VI_GW", "MASTER"), 0u) << b.process->log_tail(30);
    EXPECT_TRUE(a.log_mentions("[VI_GW vrid 52] MASTER -> BACKUP: sync group G: VI_DB is retaking"))
        << a.process->log_tail(30);
    for (const auto* d : {&a, &b})
        EXPECT_TRUE(d->process->running()) << d->node;
}

}  // namespace
}  // namespace havip::test
