// Nothing may block the loop (issue 17 item 7): a master whose reload waits on a slow user
// lookup (NSS on LDAP/sssd), whose removed mysql_check waits on a slow fsync, or whose
// track_process scans a big /proc on the loop misses its adverts, and the backup takes the
// VIP. Node a runs havipd under an LD_PRELOAD library (tests/harness/slow_calls) that makes
// those calls slow on demand; b is a plain backup. With 100 ms adverts b takes over after
// ~0.35 s of silence, so any stall longer than that shows as a VIP move.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
using Names = std::vector<std::string>;

constexpr const char* vip4 = "10.77.0.100";
const VrrpTiming backup_v3 = rfc_timing(3, 100, 100ms);

class LoopStall : public VrrpPairTest {
  protected:
    void SetUp() override {
        VrrpPairTest::SetUp();
        slow_dir_ = lab().dir() / "slow";
        std::filesystem::create_directories(slow_dir_);
        wrapper_ = lab().dir() / "havipd-slow";
        {
            std::ofstream out(wrapper_);
            out << fmt::format(
                // Under ASan the preloaded library comes before its runtime, which it checks
                // by default.
                "#!/bin/sh\nexport LD_PRELOAD={} HAVIP_SLOW_CALLS={}\n"
                "export "
                "ASAN_OPTIONS=\"${{ASAN_OPTIONS:+$ASAN_OPTIONS:}}verify_asan_link_order=0\"\n"
                "exec {} \"$@\"\n",
                slow_calls_path(), slow_dir_.string(), havipd_path());
        }
        ::chmod(wrapper_.c_str(), 0755);
    }
    void TearDown() override {
        std::filesystem::remove_all(slow_dir_);  // a clean stop is not slowed down
        VrrpPairTest::TearDown();
    }

    // The next calls of that kind ("nss", "fsync", "proc") each take `delay` longer.
    void slow(const std::string& what, std::chrono::milliseconds delay) {
        std::ofstream(slow_dir_ / what) << delay.count() << '\n';
    }

    // a (150, under the slow-call library) with `config`, then b (100) as a plain backup.
    void start_pair(const std::string& a_config) {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        const auto start = Clock::now();
        a_ = start_vrrp_daemon(lab(), "a", havipd(wrapper_.string()), a_config);
        ASSERT_TRUE(wait_vip("a", true, 5s, start).has_value()) << a_.process->log_tail(20);
        b_ = start_backup("b", havipd(havipd_path()), single_instance(v3_instance(100), "b"));
        ASSERT_FALSE(HasFailure());
        std::this_thread::sleep_for(300ms);
        ASSERT_EQ(holders(), Names{"a"});
    }

    void reload_a(const std::string& config) {
        std::ofstream(a_.config, std::ios::trunc) << config;
        ASSERT_TRUE(a_.process->signal(SIGHUP));
    }

    // How many calls of that kind were slowed down so far: the test did what it says.
    int slowed(const std::string& what) const {
        std::ifstream in(slow_dir_ / "calls");
        int n = 0;
        for (std::string line; std::getline(in, line);)
            n += line == what;
        return n;
    }

    // b never took the VIP since `since` (a's adverts never stopped long enough).
    void expect_a_kept_the_vip(Clock::time_point since) {
        const auto taken = wait_vip("b", true, 0ms, since);
        EXPECT_FALSE(taken.has_value())
            << "b took the VIP " << to_ms(taken->at - since) << " ms in: a's loop stalled\n"
            << a_.process->log_tail(20);
        EXPECT_EQ(holders(), Names{"a"});
    }

    std::filesystem::path slow_dir_;
    std::filesystem::path wrapper_;
    RunningDaemon a_;
    RunningDaemon b_;
};

KeepalivedConfig master_config(std::vector<std::string> extra_lines = {}) {
    auto spec = v3_instance(150);
    spec.extra_lines = std::move(extra_lines);
    auto config = single_instance(spec, "a");
    config.global_extra_lines = {"enable_script_security", "script_user nobody"};
    return config;
}

std::string script_block(const std::string& user) {
    return fmt::format(
        "\nvrrp_script chk_true {{\n    script /bin/true\n    interval 1\n    user {}\n}}\n", user);
}

TEST_F(LoopStall, reload_with_slow_user_lookups_keeps_the_master) {
    const auto config =
        render_keepalived_conf(master_config({"track_script {", "    chk_true", "}"})) +
        script_block("nobody");
    ASSERT_NO_FATAL_FAILURE(start_pair(config));
    slow("nss", 1500ms);
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(reload_a(config));
    const auto reloaded = wait_until([&] { return a_.log_mentions("reloaded"); }, 20s, 10ms);
    ASSERT_TRUE(reloaded) << a_.process->log_tail(20);
    measure("reload_with_slow_nss_ms", *reloaded, "slowed lookups", slowed("nss") * 1500ms);
    EXPECT_GE(slowed("nss"), 1) << "no lookup was slowed down";
    std::this_thread::sleep_for(backup_v3.master_down + 500ms);
    expect_a_kept_the_vip(hup);
    EXPECT_TRUE(a_.log_mentions("1 kept, 0 started")) << a_.process->log_tail(20);
}

// The reload still says that the user is unknown (the check then counts as failed, as
// before), but it looked the name up off the loop.
TEST_F(LoopStall, reload_naming_an_unknown_user_reports_it_without_stalling) {
    const auto config =
        render_keepalived_conf(master_config({"track_script {", "    chk_true", "}"})) +
        script_block("nobody");
    ASSERT_NO_FATAL_FAILURE(start_pair(config));
    slow("nss", 1500ms);
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(
        reload_a(render_keepalived_conf(master_config({"track_script {", "    chk_true", "}"})) +
                 script_block("havip_no_such_user")));
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("reloaded"); }, 20s, 10ms))
        << a_.process->log_tail(20);
    EXPECT_TRUE(a_.log_mentions("vrrp_script chk_true: unknown user 'havip_no_such_user'"))
        << a_.process->log_tail(20);
    EXPECT_TRUE(a_.log_mentions("reload: some checks cannot run")) << a_.process->log_tail(20);
    EXPECT_GE(slowed("nss"), 1) << "no lookup was slowed down";
    std::this_thread::sleep_for(backup_v3.master_down + 500ms);
    expect_a_kept_the_vip(hup);
}

// A notify hook run as an unknown user refuses the reload, as before; without stalling.
TEST_F(LoopStall, reload_with_a_notify_hook_of_an_unknown_user_is_refused_without_stalling) {
    ASSERT_NO_FATAL_FAILURE(start_pair(render_keepalived_conf(master_config())));
    slow("nss", 1500ms);
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(reload_a(
        render_keepalived_conf(master_config({"notify_master \"/bin/true\" havip_no_such_user"}))));
    ASSERT_TRUE(wait_until([&] { return a_.log_mentions("reload refused"); }, 20s, 10ms))
        << a_.process->log_tail(20);
    EXPECT_TRUE(a_.log_mentions("notify command: unknown user 'havip_no_such_user'"))
        << a_.process->log_tail(20);
    EXPECT_GE(slowed("nss"), 1) << "no lookup was slowed down";
    std::this_thread::sleep_for(backup_v3.master_down + 500ms);
    expect_a_kept_the_vip(hup);
}

// A mysql_check on a server that is not there is judged (and its history saved) every
// interval; a reload that drops it must not wait for the write in flight.
TEST_F(LoopStall, reload_dropping_a_mysql_check_during_a_slow_fsync_keeps_the_master) {
    const auto cnf = lab().dir() / "monitor.cnf";
    std::ofstream(cnf) << "[client]\nuser=monitor\npassword=secret\n";
    ::chmod(cnf.c_str(), 0600);
    auto with_check = master_config();
    auto second = v3_instance(150, "10.77.0.200");
    second.name = "VI_2";
    second.vrid = 52;
    second.extra_lines = {"track_script {", "    chk_db", "}"};
    with_check.instances.push_back(second);
    const auto check_block = fmt::format(
        "\nmysql_check chk_db {{\n    socket {}\n    option_file {}\n    interval 0.2\n"
        "    timeout 0.5\n}}\n",
        (lab().dir() / "no-server.sock").string(), cnf.string());
    ASSERT_NO_FATAL_FAILURE(start_pair(render_keepalived_conf(with_check) + check_block));
    const auto state = lab().dir() / "a-havipd-state" / "chk_db.state";
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(state); }, 5s, 10ms))
        << a_.process->log_tail(20);
    slow("fsync", 2000ms);
    std::this_thread::sleep_for(600ms);  // a write is waiting on its fsync now
    const auto hup = Clock::now();
    ASSERT_NO_FATAL_FAILURE(reload_a(render_keepalived_conf(master_config())));
    const auto reloaded = wait_until([&] { return a_.log_mentions("reloaded"); }, 20s, 10ms);
    ASSERT_TRUE(reloaded) << a_.process->log_tail(20);
    measure("reload_dropping_check_with_slow_fsync_ms", *reloaded, "one slowed fsync", 2000ms);
    EXPECT_GE(slowed("fsync"), 1) << "no fsync was slowed down";
    std::this_thread::sleep_for(backup_v3.master_down + 500ms);
    expect_a_kept_the_vip(hup);
}

// In a network namespace the process events connector is unavailable: /proc is scanned
// every second.
TEST_F(LoopStall, slow_track_process_scans_keep_the_master) {
    const auto config =
        render_keepalived_conf(master_config({"track_process {", "    tp_none", "}"})) +
        "\nvrrp_track_process tp_none {\n    process hvnoproc\n    weight 1\n}\n";
    ASSERT_NO_FATAL_FAILURE(start_pair(config));
    slow("proc", 1500ms);
    const auto since = Clock::now();
    std::this_thread::sleep_for(4s);  // at least two scans
    expect_a_kept_the_vip(since);
    EXPECT_GE(slowed("proc"), 2) << "the scans were not slowed down";
}

}  // namespace
}  // namespace havip::test
