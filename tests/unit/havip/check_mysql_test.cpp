// `havip check mysql` (havip/check_mysql): what it says about its own arguments. The judgement
// itself is checks/mysql_decision's (unit tests in tests/unit/checks) and the command against a
// real server is tests/netns/check_mysql_command_test.cpp.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "havip/check_mysql.hpp"

namespace havip::cli {
namespace {

// Runs the command with std::cerr captured; nothing listens on the socket it is given.
std::string stderr_of(std::vector<std::string> args) {
    std::ostringstream captured;
    auto* old = std::cerr.rdbuf(captured.rdbuf());
    args.insert(args.end(), {"--socket", "/nonexistent/havip-test.sock", "--timeout", "0.2"});
    std::ostringstream out;
    auto* old_out = std::cout.rdbuf(out.rdbuf());
    const int rc = check_mysql(args);
    std::cout.rdbuf(old_out);
    std::cerr.rdbuf(old);
    EXPECT_EQ(rc, 1) << out.str();
    return captured.str();
}

TEST(CheckMysqlArgs, a_password_on_the_command_line_is_warned_about) {
    const auto err = stderr_of({"--user", "havip", "--password", "secret"});
    EXPECT_NE(err.find("--password is visible to every local user"), std::string::npos) << err;
    EXPECT_EQ(err.find("secret"), std::string::npos) << "the warning repeats the password";
    EXPECT_EQ(stderr_of({"--user", "havip"}), "");
}

}  // namespace
}  // namespace havip::cli
