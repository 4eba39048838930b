// vrrp_track_process on a havipd pair: the master tracks a process (a copy of sleep under a
// name unique to this run: the PID namespace is the host's) and gives the VIP up as soon as
// the process dies, and takes it back when it runs again.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/process.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
using Names = std::vector<std::string>;

constexpr const char* vip4 = "10.77.0.100";


const VrrpTiming backup_v3 = rfc_timing(3, 100, 100ms);

class HavipdTrackProcess : public VrrpPairTest {
  protected:
    void SetUp() override {
        VrrpPairTest::SetUp();
        // At most 15 bytes, the kernel's limit on a process name.
        name_ = fmt::format("tpn{}", ::getpid());
        binary_ = lab().dir() / name_;
        std::filesystem::copy_file("/bin/sleep", binary_);
    }
    void TearDown() override {
        sleeper_.reset();  // kills and reaps it
        for (const auto* d : {&a_, &b_}) {
            if (!d->process) continue;
            EXPECT_FALSE(d->log_mentions("cannot ")) << d->node << " logged an error:\n"
                                                     << d->process->log_tail(30);
        }
        VrrpPairTest::TearDown();
    }

    void start_sleeper() {
        sleeper_.reset();
        sleeper_.emplace(
            Process::start(name_, {binary_.string(), "60"}, lab().dir() / (name_ + ".log")));
        ASSERT_GT(sleeper_->pid(), 0);
    }

    // a (150) tracks the process through `ref`; b (100) is a plain backup.
    void start_pair(const std::string& block_extra, const std::string& ref) {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        ASSERT_NO_FATAL_FAILURE(start_sleeper());
        auto a_spec = v3_instance(150);
        a_spec.extra_lines = {"track_process {", "    " + ref, "}"};
        const std::string block =
            fmt::format("\nvrrp_track_process db {{\n    process {}\n{}}}\n", name_, block_extra);
        const auto start = Clock::now();
        a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                               render_keepalived_conf(single_instance(a_spec, "a")) + block);
        ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a_.process->log_tail(20);
        b_ = start_backup("b", havipd(havipd_path()), single_instance(v3_instance(100), "b"));
        ASSERT_FALSE(HasFailure());
        std::this_thread::sleep_for(300ms);
        ASSERT_EQ(holders(), Names{"a"});
    }

    std::string name_;
    std::filesystem::path binary_;
    std::optional<Process> sleeper_;
    RunningDaemon a_;
    RunningDaemon b_;
};

TEST_F(HavipdTrackProcess, weight_zero_faults_the_master_when_the_process_dies_and_recovers) {
    ASSERT_NO_FATAL_FAILURE(start_pair("    weight 0\n", "db"));
    const auto killed = Clock::now();
    ASSERT_TRUE(sleeper_->signal(SIGKILL));
    const auto taken = wait_vip("b", true, 2s, killed);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP\n" << a_.process->log_tail(10);
    // The exit is seen at once (proc connector, or a pidfd where the connector is not
    // available), then a's priority-0 advert and b's Skew_Time.
    measure("track_process_fault_failover_ms", taken->at - killed, "Skew_Time", backup_v3.skew);
    EXPECT_LE(taken->at - killed, backup_v3.skew + 300ms);
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 1s)) << a_.process->log_tail(10);
    EXPECT_TRUE(wait_vip("a", false, 1s, killed).has_value()) << "a kept the VIP";
    const auto restarted = Clock::now();
    ASSERT_NO_FATAL_FAILURE(start_sleeper());
    // A new process is found by the connector at once, else by the next /proc scan (1 s).
    EXPECT_TRUE(wait_vip("a", true, 3s, restarted).has_value()) << a_.process->log_tail(10);
    EXPECT_TRUE(wait_vip("b", false, 2s, restarted).has_value()) << "b kept the VIP";
}

TEST_F(HavipdTrackProcess, an_instance_weight_lowers_the_priority_below_the_peer) {
    // The instance's weight -60 overrides the block's default (1): 150 - 60 = 90 < b's 100.
    ASSERT_NO_FATAL_FAILURE(start_pair("", "db weight -60"));
    const auto killed = Clock::now();
    ASSERT_TRUE(sleeper_->signal(SIGKILL));
    EXPECT_TRUE(wait_vip("b", true, 2s, killed).has_value()) << "b did not preempt";
    EXPECT_TRUE(a_.wait_for_state("VI_1", "BACKUP", 2s)) << a_.process->log_tail(10);
    EXPECT_TRUE(a_.log_mentions("priority 150 -> 90")) << a_.process->log_tail(10);
    const auto restarted = Clock::now();
    ASSERT_NO_FATAL_FAILURE(start_sleeper());
    EXPECT_TRUE(wait_vip("a", true, 3s, restarted).has_value()) << "a did not preempt back";
}

}  // namespace
}  // namespace havip::test
