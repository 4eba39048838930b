// What faces the system around the daemon (issue 17): one havipd per node, whatever pid files
// a second one is given; no descriptor of the daemon reaches a script.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/netns_socket.hpp"
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

class SecurityTest : public VrrpPairTest {
  protected:
    void start_pair() {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        a_config_ = single_instance(v3_instance(150), "a");
        a_ = start_master("a", havipd(havipd_path()), a_config_, 3s);
        ASSERT_FALSE(HasFailure());
        b_ = start_backup("b", havipd(havipd_path()), single_instance(v3_instance(100), "b"));
        ASSERT_FALSE(HasFailure());
        std::this_thread::sleep_for(300ms);
        ASSERT_EQ(holders(), Names{"a"});
    }

    KeepalivedConfig a_config_;
    RunningDaemon a_;
    RunningDaemon b_;
};

// keepalived users debug with a hand-run `havipd -n -l -D`; with its own pid files and control
// socket it used to remove the running master's VIP at start-up (issue 17, item 6).
TEST_F(SecurityTest, second_daemon_on_a_node_refuses_to_start_and_leaves_the_vip) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    const auto second_dir = lab().dir() / "second";
    fs::create_directories(second_dir);
    const auto before = Clock::now();
    auto& second = lab().start("a", "a-second",
                               daemon_command(havipd(havipd_path()), a_.config, second_dir, "a"));
    const auto status = second.wait_exit(5s);
    ASSERT_TRUE(status.has_value()) << "the second havipd kept running:\n" << second.log_tail(20);
    EXPECT_NE(*status, 0);
    EXPECT_TRUE(second.log_contains(
        fmt::format("another havipd (pid {}) is already running in this network namespace",
                    a_.process->pid())))
        << second.log_tail(20);
    std::this_thread::sleep_for(500ms);
    EXPECT_FALSE(vip_changed_since("a", before)) << "the second havipd touched the master's VIP";
    EXPECT_FALSE(vip_changed_since("b", before));
    EXPECT_EQ(holders(), Names{"a"});

    // A configuration test still runs beside the daemon.
    const auto test = run_in_netns(lab().ns("a"), {havipd_path(), "-t", "-f", a_.config.string()});
    EXPECT_EQ(test.exit_code, 0) << test.err;

    // The lock dies with its holder: a SIGKILLed daemon does not block its restart.
    ASSERT_TRUE(a_.process->signal(SIGKILL));
    ASSERT_EQ(a_.process->wait_exit(2s), 128 + SIGKILL);
    a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), a_config_);
    EXPECT_TRUE(a_.wait_for_state("VI_1", "MASTER", 5s)) << a_.process->log_tail(20);
    EXPECT_TRUE(wait_until([&] { return holders() == Names{"a"}; }, 3s, 10ms));
    EXPECT_TRUE(a_.process->running());
}

// The daemon's descriptors from 3 up whose flags (/proc/PID/fdinfo) lack O_CLOEXEC, as
// "N -> target".
std::vector<std::string> inheritable_descriptors(pid_t pid) {
    std::vector<std::string> out;
    std::error_code ec;
    const fs::path proc = fmt::format("/proc/{}", pid);
    for (const auto& entry : fs::directory_iterator(proc / "fd", ec)) {
        const auto name = entry.path().filename().string();
        if (std::stoi(name) < 3) continue;
        std::ifstream info(proc / "fdinfo" / name);
        for (std::string line; std::getline(info, line);) {
            if (line.rfind("flags:", 0) != 0) continue;
            if ((std::stoul(line.substr(6), nullptr, 8) & O_CLOEXEC) == 0) {
                std::error_code link_ec;
                out.push_back(fmt::format("{} -> {}", name,
                                          fs::read_symlink(entry.path(), link_ec).string()));
            }
        }
    }
    return out;
}

// The descriptors `ls -l /proc/self/fd` listed, by number, without ls's own directory.
std::map<int, std::string> listed_descriptors(const fs::path& listing) {
    std::ifstream in(listing);
    std::map<int, std::string> out;
    for (std::string line; std::getline(in, line);) {
        const auto arrow = line.find(" -> ");
        if (arrow == std::string::npos) continue;
        const auto start = line.rfind(' ', arrow - 1) + 1;
        const auto target = line.substr(arrow + 4);
        if (target.rfind("/proc/", 0) == 0 && target.ends_with("/fd")) continue;
        out.emplace(std::stoi(line.substr(start, arrow - start)), target);
    }
    return out;
}

// Boost 1.74 opens and accepts without close-on-exec; where close_range fails (kernels before
// 5.9, seccomp profiles) every script inherited the control and metrics listeners and sessions,
// tcp_check sockets and the netlink monitor's dup (issue 17, item 2). Every descriptor of the
// daemon is close-on-exec while all of those are open, and a script sees only stdin, stdout
// and stderr.
TEST_F(SecurityTest, no_descriptor_of_the_daemon_is_inherited_by_scripts) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    const auto listing = lab().dir() / "fds";
    const auto script = lab().dir() / "fds.sh";
    {
        std::ofstream(script) << "#!/bin/sh\nls -l /proc/self/fd >" << listing.string() << ".new\n"
                              << "mv " << listing.string() << ".new " << listing.string() << "\n";
    }
    fs::permissions(script, fs::perms::owner_all);
    auto spec = v3_instance(150);
    spec.extra_lines = {"track_script {", "    chk_fds", "    chk_silent weight -10", "}"};
    auto config = single_instance(spec, "a");
    config.global_extra_lines = {"havip_metrics_listen 10.77.0.1:9650"};
    // A probe of an address nobody answers (no ARP reply): its socket is open most of the time.
    const std::string blocks = fmt::format(
        "\nvrrp_script chk_fds {{\n    script \"{}\"\n    interval 1\n}}\n"
        "tcp_check chk_silent {{\n    host 10.77.0.9\n    port 3306\n    interval 1\n"
        "    timeout 0.9\n}}\n",
        script.string());
    a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                           render_keepalived_conf(config) + blocks);
    ASSERT_TRUE(a_.wait_for_state("VI_1", "MASTER", 5s)) << a_.process->log_tail(20);

    // A metrics session held open, so it exists while the descriptors are looked at.
    const int client = open_socket_in(lab().ns("a"), AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(client, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(9650);
    ::inet_pton(AF_INET, "10.77.0.1", &addr.sin_addr);
    ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    std::this_thread::sleep_for(100ms);
    // What the test itself hands down (a shell's descriptors under ctest) is not the daemon's.
    const auto handed_down = inheritable_descriptors(::getpid());
    for (int sample = 0; sample < 10; ++sample) {
        auto open = inheritable_descriptors(a_.process->pid());
        std::erase_if(open, [&](const std::string& fd) {
            return std::find(handed_down.begin(), handed_down.end(), fd) != handed_down.end();
        });
        EXPECT_TRUE(open.empty()) << "without close-on-exec: "
                                  << fmt::format("{}", fmt::join(open, ", "));
        if (!open.empty()) break;
        std::this_thread::sleep_for(100ms);
    }
    ::close(client);

    fs::remove(listing);
    ASSERT_TRUE(wait_until([&] { return fs::exists(listing); }, 3s, 20ms));
    const auto fds = listed_descriptors(listing);
    EXPECT_EQ(fds, (std::map<int, std::string>{
                       {0, "/dev/null"}, {1, listing.string() + ".new"}, {2, "/dev/null"}}));
}

// keepalived 2.2.7 refuses a script that would run as root when the file or a directory on its
// path can be written by someone other than root; havipd ran it (issue 17, item 1): a
// notify_master in a world-writable directory gave every local user root at the next
// transition. It is refused, `havipd -t` names it at its line and column, and a hook on a
// root-only path still runs.
TEST_F(SecurityTest, notify_master_in_a_world_writable_directory_never_runs_under_script_security) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    const auto open_dir = lab().dir() / "open";
    fs::create_directories(open_dir);
    fs::permissions(open_dir, fs::perms::all);  // 0777, no sticky bit
    const auto refused_ran = lab().dir() / "refused-ran";
    const auto allowed_ran = lab().dir() / "allowed-ran";
    const auto promote = open_dir / "promote.sh";
    const auto notify = lab().dir() / "notify.sh";
    std::ofstream(promote) << "#!/bin/sh\ntouch " << refused_ran.string() << "\n";
    std::ofstream(notify) << "#!/bin/sh\ntouch " << allowed_ran.string() << "\n";
    for (const auto& f : {promote, notify})
        fs::permissions(f, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                               fs::perms::others_read | fs::perms::others_exec);
    auto spec = v3_instance(150);
    spec.extra_lines = {fmt::format("notify_master \"{}\"", promote.string()),
                        fmt::format("notify \"{}\"", notify.string())};
    auto config = single_instance(spec, "a");
    config.global_extra_lines = {"script_user root", "enable_script_security"};
    a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config);
    ASSERT_TRUE(a_.wait_for_state("VI_1", "MASTER", 5s)) << a_.process->log_tail(20);
    ASSERT_TRUE(wait_until([&] { return fs::exists(allowed_ran); }, 3s, 20ms))
        << "the hook on a root-only path did not run:\n" << a_.process->log_tail(20);
    std::this_thread::sleep_for(500ms);
    EXPECT_FALSE(fs::exists(refused_ran)) << "the refused notify_master ran as root";
    EXPECT_TRUE(a_.log_mentions(fmt::format("Unsafe permissions found for script '{}' - disabling",
                                            promote.string())))
        << a_.process->log_tail(20);

    // -t: an error at the command's line and column, and a refused configuration.
    std::ifstream in(a_.config);
    int line_no = 0, column = 0;
    for (std::string line; std::getline(in, line);) {
        ++line_no;
        if (const auto at = line.find("notify_master \""); at != std::string::npos) {
            column = static_cast<int>(at + std::string_view("notify_master ").size()) + 1;
            break;
        }
    }
    ASSERT_GT(column, 0);
    const auto test = run_in_netns(lab().ns("a"), {havipd_path(), "-t", "-f", a_.config.string()});
    EXPECT_NE(test.exit_code, 0) << test.err;
    EXPECT_NE(test.err.find(fmt::format("{}:{}:{}: error: Unsafe permissions found for script "
                                        "'{}' - disabling.",
                                        a_.config.string(), line_no, column, promote.string())),
              std::string::npos)
        << test.err;
}

// A vrrp_script refused by script security is handled as keepalived handles it: removed from
// the instances that track it, which run without it (here a failing check that would put the
// instance in FAULT), and not silently: the log says why and `havip status` lists it as
// disabled with the reason.
TEST_F(SecurityTest, a_refused_vrrp_script_is_untracked_and_shown_disabled) {
    ASSERT_NO_FATAL_FAILURE(build(vip4));
    const auto open_dir = lab().dir() / "open";
    fs::create_directories(open_dir);
    fs::permissions(open_dir, fs::perms::all);
    const auto check = open_dir / "chk.sh";
    const auto ran = lab().dir() / "chk-ran";
    std::ofstream(check) << "#!/bin/sh\ntouch " << ran.string() << "\nexit 1\n";
    fs::permissions(check, fs::perms::owner_all | fs::perms::group_read |
                               fs::perms::group_exec | fs::perms::others_read |
                               fs::perms::others_exec);
    auto spec = v3_instance(150);
    spec.extra_lines = {"track_script {", "    chk_open", "}"};
    auto config = single_instance(spec, "a");
    config.global_extra_lines = {"script_user root", "enable_script_security"};
    const std::string block = fmt::format(
        "\nvrrp_script chk_open {{\n    script \"{}\"\n    interval 1\n}}\n", check.string());
    a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()),
                           render_keepalived_conf(config) + block);
    ASSERT_TRUE(a_.wait_for_state("VI_1", "MASTER", 5s)) << a_.process->log_tail(20);
    EXPECT_TRUE(a_.log_mentions("Disabling track script chk_open due to insecure"))
        << a_.process->log_tail(20);
    std::this_thread::sleep_for(1200ms);  // an interval: the script would have run by now
    EXPECT_FALSE(fs::exists(ran)) << "the refused vrrp_script ran";
    EXPECT_FALSE(a_.log_mentions("-> FAULT")) << a_.process->log_tail(20);

    // The socket path harness/vrrp_daemon.cpp gives node a.
    auto socket = lab().dir() / "a.sock";
    if (socket.string().size() > 100)
        socket = fmt::format("/tmp/hv{:x}-a.sock", std::hash<std::string>{}(lab().dir().string()));
    const auto status = run_command({havip_path(), "status", "--socket", socket.string()});
    EXPECT_NE(status.out.find("check chk_open (vrrp_script): disabled - Unsafe permissions found "
                              "for script '" +
                              check.string() + "' - disabling."),
              std::string::npos)
        << status.out << status.err;
}

}  // namespace
}  // namespace havip::test
