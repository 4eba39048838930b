// Least privilege (issue 8, item 5): after start-up havipd keeps exactly CAP_NET_RAW,
// CAP_NET_ADMIN, CAP_SETUID, CAP_SETGID, CAP_KILL and CAP_DAC_READ_SEARCH, in every thread, and
// with that set it still runs scripts as script_user, kills a hung script of another user, runs a
// root notify script with the full set (the bounding set is left whole, vrrpd/privileges.cpp) and
// fails over both ways. Its state directory is narrowed to 0700.
#include <sched.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
using Names = std::vector<std::string>;

constexpr const char* vip4 = "10.77.0.100";

// CAP_DAC_READ_SEARCH 2, CAP_KILL 5, CAP_SETGID 6, CAP_SETUID 7, CAP_NET_ADMIN 12,
// CAP_NET_RAW 13.
constexpr std::uint64_t kept =
    (1u << 2) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 12) | (1u << 13);

// A "Cap*:\t000001ffffffffff" line of /proc/<pid>/status; nullopt when absent.
std::optional<std::uint64_t> cap_field(const fs::path& status, std::string_view field) {
    std::ifstream in(status);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(std::string(field) + ":", 0) == 0)
            return std::stoull(line.substr(field.size() + 1), nullptr, 16);
    }
    return std::nullopt;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

void write_script(const fs::path& path, const std::string& body) {
    { std::ofstream(path) << "#!/bin/sh\n" << body; }
    fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
}

using Privileges = VrrpPairTest;

TEST_F(Privileges, havipd_keeps_only_vrrp_capabilities_and_still_runs_scripts_and_fails_over) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    // Where the scripts write: nobody must be able to.
    const auto out = lab().dir() / "out";
    fs::create_directory(out);
    fs::permissions(out, fs::perms::all);
    const auto down = out / "down";
    const auto uid_sh = lab().dir() / "uid.sh";
    write_script(uid_sh,
                 fmt::format("id -u >{0}/uid\ntest ! -e {1}\n", out.string(), down.string()));
    // Ignores nothing: SIGTERM ends it, but only a sender allowed to signal nobody's processes.
    const auto hang_sh = lab().dir() / "hang.sh";
    write_script(hang_sh, fmt::format("echo $$ >{}/hang.pid\nexec sleep 30\n", out.string()));
    const auto notify_sh = lab().dir() / "notify.sh";
    write_script(notify_sh,
                 fmt::format("grep CapEff /proc/self/status >{}/notify-caps\n", out.string()));

    auto a_spec = v3_instance(150);
    a_spec.extra_lines = {fmt::format("notify_master \"{}\" root", notify_sh.string()),
                          "track_script {", "    chk_uid", "    chk_hang weight -10", "}"};
    auto a_config = single_instance(a_spec, "a");
    a_config.global_extra_lines = {"script_user nobody", "enable_script_security"};
    const std::string scripts = fmt::format(
        "\nvrrp_script chk_uid {{\n    script \"{}\"\n    interval 1\n    fall 1\n    rise 1\n}}\n"
        "vrrp_script chk_hang {{\n    script \"{}\"\n    interval 1\n    timeout 1\n}}\n",
        uid_sh.string(), hang_sh.string());
    // A state directory others can read is narrowed at start-up (mysql_check history).
    const auto state_dir = lab().dir() / "a-havipd-state";
    fs::create_directory(state_dir);
    ::chmod(state_dir.c_str(), 0755);
    const auto start = Clock::now();
    auto a = start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                               render_keepalived_conf(a_config) + scripts);
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a.process->log_tail(30);

    // Every thread (the mysql probes would be threads too) has the reduced set.
    const fs::path proc = fmt::format("/proc/{}", a.process->pid());
    ASSERT_EQ(read_file(proc / "comm"), "havipd\n") << "not havipd's pid";
    std::size_t threads = 0;
    for (const auto& task : fs::directory_iterator(proc / "task")) {
        ++threads;
        const auto status = task.path() / "status";
        EXPECT_EQ(cap_field(status, "CapEff"), kept) << status;
        EXPECT_EQ(cap_field(status, "CapPrm"), kept) << status;
        EXPECT_EQ(cap_field(status, "CapInh"), 0u) << status;
        EXPECT_EQ(cap_field(status, "CapAmb"), 0u) << status;
    }
    EXPECT_GE(threads, 1u);

    struct stat st {};
    ASSERT_EQ(::stat(state_dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);

    // script_user: the tracked script ran as nobody, and a root notify script got the full set
    // back from the bounding set.
    ASSERT_TRUE(wait_until([&] { return !read_file(out / "uid").empty(); }, 3s, 20ms));
    EXPECT_EQ(read_file(out / "uid"), "65534\n");
    ASSERT_TRUE(wait_until([&] { return !read_file(out / "notify-caps").empty(); }, 3s, 20ms))
        << a.process->log_tail(30);
    const auto own_bounding = cap_field("/proc/self/status", "CapBnd");
    ASSERT_TRUE(own_bounding.has_value());
    EXPECT_EQ(read_file(out / "notify-caps"), fmt::format("CapEff:\t{:016x}\n", *own_bounding));

    // The hung script belongs to nobody: stopping it at its 1 s timeout needs CAP_KILL.
    ASSERT_TRUE(wait_until([&] { return !read_file(out / "hang.pid").empty(); }, 3s, 20ms));
    const auto hung = std::stoi(read_file(out / "hang.pid"));
    EXPECT_TRUE(wait_until([&] { return ::kill(hung, 0) != 0; }, 3s, 20ms))
        << "the timed-out script of nobody is still running";

    // Failover both ways: the reduced set removes and adds VIPs and sends adverts.
    auto b = start_backup("b", havipd(havipd_path()), single_instance(v3_instance(100), "b"));
    ASSERT_FALSE(HasFailure());
    const auto failing = Clock::now();
    { std::ofstream(down) << "down\n"; }
    EXPECT_TRUE(wait_vip("b", true, 4s, failing).has_value()) << "b never took the VIP";
    EXPECT_TRUE(wait_vip("a", false, 2s, failing).has_value());
    const auto healthy = Clock::now();
    fs::remove(down);
    EXPECT_TRUE(wait_vip("a", true, 4s, healthy).has_value()) << "a did not take it back";
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 2s, 10ms));
    for (const auto* d : {&a, &b})
        EXPECT_FALSE(d->log_mentions("cannot ")) << d->node << ":\n" << d->process->log_tail(30);
}

// Real-time by default (issue 7, stability): the loop runs SCHED_RR at priority 1 without
// vrrp_rt_priority, and what it forks does not inherit that; vrrp_rt_priority 0 opts out.
TEST_F(Privileges, the_loop_runs_sched_rr_by_default_and_its_scripts_at_normal_priority) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    const auto out = lab().dir() / "out";
    fs::create_directory(out);
    const auto notify_sh = lab().dir() / "notify.sh";
    write_script(notify_sh, fmt::format("chrt -p $$ >{}/notify-sched\n", out.string()));
    auto a_spec = v3_instance(150);
    a_spec.extra_lines = {fmt::format("notify_master \"{}\" root", notify_sh.string())};
    const auto start = Clock::now();
    auto a = start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                               render_keepalived_conf(single_instance(a_spec, "a")));
    ASSERT_TRUE(wait_vip("a", true, 4s, start).has_value()) << a.process->log_tail(30);
    EXPECT_EQ(::sched_getscheduler(a.process->pid()), SCHED_RR | SCHED_RESET_ON_FORK);
    sched_param param{};
    ASSERT_EQ(::sched_getparam(a.process->pid(), &param), 0);
    EXPECT_EQ(param.sched_priority, 1);
    // The shell creates the file before chrt writes into it: wait for its line.
    ASSERT_TRUE(wait_until(
        [&] { return read_file(out / "notify-sched").find('\n') != std::string::npos; }, 3s, 20ms))
        << a.process->log_tail(30);
    EXPECT_NE(read_file(out / "notify-sched").find("SCHED_OTHER"), std::string::npos)
        << read_file(out / "notify-sched");

    auto b_config = single_instance(v3_instance(100), "b");
    b_config.global_extra_lines = {"vrrp_rt_priority 0"};
    auto b = start_backup("b", havipd(havipd_path()), b_config);
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(::sched_getscheduler(b.process->pid()), SCHED_OTHER);
    for (const auto* d : {&a, &b})
        EXPECT_FALSE(d->log_mentions("real-time")) << d->node << ":\n" << d->process->log_tail(30);
}

}  // namespace
}  // namespace havip::test
