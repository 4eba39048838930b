// The keepalived route (issue 15 item 3): a real keepalived pair on the keepalived.conf that
// `havip generate` writes, running the generated `havip check mysql` script every second, in
// front of a real MariaDB GTID master-master pair. The check is a new process each run, so
// everything it knows about the standby's replication comes from its state file. When the
// master's mysqld is SIGKILLed or SIGSTOPped, the VIP must reach the standby within a bound
// and stay there past the freshness window (the new holder is the writer).
// Only paths are changed in the generated file: the built havip for /usr/bin/havip, the lab
// server's socket and monitor option file, and a state file per node (the two nodes share the
// host's file system).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/text.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
namespace fs = std::filesystem;

constexpr const char* vip4 = "10.77.0.100";
const std::string havip_bin = havip_path();

class KeepalivedMysqlCheck : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (!fs::exists("/usr/sbin/keepalived")) GTEST_SKIP() << "needs /usr/sbin/keepalived";
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        VrrpPairTest::SetUp();
    }
    void TearDown() override {
        if (HasFailure()) {
            for (const char* node : {"a", "b"}) {
                std::cout << "--- " << node << " state file:\n" << read_text(state(node));
                if (db_a_ && db_b_) {
                    auto r = lab().run(node, check_argv(node), 5s);
                    std::cout << "--- " << node << " havip check mysql now: exit " << r.exit_code
                              << "\n"
                              << r.out << r.err;
                }
            }
        }
        VrrpPairTest::TearDown();
        db_a_.reset();
        db_b_.reset();
    }

    MariadbServer& db(std::string_view node) { return node == "a" ? *db_a_ : *db_b_; }
    fs::path state(std::string_view node) {
        return lab().dir() / fmt::format("{}-chk_mysql.state", node);
    }
    fs::path monitor_cnf(std::string_view node) {
        return lab().dir() / fmt::format("{}-monitor.cnf", node);
    }
    // The generated check command with the lab's paths (for diagnostics).
    std::vector<std::string> check_argv(std::string_view node) {
        return {havip_bin,
                "check",
                "mysql",
                "--option-file",
                monitor_cnf(node).string(),
                "--socket",
                db(node).socket().string(),
                "--vip",
                vip4,
                "--state",
                state(node).string(),
                "--timeout",
                "0.8"};
    }

    // Nodes a (db1, priority 150) and b (db2, 100), MariaDB GTID master-master, and the
    // generated keepalived.conf of each node with the lab's paths.
    void start_all() {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        db_a_.emplace(lab(), "a", "10.77.0.1", 1);
        db_b_.emplace(lab(), "b", "10.77.0.2", 2);
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_b_->start());
        ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));

        const fs::path inventory = lab().dir() / "inventory.yaml";
        std::ofstream(inventory) << fmt::format(
            "cluster: lab\n"
            "topology: 5-node\n"
            "database:\n"
            "  vip: {}/24\n"
            "  vrid: 51\n"
            "  interface: eth0\n"
            "  nodes:\n"
            "    - {{name: db1, address: 10.77.0.1}}\n"
            "    - {{name: db2, address: 10.77.0.2}}\n",
            vip4);
        const fs::path out = lab().dir() / "generated";
        const std::vector<std::string> generate{havip_bin, "generate", inventory.string(), "-o",
                                                out.string()};
        ASSERT_TRUE(succeeded(generate, run_command(generate)));

        for (const char* node : {"a", "b"}) {
            // The generated monitor.cnf names the socket too: the notify commands use it.
            const fs::path cnf = monitor_cnf(node);
            std::ofstream(cnf) << read_text(db(node).monitor_option_file())
                               << "socket = " << db(node).socket().string() << "\n";
            fs::permissions(cnf, fs::perms(0600));
            std::string text =
                read_text(out / (std::string(node) == "a" ? "db1" : "db2") / "keepalived.conf");
            ASSERT_TRUE(replace_all(text, "/usr/bin/havip", havip_bin));
            ASSERT_TRUE(replace_all(text, "/etc/havip/monitor.cnf", cnf.string()));
            ASSERT_TRUE(replace_all(text, "/run/mysqld/mysqld.sock", db(node).socket().string()));
            ASSERT_TRUE(replace_all(text, "/var/lib/havip/chk_mysql.state", state(node).string()));
            ASSERT_NE(text.find("weight 0"), std::string::npos);
            ASSERT_NE(text.find("fall 2"), std::string::npos);
            if (std::string(node) == "a") {
                a_ = start_vrrp_daemon(lab(), "a", keepalived(), text);
                ASSERT_TRUE(wait_vip("a", true, 15s, Clock::now() - 1s))
                    << "keepalived on a never took the VIP";
            } else {
                b_ = start_vrrp_daemon(lab(), "b", keepalived(), text);
                ASSERT_TRUE(b_.wait_for_state("DB_VIP", "BACKUP", 15s));
            }
        }
        // notify_master made a writable.
        ASSERT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 5s, 50ms));
        EXPECT_EQ(db_b_->read_only(), true);
        // Several runs of b's check against a living master (heartbeats every 0.5 s).
        std::this_thread::sleep_for(4s);
        ASSERT_EQ(holders(), std::vector<std::string>{"a"});
        ASSERT_EQ(b_.times_entered("DB_VIP", "FAULT"), 0u) << "b's check failed while healthy";
    }

    // After the failure: b holds the VIP within `bound`, is made writable, and still holds it
    // after the freshness window (2 × slave_net_timeout 4 s + the interval) has passed.
    void expect_failover(Clock::time_point injected, std::chrono::milliseconds bound,
                         std::string_view what) {
        auto gained = wait_vip("b", true, bound + 10s, injected);
        ASSERT_TRUE(gained) << "b never took the VIP";
        measure(what, gained->at - injected, "bound", bound);
        EXPECT_LT(gained->at - injected, bound);
        EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 5s, 50ms))
            << "notify_master did not make b writable";
        const auto since = Clock::now();
        std::this_thread::sleep_for(11s);
        EXPECT_FALSE(vip_changed_since("b", since)) << "b lost the VIP again";
        EXPECT_EQ(holders(), std::vector<std::string>{"b"});
    }

    std::optional<MariadbServer> db_a_;
    std::optional<MariadbServer> db_b_;
    RunningDaemon a_;
    RunningDaemon b_;
};

// keepalived checks every 1 s with fall 2, so a's failure is seen after at most 2 runs (≤ 2 s
// plus one run's time), then a sends priority 0 and b waits its Skew_Time (0.61 s at 100,
// VRRPv2, 1 s adverts); keepalived's own scheduling adds some: 4 s in all.
TEST_F(KeepalivedMysqlCheck, mysqld_killed_on_master_moves_vip_to_standby) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const auto killed = Clock::now();
    ASSERT_TRUE(db_a_->kill());
    expect_failover(killed, 4000ms, "keepalived_kill_to_vip_on_b");
}

// A frozen server accepts connections but never answers: each run of a's check ends at its
// own deadline (0.8 s), so fall 2 takes up to 1 + 2 × 1 s, plus Skew_Time: 4.5 s in all.
TEST_F(KeepalivedMysqlCheck, mysqld_frozen_on_master_moves_vip_to_standby) {
    ASSERT_NO_FATAL_FAILURE(start_all());
    const auto frozen = Clock::now();
    ASSERT_TRUE(db_a_->freeze());
    expect_failover(frozen, 4500ms, "keepalived_freeze_to_vip_on_b");
    EXPECT_TRUE(db_a_->thaw());
}

}  // namespace
}  // namespace havip::test
