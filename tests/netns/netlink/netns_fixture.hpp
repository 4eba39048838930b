// Each test runs in a fresh, anonymous network namespace of its own (unshare), holding a
// veth pair va <-> vb. The namespace and everything in it vanish when the next test
// unshares again or the process exits, so nothing is left behind on failure.
#pragma once

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace havip::netlink::testing {

struct Command {
    int status = -1;
    std::string output;
};

// Runs a shell command in the test's namespace and returns its exit status and stdout.
inline Command run(const std::string& command) {
    Command result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    std::array<char, 4096> chunk{};
    std::size_t n = 0;
    while ((n = std::fread(chunk.data(), 1, chunk.size(), pipe)) > 0) {
        result.output.append(chunk.data(), n);
    }
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// `ip -j ...` parsed; an empty array when the command fails.
inline nlohmann::json ip_json(const std::string& args) {
    const auto out = run("ip -j " + args);
    if (out.status != 0) return nlohmann::json::array();
    return nlohmann::json::parse(out.output, nullptr, false);
}

// The addr_info entry of `ifname` whose local address is `local`, or null.
inline nlohmann::json find_address(const std::string& ifname, const std::string& local) {
    for (const auto& link : ip_json("addr show dev " + ifname)) {
        for (const auto& info : link.value("addr_info", nlohmann::json::array())) {
            if (info.value("local", "") == local) return info;
        }
    }
    return nullptr;
}

class NetnsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) {
            GTEST_SKIP() << "needs root: each test unshares a network namespace and "
                            "creates a veth pair";
        }
        if (::unshare(CLONE_NEWNET) != 0) {
            GTEST_SKIP() << "unshare(CLONE_NEWNET) failed: " << std::strerror(errno);
        }
        ASSERT_EQ(run("ip link set lo up").status, 0);
        const auto veth = run("ip link add va type veth peer name vb");
        ASSERT_EQ(veth.status, 0) << veth.output;
    }

    static void sh(const std::string& command) {
        const auto result = run(command);
        ASSERT_EQ(result.status, 0) << command << ": " << result.output;
    }

    // Carrier and operstate follow a link change asynchronously (the kernel's linkwatch
    // work), so checks of IFF_RUNNING wait up to two seconds for the state to settle.
    template <typename Condition>
    static bool eventually(Condition condition) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{2};
        while (!condition()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            std::this_thread::sleep_for(std::chrono::milliseconds{10});
        }
        return true;
    }

    static int index_of(const std::string& ifname) {
        const auto links = ip_json("link show dev " + ifname);
        return links.empty() ? 0 : links[0].value("ifindex", 0);
    }
};

}  // namespace havip::netlink::testing
