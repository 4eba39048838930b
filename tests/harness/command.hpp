// Running a short command to completion and capturing what it printed.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace havip::test {

struct CommandResult {
    // Exit status; 128 + signal number when killed; -1 when it could not be started.
    int exit_code = -1;
    bool timed_out = false;
    std::string out;
    std::string err;

    bool ok() const { return exit_code == 0 && !timed_out; }
};

// Runs argv (argv[0] looked up in PATH) in its own process group, stdin from /dev/null.
// On timeout the whole group is killed and timed_out is set.
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

// The same inside a named network namespace (through `ip netns exec`, so /sys matches too).
CommandResult run_in_netns(std::string_view ns, const std::vector<std::string>& argv,
                           std::chrono::milliseconds timeout = std::chrono::seconds(10));

// argv joined for messages, words with spaces quoted.
std::string describe(const std::vector<std::string>& argv);

// Success, or a failure message naming the command, its status and its stderr.
testing::AssertionResult succeeded(const std::vector<std::string>& argv,
                                   const CommandResult& result);

}  // namespace havip::test
