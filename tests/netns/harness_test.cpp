// Tests of the harness pieces that need no namespace: commands, processes, waiting, and the
// keepalived.conf writer (checked against keepalived's own parser where it matters).
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "tests/harness/capture.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/process.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;

// A directory of its own for the logs of processes started without a Lab, removed after a
// passing test and kept after a failing one.
class ScratchTest : public testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(HAVIP_BINARY_DIR) / "test-runs" /
               ("harness-" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        std::error_code error;
        if (!HasFailure()) std::filesystem::remove_all(dir_, error);
    }
    std::filesystem::path scratch(const std::string& name) const { return dir_ / name; }

  private:
    std::filesystem::path dir_;
};

using ProcessControl = ScratchTest;

TEST(Command, run_command_captures_output_and_exit_status) {
    const auto result = run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_FALSE(result.ok());
    EXPECT_EQ(result.out, "out\n");
    EXPECT_EQ(result.err, "err\n");
}

TEST(Command, run_command_kills_a_command_that_overruns_its_timeout) {
    const auto start = std::chrono::steady_clock::now();
    const auto result = run_command({"sleep", "30"}, 200ms);
    EXPECT_TRUE(result.timed_out);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(ProcessControl, wait_exit_reports_status_or_times_out_and_stop_kills) {
    auto exits = Process::start("exits", {"sh", "-c", "exit 7"}, scratch("exits.log"));
    EXPECT_EQ(exits.wait_exit(5s), 7);
    EXPECT_FALSE(exits.running());

    auto sleeper = Process::start("sleeper", {"sleep", "30"}, scratch("sleeper.log"));
    EXPECT_FALSE(sleeper.wait_exit(100ms).has_value());
    EXPECT_TRUE(sleeper.running());
    EXPECT_EQ(sleeper.stop(2s), 128 + SIGTERM);
}

TEST_F(ProcessControl, stop_escalates_to_sigkill_when_sigterm_is_ignored) {
    auto stubborn = Process::start("stubborn", {"sh", "-c", "trap '' TERM; echo ready; sleep 30"},
                                   scratch("stubborn.log"));
    ASSERT_TRUE(wait_until([&] { return stubborn.log_contains("ready"); }, 5s));
    EXPECT_EQ(stubborn.stop(200ms), 128 + SIGKILL);
}

TEST_F(ProcessControl, log_tail_returns_the_last_lines) {
    const auto log = scratch("tail.log");
    std::filesystem::remove(log);
    auto p = Process::start("tail", {"sh", "-c", "for i in 1 2 3 4 5; do echo line$i; done"}, log);
    ASSERT_EQ(p.wait_exit(5s), 0);
    EXPECT_EQ(p.log_tail(2), "line4\nline5\n");
    EXPECT_TRUE(p.log_contains("line1"));
}

TEST_F(ProcessControl, a_missing_program_exits_127) {
    auto p = Process::start("missing", {"/nonexistent/program"}, scratch("missing.log"));
    EXPECT_EQ(p.wait_exit(5s), 127);
}

TEST(WaitUntil, returns_elapsed_time_once_true_and_nullopt_on_timeout) {
    const auto start = std::chrono::steady_clock::now();
    const auto took =
        wait_until([&] { return std::chrono::steady_clock::now() - start > 50ms; }, 2s, 1ms);
    ASSERT_TRUE(took.has_value());
    EXPECT_GE(*took, 50ms);
    EXPECT_LT(*took, 1s);
    int calls = 0;
    EXPECT_FALSE(wait_until([&] { return ++calls < 0; }, 30ms, 5ms).has_value());
    EXPECT_GE(calls, 2);
}

TEST(KeepalivedConf, advert_int_is_written_as_keepalived_reads_it) {
    EXPECT_EQ(format_advert_int(1000ms), "1");
    EXPECT_EQ(format_advert_int(3000ms), "3");
    EXPECT_EQ(format_advert_int(100ms), "0.1");
    EXPECT_EQ(format_advert_int(50ms), "0.05");
    EXPECT_EQ(format_advert_int(1250ms), "1.25");
}

TEST(KeepalivedConf, renders_auth_unicast_and_nopreempt_only_when_asked) {
    VrrpInstanceSpec plain;
    plain.vips = {"10.0.0.100/24"};
    VrrpInstanceSpec full = plain;
    full.name = "VI_2";
    full.auth_pass = "s3cret";
    full.nopreempt = true;
    full.unicast_src_ip = "10.0.0.1";
    full.unicast_peers = {"10.0.0.2"};
    const std::string plain_text = render_keepalived_conf({"r", {}, {plain}});
    const std::string full_text = render_keepalived_conf({"r", {}, {full}});
    EXPECT_EQ(plain_text.find("auth_type"), std::string::npos);
    EXPECT_EQ(plain_text.find("nopreempt"), std::string::npos);
    EXPECT_EQ(plain_text.find("unicast"), std::string::npos);
    EXPECT_NE(full_text.find("auth_type PASS"), std::string::npos);
    EXPECT_NE(full_text.find("auth_pass s3cret"), std::string::npos);
    EXPECT_NE(full_text.find("    nopreempt\n"), std::string::npos);
    EXPECT_NE(full_text.find("unicast_peer {\n        10.0.0.2\n    }"), std::string::npos);
}

using KeepalivedConfLab = LabTest;

TEST_F(KeepalivedConfLab, rendered_config_passes_keepalived_config_test) {
    ASSERT_TRUE(lab().add_node("a"));
    KeepalivedConfig config;
    VrrpInstanceSpec v2;
    v2.name = "V2";
    v2.vrid = 10;
    v2.auth_pass = "secret";
    v2.nopreempt = true;
    v2.vips = {"10.77.0.100/24"};
    VrrpInstanceSpec v3 = v2;
    v3.name = "V3";
    v3.vrid = 11;
    v3.version = 3;
    v3.auth_pass.reset();
    v3.advert_int = 100ms;
    v3.vips = {"fd77::100/64"};
    config.instances = {v2, v3};
    const auto path = lab().dir() / "check.conf";
    std::ofstream(path) << render_keepalived_conf(config);
    const auto result = lab().run("a", {"keepalived", "-t", "-f", path.string()});
    EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
    // A broken file is rejected, so the exit status above means something.
    std::ofstream(path) << "vrrp_instance X {\n    interface eth0\n}\n";
    EXPECT_NE(lab().run("a", {"keepalived", "-t", "-f", path.string()}).exit_code, 0);
}

TEST(VrrpTimingOracle, matches_the_rfc_formulas) {
    const auto v2 = rfc_timing(2, 100, 1000ms);
    EXPECT_EQ(v2.skew, 609375us);
    EXPECT_EQ(v2.master_down, 3609375us);
    const auto v3 = rfc_timing(3, 100, 100ms);
    EXPECT_EQ(v3.skew, 60937us);
    EXPECT_EQ(v3.master_down, 360937us);
}

TEST(DaemonCommand, each_daemon_gets_its_own_pid_files_and_stays_in_the_foreground) {
    const auto ka = daemon_command(keepalived(), "/x/a.conf", "/run/x", "a");
    const std::vector<std::string> expected{"/usr/sbin/keepalived",
                                            "-n",
                                            "-l",
                                            "-D",
                                            "-G",
                                            "-P",
                                            "-f",
                                            "/x/a.conf",
                                            "-p",
                                            "/run/x/a-keepalived.pid",
                                            "-r",
                                            "/run/x/a-keepalived-vrrp.pid",
                                            "-c",
                                            "/run/x/a-keepalived-checkers.pid"};
    EXPECT_EQ(ka, expected);
    const auto hv = daemon_command(havipd(havipd_path()), "/x/b.conf", "/run/x", "b");
    EXPECT_EQ(hv.front(), havipd_path());
    EXPECT_NE(std::find(hv.begin(), hv.end(), "/run/x/b-havipd.pid"), hv.end());
}

TEST(AdvertValidation, rejects_a_bad_checksum_and_a_missing_stream) {
    VrrpAdvert good;
    good.destination = "224.0.0.18";
    good.ttl = 255;
    good.version = 3;
    good.type = 1;
    good.vrid = 5;
    good.priority = 100;
    good.address_count = 1;
    good.checksum = ChecksumStatus::good;
    good.interval = 100ms;
    good.addresses = {"10.0.0.5"};
    AdvertExpectation expected{3, false, 5, 100, 100ms, {"10.0.0.5"}, std::nullopt, 2};
    EXPECT_TRUE(adverts_are_valid({good, good}, expected));
    EXPECT_FALSE(adverts_are_valid({good}, expected)) << "one advert is fewer than min_count";
    VrrpAdvert bad = good;
    bad.checksum = ChecksumStatus::bad;
    EXPECT_FALSE(adverts_are_valid({good, bad}, expected));
    VrrpAdvert low_ttl = good;
    low_ttl.ttl = 64;
    EXPECT_FALSE(adverts_are_valid({good, low_ttl}, expected));
}

}  // namespace
}  // namespace havip::test
