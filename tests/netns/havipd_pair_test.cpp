// Two havipd daemons on the lab bridge (issue 3, item 5): elections, failover by link loss,
// SIGKILL and SIGTERM, preemption, nopreempt, VIPs removed behind its back, interface faults,
// reloads, unicast, IPv6, tracked scripts and stale VIPs. The failover times are measured with
// the AddressWatcher against the RFC timers computed independently by rfc_timing().
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/capture.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using Clock = AddressWatcher::Clock;

constexpr const char* vip4 = "10.77.0.100";
constexpr int master_priority = 150;
constexpr int backup_priority = 100;

using Names = std::vector<std::string>;

struct Timing {
    std::string name;
    int version;
    milliseconds advert_int;
};

void PrintTo(const Timing& timing, std::ostream* out) {
    *out << timing.name;
}

// What most scenarios run: VRRPv3 at 100 ms, VRID 51, one IPv4 VIP.
VrrpInstanceSpec spec(int priority, int version = 3, milliseconds advert_int = 100ms) {
    VrrpInstanceSpec s;
    s.vrid = 51;
    s.priority = priority;
    s.version = version;
    s.advert_int = advert_int;
    s.vips = {fmt::format("{}/24", vip4)};
    return s;
}

class HavipdPairBase : public VrrpPairTest {
  protected:
    Daemon daemon() const { return havipd(havipd_path()); }

    // Scheduling slack on top of a protocol bound: the machine is shared.
    static milliseconds margin(milliseconds advert_int) { return 100ms + advert_int / 10; }

    // a becomes master alone, then b joins as backup and hears a couple of adverts.
    void start_pair(const VrrpInstanceSpec& a_spec, const VrrpInstanceSpec& b_spec,
                    std::string vip = vip4) {
        ASSERT_NO_FATAL_FAILURE(build(std::move(vip)));
        a_config_ = single_instance(a_spec, "a");
        b_config_ = single_instance(b_spec, "b");
        const auto a_timing = rfc_timing(a_spec.version, a_spec.priority, a_spec.advert_int);
        a_ = start_master("a", daemon(), a_config_,
                          duration_cast<milliseconds>(a_timing.master_down) + 3s);
        ASSERT_FALSE(HasFailure());
        b_ = start_backup("b", daemon(), b_config_);
        ASSERT_FALSE(HasFailure());
        std::this_thread::sleep_for(2 * a_spec.advert_int);
        ASSERT_EQ(holders(), Names{"a"});
    }
    void start_pair() {
        ASSERT_NO_FATAL_FAILURE(start_pair(spec(master_priority), spec(backup_priority)));
    }

    // Restarts havipd on a with its configuration (after it stopped or was killed).
    RunningDaemon restart(std::string_view node, const KeepalivedConfig& config) {
        return start_vrrp_daemon(lab(), node, daemon(), config);
    }

    // Every scenario here is one havipd should handle without an error: a failed VIP change
    // or advert send is logged with "cannot" / "not sent".
    void TearDown() override {
        for (const auto* d : {&a_, &b_}) {
            if (!d->process) continue;
            for (const char* bad : {"cannot ", "not sent"}) {
                if (send_errors_expected_ && std::string_view(bad) == "not sent") continue;
                EXPECT_FALSE(d->log_mentions(bad)) << d->node << " logged an error:\n"
                                                   << d->process->log_tail(30);
            }
        }
        VrrpPairTest::TearDown();
    }

    // Set by scenarios whose master loses its own link: its priority-0 advert cannot leave.
    bool send_errors_expected_ = false;
    KeepalivedConfig a_config_;
    KeepalivedConfig b_config_;
    RunningDaemon a_;
    RunningDaemon b_;
};

// ---- The basic failovers at every advert interval the issue names ------------------------

class HavipdTiming : public HavipdPairBase, public testing::WithParamInterface<Timing> {
  protected:
    void start_timed_pair() {
        ASSERT_NO_FATAL_FAILURE(
            start_pair(spec(master_priority, GetParam().version, GetParam().advert_int),
                       spec(backup_priority, GetParam().version, GetParam().advert_int)));
    }
    VrrpTiming backup_timing() const {
        return rfc_timing(GetParam().version, backup_priority, GetParam().advert_int);
    }
};

TEST_P(HavipdTiming, higher_priority_keeps_the_vip_while_both_run) {
    ASSERT_NO_FATAL_FAILURE(start_timed_pair());
    // Longer than b's Master_Down_Interval: had b not accepted a's adverts it would have
    // taken the VIP by now.
    const auto start = Clock::now();
    std::this_thread::sleep_for(backup_timing().master_down + GetParam().advert_int);
    EXPECT_FALSE(vip_changed_since("b", start)) << "b took the VIP while a was master";
    EXPECT_EQ(holders(), Names{"a"});
    EXPECT_EQ(a_.times_entered("VI_1", "MASTER"), 1u);
    EXPECT_EQ(b_.times_entered("VI_1", "MASTER"), 0u);
    EXPECT_TRUE(lab().ping("b", vip4)) << "the VIP answers from a";
}

TEST_P(HavipdTiming, master_cut_off_moves_the_vip_within_master_down_interval) {
    ASSERT_NO_FATAL_FAILURE(start_timed_pair());
    const auto cut = Clock::now();
    ASSERT_TRUE(lab().set_port("a", false));
    const auto timing = backup_timing();
    const auto taken =
        wait_vip("b", true, duration_cast<milliseconds>(timing.master_down) + 5s, cut);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    measure("cut_off_failover_ms", taken->at - cut, "Master_Down_Interval", timing.master_down);
    // b's timer was last reset by an advert sent at most one interval before the cut.
    EXPECT_GE(taken->at - cut, timing.master_down - GetParam().advert_int - 5ms);
    EXPECT_LE(taken->at - cut, timing.master_down + margin(GetParam().advert_int));
    // a lost carrier on its own interface: FAULT, VIP released.
    EXPECT_TRUE(wait_vip("a", false, 5s, cut).has_value()) << "a kept the VIP after the cut";
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
}

TEST_P(HavipdTiming, sigterm_on_master_sends_priority_zero_and_hands_over_after_skew_time) {
    ASSERT_NO_FATAL_FAILURE(start_timed_pair());
    const auto stop = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    const auto timing = backup_timing();
    const auto taken =
        wait_vip("b", true, duration_cast<milliseconds>(timing.master_down) + 5s, stop);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    measure("graceful_handover_ms", taken->at - stop, "Skew_Time", timing.skew);
    // RFC 5798 §6.4.2: on priority 0 the backup waits only Skew_Time.
    EXPECT_GE(taken->at - stop, timing.skew - 5ms);
    EXPECT_LE(taken->at - stop, timing.skew + margin(GetParam().advert_int));
    const auto released = wait_vip("a", false, 5s, stop);
    ASSERT_TRUE(released.has_value()) << "a kept the VIP after SIGTERM";
    EXPECT_LE(released->at, taken->at) << "a released the VIP only after b had taken it";
    EXPECT_EQ(a_.process->wait_exit(5s), 0);
    // havipd logs a state change after raising the VIPs, so the line may trail the event.
    EXPECT_TRUE(wait_until([&] { return b_.log_mentions("MASTER: priority 0 received"); }, 2s, 5ms))
        << b_.process->log_tail(5);
}

INSTANTIATE_TEST_SUITE_P(Havipd, HavipdTiming,
                         testing::Values(Timing{"v2_1s", 2, 1000ms}, Timing{"v3_1s", 3, 1000ms},
                                         Timing{"v3_100ms", 3, 100ms}),
                         [](const auto& param) { return param.param.name; });

// ---- Scenarios at v3 / 100 ms -------------------------------------------------------------

using HavipdPair = HavipdPairBase;

const VrrpTiming backup_v3 = rfc_timing(3, backup_priority, 100ms);
const VrrpTiming master_v3 = rfc_timing(3, master_priority, 100ms);

TEST_F(HavipdPair, sigkill_on_master_moves_the_vip_within_master_down_interval) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto kill = Clock::now();
    ASSERT_TRUE(a_.process->signal_group(SIGKILL));
    const auto taken = wait_vip("b", true, 3s, kill);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    measure("sigkill_failover_ms", taken->at - kill, "Master_Down_Interval", backup_v3.master_down);
    EXPECT_GE(taken->at - kill, backup_v3.master_down - 100ms - 5ms);
    EXPECT_LE(taken->at - kill, backup_v3.master_down + margin(100ms));
    // A killed daemon cannot clean up: both hold the VIP until a's next start (see
    // stale_vip_is_removed_at_start_up); b is the only one advertising.
    EXPECT_EQ(a_.process->wait_exit(2s), 128 + SIGKILL);
}

TEST_F(HavipdPair, higher_priority_node_preempts_back_when_it_returns) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    ASSERT_EQ(a_.process->wait_exit(5s), 0);
    ASSERT_TRUE(wait_until([&] { return holders() == Names{"b"}; }, 2s, 5ms));
    const auto back = Clock::now();
    const auto backups = a_.times_entered("VI_1", "BACKUP");  // the log goes on in one file
    a_ = restart("a", a_config_);
    // a starts as BACKUP, discards b's lower-priority adverts and preempts when its
    // Master_Down_Interval runs out (RFC 5798 §6.4.2). Timed from its start-up line: an ASan
    // build takes a few hundred ms to get there.
    ASSERT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 3s, backups + 1));
    const auto started = Clock::now();
    const auto retaken = wait_vip("a", true, 3s, back);
    ASSERT_TRUE(retaken.has_value()) << "a never took the VIP back";
    measure("preempt_back_ms", retaken->at - started, "a's Master_Down_Interval",
            master_v3.master_down);
    EXPECT_LE(retaken->at - started, master_v3.master_down + 300ms);
    ASSERT_TRUE(wait_vip("b", false, 2s, back).has_value()) << "b kept the VIP";
    EXPECT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 2s, 2));
    std::this_thread::sleep_for(5 * 100ms);
    EXPECT_EQ(holders(), Names{"a"});
}

TEST_F(HavipdPair, nopreempt_keeps_the_returning_higher_priority_node_backup) {
    auto a_spec = spec(master_priority);
    auto b_spec = spec(backup_priority);
    a_spec.nopreempt = b_spec.nopreempt = true;
    a_spec.state = b_spec.state = "BACKUP";
    ASSERT_NO_FATAL_FAILURE(start_pair(a_spec, b_spec));
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    ASSERT_EQ(a_.process->wait_exit(5s), 0);
    ASSERT_TRUE(wait_until([&] { return holders() == Names{"b"}; }, 2s, 5ms));
    const auto back = Clock::now();
    a_ = restart("a", a_config_);
    ASSERT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 5s, 2));
    // Three of a's Master_Down_Intervals: with preemption it would have taken over after one.
    std::this_thread::sleep_for(3 * master_v3.master_down);
    EXPECT_FALSE(vip_changed_since("a", back)) << "a preempted despite nopreempt";
    EXPECT_EQ(holders(), Names{"b"});
    EXPECT_EQ(a_.times_entered("VI_1", "MASTER"), 1u) << "only its first run was master";
}

TEST_F(HavipdPair, vip_removed_externally_comes_back_on_exactly_one_node) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto removed = Clock::now();
    ASSERT_TRUE(
        lab().run("a", {"ip", "addr", "del", fmt::format("{}/24", vip4), "dev", "eth0"}).ok());
    // keepalived's answer: a sends priority 0, goes BACKUP and retakes after its own
    // Skew_Time, which is shorter than b's (b also arms Skew_Time on the priority 0), so the
    // VIP returns to a and b never takes it.
    const auto back = wait_vip("a", true, 2s, removed);
    ASSERT_TRUE(back.has_value()) << "the VIP never came back on a";
    measure("vip_restored_ms", back->at - removed, "a's Skew_Time", master_v3.skew);
    EXPECT_LE(back->at - removed, master_v3.skew + margin(100ms));
    EXPECT_TRUE(a_.log_mentions("removed by someone else"));
    std::this_thread::sleep_for(backup_v3.master_down + 2 * 100ms);
    EXPECT_EQ(holders().size(), 1u) << "the VIP must end up on exactly one node";
    EXPECT_FALSE(vip_changed_since("b", removed)) << "b took the VIP as well";
}

// Issue 16: keepalived 2.2.7 (address_is_ours) answers the removal of an excluded VIP as of a
// VIP, and leaves one marked no_track alone. a's excluded 10.77.0.150 deleted: a retakes it
// after its Skew_Time (b, which does not know it, never takes the VIP); its no_track
// 10.77.0.151 deleted: it stays deleted and nothing moves.
TEST_F(HavipdPair, excluded_vip_removed_externally_is_retaken_and_a_no_track_one_is_left) {
    auto a_spec = spec(master_priority);
    a_spec.extra_lines = {"virtual_ipaddress_excluded {", "    10.77.0.150/24",
                          "    10.77.0.151/24 no_track", "}"};
    ASSERT_NO_FATAL_FAILURE(start_pair(a_spec, spec(backup_priority)));
    ASSERT_TRUE(wait_until([&] { return lab().has_address("a", "10.77.0.151"); }, 2s, 5ms));

    const auto removed = Clock::now();
    ASSERT_TRUE(lab().run("a", {"ip", "addr", "del", "10.77.0.150/24", "dev", "eth0"}).ok());
    EXPECT_TRUE(wait_until([&] { return lab().has_address("a", "10.77.0.150"); }, 2s, 5ms))
        << "the excluded VIP never came back\n"
        << a_.process->log_tail(20);
    EXPECT_TRUE(a_.log_mentions("VIP 10.77.0.150 was removed by someone else"));
    std::this_thread::sleep_for(backup_v3.master_down + 2 * 100ms);
    EXPECT_FALSE(vip_changed_since("b", removed)) << "b took the VIP";
    EXPECT_EQ(holders(), Names{"a"});

    const auto changes = a_.state_changes("VI_1");
    const auto untracked = Clock::now();
    ASSERT_TRUE(lab().run("a", {"ip", "addr", "del", "10.77.0.151/24", "dev", "eth0"}).ok());
    std::this_thread::sleep_for(backup_v3.master_down + 2 * 100ms);
    EXPECT_FALSE(lab().has_address("a", "10.77.0.151")) << "the no_track VIP was added back";
    EXPECT_FALSE(a_.log_mentions("VIP 10.77.0.151 was removed"));
    EXPECT_EQ(a_.state_changes("VI_1"), changes) << a_.process->log_tail(20);
    EXPECT_FALSE(vip_changed_since("a", untracked));
    EXPECT_FALSE(vip_changed_since("b", untracked));
}

TEST_F(HavipdPair, interface_down_on_master_faults_and_link_up_returns_to_backup) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    send_errors_expected_ = true;
    const auto down = Clock::now();
    ASSERT_TRUE(lab().set_link("a", false));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
    const auto taken = wait_vip("b", true, 3s, down);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    // a sends priority 0 as it faults, but its interface is already down so b may only
    // notice after Master_Down_Interval.
    measure("fault_failover_ms", taken->at - down, "Master_Down_Interval", backup_v3.master_down);
    EXPECT_LE(taken->at - down, backup_v3.master_down + margin(100ms));
    const auto up = Clock::now();
    ASSERT_TRUE(lab().set_link("a", true));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 2s, 2)) << "FAULT did not end in BACKUP";
    // Then, with preemption, a takes the VIP back from the lower-priority b.
    EXPECT_TRUE(wait_vip("a", true, 3s, up).has_value());
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 2s, 5ms));
}

// ---- Interfaces deleted and created again by name (issue 16) ------------------------------

// Gives the node its interface back as ifupdown would: created down, addressed, then up.
void recreate_interface(Lab& lab, std::string_view node, std::string_view v4, std::string_view v6) {
    ASSERT_TRUE(lab.recreate_link(node, false));
    ASSERT_TRUE(lab.add_address(node, v4));
    ASSERT_TRUE(lab.add_address(node, v6));
    ASSERT_TRUE(lab.set_link(node, true));
}

// Both families: an IPv4 instance rejoins 224.0.0.18 and takes the new primary address, an
// IPv6 one rejoins ff02::12 and takes the new interface's link-local address.
struct Family {
    std::string name;
    std::string vip;
};

void PrintTo(const Family& family, std::ostream* out) {
    *out << family.name;
}

class HavipdRecreated : public HavipdPairBase, public testing::WithParamInterface<Family> {
  protected:
    void start_family_pair() {
        auto a_spec = spec(master_priority);
        auto b_spec = spec(backup_priority);
        const auto& vip = GetParam().vip;
        a_spec.vips = b_spec.vips = {vip + (vip.find(':') == std::string::npos ? "/24" : "/64")};
        ASSERT_NO_FATAL_FAILURE(start_pair(a_spec, b_spec, vip));
    }
};

TEST_P(HavipdRecreated, master_interface_deleted_faults_and_recreated_by_name_preempts_back) {
    ASSERT_NO_FATAL_FAILURE(start_family_pair());
    send_errors_expected_ = true;  // its priority-0 advert has no interface left to leave by
    const auto gone = Clock::now();
    ASSERT_TRUE(lab().delete_link("a"));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
    const auto taken = wait_vip("b", true, 3s, gone);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    EXPECT_LE(taken->at - gone, backup_v3.master_down + margin(100ms));
    EXPECT_TRUE(a_.log_mentions("interface eth0 deleted (or renamed)"));

    // A new eth0 (a new ifindex) with the same address: a follows the name, leaves FAULT for
    // BACKUP, and its adverts on the new link outrank b's, so it preempts back. b's port on
    // the switch carries what reaches b: the takeover's announcements.
    auto capture = Capture::start(lab(), lab().switch_ns(), lab().port("b"), "b-port");
    ASSERT_TRUE(capture.has_value());
    const auto back = Clock::now();
    ASSERT_NO_FATAL_FAILURE(recreate_interface(lab(), "a", "10.77.0.1/24", "fd77::1/64"));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 3s, 2)) << "FAULT did not end in BACKUP";
    const auto retaken = wait_vip("a", true, 3s, back);
    ASSERT_TRUE(retaken.has_value()) << "a never took the VIP back on its new eth0";
    measure("recreated_preempt_back_ms", retaken->at - back, "a's Master_Down_Interval",
            master_v3.master_down);
    // b gives the VIP up only on hearing a's adverts: they leave by the new interface.
    EXPECT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 2s, 2)) << "b never heard a again";
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 2s, 5ms));
    // The gratuitous ARP / unsolicited NA left by the new eth0's packet socket, with its MAC.
    std::this_thread::sleep_for(200ms);
    ASSERT_TRUE(capture->stop());
    const auto mac = lab().run("a", {"cat", "/sys/class/net/eth0/address"});
    ASSERT_TRUE(mac.ok());
    const bool v6 = GetParam().vip.find(':') != std::string::npos;
    const std::string filter =
        v6 ? fmt::format("icmpv6.type == 136 && icmpv6.nd.na.target_address == {}", GetParam().vip)
           : fmt::format("arp.src.proto_ipv4 == {}", GetParam().vip);
    const auto announced = run_command({"tshark", "-n", "-r", capture->file().string(), "-Y",
                                        filter, "-T", "fields", "-e", "eth.src"});
    ASSERT_TRUE(announced.ok()) << announced.err;
    const std::string new_mac = mac.out.substr(0, mac.out.find('\n'));
    EXPECT_NE(announced.out.find(new_mac), std::string::npos)
        << "no announcement from the new eth0 (" << new_mac << "):\n"
        << announced.out;
    const auto settled = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_EQ(holders(), Names{"a"}) << "the VIP must be on exactly one node";
    EXPECT_FALSE(vip_changed_since("a", settled));
    EXPECT_FALSE(vip_changed_since("b", settled));
}

TEST_P(HavipdRecreated, backup_interface_recreated_by_name_returns_to_backup_and_follows_adverts) {
    ASSERT_NO_FATAL_FAILURE(start_family_pair());
    const auto gone = Clock::now();
    ASSERT_TRUE(lab().delete_link("b"));
    EXPECT_TRUE(b_.wait_for_state("VI_1", "FAULT", 2s));
    // Meanwhile a reload names a missing interface: refused, the instance keeps waiting.
    ASSERT_TRUE(b_.process->signal(SIGHUP));
    EXPECT_TRUE(wait_until([&] { return b_.log_mentions("reload refused"); }, 3s, 5ms));
    const auto back = Clock::now();
    ASSERT_NO_FATAL_FAILURE(recreate_interface(lab(), "b", "10.77.0.2/24", "fd77::2/64"));
    EXPECT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 3s, 2)) << "FAULT did not end in BACKUP";
    // Three of b's Master_Down_Intervals: deaf to a's adverts it would have taken the VIP
    // after one (a dual master).
    std::this_thread::sleep_for(3 * backup_v3.master_down);
    EXPECT_EQ(holders(), Names{"a"});
    EXPECT_EQ(b_.times_entered("VI_1", "MASTER"), 0u) << "b became master beside a";
    EXPECT_FALSE(vip_changed_since("a", gone)) << "a lost the VIP";
    EXPECT_FALSE(vip_changed_since("b", back));
}

INSTANTIATE_TEST_SUITE_P(Havipd, HavipdRecreated,
                         testing::Values(Family{"ipv4", vip4}, Family{"ipv6", "fd77::100"}),
                         [](const auto& param) { return param.param.name; });

// keepalived treats a renamed interface as gone ("Interface name has changed"), and one
// renamed back as its interface again: here the same ifindex, bound again all the same.
TEST_F(HavipdPair, renamed_interface_is_gone_until_renamed_back) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    send_errors_expected_ = true;  // its priority-0 advert leaves by a link already down
    const auto gone = Clock::now();
    ASSERT_TRUE(lab().set_link("a", false));  // the kernel renames only a down interface
    ASSERT_TRUE(lab().run("a", {"ip", "link", "set", "eth0", "name", "eth9"}).ok());
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
    ASSERT_TRUE(wait_vip("b", true, 3s, gone).has_value()) << "b never took the VIP";
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("interface eth0 deleted (or renamed)"); },
                           2s, 5ms));
    // Up under the other name: not a's interface, a stays in FAULT.
    ASSERT_TRUE(lab().run("a", {"ip", "link", "set", "eth9", "up"}).ok());
    std::this_thread::sleep_for(master_v3.master_down + 100ms);
    EXPECT_EQ(a_.times_entered("VI_1", "BACKUP"), 1u) << "a left FAULT on eth9";
    const auto back = Clock::now();
    ASSERT_TRUE(lab().run("a", {"ip", "link", "set", "eth9", "down"}).ok());
    ASSERT_TRUE(lab().run("a", {"ip", "link", "set", "eth9", "name", "eth0"}).ok());
    ASSERT_TRUE(lab().set_link("a", true));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 3s, 2)) << "FAULT did not end in BACKUP";
    EXPECT_TRUE(wait_vip("a", true, 3s, back).has_value()) << "a never took the VIP back";
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 2s, 5ms));
}

TEST_F(HavipdPair, tracked_interface_recreated_by_name_clears_the_fault_and_preempts_back) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    // A second interface on a, tracked (weight 0: down means FAULT), as a bond or VLAN would
    // be: a veth pair inside a (no dummy driver here), running once both ends are up.
    auto add_tracked = [&] {
        ASSERT_TRUE(
            lab()
                .run("a", {"ip", "link", "add", "trk0", "type", "veth", "peer", "name", "trk0p"})
                .ok());
        ASSERT_TRUE(lab().run("a", {"ip", "link", "set", "trk0p", "up"}).ok());
        ASSERT_TRUE(lab().run("a", {"ip", "link", "set", "trk0", "up"}).ok());
    };
    ASSERT_NO_FATAL_FAILURE(add_tracked());
    auto a_spec = spec(master_priority);
    a_spec.extra_lines = {"track_interface {", "    trk0", "}"};
    a_config_ = single_instance(a_spec, "a");
    b_config_ = single_instance(spec(backup_priority), "b");
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    b_ = start_backup("b", daemon(), b_config_);
    ASSERT_FALSE(HasFailure());
    ASSERT_EQ(holders(), Names{"a"});

    const auto gone = Clock::now();
    ASSERT_TRUE(lab().run("a", {"ip", "link", "del", "trk0"}).ok());
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
    ASSERT_TRUE(wait_vip("b", true, 3s, gone).has_value()) << "b never took the VIP";
    // The same name, a new ifindex: a follows it and leaves FAULT.
    const auto back = Clock::now();
    ASSERT_NO_FATAL_FAILURE(add_tracked());
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 3s, 2)) << "FAULT did not end in BACKUP";
    EXPECT_TRUE(wait_vip("a", true, 3s, back).has_value()) << "a never took the VIP back";
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 2s, 5ms));
}

TEST_F(HavipdPair, vip_dev_interface_recreated_by_name_gets_the_vip_back_on_the_master) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    ASSERT_TRUE(lab().add_link("a", "eth1"));
    // An excluded VIP on a's second interface: raised by the master, not advertised.
    auto a_spec = spec(master_priority);
    a_spec.extra_lines = {"virtual_ipaddress_excluded {", "    10.88.0.1/24 dev eth1", "}"};
    a_config_ = single_instance(a_spec, "a");
    b_config_ = single_instance(spec(backup_priority), "b");
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    b_ = start_backup("b", daemon(), b_config_);
    ASSERT_FALSE(HasFailure());
    const auto a_changes = a_.state_changes("VI_1");
    const auto a_ns = lab().ns("a");
    ASSERT_TRUE(wait_until([&] { return has_address(a_ns, "eth1", "10.88.0.1"); }, 2s, 5ms));

    // eth1 deleted (its address with it) and added again under the same name: the master
    // follows the name and raises the VIP on the new eth1; nothing else moves.
    const auto start = Clock::now();
    ASSERT_TRUE(lab().run("a", {"ip", "link", "del", "eth1"}).ok());
    ASSERT_TRUE(lab().add_link("a", "eth1"));
    EXPECT_TRUE(wait_until([&] { return has_address(a_ns, "eth1", "10.88.0.1"); }, 3s, 5ms))
        << "the VIP never came back on the new eth1";
    std::this_thread::sleep_for(backup_v3.master_down);
    EXPECT_EQ(a_.state_changes("VI_1"), a_changes) << "a changed state";
    EXPECT_FALSE(vip_changed_since("a", start));
    EXPECT_FALSE(vip_changed_since("b", start));
}

TEST_F(HavipdPair, vip_dev_interface_missing_when_becoming_master_is_added_once_it_is_back) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    ASSERT_TRUE(lab().add_link("a", "eth1"));
    auto a_spec = spec(master_priority);
    a_spec.extra_lines = {"virtual_ipaddress_excluded {", "    10.88.0.1/24 dev eth1", "}"};
    a_config_ = single_instance(a_spec, "a");
    b_config_ = single_instance(spec(backup_priority), "b");
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    b_ = start_backup("b", daemon(), b_config_);
    ASSERT_FALSE(HasFailure());
    const auto a_ns = lab().ns("a");
    ASSERT_TRUE(lab().run("a", {"ip", "link", "del", "eth1"}).ok());
    // The advertised VIP removed behind a's back: a goes BACKUP and retakes (keepalived's
    // answer), adding its VIPs again while eth1 does not exist.
    const auto removed = Clock::now();
    ASSERT_TRUE(
        lab().run("a", {"ip", "addr", "del", fmt::format("{}/24", vip4), "dev", "eth0"}).ok());
    ASSERT_TRUE(wait_vip("a", true, 2s, removed).has_value()) << "a never retook the VIP";
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("its interface is gone"); }, 2s, 5ms));
    // Not retried against the dead interface (TearDown: no "cannot add"), and added on the
    // new eth1 once it is there.
    std::this_thread::sleep_for(500ms);
    ASSERT_TRUE(lab().add_link("a", "eth1"));
    EXPECT_TRUE(wait_until([&] { return has_address(a_ns, "eth1", "10.88.0.1"); }, 3s, 5ms))
        << "the VIP never came on the new eth1";
    EXPECT_EQ(holders(), Names{"a"});
}

TEST_F(HavipdPair, sighup_with_unchanged_config_keeps_the_vip_and_the_state) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto a_changes = a_.state_changes("VI_1");
    const auto b_changes = b_.state_changes("VI_1");
    const auto hup = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGHUP));
    ASSERT_TRUE(b_.process->signal(SIGHUP));
    ASSERT_TRUE(wait_until(
        [&] { return a_.log_mentions("reloaded") && b_.log_mentions("reloaded"); }, 3s, 5ms));
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_FALSE(vip_changed_since("a", hup)) << "the VIP went away during the reload";
    EXPECT_FALSE(vip_changed_since("b", hup));
    EXPECT_EQ(a_.state_changes("VI_1"), a_changes) << "a logged a transition on reload";
    EXPECT_EQ(b_.state_changes("VI_1"), b_changes) << "b logged a transition on reload";
    EXPECT_TRUE(a_.log_mentions("1 kept, 0 started"));
}

// keepalived keeps a matched instance's state through a reload that edits it: a new
// priority or VIP list must not move the VIP (before, havipd restarted the instance: the
// peer took over and a preempted back).
TEST_F(HavipdPair, sighup_with_edited_priority_and_vips_keeps_the_master_and_adds_the_vip) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto a_changes = a_.state_changes("VI_1");
    const auto b_changes = b_.state_changes("VI_1");
    // Both nodes get the new VIP (an advert with another list is rejected), a a new priority.
    const auto reload = [&](int a_priority, std::vector<std::string> vips) {
        auto a_spec = spec(a_priority);
        auto b_spec = spec(backup_priority);
        a_spec.vips = b_spec.vips = std::move(vips);
        for (auto [daemon, s] : {std::pair{&a_, a_spec}, std::pair{&b_, b_spec}}) {
            std::ofstream(daemon->config, std::ios::trunc)
                << render_keepalived_conf(single_instance(s, daemon->node));
            ASSERT_TRUE(daemon->process->signal(SIGHUP));
        }
    };
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(reload(master_priority - 10, {"10.77.0.100/24", "10.77.0.101/24"}));
    ASSERT_TRUE(
        wait_until([&] { return a_.log_mentions("(1 kept with changed settings)"); }, 3s, 5ms))
        << a_.process->log_tail(10);
    EXPECT_TRUE(wait_until([&] { return lab().has_address("a", "10.77.0.101"); }, 2s, 10ms));
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_FALSE(vip_changed_since("a", hup)) << "the VIP went away during the reload";
    EXPECT_FALSE(vip_changed_since("b", hup)) << "b took over during the reload";
    EXPECT_EQ(a_.state_changes("VI_1"), a_changes) << "a logged a transition on reload";
    EXPECT_EQ(b_.state_changes("VI_1"), b_changes) << "b logged a transition on reload";
    EXPECT_FALSE(lab().has_address("b", "10.77.0.101"));

    // And back: the VIP the next reload drops leaves a, the other stays.
    ASSERT_NO_FATAL_FAILURE(reload(master_priority, {"10.77.0.100/24"}));
    EXPECT_TRUE(wait_until([&] { return !lab().has_address("a", "10.77.0.101"); }, 3s, 10ms));
    std::this_thread::sleep_for(backup_v3.master_down);
    EXPECT_FALSE(vip_changed_since("a", hup));
    EXPECT_FALSE(vip_changed_since("b", hup));
    EXPECT_EQ(holders(), Names{"a"});
}

// Issue 16: a reload that removed one instance and kept another killed havipd with SIGSEGV
// (the stopped instance's state change listed the running instances while the kept ones
// were being moved), leaving the kept instance's VIP on the interface with nobody to
// advertise it.
TEST_F(HavipdPair, sighup_removing_one_of_two_instances_keeps_the_other_and_releases_its_vip) {
    constexpr const char* second_vip = "10.77.0.102";
    const auto two = [&](int priority) {
        auto second = spec(priority);
        second.name = "VI_2";
        second.vrid = 52;
        second.vips = {fmt::format("{}/24", second_vip)};
        return std::vector{spec(priority), second};
    };
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    a_config_ = single_instance(spec(master_priority), "a");
    b_config_ = single_instance(spec(backup_priority), "b");
    a_config_.instances = two(master_priority);
    b_config_.instances = two(backup_priority);
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    b_ = start_backup("b", daemon(), b_config_);
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(wait_until([&] { return lab().has_address("a", second_vip); }, 3s, 10ms));

    a_config_.instances.pop_back();
    std::ofstream(a_.config, std::ios::trunc) << render_keepalived_conf(a_config_);
    const auto hup = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGHUP));
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("1 kept, 0 started"); }, 3s, 5ms))
        << a_.process->log_tail(20);
    // The removed instance said priority 0 on its way out: b takes its VIP at once.
    EXPECT_TRUE(wait_until([&] { return lab().has_address("b", second_vip); }, 2s, 10ms));
    EXPECT_FALSE(lab().has_address("a", second_vip));
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_TRUE(a_.process->running()) << a_.process->log_tail(20);
    EXPECT_FALSE(vip_changed_since("a", hup)) << "the kept instance's VIP moved";
    EXPECT_FALSE(vip_changed_since("b", hup));
    EXPECT_EQ(holders(), Names{"a"});
}

// Issue 16: a reload that puts a kept instance in FAULT crashed the same way. The master
// tracks a new script that starts failed (init_fail, weight 0): it faults, hands the VIP to
// b with priority 0, and keeps running.
TEST_F(HavipdPair, sighup_that_faults_the_kept_master_hands_over_and_keeps_running) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    auto faulted = spec(master_priority);
    faulted.extra_lines = {"track_script {", "    chk_never", "}"};
    a_config_ = single_instance(faulted, "a");
    std::ofstream(a_.config, std::ios::trunc)
        << "vrrp_script chk_never {\n    script \"/bin/false\"\n    interval 60\n"
           "    weight 0\n    init_fail\n}\n"
        << render_keepalived_conf(a_config_);
    const auto hup = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGHUP));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 3s)) << a_.process->log_tail(20);
    EXPECT_TRUE(wait_vip("b", true, 2s, hup).has_value()) << "b never took the VIP";
    EXPECT_TRUE(a_.process->running()) << a_.process->log_tail(20);
    EXPECT_FALSE(lab().has_address("a", vip4));
    EXPECT_EQ(holders(), Names{"b"});
}

// Issue 16: a VIP that one reload moves from one kept master to another was added by the
// new owner and then removed by the old one when the new owner came first: the new owner saw
// its VIP removed by someone else and stepped down to retake it (priority 0, its VIPs gone
// for a Skew_Time). Every kept instance now gives up what it loses before any takes what it
// gains.
TEST_F(HavipdPair, sighup_moving_a_vip_between_two_kept_masters_keeps_it_on_the_interface) {
    constexpr const char* second_vip = "10.77.0.102";
    constexpr const char* moved_vip = "10.77.0.103";
    const auto two = [&](int priority, bool moved_to_first) {
        auto first = spec(priority);
        auto second = spec(priority);
        second.name = "VI_2";
        second.vrid = 52;
        second.vips = {fmt::format("{}/24", second_vip)};
        (moved_to_first ? first : second).vips.push_back(fmt::format("{}/24", moved_vip));
        return std::vector{first, second};
    };
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    a_config_ = single_instance(spec(master_priority), "a");
    a_config_.instances = two(master_priority, false);
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(wait_until([&] { return lab().has_address("a", moved_vip); }, 3s, 10ms));

    // Whichever of the two the daemon reconfigures first: to VI_1, then back to VI_2.
    for (const bool to_first : {true, false}) {
        SCOPED_TRACE(to_first ? "moved to VI_1" : "moved back to VI_2");
        a_config_.instances = two(master_priority, to_first);
        std::ofstream(a_.config, std::ios::trunc) << render_keepalived_conf(a_config_);
        const auto reloaded = [&] {
            const auto log = a_.process->log_tail(100000);
            std::size_t n = 0;
            for (auto at = log.find("2 kept, 0 started"); at != std::string::npos;
                 at = log.find("2 kept, 0 started", at + 1))
                ++n;
            return n;
        };
        const auto before = reloaded();
        ASSERT_TRUE(a_.process->signal(SIGHUP));
        ASSERT_TRUE(wait_until([&] { return reloaded() > before; }, 3s, 5ms))
            << a_.process->log_tail(20);
        std::this_thread::sleep_for(500ms);  // a retake would have come by now
        EXPECT_TRUE(lab().has_address("a", moved_vip)) << a_.process->log_tail(20);
        // Neither instance saw the VIP go (a retake: priority 0, the VIPs dropped and re-added).
        EXPECT_FALSE(a_.log_mentions("removed by someone else")) << a_.process->log_tail(20);
        EXPECT_TRUE(lab().has_address("a", second_vip));
        EXPECT_TRUE(lab().has_address("a", vip4));
    }
}

// Issue 16: a reload that both drops a VIP and faults the master left that VIP behind: the
// fault removed the new list's VIPs, the reload's diff came after, on an instance no longer
// MASTER.
TEST_F(HavipdPair, sighup_dropping_a_vip_and_faulting_the_master_removes_that_vip_too) {
    constexpr const char* dropped_vip = "10.77.0.104";
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    auto both = spec(master_priority);
    both.vips.push_back(fmt::format("{}/24", dropped_vip));
    a_config_ = single_instance(both, "a");
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(wait_until([&] { return lab().has_address("a", dropped_vip); }, 3s, 10ms));

    auto faulted = spec(master_priority);
    faulted.extra_lines = {"track_script {", "    chk_never", "}"};
    a_config_ = single_instance(faulted, "a");
    std::ofstream(a_.config, std::ios::trunc)
        << "vrrp_script chk_never {\n    script \"/bin/false\"\n    interval 60\n"
           "    weight 0\n    init_fail\n}\n"
        << render_keepalived_conf(a_config_);
    ASSERT_TRUE(a_.process->signal(SIGHUP));
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 3s)) << a_.process->log_tail(20);
    EXPECT_TRUE(wait_until([&] { return !lab().has_address("a", dropped_vip); }, 2s, 10ms))
        << "the dropped VIP stayed on the faulted node";
    EXPECT_FALSE(lab().has_address("a", vip4));
}

// keepalived matches a reloaded instance by its interface (vrrp_exist): moved to another
// interface it is another router, stopped on the old one (priority 0, VIP released) and
// started on the new one, where it elects again.
TEST_F(HavipdPair, sighup_moving_the_instance_to_another_interface_restarts_it_there) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    ASSERT_TRUE(lab().add_link("a", "eth1"));
    ASSERT_TRUE(lab().run("a", {"ip", "addr", "add", "10.77.0.11/24", "dev", "eth1"}).ok());
    auto moved = spec(master_priority);
    moved.interface = "eth1";
    const auto hup = Clock::now();
    std::ofstream(a_.config, std::ios::trunc)
        << render_keepalived_conf(single_instance(moved, "a"));
    ASSERT_TRUE(a_.process->signal(SIGHUP));
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("reloaded"); }, 3s, 5ms));
    EXPECT_TRUE(a_.log_mentions("0 kept, 1 started")) << "another interface is another router";
    EXPECT_TRUE(wait_vip("a", false, 2s, hup).has_value()) << "the VIP stayed on eth0";
    // With the higher priority a takes the VIP back, on eth1, and b hears it there.
    EXPECT_TRUE(wait_until([&] { return has_address(lab().ns("a"), "eth1", vip4); }, 3s, 5ms));
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 3s, 5ms));
    const auto settled = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_EQ(holders(), Names{"a"});
    EXPECT_FALSE(vip_changed_since("b", settled)) << "b did not hear a on eth1";
    EXPECT_FALSE(lab().has_address("a", vip4)) << "the VIP is still on eth0 too";
}

// keepalived matches a reloaded instance by its multicast group too (vrrp_exist): another
// vrrp_mcast_group4 is another router, restarted, and its socket must receive the new group.
// havipd kept the instance, sent to the new group and still listened on the old one: each
// node deaf to the other, two masters.
TEST_F(HavipdPair, sighup_changing_the_multicast_group_moves_the_pair_to_it_with_one_master) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    for (auto* d : {&a_, &b_}) {
        auto config = single_instance(spec(d == &a_ ? master_priority : backup_priority), d->node);
        config.global_extra_lines.push_back("vrrp_mcast_group4 224.0.0.119");
        std::ofstream(d->config, std::ios::trunc) << render_keepalived_conf(config);
        ASSERT_TRUE(d->process->signal(SIGHUP));
    }
    ASSERT_TRUE(wait_until(
        [&] { return a_.log_mentions("reloaded") && b_.log_mentions("reloaded"); }, 3s, 5ms));
    EXPECT_TRUE(a_.log_mentions("0 kept, 1 started")) << "another group is another router";
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 3s, 5ms));
    const auto settled = Clock::now();
    auto capture = Capture::start(lab(), lab().switch_ns(), lab().port("a"), "a-port");
    ASSERT_TRUE(capture.has_value());
    // Three of b's Master_Down_Intervals: deaf to a it would have taken the VIP after one.
    std::this_thread::sleep_for(3 * backup_v3.master_down);
    ASSERT_TRUE(capture->stop());
    EXPECT_EQ(holders(), Names{"a"}) << "the VIP must be on exactly one node";
    EXPECT_FALSE(vip_changed_since("b", settled)) << "b did not hear a on the new group";
    const auto decoded = decode_vrrp(capture->file());
    ASSERT_TRUE(decoded.error.empty()) << decoded.error;
    ASSERT_FALSE(decoded.adverts.empty());
    for (const auto& advert : decoded.adverts)
        EXPECT_EQ(advert.destination, "224.0.0.119") << "from " << advert.source;
}

TEST_F(HavipdPair, bad_reload_keeps_running_the_old_config_and_logs_why) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    {
        std::ofstream out(a_.config, std::ios::trunc);
        out << "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 300\n"
               "    priority 150\n    virtual_ipaddress {\n        10.77.0.100/24\n";
    }
    const auto hup = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGHUP));
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("reload refused"); }, 3s, 5ms))
        << a_.process->log_tail(10);
    // The reason names the file and what is wrong with it.
    EXPECT_TRUE(a_.log_mentions(a_.config.string() + ":")) << a_.process->log_tail(10);
    std::this_thread::sleep_for(backup_v3.master_down + 3 * 100ms);
    EXPECT_TRUE(a_.process->running());
    EXPECT_FALSE(vip_changed_since("a", hup));
    EXPECT_FALSE(vip_changed_since("b", hup)) << "b took over: a stopped advertising";
    EXPECT_EQ(holders(), Names{"a"});
}

// The switch drops multicast VRRP, so only unicast adverts can keep b a backup.
TEST_F(HavipdPair, unicast_peers_elect_and_fail_over_without_multicast) {
    auto a_spec = spec(master_priority);
    auto b_spec = spec(backup_priority);
    a_spec.unicast_src_ip = "10.77.0.1";
    a_spec.unicast_peers = {"10.77.0.2"};
    b_spec.unicast_src_ip = "10.77.0.2";
    b_spec.unicast_peers = {"10.77.0.1"};
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    for (const char* node : {"a", "b"}) {
        // The bridge floods multicast only to ports with mcast_flood on (snooping is off).
        const std::vector<std::string> argv{"bridge",         "link",        "set", "dev",
                                            lab().port(node), "mcast_flood", "off"};
        ASSERT_TRUE(succeeded(argv, run_in_netns(lab().switch_ns(), argv)));
    }
    a_config_ = single_instance(a_spec, "a");
    b_config_ = single_instance(b_spec, "b");
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    b_ = start_backup("b", daemon(), b_config_);
    const auto steady = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 3 * 100ms);
    EXPECT_FALSE(vip_changed_since("b", steady)) << "b did not hear a's unicast adverts";
    const auto stop = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    const auto taken = wait_vip("b", true, 3s, stop);
    ASSERT_TRUE(taken.has_value());
    measure("unicast_handover_ms", taken->at - stop, "Skew_Time", backup_v3.skew);
    EXPECT_LE(taken->at - stop, backup_v3.skew + margin(100ms));
}

// keepalived's vrrp_exist matches a unicast instance by its source address, not its peers: a
// reload changing the peers keeps it in place, one changing unicast_src_ip restarts it.
class HavipdUnicastReload : public HavipdPairBase {
  protected:
    static VrrpInstanceSpec unicast(int priority, std::string source,
                                    std::vector<std::string> peers) {
        auto s = spec(priority);
        s.unicast_src_ip = std::move(source);
        s.unicast_peers = std::move(peers);
        return s;
    }
    void SetUp() override {
        HavipdPairBase::SetUp();
        if (IsSkipped() || HasFailure()) return;
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        for (const char* node : {"a", "b"}) {
            // No multicast reaches the nodes: only unicast adverts elect.
            const std::vector<std::string> argv{"bridge",         "link",        "set", "dev",
                                                lab().port(node), "mcast_flood", "off"};
            ASSERT_TRUE(succeeded(argv, run_in_netns(lab().switch_ns(), argv)));
        }
        a_config_ = single_instance(unicast(master_priority, "10.77.0.1", {"10.77.0.2"}), "a");
        b_config_ = single_instance(unicast(backup_priority, "10.77.0.2", {"10.77.0.1"}), "b");
        a_ = start_master("a", daemon(), a_config_, 3s);
        ASSERT_FALSE(HasFailure());
        b_ = start_backup("b", daemon(), b_config_);
        ASSERT_FALSE(HasFailure());
    }
    void reload_a(const VrrpInstanceSpec& a_spec) {
        std::ofstream(a_.config, std::ios::trunc)
            << render_keepalived_conf(single_instance(a_spec, "a"));
        ASSERT_TRUE(a_.process->signal(SIGHUP));
        ASSERT_TRUE(wait_until([&] { return a_.log_mentions("reloaded"); }, 3s, 5ms));
    }
};

TEST_F(HavipdUnicastReload, changed_peers_keep_the_instance_and_its_vip) {
    const auto a_changes = a_.state_changes("VI_1");
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(
        reload_a(unicast(master_priority, "10.77.0.1", {"10.77.0.2", "10.77.0.3"})));
    EXPECT_TRUE(a_.log_mentions("1 kept, 0 started"));
    // b keeps hearing a, now one of two peers: nothing moves.
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_FALSE(vip_changed_since("a", hup));
    EXPECT_FALSE(vip_changed_since("b", hup));
    EXPECT_EQ(a_.state_changes("VI_1"), a_changes) << "a logged a transition on reload";
}

TEST_F(HavipdUnicastReload, changed_unicast_source_restarts_the_instance_and_it_takes_back) {
    ASSERT_TRUE(lab().add_address("a", "10.77.0.11/24"));
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(reload_a(unicast(master_priority, "10.77.0.11", {"10.77.0.2"})));
    EXPECT_TRUE(a_.log_mentions("0 kept, 1 started")) << "another source is another router";
    // The old router left with priority 0 and its VIP; the new one elects from BACKUP and, with
    // the higher priority, ends up holding the VIP alone, sending from the new source.
    EXPECT_TRUE(wait_vip("a", false, 2s, hup).has_value()) << "the VIP stayed through a restart";
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 3s, 5ms));
    const auto settled = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_EQ(holders(), Names{"a"});
    EXPECT_FALSE(vip_changed_since("b", settled)) << "b did not hear a's new source";
}

TEST_F(HavipdPair, ipv6_v3_instance_elects_and_hands_over_after_skew_time) {
    auto a_spec = spec(master_priority);
    auto b_spec = spec(backup_priority);
    a_spec.vips = b_spec.vips = {"fd77::100/64"};
    ASSERT_NO_FATAL_FAILURE(start_pair(a_spec, b_spec, "fd77::100"));
    const auto steady = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 2 * 100ms);
    EXPECT_FALSE(vip_changed_since("b", steady)) << "b did not hear a's IPv6 adverts";
    EXPECT_TRUE(lab().ping("b", "fd77::100"));
    const auto stop = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    const auto taken = wait_vip("b", true, 3s, stop);
    ASSERT_TRUE(taken.has_value());
    measure("ipv6_handover_ms", taken->at - stop, "Skew_Time", backup_v3.skew);
    EXPECT_LE(taken->at - stop, backup_v3.skew + margin(100ms));
    EXPECT_TRUE(wait_vip("a", false, 2s, stop).has_value());
}

// The master's IPv6 link-local address is replaced (after a MAC change, say) while the interface
// stays: it sends from the new address, as keepalived does. havipd kept the address it resolved
// at start: every advert failed to leave, b took over and both held the VIP.
TEST_F(HavipdPair, ipv6_master_whose_link_local_address_is_replaced_sends_from_the_new_one) {
    auto a_spec = spec(master_priority);
    auto b_spec = spec(backup_priority);
    a_spec.vips = b_spec.vips = {"fd77::100/64"};
    ASSERT_NO_FATAL_FAILURE(start_pair(a_spec, b_spec, "fd77::100"));
    send_errors_expected_ = true;  // an advert due between the two changes has no source
    const auto shown =
        lab().run("a", {"ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"});
    ASSERT_TRUE(shown.ok()) << shown.err;
    const auto from = shown.out.find("fe80::");
    ASSERT_NE(from, std::string::npos) << shown.out;
    const std::string old_address = shown.out.substr(from, shown.out.find(' ', from) - from);
    ASSERT_TRUE(lab().run("a", {"ip", "-6", "addr", "del", old_address, "dev", "eth0"}).ok());
    ASSERT_TRUE(
        lab().run("a", {"ip", "-6", "addr", "add", "fe80::a1/64", "dev", "eth0", "nodad"}).ok());
    // b may take the VIP while a has no address to send from; a, sending from fe80::a1 again,
    // preempts back. Then it is the only holder, and b hears it.
    std::this_thread::sleep_for(backup_v3.master_down);
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 3s, 5ms))
        << "holders: " << fmt::format("{}", fmt::join(holders(), ", "));
    // Straight to the new address, or by FAULT if the old one was gone before the new came.
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("sending from fe80::a1"); }, 2s, 5ms))
        << a_.process->log_tail(20);
    const auto settled = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_EQ(holders(), Names{"a"}) << "the VIP must be on exactly one node";
    EXPECT_FALSE(vip_changed_since("b", settled)) << "b did not hear a's adverts";
}

// The same for IPv4: the master's own address is replaced by another in the subnet. Deleting
// it takes the VIP (a secondary of the same subnet) with it; the master, with no address to
// send from, is in FAULT until the new one is there, then preempts back from it.
TEST_F(HavipdPair, ipv4_master_whose_address_is_replaced_sends_from_the_new_one) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    send_errors_expected_ = true;  // an advert due between the two changes has no source
    ASSERT_TRUE(lab().run("a", {"ip", "addr", "del", "10.77.0.1/24", "dev", "eth0"}).ok());
    ASSERT_TRUE(lab().run("a", {"ip", "addr", "add", "10.77.0.11/24", "dev", "eth0"}).ok());
    std::this_thread::sleep_for(backup_v3.master_down);
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 3s, 5ms))
        << "holders: " << fmt::format("{}", fmt::join(holders(), ", "));
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("sending from 10.77.0.11"); }, 2s, 5ms))
        << a_.process->log_tail(20);
    const auto settled = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 5 * 100ms);
    EXPECT_EQ(holders(), Names{"a"}) << "the VIP must be on exactly one node";
    EXPECT_FALSE(vip_changed_since("b", settled)) << "b did not hear a's adverts";
}

TEST_F(HavipdPair, more_vips_than_an_advert_holds_are_all_raised_and_adverts_keep_going) {
    // 300 IPv4 VIPs: the advert's count field holds 255, so keepalived advertises the first
    // 255 and raises the rest as excluded VIPs. The master must keep advertising, or its peer
    // takes the VIP too.
    auto a_spec = spec(master_priority);
    for (int i = 1; i < 300; ++i)
        a_spec.vips.push_back(fmt::format("10.77.{}.{}/16", 10 + i / 200, 1 + i % 200));
    auto b_spec = a_spec;
    b_spec.priority = backup_priority;
    ASSERT_NO_FATAL_FAILURE(start_pair(a_spec, b_spec));
    const auto steady = Clock::now();
    std::this_thread::sleep_for(backup_v3.master_down + 3 * 100ms);
    EXPECT_FALSE(vip_changed_since("b", steady)) << "b did not hear a's adverts";
    EXPECT_EQ(holders(), Names{"a"});
    const auto listed =
        lab().run("a", {"ip", "-4", "-o", "addr", "show", "dev", lab().ifname("a")});
    ASSERT_TRUE(listed.ok()) << listed.out;
    int vips = 0;
    for (std::size_t at = listed.out.find(" 10.77."); at != std::string::npos;
         at = listed.out.find(" 10.77.", at + 1))
        ++vips;
    EXPECT_EQ(vips, 300 + 1) << listed.out;  // the VIPs and a's own address
    EXPECT_TRUE(a_.log_mentions("held but not advertised")) << a_.process->log_tail(20);
}

TEST_F(HavipdPair, failing_track_script_faults_the_master_and_the_peer_takes_over) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    const auto flag = lab().dir() / "a-healthy";
    { std::ofstream(flag) << "ok\n"; }
    auto a_spec = spec(master_priority);
    a_spec.extra_lines = {"track_script {", "    chk_flag", "}"};
    a_config_ = single_instance(a_spec, "a");
    a_config_.global_extra_lines = {"script_user root", "enable_script_security"};
    const std::string script = fmt::format(
        "\nvrrp_script chk_flag {{\n    script \"/usr/bin/test -f {}\"\n    interval 1\n"
        "    fall 1\n    rise 1\n}}\n",
        flag.string());
    const auto start = Clock::now();
    a_ = start_vrrp_daemon(lab(), "a", daemon(), render_keepalived_conf(a_config_) + script);
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a_.process->log_tail(20);
    ASSERT_FALSE(HasFailure());
    b_ = start_backup("b", daemon(), single_instance(spec(backup_priority), "b"));
    ASSERT_FALSE(HasFailure());
    std::this_thread::sleep_for(300ms);
    ASSERT_EQ(holders(), Names{"a"});
    const auto failing = Clock::now();
    std::filesystem::remove(flag);
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 3s));
    const auto taken = wait_vip("b", true, 4s, failing);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    // The script runs every second; the fault's priority 0 hands over after b's Skew_Time.
    measure("script_fault_failover_ms", taken->at - failing, "script interval + Skew_Time",
            1000ms + backup_v3.skew);
    EXPECT_LE(taken->at - failing, 1000ms + backup_v3.skew + 300ms);
    EXPECT_TRUE(wait_vip("a", false, 1s, failing).has_value());
    const auto healthy = Clock::now();
    { std::ofstream(flag) << "ok\n"; }
    EXPECT_TRUE(wait_vip("a", true, 4s, healthy).has_value()) << "a did not recover";
}

// track_file (keepalived.conf(5) "Track files"): the master follows the file as it is written.
class HavipdTrackFile : public HavipdPair {
  protected:
    // a tracks `file` through `ref` (the instance's track_file line), b is a plain backup.
    void start_tracking(const std::string& block, const std::string& ref) {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        auto a_spec = spec(master_priority);
        a_spec.extra_lines = {"track_file {", "    " + ref, "}"};
        a_config_ = single_instance(a_spec, "a");
        const auto start = Clock::now();
        a_ = start_vrrp_daemon(lab(), "a", daemon(), render_keepalived_conf(a_config_) + block);
        ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a_.process->log_tail(20);
        b_ = start_backup("b", daemon(), single_instance(spec(backup_priority), "b"));
        ASSERT_FALSE(HasFailure());
        std::this_thread::sleep_for(300ms);
        ASSERT_EQ(holders(), Names{"a"});
    }
    void write(const std::string& text) {
        // In place, as `echo 1 > FILE` does: the daemon sees the close after writing.
        std::ofstream(file_, std::ios::trunc) << text;
    }
    std::filesystem::path file_;
};

TEST_F(HavipdTrackFile, a_non_zero_value_with_weight_zero_faults_the_master_at_once) {
    file_ = std::filesystem::path("/tmp") / fmt::format("havip-track-{}", ::getpid());
    std::filesystem::remove(file_);
    // init_file creates the file with 0 (fine) at start-up.
    ASSERT_NO_FATAL_FAILURE(start_tracking(
        fmt::format("\ntrack_file maint {{\n    file {}\n    weight 0\n    init_file\n}}\n",
                    file_.string()),
        "maint"));
    EXPECT_TRUE(std::filesystem::exists(file_));
    const auto written = Clock::now();
    write("1\n");
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 1s)) << a_.process->log_tail(10);
    const auto taken = wait_vip("b", true, 2s, written);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    // No polling: inotify plus the fault's priority-0 advert, then b's Skew_Time.
    measure("track_file_fault_failover_ms", taken->at - written, "Skew_Time", backup_v3.skew);
    EXPECT_LE(taken->at - written, backup_v3.skew + 300ms);
    const auto cleared = Clock::now();
    write("0\n");
    EXPECT_TRUE(wait_vip("a", true, 3s, cleared).has_value()) << "a did not recover";
    std::filesystem::remove(file_);
}

TEST_F(HavipdTrackFile, value_times_weight_lowers_the_priority_below_the_peer) {
    file_ = std::filesystem::path("/tmp") / fmt::format("havip-track-{}", ::getpid());
    { std::ofstream(file_) << "0\n"; }
    // The instance's weight (-60) overrides the block's (1): 150 - 60 = 90 < b's 100.
    ASSERT_NO_FATAL_FAILURE(
        start_tracking(fmt::format("\ntrack_file drain {{\n    file {}\n}}\n", file_.string()),
                       "drain weight -60"));
    write("1\n");
    EXPECT_TRUE(wait_vip("b", true, 2s, Clock::now()).has_value()) << "b did not preempt";
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 2s)) << a_.process->log_tail(10);
    EXPECT_TRUE(a_.log_mentions("priority 150 -> 90")) << a_.process->log_tail(10);
    write("0\n");
    EXPECT_TRUE(wait_vip("a", true, 3s, Clock::now()).has_value()) << "a did not preempt back";
    std::filesystem::remove(file_);
}

TEST_F(HavipdPair, notify_hooks_run_in_transition_order_with_keepalived_arguments) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    const auto journal = lab().dir() / "a-notify.log";
    // Each hook appends its label and arguments to one file, so the order is visible.
    const auto hook = lab().dir() / "a-hook.sh";
    {
        std::ofstream out(hook);
        out << "#!/bin/sh\necho \"$*\" >>" << journal.string() << "\n";
    }
    std::filesystem::permissions(hook, std::filesystem::perms::owner_all);
    auto a_spec = spec(master_priority);
    a_spec.extra_lines = {fmt::format("notify_master \"{} master\"", hook.string()),
                          fmt::format("notify_backup \"{} backup\"", hook.string()),
                          fmt::format("notify_stop \"{} stop\"", hook.string()),
                          fmt::format("notify \"{} any\"", hook.string())};
    a_config_ = single_instance(a_spec, "a");
    a_config_.global_extra_lines = {"script_user root", "enable_script_security"};
    const auto start = Clock::now();
    a_ = start_vrrp_daemon(lab(), "a", daemon(), a_config_);
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a_.process->log_tail(20);
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    ASSERT_TRUE(a_.process->wait_exit(5s).has_value());
    std::ifstream in(journal);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    const std::string prio = std::to_string(master_priority);
    EXPECT_EQ(lines, (std::vector<std::string>{"backup", "any INSTANCE VI_1 BACKUP " + prio,
                                               "master", "any INSTANCE VI_1 MASTER " + prio, "stop",
                                               "any INSTANCE VI_1 STOP " + prio}));
}

TEST_F(HavipdPair, stale_vip_is_removed_at_start_up) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    a_config_ = single_instance(spec(master_priority), "a");
    a_ = start_master("a", daemon(), a_config_, 3s);
    ASSERT_FALSE(HasFailure());
    // As if a killed daemon had left it behind on b.
    ASSERT_TRUE(lab().add_address("b", fmt::format("{}/24", vip4)));
    ASSERT_TRUE(wait_until([&] { return holders() == Names{"a", "b"}; }, 1s, 5ms));
    const auto start = Clock::now();
    b_ = start_backup("b", daemon(), single_instance(spec(backup_priority), "b"));
    const auto removed = wait_vip("b", false, 2s, start);
    ASSERT_TRUE(removed.has_value()) << "the stale VIP stayed on b";
    measure("stale_vip_removed_ms", removed->at - start, "start-up", 0ms);
    EXPECT_TRUE(b_.log_mentions("removed stale VIP"));
    std::this_thread::sleep_for(backup_v3.master_down);
    EXPECT_EQ(holders(), Names{"a"});
}

}  // namespace
}  // namespace havip::test
