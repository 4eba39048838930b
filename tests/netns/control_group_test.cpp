// Who may use the control socket (issue 8): root only by default, checked with SO_PEERCRED
// even when the file mode would let a user in; with `havip_control_group NAME` the group's
// members too, by primary or supplementary group (SO_PEERGROUPS), and the socket directory
// havipd makes is opened to the group (0710) so they can reach it.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr uid_t nobody = 65534;
constexpr gid_t nogroup = 65534;  // Debian's "nogroup"
constexpr gid_t other_gid = 1;    // "daemon": a group that is not the configured one

// Exit codes of the unprivileged client.
constexpr int answered = 0, refused = 1, unreachable = 2, setup_failed = 3;

// Forks a client with uid nobody, primary group `gid` and supplementary `groups`, which sends
// a status request to `path`: whether it got a status document, an error, or no connection.
int client_as_nobody(const fs::path& path, gid_t gid, std::vector<gid_t> groups) {
    const std::string p = path.string();
    const std::string request = "{\"version\":1,\"command\":\"status\"}\n";
    const pid_t pid = ::fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        if (::setgroups(groups.size(), groups.data()) != 0 || ::setgid(gid) != 0 ||
            ::setuid(nobody) != 0)
            ::_exit(setup_failed);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, p.c_str(), sizeof addr.sun_path - 1);
        if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            ::_exit(unreachable);
        [[maybe_unused]] auto n = ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
        char buffer[8192];
        std::size_t got = 0;
        pollfd pfd{fd, POLLIN, 0};
        while (got < sizeof buffer && ::poll(&pfd, 1, 3000) == 1) {
            const auto r = ::recv(fd, buffer + got, sizeof buffer - got, 0);
            if (r <= 0) break;
            got += static_cast<std::size_t>(r);
            if (std::memchr(buffer, '\n', got)) break;
        }
        const std::string_view reply(buffer, got);
        if (reply.find("\"instances\"") != std::string_view::npos) ::_exit(answered);
        if (reply.find("permission denied") != std::string_view::npos) ::_exit(refused);
        ::_exit(unreachable);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class ControlGroupTest : public LabTest {
  protected:
    void SetUp() override {
        LabTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        if (::getgrgid(nogroup) == nullptr) GTEST_SKIP() << "no group with gid 65534 (nogroup)";
        run_ = fs::path("/run") / fmt::format("hvops-cg-{}", ::getpid());
        fs::create_directories(run_);
        // Anyone may traverse the test's own directory: only havipd's checks decide.
        fs::permissions(run_,
                        fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    }
    void TearDown() override {
        LabTest::TearDown();  // stops havipd
        if (!run_.empty()) fs::remove_all(run_);
    }

    // `launcher` goes before havipd on its command line (e.g. setpriv with its options).
    void start(const fs::path& socket, std::optional<std::string> group,
               std::vector<std::string> extra_global = {},
               std::vector<std::string> extra_instance = {}, const std::string& launcher = "") {
        ASSERT_TRUE(lab().add_node("a"));
        ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
        KeepalivedConfig config;
        config.router_id = "a";
        config.global_extra_lines = std::move(extra_global);
        if (group) config.global_extra_lines.push_back("havip_control_group " + *group);
        VrrpInstanceSpec spec;
        spec.vrid = 81;
        spec.priority = 150;
        spec.version = 3;
        spec.advert_int = 100ms;
        spec.vips = {"10.77.0.100/24"};
        spec.extra_lines = std::move(extra_instance);
        config.instances = {spec};
        const auto script = run_ / "havipd.sh";
        std::ofstream(script) << fmt::format("#!/bin/sh\nexec {} {} \"$@\" --socket {}\n", launcher,
                                             havipd_path(), socket.string());
        fs::permissions(script, fs::perms::owner_all);
        daemon_ = start_vrrp_daemon(lab(), "a", havipd(script.string()), config);
        ASSERT_TRUE(wait_until([&] { return fs::exists(socket); }, 3s))
            << daemon_.process->log_tail(20);
    }

    fs::path run_;
    RunningDaemon daemon_;
};

TEST_F(ControlGroupTest, without_a_group_a_user_is_refused_even_through_an_open_mode) {
    const auto socket = run_ / "ctl.sock";
    ASSERT_NO_FATAL_FAILURE(start(socket, std::nullopt));
    // Open the file mode to everyone, so only the SO_PEERCRED check stands in the way.
    ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
    EXPECT_EQ(client_as_nobody(socket, nogroup, {}), refused);
}

TEST_F(ControlGroupTest, with_a_group_its_members_by_primary_or_supplementary_group_are_answered) {
    // havipd makes this directory itself (0700), then opens it to the group (0710).
    const auto socket = run_ / "sub" / "ctl.sock";
    const auto name = std::string(::getgrgid(nogroup)->gr_name);
    ASSERT_NO_FATAL_FAILURE(start(socket, name));
    struct stat st {};
    ASSERT_EQ(::stat(socket.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0660u);
    EXPECT_EQ(st.st_gid, nogroup);
    ASSERT_EQ(::stat(socket.parent_path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0710u);
    EXPECT_EQ(st.st_gid, nogroup);

    EXPECT_EQ(client_as_nobody(socket, nogroup, {}), answered);
    EXPECT_EQ(client_as_nobody(socket, other_gid, {nogroup}), answered);
    // Not a member: the group's directory keeps it out before havipd is even asked.
    EXPECT_NE(client_as_nobody(socket, other_gid, {}), answered);
}

TEST_F(ControlGroupTest, a_non_member_is_refused_by_peer_credentials_when_the_group_is_set) {
    const auto socket = run_ / "ctl.sock";
    const auto name = std::string(::getgrgid(nogroup)->gr_name);
    ASSERT_NO_FATAL_FAILURE(start(socket, name));
    ASSERT_EQ(::chmod(socket.c_str(), 0666), 0);
    EXPECT_EQ(client_as_nobody(socket, other_gid, {}), refused);
}

// A group member holding every connection it can open must not lock root out: root's
// `havip status` is still answered (the last slots are root's, and one user gets at most 4).
TEST_F(ControlGroupTest, a_member_holding_connections_open_cannot_lock_root_out) {
    const auto socket = run_ / "sub" / "ctl.sock";
    const auto name = std::string(::getgrgid(nogroup)->gr_name);
    ASSERT_NO_FATAL_FAILURE(start(socket, name));
    int ready[2];
    ASSERT_EQ(::pipe2(ready, O_CLOEXEC), 0);
    const pid_t holder = ::fork();
    ASSERT_GE(holder, 0);
    if (holder == 0) {
        ::close(ready[0]);
        if (::setgroups(0, nullptr) != 0 || ::setgid(nogroup) != 0 || ::setuid(nobody) != 0)
            ::_exit(setup_failed);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::strncpy(addr.sun_path, socket.c_str(), sizeof addr.sun_path - 1);
        for (int i = 0; i < 32; ++i) {  // more than the socket has slots
            const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
            [[maybe_unused]] auto rc =
                ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        }
        [[maybe_unused]] auto n = ::write(ready[1], "x", 1);
        ::sleep(3);  // held open, silent, until the daemon's deadline
        ::_exit(0);
    }
    ::close(ready[1]);
    char x;
    ASSERT_EQ(::read(ready[0], &x, 1), 1);
    ::close(ready[0]);
    const auto r = run_command({havip_path(), "status", "--json", "--socket", socket.string()}, 5s);
    int status = 0;
    ::waitpid(holder, &status, 0);
    EXPECT_NE(r.out.find("\"instances\""), std::string::npos) << r.out << r.err;
}

// A socket directory another user owns: that user could unlink havipd's socket and bind their
// own, answering `havip status` and receiving root's `havip promote --force`. havipd refuses
// it, says why, and keeps running VRRP.
TEST_F(ControlGroupTest, a_socket_directory_another_user_owns_is_refused) {
    const auto theirs = run_ / "theirs";
    fs::create_directory(theirs);
    ASSERT_EQ(::chown(theirs.c_str(), nobody, nogroup), 0);
    fs::permissions(theirs, fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
    const auto socket = theirs / "ctl.sock";
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    KeepalivedConfig config;
    config.router_id = "a";
    VrrpInstanceSpec spec;
    spec.vrid = 81;
    spec.priority = 150;
    spec.version = 3;
    spec.advert_int = 100ms;
    spec.vips = {"10.77.0.100/24"};
    config.instances = {spec};
    const auto script = run_ / "havipd.sh";
    std::ofstream(script) << fmt::format("#!/bin/sh\nexec {} \"$@\" --socket {}\n", havipd_path(),
                                         socket.string());
    fs::permissions(script, fs::perms::owner_all);
    daemon_ = start_vrrp_daemon(lab(), "a", havipd(script.string()), config);
    EXPECT_TRUE(daemon_.wait_for_state("VI_1", "MASTER", 3000ms)) << daemon_.process->log_tail(20);
    EXPECT_TRUE(daemon_.log_mentions("belongs to uid 65534")) << daemon_.process->log_tail(20);
    EXPECT_FALSE(fs::exists(socket));
}

// setpriv's --bounding-set argument for the shipped unit's CapabilityBoundingSet= (every
// capability when the unit has none): "-all,+net_raw,+net_admin…" or "".
std::string units_bounding_set() {
    std::ifstream in(fs::path(HAVIP_SOURCE_DIR) / "systemd" / "havipd.service");
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("CapabilityBoundingSet=", 0) != 0) continue;
        std::string spec = "-all";
        std::istringstream caps(line.substr(line.find('=') + 1));
        for (std::string cap; caps >> cap;) {
            for (auto& c : cap)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            spec += ",+" + cap.substr(cap.rfind("cap_", 0) == 0 ? 4 : 0);
        }
        return spec;
    }
    return "";
}

// The shipped unit keeps what README promises (issue 17 item 4): under the capability bounding
// set of systemd/havipd.service, `havip_control_group` still gets its socket (CAP_CHOWN) and a
// notify hook run as root has root's rights, as under keepalived (here CAP_DAC_OVERRIDE: it
// writes into a directory only another user may write to).
TEST_F(ControlGroupTest, under_the_units_bounding_set_the_group_socket_and_root_hooks_still_work) {
    const auto bounding = units_bounding_set();
    const auto launcher = bounding.empty() ? "" : "setpriv --bounding-set " + bounding;
    const auto locked = run_ / "locked";
    fs::create_directory(locked);
    ASSERT_EQ(::chown(locked.c_str(), nobody, nogroup), 0);
    fs::permissions(locked, fs::perms::owner_all);
    const auto hook = run_ / "hook.sh";
    std::ofstream(hook) << fmt::format("#!/bin/sh\necho \"$@\" >{}/hook.out\n", locked.string());
    fs::permissions(hook, fs::perms::owner_all);
    const auto socket = run_ / "sub" / "ctl.sock";
    const auto name = std::string(::getgrgid(nogroup)->gr_name);
    ASSERT_NO_FATAL_FAILURE(start(socket, name, {"script_user root"},
                                  {fmt::format("notify_master \"{}\"", hook.string())}, launcher));
    struct stat st {};
    ASSERT_EQ(::stat(socket.c_str(), &st), 0);
    EXPECT_EQ(st.st_gid, nogroup) << launcher;
    EXPECT_EQ(client_as_nobody(socket, nogroup, {}), answered) << launcher;
    EXPECT_TRUE(daemon_.wait_for_state("VI_1", "MASTER", 3000ms)) << daemon_.process->log_tail(20);
    EXPECT_TRUE(wait_until([&] { return fs::exists(locked / "hook.out"); }, 3s))
        << launcher << "\n"
        << daemon_.process->log_tail(20);
}

}  // namespace
}  // namespace havip::test
