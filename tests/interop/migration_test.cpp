// Moving a node from keepalived to havipd (issue 15, README "Moving a pair from keepalived"):
// a keepalived pair in front of a MariaDB GTID master-master pair, each node on the
// keepalived.conf `havip generate` writes, is moved to havipd one node at a time — the backup
// first, then the master — while a client writes through the VIP the whole time. The pair
// serves throughout (keepalived and havipd side by side in the middle), every acknowledged
// write is on the final holder, there is one holder, and replication runs both ways.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checks/mysql_client.hpp"
#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/text.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"
#include "tests/harness/writer.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
namespace fs = std::filesystem;

constexpr const char* vip4 = "10.77.0.100";
constexpr const char* writer_password = "w-pass";
const std::string havip_bin = havip_path();

class Migration : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (!fs::exists("/usr/sbin/keepalived")) GTEST_SKIP() << "needs /usr/sbin/keepalived";
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        VrrpPairTest::SetUp();
    }
    void TearDown() override {
        if (writer_) writer_->stop();
        writer_.reset();
        VrrpPairTest::TearDown();
        db_a_.reset();
        db_b_.reset();
    }

    MariadbServer& db(std::string_view node) { return node == "a" ? *db_a_ : *db_b_; }
    std::string generated(std::string_view node) { return node == "a" ? "db1" : "db2"; }
    fs::path monitor_cnf(std::string_view node) {
        return lab().dir() / fmt::format("{}-monitor.cnf", node);
    }

    // Nodes a (db1, priority 150), b (db2, 100), c (the client); MariaDB GTID master-master
    // reachable through the VIP; `havip generate` for the pair.
    void start_databases() {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        ASSERT_TRUE(lab().add_node("c"));
        ASSERT_TRUE(lab().add_address("c", "10.77.0.3/24"));
        db_a_.emplace(lab(), "a", "10.77.0.1", 1);
        db_b_.emplace(lab(), "b", "10.77.0.2", 2);
        for (const char* node : {"a", "b"}) {
            const auto cnf = lab().dir() / fmt::format("migration-{}.cnf", node);
            std::ofstream(cnf) << "[mariadbd]\nbind-address = 0.0.0.0\n";
            db(node).include_config(cnf);
        }
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_b_->start());
        ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));
        ASSERT_TRUE(
            db_a_->exec(fmt::format("CREATE TABLE lab.w (id BIGINT PRIMARY KEY) ENGINE=InnoDB;"
                                    "CREATE USER 'w'@'10.77.0.%' IDENTIFIED BY '{}';"
                                    "GRANT INSERT, SELECT ON lab.* TO 'w'@'10.77.0.%';",
                                    writer_password)));
        ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));

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
        out_ = lab().dir() / "generated";
        const std::vector<std::string> generate{havip_bin, "generate", inventory.string(), "-o",
                                                out_.string()};
        ASSERT_TRUE(succeeded(generate, run_command(generate)));
        for (const char* node : {"a", "b"}) {
            // The generated monitor.cnf names the socket too: keepalived's notify commands use it.
            std::ofstream(monitor_cnf(node)) << read_text(db(node).monitor_option_file())
                                             << "socket = " << db(node).socket().string() << "\n";
            fs::permissions(monitor_cnf(node), fs::perms(0600));
        }
    }

    // The node's generated file with the lab's paths in place of the host's.
    std::string config(std::string_view node, std::string_view file) {
        std::string text = read_text(out_ / generated(node) / file);
        EXPECT_TRUE(replace_all(text, "/etc/havip/monitor.cnf", monitor_cnf(node).string()));
        EXPECT_TRUE(replace_all(text, "/run/mysqld/mysqld.sock", db(node).socket().string()));
        if (file == "keepalived.conf") {
            EXPECT_TRUE(replace_all(text, "/usr/bin/havip", havip_bin));
            EXPECT_TRUE(replace_all(text, "/var/lib/havip/chk_mysql.state",
                                    (lab().dir() / fmt::format("{}-chk.state", node)).string()));
        }
        return text;
    }

    bool replicating(std::string_view node) {
        return db(node).slave_status("Slave_IO_Running") == "Yes" &&
               db(node).slave_status("Slave_SQL_Running") == "Yes";
    }

    fs::path out_;
    std::optional<MariadbServer> db_a_, db_b_;
    std::optional<Writer> writer_;
};

TEST_F(Migration, keepalived_pair_to_havipd_pair_one_node_at_a_time_losing_no_write) {
    ASSERT_NO_FATAL_FAILURE(start_databases());
    auto ka = start_vrrp_daemon(lab(), "a", keepalived(), config("a", "keepalived.conf"));
    ASSERT_TRUE(wait_vip("a", true, 15s, Clock::now() - 1s)) << "keepalived on a never took it";
    auto kb = start_vrrp_daemon(lab(), "b", keepalived(), config("b", "keepalived.conf"));
    ASSERT_TRUE(kb.wait_for_state("DB_VIP", "BACKUP", 15s));
    ASSERT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 5s, 50ms));

    checks::MysqlLibrary library;
    WriterSettings ws{lab().ns("c"), vip4, 3306, "w", writer_password};
    ws.write_interval = std::chrono::microseconds(2000);
    writer_.emplace(ws);
    writer_->start();
    std::this_thread::sleep_for(2s);
    ASSERT_GT(writer_->figures().acked, 0u) << writer_->last_error();

    // 1. The backup: `systemctl disable --now keepalived`, `enable --now havipd`.
    kb.process->stop();
    auto hb = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", "havipd.conf"));
    EXPECT_TRUE(hb.wait_for_state("DB_VIP", "BACKUP", 10s)) << hb.process->log_tail(20);
    EXPECT_TRUE(wait_until([&] { return hb.log_mentions("mysql_check healthy"); }, 10s, 100ms))
        << hb.process->log_tail(20);
    std::this_thread::sleep_for(3s);  // keepalived master, havipd backup: side by side
    EXPECT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_EQ(hb.times_entered("DB_VIP", "MASTER"), 0u) << hb.process->log_tail(20);

    // 2. The master: keepalived stops (priority 0, notify_stop sets read_only), havipd on b
    // promotes; then havipd on a starts, catches up and takes the VIP back (preempt).
    const auto moved = Clock::now();
    ka.process->stop();
    EXPECT_TRUE(wait_vip("b", true, 10s, moved)) << hb.process->log_tail(20);
    EXPECT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 10s, 50ms))
        << hb.process->log_tail(20);
    std::this_thread::sleep_for(2s);  // writes through b
    const auto back = Clock::now();
    auto ha = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", "havipd.conf"));
    EXPECT_TRUE(wait_vip("a", true, 30s, back)) << ha.process->log_tail(20);
    EXPECT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms))
        << ha.process->log_tail(20);
    std::this_thread::sleep_for(2s);  // writes through a again

    writer_->stop();
    const auto figures = writer_->figures();
    ASSERT_EQ(holders(), std::vector<std::string>{"a"});
    EXPECT_EQ(db_b_->read_only(), true);
    // What a will ever have: let it apply what it received.
    std::this_thread::sleep_for(500ms);
    auto r = db_a_->sql("SELECT id FROM lab.w", 20s);
    ASSERT_TRUE(r.ok()) << r.err;
    const auto lost = missing_ids(writer_->acked(), parse_ids(r.out));
    std::cout << fmt::format(
                     "[ figures ] migration: acked {} of {} attempted ({} errors), lost "
                     "{}, longest write gap {} ms\n",
                     figures.acked, figures.attempted, figures.errors, lost.size(),
                     figures.longest_gap.count())
              << std::flush;
    EXPECT_TRUE(lost.empty()) << lost.size() << " acknowledged writes missing on a";
    EXPECT_TRUE(wait_until([&] { return replicating("a") && replicating("b"); }, 10s, 100ms))
        << "replication is not running both ways";
    EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 20s));
}

}  // namespace
}  // namespace havip::test
