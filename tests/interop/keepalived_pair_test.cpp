// Two real keepalived daemons on the lab bridge: proves the harness on real elections and pins
// keepalived's behaviour that havipd must match on the wire. Later tests swap one side for
// havipd by passing havipd(havipd_path()) instead of keepalived() to start_vrrp_daemon.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/capture.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

constexpr const char* vip = "10.77.0.100";
constexpr int master_priority = 150;
constexpr int backup_priority = 100;

struct Scenario {
    std::string name;
    int version;
    milliseconds advert_int;
    std::optional<std::string> auth_pass;
};

// Test names and ctest show the scenario's name instead of its bytes.
void PrintTo(const Scenario& scenario, std::ostream* out) {
    *out << scenario.name;
}

std::string scenario_name(const testing::TestParamInfo<Scenario>& info) {
    return info.param.name;
}

double ms(std::chrono::nanoseconds d) {
    return static_cast<double>(d.count()) / 1e6;
}

class InteropTest : public LabTest {
  protected:
    void SetUp() override {
        if (!std::filesystem::exists("/usr/sbin/keepalived")) {
            GTEST_SKIP() << "needs keepalived at /usr/sbin/keepalived";
        }
        LabTest::SetUp();
    }
};

class KeepalivedPair : public InteropTest, public testing::WithParamInterface<Scenario> {
  protected:
    KeepalivedConfig config_for(int priority) const {
        VrrpInstanceSpec instance;
        instance.vrid = 51;
        instance.priority = priority;
        instance.version = GetParam().version;
        instance.advert_int = GetParam().advert_int;
        instance.auth_pass = GetParam().auth_pass;
        instance.vips = {fmt::format("{}/24", vip)};
        KeepalivedConfig config;
        config.router_id = fmt::format("node_p{}", priority);
        config.instances = {instance};
        return config;
    }
    VrrpTiming backup_timing() const {
        return rfc_timing(GetParam().version, backup_priority, GetParam().advert_int);
    }
    // Scheduling slack allowed on top of a protocol bound: the machine is shared.
    milliseconds margin() const { return 100ms + GetParam().advert_int / 10; }

    // a (priority 150) becomes master alone, then b (priority 100) joins as backup and has
    // heard a couple of adverts.
    void start_pair() {
        ASSERT_TRUE(lab().add_node("a"));
        ASSERT_TRUE(lab().add_node("b"));
        ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
        ASSERT_TRUE(lab().add_address("b", "10.77.0.2/24"));
        watcher_.emplace(std::vector<std::string>{lab().ns("a"), lab().ns("b")}, vip);
        ASSERT_TRUE(watcher_->ready());

        a_ = start_vrrp_daemon(lab(), "a", keepalived(), config_for(master_priority));
        const auto a_timing =
            rfc_timing(GetParam().version, master_priority, GetParam().advert_int);
        ASSERT_TRUE(watcher_->wait_for(lab().ns("a"), true,
                                       duration_cast<milliseconds>(a_timing.master_down) + 5s))
            << "a never took the VIP";
        b_ = start_vrrp_daemon(lab(), "b", keepalived(), config_for(backup_priority));
        ASSERT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 5s));
        std::this_thread::sleep_for(2 * GetParam().advert_int);
        ASSERT_EQ(watcher_->holders(), std::vector<std::string>{lab().ns("a")});
    }

    // The watcher's sockets keep the namespaces alive: close them before the lab goes.
    void TearDown() override {
        watcher_.reset();
        InteropTest::TearDown();
    }

    std::optional<AddressWatcher> watcher_;
    RunningDaemon a_;
    RunningDaemon b_;
};

TEST_P(KeepalivedPair, higher_priority_keeps_the_vip_while_both_run) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    // Longer than b's Master_Down_Interval: had b not accepted a's adverts (auth, version or
    // interval mismatch), it would have taken the VIP by now.
    const auto start = AddressWatcher::Clock::now();
    std::this_thread::sleep_for(backup_timing().master_down + GetParam().advert_int);
    EXPECT_FALSE(watcher_->wait_for(lab().ns("b"), true, 0ms, start).has_value())
        << "b took the VIP while a was master";
    EXPECT_EQ(watcher_->holders(), std::vector<std::string>{lab().ns("a")});
    EXPECT_TRUE(lab().ping("b", vip)) << "the VIP answers from a";
}

TEST_P(KeepalivedPair, master_cut_off_moves_the_vip_within_master_down_interval) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto cut = AddressWatcher::Clock::now();
    ASSERT_TRUE(lab().set_port("a", false));
    const auto timing = backup_timing();
    const auto taken = watcher_->wait_for(
        lab().ns("b"), true, duration_cast<milliseconds>(timing.master_down) + 5s, cut);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    const auto failover = taken->at - cut;
    RecordProperty("failover_ms", fmt::format("{:.3f}", ms(failover)));
    fmt::print("[ measure  ] cut-off failover {:.3f} ms (Master_Down_Interval {:.3f} ms)\n",
               ms(failover), ms(timing.master_down));
    // b's timer was last reset by an advert sent at most one interval before the cut.
    EXPECT_GE(failover, timing.master_down - GetParam().advert_int - 5ms);
    EXPECT_LE(failover, timing.master_down + margin());
    // The cut-off master sees its link go down and gives the VIP up (FAULT).
    EXPECT_TRUE(watcher_->wait_for(lab().ns("a"), false, 5s, cut).has_value());
}

TEST_P(KeepalivedPair, sigterm_on_master_hands_over_after_the_skew_time) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto stop = AddressWatcher::Clock::now();
    ASSERT_TRUE(a_.process->signal(SIGTERM));
    const auto timing = backup_timing();
    const auto taken = watcher_->wait_for(
        lab().ns("b"), true, duration_cast<milliseconds>(timing.master_down) + 5s, stop);
    ASSERT_TRUE(taken.has_value()) << "b never took the VIP";
    const auto handover = taken->at - stop;
    RecordProperty("handover_ms", fmt::format("{:.3f}", ms(handover)));
    fmt::print("[ measure  ] graceful handover {:.3f} ms (Skew_Time {:.3f} ms)\n", ms(handover),
               ms(timing.skew));
    // RFC 5798 §6.4.2: on priority 0 the backup waits only Skew_Time, far less than
    // Master_Down_Interval, which is what a lost master would cost.
    EXPECT_GE(handover, timing.skew - 5ms);
    EXPECT_LE(handover, timing.skew + margin());
    EXPECT_TRUE(watcher_->wait_for(lab().ns("a"), false, 5s, stop).has_value())
        << "a kept the VIP after SIGTERM";
    EXPECT_EQ(a_.process->wait_exit(10s), 0);
}

INSTANTIATE_TEST_SUITE_P(Keepalived, KeepalivedPair,
                         testing::Values(Scenario{"v2_pass_auth_1s", 2, 1000ms,
                                                  std::string("s3cret")},
                                         Scenario{"v3_100ms", 3, 100ms, std::nullopt}),
                         scenario_name);

// The same three instances run by keepalived and by havipd: Wireshark's dissector must find
// every advert valid, whoever sent it.
class TsharkValidation : public InteropTest, public testing::WithParamInterface<Daemon> {
  protected:
    void SetUp() override {
        for (const char* tool : {"tcpdump", "tshark"}) {
            if (!run_command({"sh", "-c", fmt::format("command -v {}", tool)}).ok()) {
                GTEST_SKIP() << "needs " << tool;
            }
        }
        InteropTest::SetUp();
    }
};

TEST_P(TsharkValidation, adverts_decode_as_valid_vrrp_with_good_checksums) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    ASSERT_TRUE(lab().add_address("a", "fd77::1/64"));
    VrrpInstanceSpec v2;
    v2.name = "V2";
    v2.vrid = 10;
    v2.priority = 200;
    v2.auth_pass = "s3cret";
    v2.vips = {"10.77.0.110/24"};
    VrrpInstanceSpec v3 = v2;
    v3.name = "V3_4";
    v3.vrid = 11;
    v3.version = 3;
    v3.advert_int = 100ms;
    v3.auth_pass.reset();
    v3.vips = {"10.77.0.111/24", "10.77.0.112/24"};
    VrrpInstanceSpec v3_6 = v3;
    v3_6.name = "V3_6";
    v3_6.vrid = 12;
    v3_6.vips = {"fd77::112/64"};
    KeepalivedConfig config;
    config.instances = {v2, v3, v3_6};

    auto capture = Capture::start(lab(), lab().switch_ns(), lab().port("a"), "adverts");
    ASSERT_TRUE(capture.has_value());
    auto daemon = start_vrrp_daemon(lab(), "a", GetParam(), config);
    ASSERT_TRUE(wait_until(
        [&] {
            return lab().has_address("a", "10.77.0.110") && lab().has_address("a", "fd77::112");
        },
        10s, 20ms))
        << daemon.process->log_tail(20);
    // Two more v2 adverts at 1 s after the last instance became master.
    std::this_thread::sleep_for(2200ms);
    ASSERT_TRUE(capture->stop());
    const auto decoded = decode_vrrp(capture->file());
    ASSERT_EQ(decoded.error, "");

    EXPECT_TRUE(adverts_are_valid(decoded.adverts,
                                  {2, false, 10, 200, 1000ms, {"10.77.0.110"}, "s3cret", 2}));
    EXPECT_TRUE(adverts_are_valid(
        decoded.adverts,
        {3, false, 11, 200, 100ms, {"10.77.0.111", "10.77.0.112"}, std::nullopt, 10}));
    EXPECT_TRUE(adverts_are_valid(decoded.adverts,
                                  {3, true, 12, 200, 100ms, {"fd77::112"}, std::nullopt, 10}));
    // The check can fail: a wrong expectation on the same capture is rejected.
    EXPECT_FALSE(adverts_are_valid(decoded.adverts,
                                   {2, false, 10, 201, 1000ms, {"10.77.0.110"}, "s3cret", 2}));
    EXPECT_FALSE(adverts_are_valid(decoded.adverts,
                                   {3, true, 12, 201, 100ms, {"fd77::112"}, std::nullopt, 10}));
}

INSTANTIATE_TEST_SUITE_P(Daemons, TsharkValidation,
                         testing::Values(keepalived(), havipd(havipd_path())),
                         [](const auto& param) {
                             return std::string{to_string(param.param.kind)};
                         });

}  // namespace
}  // namespace havip::test
