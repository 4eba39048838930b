// `havip check mysql`, the one-shot command keepalived runs as a vrrp_script, against a real
// MariaDB server in a lab namespace: it answers and exits within its --timeout, as a script
// must (keepalived counts a script still running at its timeout as failed).
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/command.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;

const std::string havip_bin = std::string(HAVIP_BINARY_DIR) + "/havip/havip";

class CheckMysqlCommand : public LabTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        LabTest::SetUp();
    }
};

TEST_F(CheckMysqlCommand, exits_with_the_verdict_as_soon_as_the_server_answered) {
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    MariadbServer db(lab(), "a", "10.77.0.1", 1);
    ASSERT_TRUE(db.start());
    const std::vector<std::string> argv{havip_bin,
                                        "check",
                                        "mysql",
                                        "--option-file",
                                        db.monitor_option_file().string(),
                                        "--socket",
                                        db.socket().string(),
                                        "--role",
                                        "holder",
                                        "--timeout",
                                        "0.8"};
    const auto started = std::chrono::steady_clock::now();
    auto r = lab().run("a", argv, 10s);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_FALSE(r.timed_out) << "still running after 10 s";
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out.rfind("healthy: ", 0), 0u) << r.out;
    // The answer takes milliseconds; the deadline is 0.8 s.
    EXPECT_LT(took, 800ms + 500ms) << r.out;
}

}  // namespace
}  // namespace havip::test
