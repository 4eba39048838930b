// Fault injection on a havipd pair (issue 8, item 4): link flaps, the VIP deleted behind the
// daemon's back, lost netlink notifications (ENOBUFS), SIGKILL and restart of the master, a
// full disk under the dump directory, a control client that never reads, and a split brain
// that heals. Each ends with the VIP on exactly one node and both daemons running.
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using std::chrono::duration_cast;
using std::chrono::milliseconds;
using Clock = AddressWatcher::Clock;
using Names = std::vector<std::string>;
namespace fs = std::filesystem;

constexpr const char* vip4 = "10.77.0.100";
constexpr int master_priority = 150;
constexpr int backup_priority = 100;
const std::string havip_bin = havip_path();

VrrpInstanceSpec spec(int priority, milliseconds advert_int = 100ms) {
    VrrpInstanceSpec s;
    s.vrid = 51;
    s.priority = priority;
    s.version = 3;
    s.advert_int = advert_int;
    s.vips = {fmt::format("{}/24", vip4)};
    return s;
}

const VrrpTiming backup_v3 = rfc_timing(3, backup_priority, 100ms);
const VrrpTiming master_v3 = rfc_timing(3, master_priority, 100ms);

// Scheduling slack on top of a protocol bound: the machine is shared.
constexpr milliseconds margin = 110ms;

std::size_t count_lines(const std::string& text, std::string_view needle) {
    std::size_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.find(needle) != std::string::npos) ++n;
    return n;
}

class FaultsTest : public VrrpPairTest {
  protected:
    // a becomes master alone, then b joins as backup and hears a couple of adverts.
    void start_pair(milliseconds advert_int = 100ms, Daemon a_daemon = havipd(havipd_path())) {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        a_config_ = single_instance(spec(master_priority, advert_int), "a");
        const auto a_timing = rfc_timing(3, master_priority, advert_int);
        a_ = start_master("a", a_daemon, a_config_,
                          duration_cast<milliseconds>(a_timing.master_down) + 3s);
        ASSERT_FALSE(HasFailure());
        b_ = start_backup("b", havipd(havipd_path()),
                          single_instance(spec(backup_priority, advert_int), "b"));
        ASSERT_FALSE(HasFailure());
        std::this_thread::sleep_for(2 * advert_int);
        ASSERT_EQ(holders(), Names{"a"});
    }

    std::string socket_of(std::string_view node) {
        const auto argv = daemon_command(havipd(havipd_path()), "conf", lab().dir(), node);
        auto it = std::find(argv.begin(), argv.end(), "--socket");
        return it == argv.end() ? std::string{} : *(it + 1);
    }

    CommandResult status(std::string_view node) {
        return run_command({havip_bin, "status", "--json", "--socket", socket_of(node)}, 5s);
    }

    void expect_both_running() {
        EXPECT_TRUE(a_.process->running()) << "havipd on a died\n" << a_.process->log_tail(20);
        EXPECT_TRUE(b_.process->running()) << "havipd on b died\n" << b_.process->log_tail(20);
    }

    // The VIP settles on a alone and stays there for a few adverts.
    void expect_settles_on_a(milliseconds within) {
        EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, within, 5ms))
            << "holders: " << fmt::format("{}", fmt::join(holders(), ","));
        const auto settled = Clock::now();
        std::this_thread::sleep_for(5 * 100ms);
        EXPECT_FALSE(vip_changed_since("a", settled));
        EXPECT_FALSE(vip_changed_since("b", settled));
        EXPECT_EQ(holders(), Names{"a"});
    }

    KeepalivedConfig a_config_;
    RunningDaemon a_;
    RunningDaemon b_;
};

TEST_F(FaultsTest, ten_link_flaps_in_five_seconds_end_with_the_vip_on_the_master_only) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    for (int i = 0; i < 10; ++i) {
        ASSERT_TRUE(lab().set_link("a", false));
        std::this_thread::sleep_for(250ms);
        ASSERT_TRUE(lab().set_link("a", true));
        std::this_thread::sleep_for(250ms);
    }
    // The last flap: a leaves FAULT for BACKUP and preempts b after its Master_Down_Interval.
    expect_settles_on_a(duration_cast<milliseconds>(master_v3.master_down) + 1s);
    expect_both_running();
    EXPECT_GE(a_.times_entered("VI_1", "FAULT"), 10u) << "a did not see every flap";
    EXPECT_EQ(a_.times_entered("VI_1", "FAULT"), a_.times_entered("VI_1", "BACKUP") - 1)
        << "every FAULT ended in BACKUP";
}

// A backup descheduled past its Master_Down_Interval (SIGSTOP stands in for a stall under
// load) wakes with the master's adverts queued on its socket and its down timer expired, both
// ready in one wake-up. The adverts are handled first and re-arm the timer; the expiry that
// was already due must then count for nothing: no takeover from a live master.
TEST_F(FaultsTest, a_stalled_backup_with_adverts_waiting_does_not_take_over) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(::kill(b_.process->pid(), SIGSTOP), 0);
        std::this_thread::sleep_for(700ms);  // Master_Down_Interval is 361 ms for b
        ASSERT_EQ(::kill(b_.process->pid(), SIGCONT), 0);
        std::this_thread::sleep_for(300ms);
    }
    EXPECT_EQ(b_.times_entered("VI_1", "MASTER"), 0u) << b_.process->log_tail(20);
    EXPECT_EQ(holders(), Names{"a"});
    expect_both_running();
}

TEST_F(FaultsTest, vip_deleted_again_and_again_returns_to_the_master_each_time) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto begin = Clock::now();
    for (int i = 0; i < 3; ++i) {
        const auto removed = Clock::now();
        ASSERT_TRUE(
            lab().run("a", {"ip", "addr", "del", fmt::format("{}/24", vip4), "dev", "eth0"}).ok());
        // a sends priority 0 and re-takes after its own Skew_Time, shorter than b's.
        const auto back = wait_vip("a", true, 2s, removed);
        ASSERT_TRUE(back.has_value()) << "round " << i << ": the VIP never came back on a";
        EXPECT_LE(back->at - removed, master_v3.skew + margin) << "round " << i;
        std::this_thread::sleep_for(400ms);
    }
    EXPECT_FALSE(vip_changed_since("b", begin)) << "b took the VIP";
    expect_both_running();
    EXPECT_EQ(count_lines(a_.process->log(), "removed by someone else"), 3u);
}

// The monitor's socket overflows while havipd is stopped and thousands of addresses come and
// go on another interface; the VIP deletion is among the lost notifications, so only the
// resync after ENOBUFS can find it. 500 ms adverts leave time for the stop without a failover.
TEST_F(FaultsTest, lost_netlink_notifications_are_resynced_and_the_vip_restored) {
    ASSERT_NO_FATAL_FAILURE(start_pair(500ms));
    // A port-less bridge as the churn interface: this kernel may have no dummy module.
    ASSERT_TRUE(lab().run("a", {"ip", "link", "add", "d0", "type", "bridge"}).ok());
    ASSERT_TRUE(lab().run("a", {"ip", "link", "set", "d0", "up"}).ok());
    const auto batch = lab().dir() / "churn.batch";
    {
        std::ofstream out(batch);
        for (int i = 0; i < 1000; ++i)
            out << fmt::format("addr add 10.78.{}.{}/32 dev d0\n", i / 250, i % 250 + 1);
        out << fmt::format("addr del {}/24 dev eth0\n", vip4);
        for (int i = 0; i < 1000; ++i)
            out << fmt::format("addr del 10.78.{}.{}/32 dev d0\n", i / 250, i % 250 + 1);
    }
    const auto begin = Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGSTOP));
    const auto churn = lab().run("a", {"ip", "-batch", batch.string()}, 5s);
    ASSERT_TRUE(a_.process->signal(SIGCONT));
    const auto stopped = Clock::now() - begin;
    ASSERT_TRUE(churn.ok()) << churn.err;
    fmt::print("[ measure  ] havipd stopped {:.1f} ms for 2001 address changes\n", to_ms(stopped));
    ASSERT_LT(stopped, 1500ms) << "the churn outlasted b's Master_Down_Interval";
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("ENOBUFS"); }, 2s, 5ms))
        << "no overflow seen: " << a_.process->log_tail(10);
    // The watcher in a's namespace overflowed too: ask the kernel directly.
    EXPECT_TRUE(wait_until([&] { return lab().has_address("a", vip4); }, 3s, 20ms))
        << "the VIP was not restored after the resync\n"
        << a_.process->log_tail(10);
    EXPECT_TRUE(a_.log_mentions("removed by someone else"));
    std::this_thread::sleep_for(3 * 500ms);
    EXPECT_TRUE(lab().has_address("a", vip4));
    EXPECT_FALSE(lab().has_address("b", vip4));
    EXPECT_FALSE(vip_changed_since("b", begin)) << "b took the VIP";
    expect_both_running();
}

TEST_F(FaultsTest, sigkilled_master_leaves_a_stale_vip_that_its_restart_removes) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto kill = Clock::now();
    ASSERT_TRUE(a_.process->signal_group(SIGKILL));
    ASSERT_TRUE(wait_vip("b", true, 3s, kill).has_value()) << "b never took the VIP";
    EXPECT_EQ(a_.process->wait_exit(2s), 128 + SIGKILL);
    // Nobody cleaned up after a: the stale VIP is on both nodes, only b advertises.
    EXPECT_EQ(holders(), (Names{"a", "b"}));
    const auto restart = Clock::now();
    a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), a_config_);
    const auto cleaned = wait_vip("a", false, 2s, restart);
    ASSERT_TRUE(cleaned.has_value()) << "the restarted daemon kept the stale VIP";
    EXPECT_TRUE(wait_until([&] { return a_.log_mentions("removed stale VIP"); }, 1s, 5ms));
    // a starts as BACKUP (its second BACKUP in the shared log) and, with preemption, takes
    // the VIP back after its Master_Down_Interval; b releases it on a's first advert.
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 2s, 2));
    const auto retaken = wait_vip("a", true, 3s, restart);
    ASSERT_TRUE(retaken.has_value()) << "a never took the VIP back";
    EXPECT_GE(retaken->at - cleaned->at, master_v3.master_down - 100ms)
        << "a became master before hearing b out";
    const auto released = wait_vip("b", false, 2s, restart);
    ASSERT_TRUE(released.has_value()) << "b kept the VIP: two masters";
    EXPECT_LE(released->at - retaken->at, 100ms + margin) << "two masters for too long";
    expect_settles_on_a(1s);
    EXPECT_EQ(b_.times_entered("VI_1", "MASTER"), 1u);
    expect_both_running();
}

// Only mysql_check writes the state directory; without it, the files havipd writes are the
// signal dumps. The dump directory is a full 16 KiB tmpfs mounted in a private mount
// namespace of the daemon's own (gone with it).
TEST_F(FaultsTest, full_disk_for_dumps_is_logged_once_per_write_and_changes_nothing) {
    const auto full = lab().dir() / "full";
    fs::create_directories(full);
    const auto wrapper = lab().dir() / "havipd-full-disk.sh";
    std::ofstream(wrapper) << fmt::format(
        "#!/bin/sh\n"
        "exec unshare -m --propagation private sh -c '"
        "mount -t tmpfs -o size=16k havip-full \"$0\" || exit 97; "
        "cat /dev/zero >\"$0/fill\" 2>/dev/null; exec \"$@\"' {} {} \"$@\" --dump-dir {}\n",
        full.string(), havipd_path(), full.string());
    fs::permissions(wrapper, fs::perms::owner_all);
    ASSERT_NO_FATAL_FAILURE(start_pair(100ms, havipd(wrapper.string())));
    const auto b_changes = b_.state_changes("VI_1");
    const auto begin = Clock::now();
    for (int sig : {SIGUSR1, SIGUSR2, SIGUSR1}) {
        ASSERT_TRUE(a_.process->signal(sig));
        std::this_thread::sleep_for(200ms);
    }
    EXPECT_TRUE(
        wait_until([&] { return count_lines(a_.process->log(), "cannot write") >= 3; }, 2s, 10ms))
        << a_.process->log_tail(10);
    std::this_thread::sleep_for(300ms);
    const auto log = a_.process->log();
    EXPECT_EQ(count_lines(log, "cannot write"), 3u) << "one line per failed dump";
    EXPECT_EQ(count_lines(log, "No space left on device"), 3u) << a_.process->log_tail(10);
    EXPECT_FALSE(vip_changed_since("a", begin));
    EXPECT_EQ(b_.state_changes("VI_1"), b_changes) << "b saw the master go silent";
    expect_both_running();
    // The tmpfs lived in the daemon's mount namespace only.
    std::ifstream mounts("/proc/self/mountinfo");
    std::stringstream text;
    text << mounts.rdbuf();
    EXPECT_EQ(text.str().find(full.string()), std::string::npos) << "the tmpfs leaked";
}

int connect_unix(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST_F(FaultsTest, control_client_that_never_reads_does_not_stall_status_or_adverts) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto b_changes = b_.state_changes("VI_1");
    const int stuck = connect_unix(socket_of("a"));
    ASSERT_GE(stuck, 0);
    // Enough requests that the answers fill the socket buffer: the daemon's writes block.
    std::string requests;
    for (int i = 0; i < 500; ++i)
        requests += R"({"version":1,"command":"status"})"
                    "\n";
    [[maybe_unused]] auto n = ::send(stuck, requests.data(), requests.size(), MSG_DONTWAIT);
    for (int i = 0; i < 3; ++i) {
        const auto asked = std::chrono::steady_clock::now();
        const auto r = status("a");
        EXPECT_EQ(r.exit_code, 0) << r.err;
        EXPECT_LT(std::chrono::steady_clock::now() - asked, 1s);
        if (i == 2) {
            const auto doc = json::parse(r.out, nullptr, false);
            ASSERT_FALSE(doc.is_discarded()) << r.out;
            const auto& jitter = doc["instances"][0]["timing"]["advert_send_jitter_ms"];
            // Adverts left on time while the client hung on: a loop blocked on the client's
            // full socket would delay them for as long as it hangs (seconds here), so none late
            // by a whole advert interval. (Tighter bounds belong to the benchmarks: a loaded CI
            // machine running other labs beside this one has delayed one by 65 ms.)
            EXPECT_LT(jitter["max"].get<double>(), 100.0) << jitter.dump();
        }
        std::this_thread::sleep_for(500ms);
    }
    EXPECT_EQ(b_.state_changes("VI_1"), b_changes) << "b saw the master go silent";
    EXPECT_EQ(holders(), Names{"a"});
    ::close(stuck);
    expect_both_running();
}

// Isolated bridge ports keep their carrier (no FAULT) but cannot reach each other: both nodes
// become MASTER. After the heal the lower priority yields on the first advert it hears.
TEST_F(FaultsTest, split_brain_heals_to_one_master_within_one_advert_interval) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    auto isolate = [&](bool on) {
        for (const char* node : {"a", "b"}) {
            const std::vector<std::string> argv{
                "bridge", "link", "set", "dev", lab().port(node), "isolated", on ? "on" : "off"};
            ASSERT_TRUE(succeeded(argv, run_in_netns(lab().switch_ns(), argv)));
        }
    };
    const auto split = Clock::now();
    ASSERT_NO_FATAL_FAILURE(isolate(true));
    const auto taken =
        wait_vip("b", true, duration_cast<milliseconds>(backup_v3.master_down) + 2s, split);
    ASSERT_TRUE(taken.has_value()) << "b did not become master in the partition";
    EXPECT_EQ(holders(), (Names{"a", "b"})) << "both must be master while split";
    EXPECT_TRUE(b_.wait_for_state("VI_1", "MASTER", 1s));
    std::this_thread::sleep_for(300ms);
    const auto heal = Clock::now();
    ASSERT_NO_FATAL_FAILURE(isolate(false));
    const auto released = wait_vip("b", false, 2s, heal);
    ASSERT_TRUE(released.has_value()) << "b stayed master after the heal";
    fmt::print("[ measure  ] split brain healed in {:.1f} ms (advert interval 100 ms)\n",
               to_ms(released->at - heal));
    EXPECT_LE(released->at - heal, 100ms + margin);
    EXPECT_FALSE(vip_changed_since("a", split)) << "a lost the VIP";
    EXPECT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 1s, 2));
    expect_settles_on_a(1s);
    expect_both_running();
}

}  // namespace
}  // namespace havip::test
