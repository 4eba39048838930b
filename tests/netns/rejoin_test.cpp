// `havip rejoin` on a diverged old master (issue 15). a (the master) is killed, b takes the VIP
// and writes; a comes back holding two transactions b never had (an async crash window) and
// latches *diverged*, b keeps the VIP. `havip rejoin --dry-run` on a changes nothing;
// `havip rejoin` saves a's two extra transactions (counted, their rows readable in the file),
// rolls them back (flashback: they are row events) or re-seeds a from b (a DDL among them),
// replication runs both ways, a's latch is cleared, and a is eligible again: it takes the VIP
// back (priority 150, preemption on) and its writes reach b.
// The same story with havipd's automatic rejoin (auto_rejoin, on by default): no command, a is
// rejoined by its own havipd within a bound, with the same saved file and outcome.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
namespace fs = std::filesystem;

constexpr const char* vip4 = "10.77.0.100";
constexpr const char* admin_password = "admin-lab-secret";
const std::string havip_bin = havip_path();

std::string read_file(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_file(const fs::path& path, const std::string& text, fs::perms mode) {
    std::ofstream(path, std::ios::trunc) << text;
    fs::permissions(path, mode);
}

// The transactions in mariadb-binlog output: its "#… server id N … GTID d-s-n trans" headers.
std::vector<std::string> transactions(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        auto at = line.find("\tGTID ");
        if (line.starts_with("#") && line.find(" server id ") != std::string::npos &&
            at != std::string::npos)
            out.push_back(line.substr(at + 6, line.find(' ', at + 6) - at - 6));
    }
    return out;
}

class RejoinTest : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        if (!fs::exists(havip_bin)) GTEST_SKIP() << havip_bin << " is not built";
        VrrpPairTest::SetUp();
    }
    void TearDown() override {
        VrrpPairTest::TearDown();
        db_a_.reset();
        db_b_.reset();
    }

    MariadbServer& db(std::string_view node) { return node == "a" ? *db_a_ : *db_b_; }
    fs::path extra_cnf(std::string_view node) {
        return lab().dir() / fmt::format("rejoin-{}.cnf", node);
    }

    std::string config(std::string_view node, int priority) {
        std::string block = db(node).check_block(check_);
        // The check block ends with "}\n": the rejoin settings go before it.
        block.erase(block.rfind('}'));
        block += auto_rejoin_
                     ? fmt::format("    rejoin_inventory {}\n    rejoin_admin_option_file {}\n",
                                   inventory_.string(), admin_cnf_.string())
                     : std::string{"    auto_rejoin off\n"};
        block += "}\n";
        VrrpInstanceSpec s;
        s.vrid = 96;
        s.priority = priority;
        s.version = 3;
        s.advert_int = 100ms;
        s.state = "BACKUP";
        s.vips = {fmt::format("{}/24", vip4)};
        s.extra_lines = {"track_script {", fmt::format("    {}", check_.name), "}"};
        return render_keepalived_conf(single_instance(s, node)) + "\n" + block + "\n";
    }

    std::string daemon_option(std::string_view node, std::string_view option) {
        auto argv =
            daemon_command(havipd(havipd_path()), lab().dir() / "x.conf", lab().dir(), node);
        for (std::size_t i = 0; i + 1 < argv.size(); ++i)
            if (argv[i] == option) return argv[i + 1];
        return "";
    }
    std::string socket_of(std::string_view node) { return daemon_option(node, "--socket"); }
    nlohmann::json check_status(std::string_view node) {
        auto r = run_command({havip_bin, "status", "--json", "--socket", socket_of(node)}, 10s);
        auto doc = nlohmann::json::parse(r.out, nullptr, false);
        try {
            return doc.at("instances").at(0).at("checks").back();
        } catch (const std::exception&) {
            return nlohmann::json{{"reason", "(no status: " + r.out + r.err + ")"}};
        }
    }

    // The GTID pair a/b, the admin account on both (unlogged), the inventory and its secrets,
    // havipd on both with a holding the VIP.
    void start(bool auto_rejoin) {
        auto_rejoin_ = auto_rejoin;
        check_.manage_read_only = true;
        // havipd runs `havip rejoin` through PATH, as installed; here the build tree's.
        const std::string path = ::getenv("PATH") ? ::getenv("PATH") : "/usr/bin:/bin";
        ::setenv("PATH", (fs::path(havip_bin).parent_path().string() + ":" + path).c_str(), 1);
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        db_a_.emplace(lab(), "a", "10.77.0.1", 1);
        db_b_.emplace(lab(), "b", "10.77.0.2", 2);
        for (const char* node : {"a", "b"}) {
            std::ofstream(extra_cnf(node))
                << "[mariadbd]\n"
                // As `havip generate` writes for `replication: semi-sync`: the slave side on
                // both, the master side moved by manage_read_only with the VIP.
                << (semi_sync_ ? "rpl_semi_sync_slave_enabled = ON\n"
                                 "rpl_semi_sync_master_enabled = OFF\n"
                                 "rpl_semi_sync_master_wait_point = AFTER_SYNC\n"
                                 "rpl_semi_sync_master_timeout = 2000\n"
                               : "");
            db(node).include_config(extra_cnf(node));
        }
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_b_->start());
        for (auto* d : {&*db_a_, &*db_b_}) {
            ASSERT_TRUE(d->exec(fmt::format(
                "SET sql_log_bin=0; CREATE USER 'admin'@'10.77.0.%' IDENTIFIED BY '{}';"
                " GRANT ALL PRIVILEGES ON *.* TO 'admin'@'10.77.0.%' WITH GRANT OPTION;",
                admin_password)));
        }
        ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));
        ASSERT_TRUE(
            db_a_->exec("CREATE TABLE lab.w (id BIGINT PRIMARY KEY, note VARCHAR(64)) "
                        "ENGINE=InnoDB"));
        ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));

        admin_cnf_ = lab().dir() / "admin.cnf";
        write_file(admin_cnf_,
                   fmt::format("[client]\nuser = admin\npassword = {}\n", admin_password),
                   fs::perms::owner_read | fs::perms::owner_write);
        secrets_ = lab().dir() / "secrets";
        fs::create_directories(secrets_);
        write_file(secrets_ / "repl.password", "repl-lab-secret\n",
                   fs::perms::owner_read | fs::perms::owner_write);
        write_file(secrets_ / "chk.password", "chk-lab-secret\n",
                   fs::perms::owner_read | fs::perms::owner_write);
        inventory_ = lab().dir() / "inventory.yaml";
        write_file(inventory_,
                   fmt::format("cluster: lab\n"
                               "topology: 5-node\n"
                               "database:\n"
                               "  vip: {}/24\n"
                               "  vrid: 96\n"
                               "  interface: eth0\n"
                               "  advert_interval: 0.1\n"
                               "  users:\n"
                               "    monitor: {{name: chk}}\n"
                               "    replication: {{name: repl}}\n"
                               "  nodes:\n"
                               "    - {{name: a, address: 10.77.0.1}}\n"
                               "    - {{name: b, address: 10.77.0.2}}\n",
                               vip4),
                   fs::perms(0644));

        a_ = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), config("a", 150));
        ASSERT_TRUE(wait_vip("a", true, 5s, Clock::now() - 1s)) << "havipd on a never took the VIP";
        b_ = start_vrrp_daemon(lab(), "b", havipd(havipd_path()), config("b", 100));
        ASSERT_TRUE(b_.wait_for_state("VI_1", "BACKUP", 5s));
        ASSERT_TRUE(wait_until([&] { return b_.log_mentions("mysql_check healthy"); }, 5s, 50ms));
        ASSERT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 5s, 50ms));
    }

    // a fails, b takes over and writes; a returns holding two transactions b never had.
    void diverge(bool wait_for_peer_alert = true) {
        ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (0, 'before')"));
        ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
        // b's check has seen its channel advance (in contact, caught up): a standby that never
        // was cannot know it is current, and would rightly not take over (a slow build starts
        // b's havipd late enough for the kill to come first).
        ASSERT_TRUE(
            wait_until([&] { return b_.log_mentions("failback hold released"); }, 10s, 50ms))
            << b_.process->log_tail(20);
        const auto killed = Clock::now();
        ASSERT_TRUE(db_a_->kill());
        ASSERT_TRUE(wait_vip("b", true, 10s, killed)) << "b never took the VIP";
        ASSERT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 10s, 50ms))
            << check_status("b").dump();
        ASSERT_TRUE(db_b_->exec("INSERT INTO lab.w VALUES (1, 'on b'), (2, 'on b'), (3, 'on b')"));
        std::ofstream(extra_cnf("a"), std::ios::app) << "skip_slave_start\n";
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (100, 'crash-window-row-one')"));
        ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (101, 'crash-window-row-two')"));
        ASSERT_TRUE(db_a_->exec("START SLAVE"));
        ASSERT_TRUE(wait_until([&] { return a_.log_mentions("data diverged"); }, 10s, 100ms))
            << check_status("a").dump();
        if (wait_for_peer_alert) {
            ASSERT_TRUE(wait_until([&] { return b_.log_mentions("peer diverged"); }, 10s, 100ms))
                << check_status("b").dump();
        }
        ASSERT_EQ(holders(), std::vector<std::string>{"b"});
    }

    CommandResult rejoin(std::vector<std::string> extra) {
        std::vector<std::string> argv = {havip_bin,
                                         "rejoin",
                                         inventory_.string(),
                                         "--admin-option-file",
                                         admin_cnf_.string(),
                                         "--secrets",
                                         secrets_.string(),
                                         "--state-dir",
                                         (lab().dir() / "a-rejoin-state").string(),
                                         "--socket",
                                         socket_of("a"),
                                         "--wait-timeout",
                                         "30"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto r = lab().run("a", argv, 120s);
        std::cout << "havip rejoin " << (extra.empty() ? "" : extra.front()) << " exit "
                  << r.exit_code << "\n"
                  << r.out << r.err;
        return r;
    }

    std::vector<fs::path> saved_files(fs::path state = {}) {
        std::vector<fs::path> out;
        if (state.empty()) state = lab().dir() / "a-rejoin-state";
        const auto dir = state / "rejoin";
        if (!fs::exists(dir)) return out;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.path().extension() == ".sql") out.push_back(e.path());
        return out;
    }

    // Data a re-seed copies and a flashback leaves alone: 100,000 rows (~12 MB) on both nodes.
    void bulk() {
        ASSERT_TRUE(
            db_a_->exec("CREATE TABLE lab.bulk (id BIGINT PRIMARY KEY, pad CHAR(100)) "
                        "ENGINE=InnoDB; INSERT INTO lab.bulk SELECT seq, REPEAT('x', 100) FROM "
                        "lab.seq_1_to_100000"));
        ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 60s));
    }

    // A table on a alone, unlogged: a re-seed drops it, a flashback does not touch it.
    void mark_a() {
        ASSERT_TRUE(
            db_a_->exec("SET sql_log_bin=0; CREATE DATABASE only_a; CREATE TABLE only_a.m "
                        "(id INT PRIMARY KEY) ENGINE=InnoDB; INSERT INTO only_a.m VALUES (7)"));
    }
    bool a_marked() { return db_a_->value("SELECT id FROM only_a.m") == "7"; }

    // After a rejoin: a holds b's rows and none of its own crash window, replication runs
    // both ways, and a write on the holder reaches the other. a (the higher priority) fails
    // back once it has caught up, at a moment of its own: the write waits for that, since one
    // on b as root (which read_only does not stop) while a's failback fences b forks the data.
    void expect_copy_of_b() {
        EXPECT_EQ(db_a_->value("SELECT GROUP_CONCAT(id ORDER BY id) FROM lab.w"), "0,1,2,3");
        for (auto* d : {&*db_a_, &*db_b_}) {
            EXPECT_EQ(d->slave_status("Slave_IO_Running"), "Yes") << d->node();
            EXPECT_EQ(d->slave_status("Slave_SQL_Running"), "Yes") << d->node();
        }
        ASSERT_TRUE(
            wait_until([&] { return holders() == std::vector<std::string>{"a"}; }, 20s, 100ms))
            << check_status("a").dump();
        ASSERT_TRUE(wait_until(
            [&] { return db_a_->read_only() == false && db_b_->read_only() == true; }, 10s, 50ms));
        ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (4, 'on the holder after the rejoin')"));
        EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
        EXPECT_EQ(db_b_->value("SELECT note FROM lab.w WHERE id = 4"),
                  "on the holder after the rejoin");
    }

    void expect_eligible_again(int id) {
        EXPECT_TRUE(
            wait_until([&] { return check_status("a").value("diverged", true) == false; }, 5s))
            << check_status("a").dump();
        EXPECT_TRUE(
            wait_until([&] { return holders() == std::vector<std::string>{"a"}; }, 20s, 100ms))
            << check_status("a").dump();
        EXPECT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms));
        ASSERT_TRUE(db_a_->exec(fmt::format("INSERT INTO lab.w VALUES ({}, 'after rejoin')", id)));
        EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
        EXPECT_EQ(db_b_->value(fmt::format("SELECT note FROM lab.w WHERE id = {}", id)),
                  "after rejoin");
    }

    std::optional<MariadbServer> db_a_, db_b_;
    RunningDaemon a_, b_;
    fs::path admin_cnf_, secrets_, inventory_;
    MariadbServer::CheckSpec check_;
    bool auto_rejoin_ = false;
    bool semi_sync_ = false;
};

TEST_F(RejoinTest, diverged_old_master_is_saved_rejoined_and_eligible_again) {
    ASSERT_NO_FATAL_FAILURE(start(false));
    ASSERT_NO_FATAL_FAILURE(diverge());

    // On b, the authority: refused, nothing changed.
    {
        std::vector<std::string> argv = {havip_bin,
                                         "rejoin",
                                         inventory_.string(),
                                         "--admin-option-file",
                                         admin_cnf_.string(),
                                         "--secrets",
                                         secrets_.string(),
                                         "--state-dir",
                                         (lab().dir() / "b-rejoin-state").string(),
                                         "--socket",
                                         socket_of("b")};
        auto r = lab().run("b", argv, 60s);
        EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
        EXPECT_NE(r.err.find("holds the database VIP"), std::string::npos) << r.err;
    }

    const auto dry = rejoin({"--dry-run"});
    EXPECT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("dry run: nothing was changed"), std::string::npos) << dry.out;
    EXPECT_TRUE(saved_files().empty());
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.w WHERE id >= 100"), "2");

    // Another rejoin running on this node (its lock held): refused, nothing changed.
    {
        const auto dir = lab().dir() / "a-rejoin-state" / "rejoin";
        fs::create_directories(dir);
        const int fd = ::open((dir / "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
        const auto busy = rejoin({});
        ::close(fd);
        EXPECT_EQ(busy.exit_code, 1) << busy.out << busy.err;
        EXPECT_NE(busy.err.find("another havip rejoin holds"), std::string::npos) << busy.err;
        EXPECT_TRUE(saved_files().empty());
        EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.w WHERE id >= 100"), "2");
    }

    const auto done = rejoin({});
    ASSERT_EQ(done.exit_code, 0) << done.out << done.err;

    // The two extra transactions are in the saved file, their rows readable.
    const auto files = saved_files();
    ASSERT_EQ(files.size(), 1u);
    const auto text = read_file(files.front());
    const auto gtids = transactions(text);
    EXPECT_EQ(gtids.size(), 2u) << text;
    EXPECT_NE(text.find("2 transaction(s)"), std::string::npos) << text;
    EXPECT_NE(text.find("crash-window-row-one"), std::string::npos) << text;
    EXPECT_NE(text.find("crash-window-row-two"), std::string::npos) << text;
    EXPECT_NE(text.find("the authority b (10.77.0.2:3306)"), std::string::npos) << text;
    std::cout << "[ figures ] saved " << gtids.size() << " transaction(s) in "
              << files.front().filename() << "\n";

    // a is now a copy of b, and both channels run.
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.w"), "4");
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.w WHERE id >= 100"), "0");
    for (auto* d : {&*db_a_, &*db_b_}) {
        EXPECT_EQ(d->slave_status("Slave_IO_Running"), "Yes") << d->node();
        EXPECT_EQ(d->slave_status("Slave_SQL_Running"), "Yes") << d->node();
    }
    // The latch is cleared through the control socket; a is eligible again.
    EXPECT_TRUE(a_.log_mentions("havip clear-diverged"));
    ASSERT_NO_FATAL_FAILURE(expect_eligible_again(5));
    EXPECT_FALSE(b_.log_mentions("data diverged"));
}

// Flashback (issue 15): a's two crash-window transactions are row events with full images, so
// they are saved, then rolled back in place; a resumes replication at the branch point. No
// re-seed: a table only a has (unlogged, so no part of any history) is still there, which a
// re-seed's DROP DATABASE would have removed.
TEST_F(RejoinTest, diverged_old_master_is_rolled_back_by_flashback_not_reseeded) {
    ASSERT_NO_FATAL_FAILURE(start(false));
    ASSERT_NO_FATAL_FAILURE(bulk());
    ASSERT_NO_FATAL_FAILURE(mark_a());
    ASSERT_NO_FATAL_FAILURE(diverge());

    const auto dry = rejoin({"--dry-run"});
    EXPECT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("method: flashback: 2 extra transaction(s), all row events"),
              std::string::npos)
        << dry.out;
    EXPECT_TRUE(saved_files().empty());

    const auto began = Clock::now();
    const auto done = rejoin({});
    const auto took = Clock::now() - began;
    ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
    EXPECT_NE(done.out.find("(method: flashback)"), std::string::npos) << done.out;
    EXPECT_NE(done.out.find("rolled back 2 transaction(s)"), std::string::npos) << done.out;
    EXPECT_EQ(done.out.find("re-seed a from b"), std::string::npos) << done.out;
    std::cout << fmt::format("[ figures ] havip rejoin by flashback (100,000-row table): {} ms\n",
                             std::chrono::duration_cast<std::chrono::milliseconds>(took).count());

    const auto files = saved_files();
    ASSERT_EQ(files.size(), 1u);
    const auto text = read_file(files.front());
    EXPECT_EQ(transactions(text).size(), 2u) << text;
    EXPECT_NE(text.find("crash-window-row-one"), std::string::npos) << text;
    EXPECT_NE(text.find("crash-window-row-two"), std::string::npos) << text;

    EXPECT_TRUE(a_marked()) << "only_a.m is gone: a was re-seeded";
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.w WHERE id >= 100"), "0");
    // a's binary log starts again at the branch point: its own extra GTIDs are gone from it.
    EXPECT_EQ(db_a_->value("SELECT @@gtid_binlog_state").value_or("").find("0-1-"),
              std::string::npos)
        << db_a_->value("SELECT @@gtid_binlog_state").value_or("");
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.bulk"), "100000");
    ASSERT_NO_FATAL_FAILURE(expect_copy_of_b());
    ASSERT_NO_FATAL_FAILURE(expect_eligible_again(5));
}

// A DDL among the extra transactions cannot be rolled back by flashback: the rejoin says so and
// re-seeds (a's unlogged table goes with the rest of its data), with the same outcome.
TEST_F(RejoinTest, a_ddl_among_the_extra_transactions_falls_back_to_the_reseed) {
    ASSERT_NO_FATAL_FAILURE(start(false));
    ASSERT_NO_FATAL_FAILURE(bulk());
    ASSERT_NO_FATAL_FAILURE(mark_a());
    ASSERT_NO_FATAL_FAILURE(diverge());
    ASSERT_TRUE(db_a_->exec("CREATE TABLE lab.crash_window_ddl (id INT PRIMARY KEY)"));

    const auto began = Clock::now();
    const auto done = rejoin({});
    const auto took = Clock::now() - began;
    ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
    EXPECT_NE(done.out.find("method: reseed: 1 extra transaction(s) are not row events"),
              std::string::npos)
        << done.out;
    EXPECT_NE(done.out.find("(DDL: CREATE TABLE lab.crash_window_ddl"), std::string::npos)
        << done.out;
    EXPECT_NE(done.out.find("(method: reseed)"), std::string::npos) << done.out;
    std::cout << fmt::format("[ figures ] havip rejoin by re-seed (100,000-row table): {} ms\n",
                             std::chrono::duration_cast<std::chrono::milliseconds>(took).count());

    const auto files = saved_files();
    ASSERT_EQ(files.size(), 1u);
    const auto text = read_file(files.front());
    EXPECT_EQ(transactions(text).size(), 3u) << text;
    EXPECT_NE(text.find("crash_window_ddl"), std::string::npos) << text;
    EXPECT_FALSE(a_marked()) << "only_a.m is still there: a was not re-seeded";
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_NAME = "
                           "'crash_window_ddl'"),
              "0");
    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.bulk"), "100000");
    ASSERT_NO_FATAL_FAILURE(expect_copy_of_b());
}

// A flashback that does not restore the branch point (here a row a deleted unlogged, which no
// binary log holds) shows when replication resumes: b's UPDATE of that row stops a's applier
// (1032). The rejoin then re-seeds a instead of leaving it half done.
TEST_F(RejoinTest, a_flashback_that_does_not_replicate_cleanly_is_replaced_by_the_reseed) {
    ASSERT_NO_FATAL_FAILURE(start(false));
    ASSERT_NO_FATAL_FAILURE(diverge());
    ASSERT_TRUE(db_a_->exec("SET sql_log_bin=0; DELETE FROM lab.w WHERE id = 0"));
    ASSERT_TRUE(db_b_->exec("UPDATE lab.w SET note = 'changed on b' WHERE id = 0"));

    const auto done = rejoin({});
    ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
    EXPECT_NE(done.out.find("method: flashback"), std::string::npos) << done.out;
    EXPECT_NE(done.out.find("rolled back 2 transaction(s)"), std::string::npos) << done.out;
    EXPECT_NE(done.out.find("re-seeding instead"), std::string::npos) << done.out;
    EXPECT_NE(done.err.find("1032"), std::string::npos) << done.err;
    EXPECT_NE(done.out.find("(method: reseed)"), std::string::npos) << done.out;
    EXPECT_EQ(saved_files().size(), 1u);
    EXPECT_EQ(db_a_->value("SELECT note FROM lab.w WHERE id = 0"), "changed on b");
    ASSERT_NO_FATAL_FAILURE(expect_copy_of_b());
}

// Nothing is dropped when the extra transactions cannot be saved: here the binary log holding
// them was purged, so mariadb-binlog cannot find them and the rejoin refuses with a's data intact.
TEST_F(RejoinTest, refuses_and_drops_nothing_when_the_extra_transactions_cannot_be_saved) {
    ASSERT_NO_FATAL_FAILURE(start(false));
    ASSERT_NO_FATAL_FAILURE(diverge());
    ASSERT_TRUE(db_b_->exec("STOP SLAVE"));  // b's channel does not hold a's old binary log
    // A binary log stays until InnoDB's checkpoint no longer needs it for crash recovery:
    // rotate and purge until only the new one is left.
    ASSERT_TRUE(wait_until(
        [&] {
            (void)db_a_->exec(
                "FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW() + INTERVAL 1 HOUR");
            return db_a_->value("SHOW BINARY LOGS") == db_a_->value("SHOW MASTER STATUS");
        },
        10s, 200ms))
        << db_a_->sql("SHOW BINARY LOGS").out;
    const auto before = db_a_->value("SELECT @@gtid_binlog_state");
    const auto r = rejoin({});
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    EXPECT_NE(r.err.find("refusing to re-seed: nothing was dropped or reset"), std::string::npos)
        << r.err;
    EXPECT_TRUE(saved_files().empty());
    EXPECT_EQ(db_a_->value("SELECT GROUP_CONCAT(id ORDER BY id) FROM lab.w WHERE id >= 100"),
              "100,101");
    EXPECT_EQ(db_a_->value("SELECT @@gtid_binlog_state"), before);
    EXPECT_TRUE(a_.wait_for_state("VI_1", "FAULT", 2s));
    EXPECT_EQ(check_status("a").value("diverged", false), true);
    EXPECT_EQ(holders(), std::vector<std::string>{"b"});
}

// Semi-sync (AFTER_SYNC): a commit on the authority is in its binary log before it commits, and
// waits there for a replica's acknowledgement. While a is being rejoined nothing acknowledges,
// so such a commit is in b's @@gtid_binlog_pos but in no dump; a's channel fetches it from the
// binary log once it runs. The re-seed must not refuse because of it (seen in bench/writesafety,
// link down under semi-sync: "gtid_slave_pos is '0-2-1499' after the load, not at least b's
// '0-2-1500'", failing again until the authority's semi-sync timeout let the commit through),
// nor the flashback. `method`: "reseed" (a DDL in a's crash window forces it) or "flashback".
class SemiSyncRejoinTest : public RejoinTest {
  protected:
    void run(const std::string& method) {
        semi_sync_ = true;
        ASSERT_NO_FATAL_FAILURE(start(false));
        ASSERT_NO_FATAL_FAILURE(diverge());
        if (method == "reseed") {
            ASSERT_TRUE(db_a_->exec("CREATE TABLE lab.crash_window_ddl (id INT PRIMARY KEY)"));
        }
        // b, the holder, has the master side on (havipd's promote). It fell back to async while
        // a was down; switched off and on again it waits for an acknowledgement at once, with or
        // without a replica (rpl_semi_sync_master_wait_no_slave), as right after a promote.
        // Nothing acknowledges from now on: b's next commit waits (up to 20 s) for a.
        ASSERT_TRUE(
            db_b_->exec("SET GLOBAL rpl_semi_sync_master_timeout = 20000;"
                        " SET GLOBAL rpl_semi_sync_master_enabled = OFF;"
                        " SET GLOBAL rpl_semi_sync_master_enabled = ON"));
        ASSERT_EQ(db_b_->value("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                               "WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_STATUS'"),
                  "ON")
            << db_b_->sql("SHOW GLOBAL STATUS LIKE 'rpl_semi_sync_master%'").out;
        ASSERT_TRUE(db_a_->exec("STOP SLAVE"));
        const auto before = db_b_->value("SELECT @@gtid_binlog_pos").value_or("");
        std::thread waiting(
            [&] { (void)db_b_->exec("INSERT INTO lab.w VALUES (7, 'waits for a')"); });
        const bool logged = wait_until(
                                [&] {
                                    return db_b_->value("SELECT @@gtid_binlog_pos").value_or("") !=
                                           before;
                                },
                                5s, 50ms)
                                .has_value();
        const bool visible = db_b_->value("SELECT COUNT(*) FROM lab.w WHERE id = 7") == "1";
        const auto done = logged && !visible ? rejoin({}) : CommandResult{};
        waiting.join();  // a's channel acknowledges it once running (or the 20 s timeout)
        ASSERT_TRUE(logged) << "the INSERT on b was never logged";
        ASSERT_FALSE(visible) << "the INSERT on b committed without waiting for a";
        ASSERT_EQ(done.exit_code, 0) << done.out << done.err;
        EXPECT_NE(done.out.find("(method: " + method + ")"), std::string::npos) << done.out;
        EXPECT_TRUE(wait_caught_up(*db_b_, *db_a_, 10s));
        EXPECT_EQ(db_a_->value("SELECT note FROM lab.w WHERE id = 7"), "waits for a");
        for (auto* d : {&*db_a_, &*db_b_}) {
            EXPECT_EQ(d->slave_status("Slave_IO_Running"), "Yes") << d->node();
            EXPECT_EQ(d->slave_status("Slave_SQL_Running"), "Yes") << d->node();
        }
    }
};

TEST_F(SemiSyncRejoinTest, reseeds_while_a_semi_sync_commit_on_the_authority_waits_for_this_node) {
    run("reseed");
}

TEST_F(SemiSyncRejoinTest,
       rolls_back_while_a_semi_sync_commit_on_the_authority_waits_for_this_node) {
    run("flashback");
}

TEST_F(RejoinTest, havipd_rejoins_a_diverged_old_master_by_itself) {
    ASSERT_NO_FATAL_FAILURE(start(true));
    ASSERT_NO_FATAL_FAILURE(diverge(false));
    const auto since = Clock::now();  // a's havipd has logged "data diverged"
    const fs::path state = daemon_option("a", "--state-dir");
    // No command: a's havipd saves, re-seeds and clears its own latch; a then takes the VIP back.
    const auto rejoined = wait_until(
        [&] {
            auto c = check_status("a");
            return c.value("diverged", true) == false &&
                   c.value("rejoins", nlohmann::json::object()).value("succeeded", 0) == 1 &&
                   holders() == std::vector<std::string>{"a"};
        },
        60s, 200ms);
    ASSERT_TRUE(rejoined) << check_status("a").dump() << "\n"
                          << a_.process->log_tail(30) << "\n"
                          << read_file(state / "rejoin" / "chk_db.log");
    std::cout << fmt::format(
        "[ figures ] auto rejoin: a latched diverged -> rejoined and VIP back on a in {} ms\n",
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count());
    const auto c = check_status("a");
    EXPECT_EQ(c.value("rejoins", nlohmann::json::object()).value("failed", -1), 0) << c.dump();
    EXPECT_NE(c.value("rejoin", "").find("saved 2 transaction(s)"), std::string::npos) << c.dump();
    const auto table = run_command({havip_bin, "status", "--socket", socket_of("a")}, 10s).out;
    EXPECT_NE(table.find("last auto rejoin succeeded"), std::string::npos) << table;
    std::cout << table;
    EXPECT_TRUE(a_.log_mentions("auto rejoin started"));
    EXPECT_TRUE(a_.log_mentions("auto rejoin succeeded"));
    // By flashback: two row-event transactions, no re-seed.
    EXPECT_TRUE(a_.log_mentions("by flashback; saved 2 transaction(s)")) << a_.process->log_tail(20);
    EXPECT_EQ(c.value("rejoins", nlohmann::json::object()).value("flashback", 0), 1) << c.dump();
    EXPECT_NE(read_file(state / "rejoin" / "chk_db.log").find("(method: flashback)"),
              std::string::npos);

    const auto files = saved_files(state);
    ASSERT_EQ(files.size(), 1u);
    const auto text = read_file(files.front());
    EXPECT_EQ(transactions(text).size(), 2u) << text;
    EXPECT_NE(text.find("crash-window-row-one"), std::string::npos) << text;
    EXPECT_NE(text.find("crash-window-row-two"), std::string::npos) << text;

    EXPECT_EQ(db_a_->value("SELECT COUNT(*) FROM lab.w WHERE id >= 100"), "0");
    for (auto* d : {&*db_a_, &*db_b_}) {
        EXPECT_EQ(d->slave_status("Slave_IO_Running"), "Yes") << d->node();
        EXPECT_EQ(d->slave_status("Slave_SQL_Running"), "Yes") << d->node();
    }
    EXPECT_TRUE(wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms));
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (6, 'after auto rejoin')"));
    EXPECT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    EXPECT_EQ(db_b_->value("SELECT note FROM lab.w WHERE id = 6"), "after auto rejoin");
    // b, the authority, never ran a rejoin.
    EXPECT_FALSE(b_.log_mentions("auto rejoin started"));
}

// Terms (checks/term.hpp). A partition: a (priority 150) holds the VIP and is cut off; b takes
// over on a newer term and takes writes; a, alone, takes one too (as the async tail of a
// master that keeps serving a few clients). When the link is back a preempts b, its channel
// meets b's writes (1950) and b's meets a's. b's branch is the newer: a is the stale side
// and is rejoined (its row saved), b's writes are served. Before terms a, holding the VIP
// with its writer mark, was taken for the authority and b was rejoined: b's acknowledged
// writes of the partition went to b's rejoin file and a served without them.
TEST_F(RejoinTest,
       after_a_partition_the_newer_terms_writes_are_served_and_the_old_master_rejoined) {
    ASSERT_NO_FATAL_FAILURE(start(true));
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (0, 'before')"));
    ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));
    auto port = [&](int state) {
        return run_in_netns(lab().switch_ns(), {"bridge", "link", "set", "dev", lab().port("a"),
                                                "state", std::to_string(state)});
    };
    struct Heal {  // also on a failed assertion
        std::function<CommandResult(int)> set;
        ~Heal() { set(3); }
    } heal{port};
    const auto cut = Clock::now();
    ASSERT_TRUE(port(0).ok());  // a's switch port stops forwarding; a stays MASTER alone
    ASSERT_TRUE(wait_vip("b", true, 10s, cut)) << "b never took the VIP";
    ASSERT_TRUE(wait_until([&] { return db_b_->read_only() == false; }, 15s, 50ms))
        << check_status("b").dump();
    ASSERT_TRUE(db_b_->exec("INSERT INTO lab.w VALUES (1, 'on b'), (2, 'on b'), (3, 'on b')"));
    ASSERT_EQ(db_a_->read_only(), false);
    ASSERT_TRUE(db_a_->exec("INSERT INTO lab.w VALUES (100, 'a-cut-off')"));
    ASSERT_TRUE(port(3).ok());
    const auto healed = Clock::now();

    const fs::path state = daemon_option("a", "--state-dir");
    const auto settled = wait_until(
        [&] {
            auto c = check_status("a");
            return c.value("rejoins", nlohmann::json::object()).value("succeeded", 0) == 1 &&
                   c.value("diverged", true) == false &&
                   db_a_->value("SELECT COUNT(*) FROM lab.w WHERE id BETWEEN 1 AND 3") == "3" &&
                   holders().size() == 1;
        },
        90s, 250ms);
    EXPECT_TRUE(settled) << "a: " << check_status("a").dump() << "\nb: " << check_status("b").dump()
                         << "\n"
                         << a_.process->log_tail(40) << "\n"
                         << b_.process->log_tail(40);
    std::cout << fmt::format(
        "[ figures ] partition healed -> a rejoined from b in {} ms\n",
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - healed).count());
    // b, the newer term, never ran a rejoin; its writes are on both nodes.
    EXPECT_FALSE(b_.log_mentions("auto rejoin started"));
    for (auto* d : {&*db_a_, &*db_b_}) {
        EXPECT_EQ(d->value("SELECT COUNT(*) FROM lab.w WHERE id BETWEEN 1 AND 3"), "3")
            << d->node();
        EXPECT_EQ(d->value("SELECT COUNT(*) FROM lab.w WHERE id = 100"), "0") << d->node();
    }
    // a's row of the partition is kept for the operator.
    const auto files = saved_files(state);
    ASSERT_EQ(files.size(), 1u);
    EXPECT_NE(read_file(files.front()).find("a-cut-off"), std::string::npos);
    EXPECT_TRUE(a_.log_mentions("on the peer: the peer's branch is the newer one"));
}

}  // namespace
}  // namespace havip::test
