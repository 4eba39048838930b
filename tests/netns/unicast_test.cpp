// Unicast instances sharing a VRID on one interface (issue 16), as keepalived allows them:
// node a runs two unicast instances with VRID 60, one paired with b (a outranks b), one with c
// (c outranks a). Each advert reaches only the instance whose peer sent it, as keepalived
// dispatches them: c's priority 200 never reaches a's instance facing b, not even to be
// rejected there.
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;

VrrpInstanceSpec unicast(std::string name, int priority, std::string source, std::string peer,
                         std::string vip) {
    VrrpInstanceSpec s;
    s.name = std::move(name);
    s.vrid = 60;
    s.priority = priority;
    s.version = 3;
    s.advert_int = 100ms;
    s.vips = {vip + "/24"};
    s.unicast_src_ip = std::move(source);
    s.unicast_peers = {std::move(peer)};
    return s;
}

KeepalivedConfig config(std::string node, std::vector<VrrpInstanceSpec> instances) {
    KeepalivedConfig c;
    c.router_id = std::move(node);
    c.instances = std::move(instances);
    return c;
}

using UnicastTest = LabTest;

TEST_F(UnicastTest, instances_sharing_a_vrid_hear_only_their_own_peers) {
    for (const auto& [node, address] :
         {std::pair{"a", "10.77.0.1/24"}, {"b", "10.77.0.2/24"}, {"c", "10.77.0.3/24"}}) {
        ASSERT_TRUE(lab().add_node(node));
        ASSERT_TRUE(lab().add_address(node, address));
    }
    const std::string vip_ab = "10.77.0.101", vip_ac = "10.77.0.102";
    AddressWatcher ab({lab().ns("a"), lab().ns("b")}, vip_ab);
    AddressWatcher ac({lab().ns("a"), lab().ns("c")}, vip_ac);
    auto a =
        start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                          config("a", {unicast("TO_B", 150, "10.77.0.1", "10.77.0.2", vip_ab),
                                       unicast("TO_C", 100, "10.77.0.1", "10.77.0.3", vip_ac)}));
    auto b =
        start_vrrp_daemon(lab(), "b", havipd(havipd_path()),
                          config("b", {unicast("TO_A", 100, "10.77.0.2", "10.77.0.1", vip_ab)}));
    auto c =
        start_vrrp_daemon(lab(), "c", havipd(havipd_path()),
                          config("c", {unicast("TO_A", 200, "10.77.0.3", "10.77.0.1", vip_ac)}));
    // Settled: a holds the a–b VIP, c the a–c one, and it stays so.
    EXPECT_TRUE(wait_until([&] { return ab.holders() == std::vector<std::string>{lab().ns("a")}; },
                           5s, 20ms))
        << a.process->log_tail(20);
    EXPECT_TRUE(wait_until([&] { return ac.holders() == std::vector<std::string>{lab().ns("c")}; },
                           5s, 20ms))
        << c.process->log_tail(20);
    const auto since = Clock::now();
    std::this_thread::sleep_for(1500ms);
    EXPECT_EQ(ab.holders(), std::vector<std::string>{lab().ns("a")}) << a.process->log_tail(20);
    EXPECT_EQ(ac.holders(), std::vector<std::string>{lab().ns("c")});
    EXPECT_FALSE(ab.wait_for(lab().ns("a"), false, 0ms, since).has_value())
        << "a's instance facing b lost its VIP";
    EXPECT_EQ(a.times_entered("TO_B", "BACKUP"), 1u)
        << "TO_B was demoted: " << a.process->log_tail(20);
    // Neither instance is handed the other's adverts (they would be rejected for their
    // address list, and counted and logged as errors keepalived never reports).
    EXPECT_FALSE(a.log_mentions("rejected advert")) << a.process->log_tail(20);
}

}  // namespace
}  // namespace havip::test
