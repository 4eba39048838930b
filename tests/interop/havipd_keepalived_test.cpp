// havipd against real keepalived 2.2 on the other node, same configuration (issue 3, item 6):
// both roles, VRRPv2 with PASS authentication at 1 s and VRRPv3 at 100 ms over IPv4 and IPv6
// (link-local sources, ff02::12). Elections must
// agree, failover must work both ways (SIGTERM and a cut link), and no state may see two
// masters. (tshark's verdict on havipd's adverts is in keepalived_pair_test.cpp, beside
// keepalived's.)
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
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
using Names = std::vector<std::string>;

constexpr int master_priority = 150;
constexpr int backup_priority = 100;

struct Mixed {
    std::string name;
    int version;
    milliseconds advert_int;
    std::optional<std::string> auth_pass;
    bool havipd_is_master;  // node a (higher priority) runs havipd, b keepalived; or reverse
    std::string vip = "10.77.0.100";
    int prefix = 24;
};

void PrintTo(const Mixed& m, std::ostream* out) {
    *out << m.name;
}

bool have_keepalived() {
    return std::filesystem::exists("/usr/sbin/keepalived");
}

class HavipdVsKeepalived : public VrrpPairTest, public testing::WithParamInterface<Mixed> {
  protected:
    void SetUp() override {
        if (!have_keepalived()) GTEST_SKIP() << "needs keepalived at /usr/sbin/keepalived";
        VrrpPairTest::SetUp();
    }
    Daemon daemon_of(std::string_view node) const {
        const bool havipd_here = (node == "a") == GetParam().havipd_is_master;
        return havipd_here ? havipd(havipd_path()) : keepalived();
    }
    KeepalivedConfig config_for(std::string_view node) const {
        VrrpInstanceSpec s;
        s.vrid = 51;
        s.priority = node == "a" ? master_priority : backup_priority;
        s.version = GetParam().version;
        s.advert_int = GetParam().advert_int;
        s.auth_pass = GetParam().auth_pass;
        s.vips = {fmt::format("{}/{}", GetParam().vip, GetParam().prefix)};
        return single_instance(s, node);
    }
    VrrpTiming timing(int priority) const {
        return rfc_timing(GetParam().version, priority, GetParam().advert_int);
    }
    milliseconds margin() const { return 100ms + GetParam().advert_int / 10; }

    void start_pair() {
        ASSERT_NO_FATAL_FAILURE(build(GetParam().vip));
        a_ = start_master("a", daemon_of("a"), config_for("a"),
                          duration_cast<milliseconds>(timing(master_priority).master_down) + 3s);
        ASSERT_FALSE(HasFailure());
        b_ = start_backup("b", daemon_of("b"), config_for("b"));
        ASSERT_FALSE(HasFailure());
        std::this_thread::sleep_for(2 * GetParam().advert_int);
        ASSERT_EQ(holders(), Names{"a"});
    }

    // After a failover to b, a returns (restarted or reconnected): it must preempt b, and
    // then only a may hold the VIP for several adverts.
    void expect_a_takes_back(Clock::time_point since) {
        const auto bound = duration_cast<milliseconds>(timing(master_priority).master_down) + 3s;
        const auto back = wait_vip("a", true, bound, since);
        ASSERT_TRUE(back.has_value()) << "a never took the VIP back";
        measure("preempt_back_ms", back->at - since, "a's Master_Down_Interval",
                timing(master_priority).master_down);
        EXPECT_TRUE(wait_vip("b", false, 3s, since).has_value()) << "b kept the VIP";
        std::this_thread::sleep_for(3 * GetParam().advert_int);
        EXPECT_EQ(holders(), Names{"a"});
    }

    RunningDaemon a_;
    RunningDaemon b_;
};

TEST_P(HavipdVsKeepalived, elections_agree_and_there_is_no_dual_master_in_steady_state) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto start = Clock::now();
    // b's Master_Down_Interval plus several adverts: a b that rejected a's adverts (auth,
    // checksum, interval) would have become master in that time.
    std::this_thread::sleep_for(timing(backup_priority).master_down + 3 * GetParam().advert_int);
    EXPECT_FALSE(vip_changed_since("a", start));
    EXPECT_FALSE(vip_changed_since("b", start)) << "b took the VIP while a was master";
    EXPECT_EQ(holders(), Names{"a"});
    EXPECT_EQ(a_.times_entered("VI_1", "MASTER"), 1u);
    EXPECT_EQ(b_.times_entered("VI_1", "MASTER"), 0u);
    EXPECT_FALSE(b_.log_mentions("rejected advert")) << b_.process->log_tail(10);
    EXPECT_TRUE(lab().ping("b", GetParam().vip));
}

TEST_P(HavipdVsKeepalived, sigterm_fails_over_after_skew_time_and_the_master_takes_back) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto stop = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    const auto taken = wait_vip(
        "b", true, duration_cast<milliseconds>(timing(backup_priority).master_down) + 3s, stop);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    measure("graceful_handover_ms", taken->at - stop, "Skew_Time", timing(backup_priority).skew);
    EXPECT_GE(taken->at - stop, timing(backup_priority).skew - 5ms);
    EXPECT_LE(taken->at - stop, timing(backup_priority).skew + margin());
    EXPECT_TRUE(wait_vip("a", false, 3s, stop).has_value()) << "a kept the VIP after SIGTERM";
    EXPECT_EQ(a_.process->wait_exit(10s), 0);
    const auto back = Clock::now();
    a_ = start_vrrp_daemon(lab(), "a", daemon_of("a"), config_for("a"));
    ASSERT_NO_FATAL_FAILURE(expect_a_takes_back(back));
}

TEST_P(HavipdVsKeepalived, link_cut_fails_over_within_master_down_interval_and_back) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto cut = Clock::now();
    ASSERT_TRUE(lab().set_port("a", false));
    const auto md = timing(backup_priority).master_down;
    const auto taken = wait_vip("b", true, duration_cast<milliseconds>(md) + 3s, cut);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    measure("cut_off_failover_ms", taken->at - cut, "Master_Down_Interval", md);
    EXPECT_GE(taken->at - cut, md - GetParam().advert_int - 5ms);
    EXPECT_LE(taken->at - cut, md + margin());
    EXPECT_TRUE(wait_vip("a", false, 3s, cut).has_value()) << "cut-off a kept the VIP";
    const auto reconnect = Clock::now();
    ASSERT_TRUE(lab().set_port("a", true));
    ASSERT_NO_FATAL_FAILURE(expect_a_takes_back(reconnect));
}

// keepalived before 1.3.6 checksummed unicast VRRPv3 IPv4 adverts over the multicast group's
// pseudo-header; keepalived 2.2.7 still sends that form with `old_unicast_checksum`, and by
// default switches to it when it hears it. A unicast pair with one such side must elect one
// master, whichever side runs which daemon.
class OldUnicastChecksum : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (!have_keepalived()) GTEST_SKIP() << "needs keepalived at /usr/sbin/keepalived";
        VrrpPairTest::SetUp();
    }
    KeepalivedConfig config_for(std::string_view node, bool old_form) const {
        VrrpInstanceSpec s;
        s.vrid = 51;
        s.priority = node == "a" ? master_priority : backup_priority;
        s.version = 3;
        s.advert_int = 100ms;
        s.vips = {"10.77.0.100/24"};
        s.unicast_src_ip = node == "a" ? "10.77.0.1" : "10.77.0.2";
        s.unicast_peers = {node == "a" ? "10.77.0.2" : "10.77.0.1"};
        if (old_form) s.extra_lines = {"old_unicast_checksum"};
        return single_instance(s, node);
    }
    // a (master) and b (backup) on `daemons`, a configured for the old form: b must follow a.
    void expect_one_master(const Daemon& a_daemon, const Daemon& b_daemon) {
        ASSERT_NO_FATAL_FAILURE(build("10.77.0.100"));
        auto a = start_master("a", a_daemon, config_for("a", true), 5s);
        ASSERT_FALSE(HasFailure());
        auto b = start_backup("b", b_daemon, config_for("b", false));
        ASSERT_FALSE(HasFailure());
        const auto start = Clock::now();
        std::this_thread::sleep_for(rfc_timing(3, backup_priority, 100ms).master_down + 1s);
        EXPECT_FALSE(vip_changed_since("b", start))
            << "b took the VIP: " << b.process->log_tail(10);
        EXPECT_EQ(holders(), Names{"a"});
        EXPECT_EQ(b.times_entered("VI_1", "MASTER"), 0u) << b.process->log_tail(10);
        // And b still takes over when a stops.
        const auto stop = Clock::now();
        ASSERT_TRUE(a.process->signal(SIGTERM));
        EXPECT_TRUE(wait_vip("b", true, 3s, stop).has_value()) << b.process->log_tail(10);
    }
};

TEST_F(OldUnicastChecksum, havipd_follows_a_keepalived_master_sending_the_old_form) {
    expect_one_master(keepalived(), havipd(havipd_path()));
}

TEST_F(OldUnicastChecksum, keepalived_follows_a_havipd_master_configured_for_the_old_form) {
    expect_one_master(havipd(havipd_path()), keepalived());
}

// keepalived's mcast_dst_ip: VI_1 sends to 224.0.0.19, VI_2 on the same interface to the usual
// 224.0.0.18. Each side must send to and hear each group, whichever side runs which daemon, or
// the backup never hears the master of that instance and takes over too.
class McastDstIp : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (!have_keepalived()) GTEST_SKIP() << "needs keepalived at /usr/sbin/keepalived";
        VrrpPairTest::SetUp();
    }
    KeepalivedConfig config_for(std::string_view node) const {
        KeepalivedConfig c;
        c.router_id = std::string{node};
        VrrpInstanceSpec s;
        s.priority = node == "a" ? master_priority : backup_priority;
        s.version = 3;
        s.advert_int = 100ms;
        s.vips = {"10.77.0.100/24"};
        s.extra_lines = {"mcast_dst_ip 224.0.0.19"};
        c.instances.push_back(s);
        s.name = "VI_2";
        s.vrid = 52;
        s.vips = {"10.77.0.101/24"};
        s.extra_lines = {};
        c.instances.push_back(s);
        return c;
    }
    void expect_one_master_each(const Daemon& a_daemon, const Daemon& b_daemon) {
        ASSERT_NO_FATAL_FAILURE(build("10.77.0.100"));
        auto a = start_master("a", a_daemon, config_for("a"), 5s);
        ASSERT_FALSE(HasFailure());
        auto b = start_backup("b", b_daemon, config_for("b"));
        ASSERT_FALSE(HasFailure());
        ASSERT_TRUE(b.wait_for_state("VI_2", "BACKUP", 5s));
        const auto start = Clock::now();
        std::this_thread::sleep_for(rfc_timing(3, backup_priority, 100ms).master_down + 1s);
        EXPECT_FALSE(vip_changed_since("b", start)) << b.process->log_tail(10);
        EXPECT_EQ(holders(), Names{"a"});
        EXPECT_EQ(b.times_entered("VI_1", "MASTER"), 0u) << b.process->log_tail(10);
        EXPECT_EQ(b.times_entered("VI_2", "MASTER"), 0u) << b.process->log_tail(10);
        // And b takes both over when a stops: it hears a's priority 0 on each group.
        const auto stop = Clock::now();
        ASSERT_TRUE(a.process->signal(SIGTERM));
        EXPECT_TRUE(wait_vip("b", true, 3s, stop).has_value()) << b.process->log_tail(10);
        EXPECT_TRUE(b.wait_for_state("VI_2", "MASTER", 3s)) << b.process->log_tail(10);
    }
};

TEST_F(McastDstIp, havipd_backup_hears_a_keepalived_master_on_each_group) {
    expect_one_master_each(keepalived(), havipd(havipd_path()));
}

TEST_F(McastDstIp, keepalived_backup_hears_a_havipd_master_on_each_group) {
    expect_one_master_each(havipd(havipd_path()), keepalived());
}

// Issue 16: the master's interface deleted and created again with the same name (a new
// ifindex), as ifupdown does to a bridge. keepalived follows the name: FAULT, then back on the
// new interface; havipd must do the same on either side, and the peer must hear it again.
TEST_P(HavipdVsKeepalived, master_interface_recreated_by_name_fails_over_and_takes_back) {
    // Seen here: keepalived 2.2.7 follows the name (FAULT, "Interface eth0 added", BACKUP,
    // MASTER) but an IPv6 instance keeps the old interface's link-local source, so every advert
    // fails ("send advert error 22") and the peer stays MASTER too. havipd takes the new one.
    if (!GetParam().havipd_is_master && GetParam().vip.find(':') != std::string::npos)
        GTEST_SKIP() << "keepalived 2.2.7 cannot advertise from a re-created IPv6 interface";
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto gone = Clock::now();
    ASSERT_TRUE(lab().delete_link("a"));
    const auto md = timing(backup_priority).master_down;
    const auto taken = wait_vip("b", true, duration_cast<milliseconds>(md) + 3s, gone);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 3s));
    const auto back = Clock::now();
    ASSERT_TRUE(lab().recreate_link("a", false));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    ASSERT_TRUE(lab().add_address("a", "fd77::1/64"));
    ASSERT_TRUE(lab().set_link("a", true));
    ASSERT_NO_FATAL_FAILURE(expect_a_takes_back(back));
}

// The backup's interface re-created: it returns to BACKUP and follows the master's adverts on
// the new link, whichever daemon either side runs (no dual master).
TEST_P(HavipdVsKeepalived,
       backup_interface_recreated_by_name_returns_to_backup_without_dual_master) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto gone = Clock::now();
    ASSERT_TRUE(lab().delete_link("b"));
    EXPECT_TRUE(b_.wait_for_state("VI_1", "FAULT", 3s));
    const auto back = Clock::now();
    ASSERT_TRUE(lab().recreate_link("b", false));
    ASSERT_TRUE(lab().add_address("b", "10.77.0.2/24"));
    ASSERT_TRUE(lab().add_address("b", "fd77::2/64"));
    ASSERT_TRUE(lab().set_link("b", true));
    EXPECT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 3s, 2)) << "FAULT did not end in BACKUP";
    // Three of b's Master_Down_Intervals: deaf to a it would have taken the VIP after one.
    std::this_thread::sleep_for(3 * timing(backup_priority).master_down);
    EXPECT_EQ(holders(), Names{"a"});
    EXPECT_FALSE(vip_changed_since("a", gone)) << "a lost the VIP";
    EXPECT_FALSE(vip_changed_since("b", back)) << "b took the VIP beside a";
}

INSTANTIATE_TEST_SUITE_P(
    Mixed, HavipdVsKeepalived,
    testing::Values(
        Mixed{"v2_pass_1s_keepalived_master", 2, 1000ms, std::string("s3cret"), false},
        Mixed{"v2_pass_1s_havipd_master", 2, 1000ms, std::string("s3cret"), true},
        Mixed{"v3_100ms_keepalived_master", 3, 100ms, std::nullopt, false},
        Mixed{"v3_100ms_havipd_master", 3, 100ms, std::nullopt, true},
        Mixed{"v3_ipv6_100ms_keepalived_master", 3, 100ms, std::nullopt, false, "fd77::100", 64},
        Mixed{"v3_ipv6_100ms_havipd_master", 3, 100ms, std::nullopt, true, "fd77::100", 64}),
    [](const auto& param) { return param.param.name; });

}  // namespace
}  // namespace havip::test
