// What scripts inherit (issue 17, item 2): stdin, stdout and stderr only, also where
// close_range(2) fails (kernels before 5.9, seccomp profiles that refuse it).
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "checks/child_process.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;

// Makes close_range fail with ENOSYS in this process and what it forks, as an old kernel or a
// container's seccomp profile does.
bool refuse_close_range() {
    sock_filter filter[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    sock_fprog program{static_cast<unsigned short>(std::size(filter)), filter};
    return ::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
           ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) == 0;
}

// The descriptors `ls -l /proc/self/fd` listed, as "N -> target" in the order of N, without ls's
// own directory.
std::vector<std::string> inherited(const std::filesystem::path& listing) {
    std::ifstream in(listing);
    std::map<int, std::string> out;
    for (std::string line; std::getline(in, line);) {
        const auto arrow = line.find(" -> ");
        if (arrow == std::string::npos) continue;
        const auto start = line.rfind(' ', arrow - 1) + 1;
        const auto target = line.substr(arrow + 4);
        if (target.rfind("/proc/", 0) == 0 && target.ends_with("/fd")) continue;
        out.emplace(std::stoi(line.substr(start, arrow - start)), line.substr(start));
    }
    std::vector<std::string> in_order;
    for (auto& [fd, text] : out)
        in_order.push_back(std::move(text));
    return in_order;
}

TEST(Descriptors, script_inherits_only_stdio_when_close_range_is_refused) {
    const auto dir = std::filesystem::path(HAVIP_BINARY_DIR) / "checks-scratch" /
                     fmt::format("{}-descriptors", ::getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto listing = dir / "fds";
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        // What a daemon leaves open without close-on-exec (Boost 1.74's sockets), then the
        // restriction, then a script run as havipd runs them.
        const int leaked = ::socket(AF_INET, SOCK_STREAM, 0);
        if (leaked < 0 || !refuse_close_range()) ::_exit(2);
        if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0 || errno != ENOSYS) ::_exit(3);
        boost::asio::io_context io;
        bool ok = false;
        auto child = ChildProcess::start(
            io, Command{{"/bin/sh", "-c", fmt::format("ls -l /proc/self/fd >{}", listing.string())}, {}},
            5s, [&](const RunResult& r) { ok = r.success(); });
        io.run_for(8s);
        ::_exit(ok ? 0 : 4);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    ASSERT_EQ(WEXITSTATUS(status), 0) << "2: no seccomp, 3: close_range not refused, 4: script";
    const auto fds = inherited(listing);
    ASSERT_GE(fds.size(), 3u);
    EXPECT_EQ(fds[0], "0 -> /dev/null");
    EXPECT_EQ(fds[1], fmt::format("1 -> {}", listing.string()));
    EXPECT_EQ(fds[2], "2 -> /dev/null");
    EXPECT_EQ(fds.size(), 3u) << "inherited: " << fmt::format("{}", fmt::join(fds, ", "));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace havip::checks
