// Tests of the namespace harness itself: what a Lab builds works, and everything it built or
// started is gone after it is destroyed, however the test ended.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;

bool namespace_exists(const std::string& name) {
    const auto names = list_namespaces();
    return std::find(names.begin(), names.end(), name) != names.end();
}

// Gone, or a zombie nobody has reaped yet (it holds no namespace and no resources).
bool process_gone(pid_t pid) {
    const auto stat = run_command({"cat", fmt::format("/proc/{}/stat", pid)});
    if (!stat.ok()) return true;
    const auto close = stat.out.rfind(')');
    return close != std::string::npos && stat.out.size() > close + 2 && stat.out[close + 2] == 'Z';
}

// What a lab built inside a scope, for checking after the scope closed.
struct Leftovers {
    std::vector<std::string> namespaces;
    std::vector<pid_t> pids;
    std::filesystem::path dir;
};

// A lab with two nodes and a process tree (a shell with a background child) in node a.
void build_busy_lab(Lab& lab, Leftovers& leftovers) {
    ASSERT_TRUE(lab.add_node("a"));
    ASSERT_TRUE(lab.add_node("b"));
    auto& shell =
        lab.start("a", "tree", {"sh", "-c", "sleep 1000 & echo child $!; exec sleep 1001"});
    ASSERT_TRUE(wait_until([&] { return shell.log_contains("child "); }, 5s));
    const std::string log = shell.log();
    leftovers.pids = {shell.pid(), std::stoi(log.substr(log.find("child ") + 6))};
    leftovers.namespaces = lab.namespaces();
    leftovers.dir = lab.dir();
}

void expect_all_gone(const Leftovers& leftovers) {
    ASSERT_EQ(leftovers.namespaces.size(), 3u);  // a, b and the switch
    ASSERT_EQ(leftovers.pids.size(), 2u);
    for (const auto& name : leftovers.namespaces) {
        EXPECT_FALSE(namespace_exists(name)) << name << " is still there";
    }
    for (const pid_t pid : leftovers.pids) {
        EXPECT_TRUE(wait_until([&] { return process_gone(pid); }, 2s))
            << "pid " << pid << " still runs";
    }
}

// Skips where labs cannot be built, but builds none: these tests make their own.
class RootTest : public testing::Test {
  protected:
    void SetUp() override {
        if (const auto reason = lab_skip_reason()) GTEST_SKIP() << *reason;
    }
};

using LabLifetime = RootTest;

TEST_F(LabLifetime, namespaces_and_processes_are_gone_after_the_lab_is_destroyed) {
    Leftovers leftovers;
    {
        Lab lab;
        ASSERT_TRUE(lab.ready());
        build_busy_lab(lab, leftovers);
        for (const auto& name : leftovers.namespaces)
            ASSERT_TRUE(namespace_exists(name));
        ASSERT_FALSE(process_gone(leftovers.pids[1]));
    }
    expect_all_gone(leftovers);
    EXPECT_FALSE(std::filesystem::exists(leftovers.dir)) << "a passing lab keeps no scratch";
}

TEST_F(LabLifetime, cleanup_happens_when_a_fatal_assertion_fails_inside_the_lab_scope) {
    // EXPECT_FATAL_FAILURE's statement may only reach static storage.
    static Leftovers leftovers;
    leftovers = Leftovers{};
    EXPECT_FATAL_FAILURE(
        {
            Lab lab;
            build_busy_lab(lab, leftovers);
            ASSERT_TRUE(false) << "forced failure";
        },
        "forced failure");
    expect_all_gone(leftovers);
}

TEST_F(LabLifetime, cleanup_happens_when_the_lab_scope_throws) {
    Leftovers leftovers;
    EXPECT_THROW(
        {
            Lab lab;
            build_busy_lab(lab, leftovers);
            throw std::runtime_error("forced");
        },
        std::runtime_error);
    expect_all_gone(leftovers);
}

TEST_F(LabLifetime, stale_namespaces_of_a_dead_run_are_removed_and_live_ones_kept) {
    // A pid that certainly existed and is now gone: a child we reaped.
    const pid_t dead = fork();
    if (dead == 0) _exit(0);
    ASSERT_GT(dead, 0);
    waitpid(dead, nullptr, 0);
    const std::string stale = fmt::format("{}{}-0-x", lab_prefix_base, dead);
    const std::string live = fmt::format("{}1-0-keep", lab_prefix_base);  // pid 1 always lives
    // Its name is fixed, so removed however this test ends (a run that failed before this
    // guard existed left it behind).
    run_command({"ip", "netns", "delete", live});
    struct Remove {
        std::string name;
        ~Remove() { run_command({"ip", "netns", "delete", name}); }
    } remove_live{live};
    ASSERT_TRUE(run_command({"ip", "netns", "add", stale}).ok());
    ASSERT_TRUE(run_command({"ip", "netns", "add", live}).ok());
    // A process left inside the stale namespace, as a crashed run would leave it.
    auto orphan =
        Process::start("orphan", {"ip", "netns", "exec", stale, "sleep", "1000"}, "/dev/null");
    ASSERT_TRUE(wait_until([&] { return namespace_pids(stale).size() == 1; }, 5s));
    {
        Lab lab;
        EXPECT_TRUE(lab.ready());
    }
    EXPECT_FALSE(namespace_exists(stale));
    EXPECT_TRUE(orphan.wait_exit(2s).has_value()) << "the process in the stale namespace lives";
    EXPECT_TRUE(namespace_exists(live));
}

using LabNetwork = LabTest;

TEST_F(LabNetwork, nodes_reach_each_other_over_ipv4_and_ipv6_through_the_switch) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_node("b", "br0"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    ASSERT_TRUE(lab().add_address("a", "fd77::1/64"));
    ASSERT_TRUE(lab().add_address("b", "10.77.0.2/24"));
    ASSERT_TRUE(lab().add_address("b", "fd77::2/64"));
    EXPECT_TRUE(lab().has_address("a", "10.77.0.1"));
    EXPECT_TRUE(lab().has_address("b", "fd77:0::2"));  // spelled differently on purpose
    EXPECT_FALSE(lab().has_address("a", "10.77.0.2"));
    EXPECT_EQ(lab().ifname("b"), "br0");
    EXPECT_TRUE(lab().ping("a", "10.77.0.2"));
    EXPECT_TRUE(lab().ping("b", "fd77::1"));
    EXPECT_FALSE(lab().ping("a", "10.77.0.99")) << "nothing answers for an unused address";
}

TEST_F(LabNetwork, port_down_cuts_a_node_off_and_port_up_restores_it) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_node("b"));
    ASSERT_TRUE(lab().add_node("client"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    ASSERT_TRUE(lab().add_address("b", "10.77.0.2/24"));
    ASSERT_TRUE(lab().add_address("client", "10.77.0.9/24"));
    ASSERT_TRUE(lab().ping("client", "10.77.0.1"));
    ASSERT_TRUE(lab().set_port("a", false));
    EXPECT_FALSE(lab().ping("client", "10.77.0.1", 300ms));
    EXPECT_TRUE(lab().ping("client", "10.77.0.2")) << "the other nodes stay connected";
    ASSERT_TRUE(lab().set_port("a", true));
    EXPECT_TRUE(wait_until([&] { return lab().ping("client", "10.77.0.1", 200ms); }, 5s));
}

TEST_F(LabNetwork, own_link_down_is_seen_as_no_carrier_by_the_node) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().set_port("a", false));
    const auto link = lab().run("a", {"ip", "-j", "link", "show", "eth0"});
    ASSERT_TRUE(link.ok());
    EXPECT_NE(link.out.find("NO-CARRIER"), std::string::npos) << link.out;
    ASSERT_TRUE(lab().set_link("a", false));
    const auto down = lab().run("a", {"ip", "-j", "link", "show", "eth0"});
    EXPECT_EQ(down.out.find("\"UP\""), std::string::npos) << down.out;
}

TEST_F(LabNetwork, recreated_link_has_the_same_name_a_new_ifindex_and_reaches_the_switch) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_node("b"));
    ASSERT_TRUE(lab().add_address("b", "10.77.0.2/24"));
    auto index = [&] { return lab().run("a", {"cat", "/sys/class/net/eth0/ifindex"}); };
    const auto before = index();
    ASSERT_TRUE(before.ok());
    ASSERT_TRUE(lab().delete_link("a"));
    EXPECT_FALSE(index().ok()) << "eth0 still there";
    ASSERT_TRUE(lab().recreate_link("a"));
    const auto after = index();
    ASSERT_TRUE(after.ok());
    EXPECT_NE(after.out, before.out) << "the same ifindex";
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    EXPECT_TRUE(wait_until([&] { return lab().ping("a", "10.77.0.2", 200ms); }, 5s));
    // A second interface on the switch beside it.
    ASSERT_TRUE(lab().add_link("a", "eth1"));
    ASSERT_TRUE(lab().run("a", {"ip", "addr", "add", "10.78.0.1/24", "dev", "eth1"}).ok());
    ASSERT_TRUE(lab().add_address("b", "10.78.0.2/24"));
    EXPECT_TRUE(wait_until([&] { return lab().ping("b", "10.78.0.1", 200ms); }, 5s));
}

TEST_F(LabNetwork, address_watcher_timestamps_the_vip_appearing_and_going) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_node("b"));
    ASSERT_TRUE(lab().add_address("b", "10.77.0.50/24"));  // present before watching
    AddressWatcher watcher({lab().ns("a"), lab().ns("b")}, "10.77.0.50");
    ASSERT_TRUE(watcher.ready());
    EXPECT_FALSE(watcher.present(lab().ns("a")));
    EXPECT_TRUE(watcher.present(lab().ns("b")));

    const auto before_add = AddressWatcher::Clock::now();
    ASSERT_TRUE(lab().add_address("a", "10.77.0.50/32"));
    const auto after_add = AddressWatcher::Clock::now();
    const auto added = watcher.wait_for(lab().ns("a"), true, 2s);
    ASSERT_TRUE(added.has_value());
    EXPECT_GE(added->at, before_add);
    EXPECT_LE(added->at, after_add + 50ms) << "stamped when the change happened";

    const auto before_del = AddressWatcher::Clock::now();
    ASSERT_TRUE(lab().run("a", {"ip", "addr", "del", "10.77.0.50/32", "dev", "eth0"}).ok());
    const auto removed = watcher.wait_for(lab().ns("a"), false, 2s, before_del);
    ASSERT_TRUE(removed.has_value());
    EXPECT_GE(removed->at, added->at);
    EXPECT_FALSE(watcher.present(lab().ns("a")));
    EXPECT_EQ(watcher.holders(), std::vector<std::string>{lab().ns("b")});
    EXPECT_EQ(watcher.events().size(), 2u) << "b's address was there from the start: no event";
    EXPECT_FALSE(watcher.overflowed());
}

TEST_F(LabNetwork, address_watcher_follows_an_ipv6_address) {
    ASSERT_TRUE(lab().add_node("a"));
    AddressWatcher watcher({lab().ns("a")}, "fd77::50");
    ASSERT_TRUE(watcher.ready());
    ASSERT_TRUE(lab().add_address("a", "fd77::50/64"));
    EXPECT_TRUE(watcher.wait_for(lab().ns("a"), true, 2s).has_value());
    EXPECT_FALSE(watcher.wait_for(lab().ns("a"), false, 100ms).has_value());
}

TEST_F(LabNetwork, a_process_in_a_node_runs_in_that_namespace_and_logs_there) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    auto& process = lab().start("a", "addr", {"ip", "-br", "addr", "show", "eth0"});
    ASSERT_EQ(process.wait_exit(5s), 0);
    EXPECT_TRUE(process.log_contains("10.77.0.1/24")) << process.log();
    EXPECT_EQ(process.log_path().parent_path(), lab().dir());
}

}  // namespace
}  // namespace havip::test
