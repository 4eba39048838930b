// vrrp_sync_group between two havipd nodes: a database VIP (VI_DB, VRID 51) and a second VIP
// (VI_GW, VRID 52) in one group on each node, a master 150 and b 100, VRRPv3 at 100 ms.
// A fault of one member on the master (its track_file) takes both VIPs to b, the group's notify
// hook runs on b with "GROUP G MASTER 0", and clearing the fault brings both back to a. A
// member-only takeover never happens: the two VIPs are always on the same node.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/keepalived_conf.hpp"
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
namespace fs = std::filesystem;

constexpr const char* db_vip = sync_db_vip;
constexpr const char* gw_vip = sync_gw_vip;

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::size_t occurrences(const std::string& text, std::string_view what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
        ++n;
    return n;
}

class SyncGroupTest : public VrrpPairTest {
  protected:
    // Node `node`'s configuration: both instances, the group with a notify hook writing its
    // arguments to `notify_out`, and VI_GW tracking `flag` (weight 0: non-zero = FAULT).
    std::string config(std::string_view node, int priority, const fs::path& flag,
                       const fs::path& notify_out) {
        KeepalivedConfig c;
        c.router_id = std::string(node);
        for (auto [name, vrid, vip] : {std::tuple{"VI_DB", 51, db_vip}, {"VI_GW", 52, gw_vip}}) {
            VrrpInstanceSpec s;
            s.name = name;
            s.vrid = vrid;
            s.priority = priority;
            s.version = 3;
            s.advert_int = 100ms;
            s.vips = {fmt::format("{}/24", vip)};
            // Both also track the group's file with a weight of their own that would only lower
            // them to 130, still above b: the group's tracking of it makes it a fault.
            s.extra_lines = {"track_file {", "    group_flag weight -20", "}"};
            if (vrid == 52) s.extra_lines.insert(s.extra_lines.begin() + 1, "    flag");
            c.instances.push_back(s);
        }
        c.global_extra_lines = {"script_user root", "enable_script_security"};
        const auto hook = lab().dir() / fmt::format("{}-notify.sh", node);
        { std::ofstream(hook) << "#!/bin/sh\necho \"$@\" >>" << notify_out.string() << "\n"; }
        fs::permissions(hook, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
        return render_keepalived_conf(c) +
               fmt::format(
                   "track_file flag {{\n    file \"{}\"\n    weight 0\n}}\n"
                   "track_file group_flag {{\n    file \"{}-group\"\n    weight 0\n}}\n"
                   "vrrp_sync_group G {{\n    group {{\n        VI_DB\n        VI_GW\n"
                   "    }}\n    track_file {{\n        group_flag\n    }}\n"
                   "    notify \"{}\" root\n    notify_stop \"{} group-stop\" root\n}}\n",
                   flag.string(), flag.string(), hook.string(), hook.string());
    }

    bool holds(std::string_view node, const char* vip) { return lab().has_address(node, vip); }

    // A notify hook that appends its arguments to `out`.
    fs::path notify_hook(std::string_view node, const fs::path& out) {
        const auto hook = lab().dir() / fmt::format("{}-notify.sh", node);
        { std::ofstream(hook) << "#!/bin/sh\necho \"$@\" >>" << out.string() << "\n"; }
        fs::permissions(hook, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                  fs::perms::others_read | fs::perms::others_exec);
        return hook;
    }

    // Both VIPs on `node` and none on the other, for a few adverts.
    bool both_on(std::string_view node, std::chrono::milliseconds within) {
        const std::string other = node == "a" ? "b" : "a";
        auto settled = [&] {
            return holds(node, db_vip) && holds(node, gw_vip) && !holds(other, db_vip) &&
                   !holds(other, gw_vip);
        };
        if (!wait_until(settled, within, 10ms)) return false;
        std::this_thread::sleep_for(300ms);
        return settled();
    }
};

TEST_F(SyncGroupTest, a_member_fault_moves_the_whole_group_and_back) {
    ASSERT_NO_FATAL_FAILURE(build(db_vip));
    const auto a_flag = lab().dir() / "a-flag";
    const auto b_flag = lab().dir() / "b-flag";
    const auto a_notify = lab().dir() / "a-notify.out";
    const auto b_notify = lab().dir() / "b-notify.out";
    for (const auto& f : {a_flag, b_flag, fs::path(a_flag.string() + "-group"),
                          fs::path(b_flag.string() + "-group")})
        std::ofstream(f) << "0\n";
    const auto start = Clock::now();
    auto a =
        start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 150, a_flag, a_notify));
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a.process->log_tail(30);
    auto b =
        start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 100, b_flag, b_notify));
    ASSERT_TRUE(both_on("a", 3s)) << a.process->log_tail(30);
    // Both members start BACKUP, then take over together: one hook run per group state.
    EXPECT_TRUE(wait_until(
        [&] { return read_file(a_notify) == "GROUP G BACKUP 0\nGROUP G MASTER 0\n"; }, 2s, 20ms))
        << read_file(a_notify);

    // VI_GW's file says FAULT on a: VI_DB follows it, b takes both.
    const auto faulted = Clock::now();
    std::ofstream(a_flag) << "1\n";
    ASSERT_TRUE(both_on("b", 2s)) << a.process->log_tail(30) << b.process->log_tail(30);
    const auto moved = wait_vip("b", true, 0ms, faulted);
    ASSERT_TRUE(moved.has_value());
    EXPECT_LT(moved->at - faulted, 1s);
    EXPECT_TRUE(a.log_mentions("VI_DB") && a.log_mentions("sync group G: VI_GW is in FAULT"))
        << a.process->log_tail(30);
    EXPECT_TRUE(wait_until(
        [&] { return read_file(b_notify).find("GROUP G MASTER 0") != std::string::npos; }, 2s,
        20ms))
        << read_file(b_notify);
    EXPECT_TRUE(wait_until(
        [&] { return read_file(a_notify).find("GROUP G FAULT 0") != std::string::npos; }, 2s, 20ms))
        << read_file(a_notify);

    // Cleared: both members of a leave FAULT together and preempt b as a group.
    std::ofstream(a_flag) << "0\n";
    ASSERT_TRUE(both_on("a", 3s)) << a.process->log_tail(30) << b.process->log_tail(30);
    EXPECT_TRUE(wait_until(
        [&] { return read_file(b_notify).find("GROUP G BACKUP 0") != std::string::npos; }, 2s,
        20ms))
        << read_file(b_notify);
    // The group's own file: a member's weight for the same file does not soften it.
    std::ofstream(a_flag.string() + "-group") << "1\n";
    ASSERT_TRUE(both_on("b", 2s)) << a.process->log_tail(30);
    std::ofstream(a_flag.string() + "-group") << "0\n";
    ASSERT_TRUE(both_on("a", 3s)) << a.process->log_tail(30) << b.process->log_tail(30);

    for (const auto* d : {&a, &b}) {
        EXPECT_TRUE(d->process->running()) << d->node;
        EXPECT_FALSE(d->log_mentions("cannot ")) << d->node << ":\n" << d->process->log_tail(30);
    }

    // Stopped, b runs the group's notify_stop and `notify … STOP` once, before it exits.
    ASSERT_TRUE(b.process->signal(SIGTERM));
    ASSERT_TRUE(b.process->wait_exit(3s).has_value());
    const auto b_hooks = read_file(b_notify);
    EXPECT_NE(b_hooks.find("group-stop\n"), std::string::npos) << b_hooks;
    EXPECT_EQ(b_hooks.find("group-stop\n"), b_hooks.rfind("group-stop\n")) << b_hooks;
    EXPECT_NE(b_hooks.find("GROUP G STOP 0\n"), std::string::npos) << b_hooks;
}

// Issue 16: a member's interface deleted and re-created by name. VI_GW runs on a second
// interface (eth1) of each node; deleting a's eth1 faults VI_GW, and with it the group, so b
// takes both VIPs; a new eth1 (a new ifindex) brings VI_GW and then the group back to a.
TEST_F(SyncGroupTest, a_member_interface_recreated_by_name_moves_the_group_and_back) {
    ASSERT_NO_FATAL_FAILURE(build(db_vip));
    auto add_eth1 = [&](std::string_view node, std::string_view cidr) {
        ASSERT_TRUE(lab().add_link(node, "eth1"));
        ASSERT_TRUE(lab().run(node, {"ip", "addr", "add", std::string(cidr), "dev", "eth1"}).ok());
    };
    ASSERT_NO_FATAL_FAILURE(add_eth1("a", "10.77.0.11/24"));
    ASSERT_NO_FATAL_FAILURE(add_eth1("b", "10.77.0.12/24"));
    auto config = [](std::string_view node, int priority) {
        KeepalivedConfig c;
        c.router_id = std::string(node);
        for (auto [name, vrid, vip, ifname] :
             {std::tuple{"VI_DB", 51, db_vip, "eth0"}, {"VI_GW", 52, gw_vip, "eth1"}}) {
            VrrpInstanceSpec s;
            s.name = name;
            s.interface = ifname;
            s.vrid = vrid;
            s.priority = priority;
            s.version = 3;
            s.advert_int = 100ms;
            s.vips = {fmt::format("{}/24", vip)};
            c.instances.push_back(s);
        }
        return render_keepalived_conf(c) +
               "vrrp_sync_group G {\n    group {\n        VI_DB\n        VI_GW\n    }\n}\n";
    };
    // The group on `node` alone: VI_DB's VIP on its eth0, VI_GW's on its eth1.
    auto group_on = [&](std::string_view node, std::chrono::milliseconds within) {
        const std::string other = node == "a" ? "b" : "a";
        auto on = [&](std::string_view n) {
            return has_address(lab().ns(n), "eth0", db_vip) &&
                   has_address(lab().ns(n), "eth1", gw_vip);
        };
        auto none = [&](std::string_view n) {
            return !has_address(lab().ns(n), "eth0", db_vip) &&
                   !has_address(lab().ns(n), "eth1", gw_vip);
        };
        auto settled = [&] { return on(node) && none(other); };
        if (!wait_until(settled, within, 10ms)) return false;
        std::this_thread::sleep_for(300ms);
        return settled();
    };
    const auto start = Clock::now();
    auto a = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 150));
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a.process->log_tail(30);
    auto b = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 100));
    ASSERT_TRUE(group_on("a", 3s)) << a.process->log_tail(30);

    ASSERT_TRUE(lab().run("a", {"ip", "link", "del", "eth1"}).ok());
    ASSERT_TRUE(group_on("b", 3s)) << a.process->log_tail(30) << b.process->log_tail(30);
    EXPECT_TRUE(a.wait_for_state("VI_DB", "FAULT", 1s)) << "VI_DB did not follow its group";

    ASSERT_NO_FATAL_FAILURE(add_eth1("a", "10.77.0.11/24"));
    ASSERT_TRUE(group_on("a", 3s)) << a.process->log_tail(30) << b.process->log_tail(30);
    for (const auto* d : {&a, &b}) {
        EXPECT_TRUE(d->process->running()) << d->node;
        EXPECT_FALSE(d->log_mentions("cannot ")) << d->node << ":\n" << d->process->log_tail(30);
    }
}

// Issue 16: an operator (or another tool) deletes one member's VIP on the MASTER. keepalived
// 2.2.7 (set_vrrp_backup) steps every MASTER member of the group down with priority 0 and a
// down timer of its own Skew_Time, so the group retakes its VIPs on the same node before any
// peer's skew runs out. havipd failed the group over to b (the other member got a plain
// SyncBackup, waiting a whole Master_Down_Interval) and then preempted back.
TEST_F(SyncGroupTest, a_member_vip_removed_externally_is_retaken_in_place_without_failover) {
    ASSERT_NO_FATAL_FAILURE(build(db_vip));
    const auto start = Clock::now();
    const auto a_notify = lab().dir() / "a-notify.out";
    auto a = start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                               two_member_group("a", 200, "G", {}, notify_hook("a", a_notify)));
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a.process->log_tail(30);
    auto b = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), two_member_group("b", 50, "G"));
    ASSERT_TRUE(b.wait_for_state("VI_GW", "BACKUP", 3s)) << b.process->log_tail(30);
    ASSERT_TRUE(both_on("a", 3s)) << a.process->log_tail(30);
    ASSERT_TRUE(wait_until(
        [&] { return read_file(a_notify) == "GROUP G BACKUP 0\nGROUP G MASTER 0\n"; }, 2s, 20ms))
        << read_file(a_notify);

    const auto removed = Clock::now();
    ASSERT_TRUE(
        lab().run("a", {"ip", "addr", "del", fmt::format("{}/24", db_vip), "dev", "eth0"}).ok());
    const auto back = wait_vip("a", true, 2s, removed);
    ASSERT_TRUE(back.has_value()) << "the VIP never came back on a\n" << a.process->log_tail(30);
    fmt::print("[ measure  ] sync_vip_restored_ms {:.3f}\n",
               std::chrono::duration<double, std::milli>(back->at - removed).count());
    // b's Master_Down_Interval (760.9 ms) and then some: b would have taken over by now.
    ASSERT_TRUE(both_on("a", 2s)) << a.process->log_tail(30) << b.process->log_tail(30);
    std::this_thread::sleep_for(1s);
    EXPECT_FALSE(vip_changed_since("b", removed))
        << "b took the group's VIP\n"
        << a.process->log_tail(30) << b.process->log_tail(30);
    EXPECT_EQ(b.times_entered("VI_DB", "MASTER"), 0u) << b.process->log_tail(30);
    EXPECT_EQ(b.times_entered("VI_GW", "MASTER"), 0u) << b.process->log_tail(30);
    EXPECT_TRUE(holds("a", db_vip) && holds("a", gw_vip));
    EXPECT_TRUE(a.log_mentions("removed by someone else"));
    EXPECT_TRUE(a.log_mentions("[VI_GW vrid 52] MASTER -> BACKUP: sync group G: VI_DB is retaking"))
        << a.process->log_tail(30);
    // The group's hooks: MASTER again once it is back, and no BACKUP for the retake (keepalived
    // marks the group BACKUP silently meanwhile).
    EXPECT_TRUE(wait_until(
        [&] {
            return read_file(a_notify) == "GROUP G BACKUP 0\nGROUP G MASTER 0\nGROUP G MASTER 0\n";
        },
        2s, 20ms))
        << read_file(a_notify);
    for (const auto* d : {&a, &b}) {
        EXPECT_TRUE(d->process->running()) << d->node;
        EXPECT_FALSE(d->log_mentions("cannot ")) << d->node << ":\n" << d->process->log_tail(30);
    }
}

// Issue 16: keepalived matches a reloaded instance by VRID, family, interface and addressing
// (vrrp_exist), not by its sync group: a reload that puts two running instances in a group,
// and one that renames the group, keeps them as they are. havipd restarted them (priority 0,
// b took both VIPs, a preempted back). After both reloads the group still acts as one: a
// fault of VI_GW takes VI_DB to b with it.
TEST_F(SyncGroupTest, sighup_grouping_the_instances_or_renaming_the_group_keeps_their_state) {
    ASSERT_NO_FATAL_FAILURE(build(db_vip));
    const auto a_flag = lab().dir() / "a-flag";
    const auto b_flag = lab().dir() / "b-flag";
    std::ofstream(a_flag) << "0\n";
    std::ofstream(b_flag) << "0\n";
    const auto start = Clock::now();
    auto a = start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                               two_member_group("a", 200, "", a_flag));
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a.process->log_tail(30);
    auto b =
        start_vrrp_daemon(lab(), "b", havipd(havipd_path()), two_member_group("b", 50, "", b_flag));
    ASSERT_TRUE(b.wait_for_state("VI_GW", "BACKUP", 3s)) << b.process->log_tail(30);
    ASSERT_TRUE(both_on("a", 3s)) << a.process->log_tail(30);

    const auto reload = [&](std::string_view group, int round) {
        for (auto [d, priority, flag] : {std::tuple{&a, 200, a_flag}, {&b, 50, b_flag}}) {
            std::ofstream(d->config, std::ios::trunc)
                << two_member_group(d->node, priority, group, flag);
            ASSERT_TRUE(d->process->signal(SIGHUP));
        }
        for (const auto* d : {&a, &b})
            ASSERT_TRUE(wait_until(
                [&] { return occurrences(d->process->log(), "reloaded: ") >= std::size_t(round); },
                3s, 5ms))
                << d->process->log_tail(20);
    };
    const auto a_changes = a.state_changes("VI_DB") + a.state_changes("VI_GW");
    const auto b_changes = b.state_changes("VI_DB") + b.state_changes("VI_GW");
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(reload("G", 1));
    EXPECT_TRUE(a.log_mentions("reloaded: 2 kept, 0 started")) << a.process->log_tail(20);
    ASSERT_NO_FATAL_FAILURE(reload("G2", 2));
    // b's Master_Down_Interval and more: a restarted instance would have been taken over.
    std::this_thread::sleep_for(1500ms);
    EXPECT_FALSE(vip_changed_since("a", hup)) << "the VIP went away during a reload";
    EXPECT_FALSE(vip_changed_since("b", hup)) << "b took over during a reload";
    EXPECT_TRUE(holds("a", db_vip) && holds("a", gw_vip) && !holds("b", gw_vip));
    EXPECT_EQ(a.state_changes("VI_DB") + a.state_changes("VI_GW"), a_changes)
        << "a logged a transition on reload\n"
        << a.process->log_tail(30);
    EXPECT_EQ(b.state_changes("VI_DB") + b.state_changes("VI_GW"), b_changes)
        << "b logged a transition on reload\n"
        << b.process->log_tail(30);

    // The renamed group is a group: VI_GW's fault on a takes VI_DB to b too, and back.
    std::ofstream(a_flag) << "1\n";
    ASSERT_TRUE(both_on("b", 3s)) << a.process->log_tail(30) << b.process->log_tail(30);
    EXPECT_TRUE(a.log_mentions("sync group G2: VI_GW is in FAULT")) << a.process->log_tail(30);
    std::ofstream(a_flag) << "0\n";
    ASSERT_TRUE(both_on("a", 3s)) << a.process->log_tail(30) << b.process->log_tail(30);
    for (const auto* d : {&a, &b}) {
        EXPECT_TRUE(d->process->running()) << d->node;
        EXPECT_FALSE(d->log_mentions("cannot ")) << d->node << ":\n" << d->process->log_tail(30);
    }
}

}  // namespace
}  // namespace havip::test
