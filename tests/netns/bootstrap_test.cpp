// `havip bootstrap` against two fresh MariaDB servers started with the mariadb.cnf that
// `havip generate` wrote for them (issue 6): it refuses a peer holding data node 1 lacks and
// changes nothing; on an empty peer it seeds, replicates both ways (semi-synchronously, as the
// inventory says), and a second run is a no-op; havipd with the generated havipd.conf then
// holds the VIP. One pair serves every phase: a mariadbd start is the slow part.
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checks/mysql_client.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/tls.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"
#include "tests/harness/writer.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string havip_bin = havip_path();
constexpr const char* vip = "10.77.0.100";
constexpr const char* admin_password = "admin-lab-secret";

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

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
        text.replace(at, from.size(), to);
    return text;
}

class BootstrapTest : public LabTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        if (!fs::exists(havip_bin)) GTEST_SKIP() << havip_bin << " is not built";
        LabTest::SetUp();
    }
    void TearDown() override {
        db1_.reset();
        db2_.reset();
        LabTest::TearDown();
    }

    // Nodes a (db1, 10.77.0.1) and b (db2, 10.77.0.2); `havip generate` output in out_; both
    // servers started with their generated mariadb.cnf and an admin account reachable over TCP.
    // db2_test_db: db2's datadir made by plain mariadb-install-db (the empty `test` schema).
    void start_pair(bool db2_test_db = false) {
        ASSERT_TRUE(lab().add_node("a"));
        ASSERT_TRUE(lab().add_node("b"));
        ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
        ASSERT_TRUE(lab().add_address("b", "10.77.0.2/24"));
        inventory_ = lab().dir() / "inventory.yaml";
        write_file(inventory_,
                   fmt::format("cluster: lab\n"
                               "topology: 5-node\n"
                               "database:\n"
                               "  vip: {}/24\n"
                               "  vrid: 51\n"
                               "  interface: eth0\n"
                               "  advert_interval: 0.1\n"
                               "  replication: semi-sync\n"
                               "  semi_sync_timeout: 2\n"
                               "  nodes:\n"
                               "    - {{name: db1, address: 10.77.0.1}}\n"
                               "    - {{name: db2, address: 10.77.0.2}}\n",
                               vip),
                   fs::perms(0644));
        out_ = lab().dir() / "generated";
        auto generated =
            run_command({havip_bin, "generate", inventory_.string(), "-o", out_.string()});
        ASSERT_TRUE(generated.ok()) << generated.out << generated.err;
        admin_cnf_ = lab().dir() / "admin.cnf";
        write_file(admin_cnf_,
                   fmt::format("[client]\nuser = admin\npassword = {}\n", admin_password),
                   fs::perms(0600));
        db1_.emplace(lab(), "a", "10.77.0.1", 1);
        db2_.emplace(lab(), "b", "10.77.0.2", 2);
        if (db2_test_db) db2_->install_with_test_db();
        for (auto* db : {&*db1_, &*db2_}) {
            db->without_lab_accounts();
            const auto cnf_of = out_ / (db == &*db1_ ? "db1" : "db2") / "mariadb.cnf";
            if (server_extra_.empty()) {
                db->include_config(cnf_of);
            } else {
                const auto cnf = lab().dir() / fmt::format("{}-extra.cnf", db->node());
                write_file(
                    cnf, fmt::format("!include {}\n[mariadbd]\n{}", cnf_of.string(), server_extra_),
                    fs::perms(0644));
                db->include_config(cnf);
            }
            ASSERT_TRUE(db->start());
            // The operator's own admin account; unlogged, as on a fresh install.
            ASSERT_TRUE(db->exec(fmt::format(
                "SET sql_log_bin=0; CREATE USER 'admin'@'10.77.0.%' IDENTIFIED BY '{}';"
                " GRANT ALL PRIVILEGES ON *.* TO 'admin'@'10.77.0.%' WITH GRANT OPTION;",
                admin_password)));
        }
    }

    // `havip bootstrap` run from node a's namespace.
    CommandResult bootstrap(const std::vector<std::string>& extra = {}) {
        std::vector<std::string> argv = {havip_bin,
                                         "bootstrap",
                                         inventory_.string(),
                                         "--admin-option-file",
                                         admin_cnf_.string(),
                                         "--secrets",
                                         (out_ / "secrets").string(),
                                         "--wait-timeout",
                                         "20"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        auto result = lab().run("a", argv, 60s);
        std::cout << "havip bootstrap " << (extra.empty() ? "" : extra.front()) << " exit "
                  << result.exit_code << "\n"
                  << result.out << result.err;
        return result;
    }

    // What a run must not change: positions, accounts, channels, schemas of both servers.
    std::string state(const MariadbServer& db) {
        return db
            .sql(
                "SELECT @@gtid_binlog_pos, @@gtid_slave_pos;"
                " SELECT User, Host FROM mysql.user ORDER BY User, Host;"
                " SHOW ALL SLAVES STATUS;"
                " SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1;"
                " SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled")
            .out;
    }

    // Keeps the columns of SHOW ALL SLAVES STATUS that do not move by themselves (heartbeat
    // counters and timers do).
    std::string stable_state(const MariadbServer& db) {
        std::string text = db.sql(
                                 "SELECT @@gtid_binlog_pos, @@gtid_slave_pos;"
                                 " SELECT User, Host FROM mysql.user ORDER BY User, Host;"
                                 " SELECT SCHEMA_NAME FROM information_schema.SCHEMATA ORDER BY 1")
                               .out;
        for (const char* column : {"Master_Host", "Slave_IO_Running", "Slave_SQL_Running",
                                   "Using_Gtid", "Gtid_Slave_Pos"})
            text += fmt::format("{}={}\n", column, db.slave_status(column).value_or("none"));
        return text;
    }

    std::string server_extra_;  // before start_pair: [mariadbd] lines after the generated ones
    fs::path inventory_;
    fs::path out_;
    fs::path admin_cnf_;
    std::optional<MariadbServer> db1_;
    std::optional<MariadbServer> db2_;
};

TEST_F(BootstrapTest, refuses_a_peer_with_data_node_one_lacks_then_sets_up_replication_once) {
    ASSERT_NO_FATAL_FAILURE(start_pair());
    auto& db1 = *db1_;
    auto& db2 = *db2_;
    ASSERT_TRUE(
        db1.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY"
                 " KEY, note VARCHAR(32)) ENGINE=InnoDB; INSERT INTO app.t (note) VALUES"
                 " ('from db1 before bootstrap')"));

    // db2 with a table and a row db1 does not have: refused, nothing changed anywhere.
    ASSERT_TRUE(
        db2.exec("CREATE DATABASE own; CREATE TABLE own.t (id INT PRIMARY KEY)"
                 " ENGINE=InnoDB; INSERT INTO own.t VALUES (7)"));
    const auto before1 = state(db1);
    const auto before2 = state(db2);
    {
        auto refused = bootstrap();
        EXPECT_EQ(refused.exit_code, 1);
        EXPECT_NE(refused.err.find("db2 (10.77.0.2:3306): refusing:"), std::string::npos)
            << refused.err;
        EXPECT_EQ(state(db1), before1);
        EXPECT_EQ(state(db2), before2);
    }

    // The operator empties db2 (and its binary log): now it is seeded from db1.
    ASSERT_TRUE(db2.exec("DROP DATABASE own; RESET MASTER;"));
    {
        const auto before_dry1 = state(db1);
        const auto before_dry2 = state(db2);
        auto dry = bootstrap({"--dry-run"});
        EXPECT_EQ(dry.exit_code, 0) << dry.err;
        for (const char* text : {"mariadb-dump", "CHANGE MASTER TO MASTER_HOST='10.77.0.1'",
                                 "MASTER_PASSWORD='***'", "FLUSH LOCAL PRIVILEGES",
                                 "SET SESSION sql_log_bin=0", "dry run: nothing was changed"})
            EXPECT_NE(dry.out.find(text), std::string::npos) << text;
        const auto repl_password = read_file(out_ / "secrets" / "repl.password");
        ASSERT_GE(repl_password.size(), 8u);
        EXPECT_EQ(dry.out.find(repl_password.substr(0, 8)), std::string::npos);
        EXPECT_EQ(state(db1), before_dry1);
        EXPECT_EQ(state(db2), before_dry2);
    }
    {
        auto done = bootstrap();
        ASSERT_EQ(done.exit_code, 0) << done.err;
        EXPECT_NE(done.out.find("done:"), std::string::npos);
    }
    EXPECT_EQ(db2.value("SELECT note FROM app.t"), "from db1 before bootstrap");
    EXPECT_EQ(db1.slave_status("Slave_IO_Running"), "Yes");
    EXPECT_EQ(db1.slave_status("Slave_SQL_Running"), "Yes");
    EXPECT_EQ(db2.slave_status("Slave_IO_Running"), "Yes");
    EXPECT_EQ(db2.slave_status("Slave_SQL_Running"), "Yes");
    // Semi-sync: both acknowledge as slaves; the master side is left to whoever moves the VIP.
    for (const auto* db : {&db1, &db2}) {
        EXPECT_EQ(db->value("SELECT @@rpl_semi_sync_slave_enabled"), "1") << db->node();
        EXPECT_EQ(db->value("SELECT @@rpl_semi_sync_master_wait_point"), "AFTER_SYNC");
    }

    // Writes replicate both ways.
    ASSERT_TRUE(db1.exec("INSERT INTO app.t (note) VALUES ('db1 after')"));
    ASSERT_TRUE(wait_caught_up(db1, db2, 10s));
    ASSERT_TRUE(db2.exec("INSERT INTO app.t (note) VALUES ('db2 after')"));
    ASSERT_TRUE(wait_caught_up(db2, db1, 10s));
    EXPECT_EQ(db2.value("SELECT COUNT(*) FROM app.t WHERE note = 'db1 after'"), "1");
    EXPECT_EQ(db1.value("SELECT COUNT(*) FROM app.t WHERE note = 'db2 after'"), "1");

    // A second run finds it done and changes nothing.
    const auto settled1 = stable_state(db1);
    const auto settled2 = stable_state(db2);
    {
        auto again = bootstrap();
        EXPECT_EQ(again.exit_code, 0) << again.err;
        EXPECT_NE(again.out.find("already set up"), std::string::npos) << again.out;
    }
    EXPECT_EQ(stable_state(db1), settled1);
    EXPECT_EQ(stable_state(db2), settled2);

    // The monitor account bootstrap made works for havipd's check with the generated
    // havipd.conf (paths moved into the lab): db1 takes the VIP.
    fs::path monitor_cnf = out_ / "db1" / "monitor.cnf";
    ASSERT_TRUE(fs::exists(monitor_cnf));
    std::string conf = read_file(out_ / "db1" / "havipd.conf");
    conf = replace_all(conf, "/run/mysqld/mysqld.sock", db1.socket().string());
    conf = replace_all(conf, "/etc/havip/monitor.cnf", monitor_cnf.string());
    auto running = start_vrrp_daemon(lab(), "a", havipd(havipd_path()), conf);
    EXPECT_TRUE(wait_until([&] { return lab().has_address("a", vip); }, 10s, 50ms))
        << "havipd on a never took the VIP; log:\n"
        << running.process->log_tail(40);
    // manage_read_only: the holder, caught up, is made writable.
    EXPECT_TRUE(wait_until([&] { return db1.read_only() == false; }, 5s, 50ms));
}

// The second server as plain `mariadb-install-db` leaves it (an empty `test` schema), node 1
// taking writes the whole time, one of them a 40 s statement (no global read lock waits),
// accounts left on node 1 by an earlier attempt with another password and without the grants:
// bootstrap seeds node 2 anyway, says it replaces node 2's mysql.* first, writes nothing on node 2
// (no GTID of server 2 anywhere, so no dual write against node 1's writes), re-applies the
// accounts' passwords and grants, and both directions run with every acknowledged write on node 2.
TEST_F(BootstrapTest, seeds_a_default_installed_peer_under_writes_without_writing_on_it) {
    ASSERT_NO_FATAL_FAILURE(start_pair(/*db2_test_db=*/true));
    auto& db1 = *db1_;
    auto& db2 = *db2_;
    ASSERT_EQ(db2.value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "
                        "'test'"),
              "1");
    ASSERT_TRUE(
        db1.exec("CREATE DATABASE app; CREATE TABLE app.w (id BIGINT PRIMARY KEY) ENGINE=InnoDB;"
                 " SET sql_log_bin=0;"
                 " CREATE USER 'repl'@'10.77.0.2' IDENTIFIED BY 'an-earlier-password';"
                 " CREATE USER 'havip_monitor'@'localhost' IDENTIFIED BY 'an-earlier-password';"));

    checks::MysqlLibrary library;
    WriterSettings ws{lab().ns("a"), "10.77.0.1", 3306, "admin", admin_password};
    ws.table = "app.w";
    ws.write_interval = std::chrono::microseconds(2000);
    Writer writer(ws);
    writer.start();
    ASSERT_TRUE(wait_until([&] { return writer.figures().acked >= 50; }, 10s, 20ms))
        << writer.last_error();
    // A write statement running for 40 s: FLUSH TABLES WITH READ LOCK waits for it (and blocks
    // the writer behind it), so a bootstrap that ends well before proves the dump took no
    // global read lock. (A long SELECT would not do: 10.11's FTWRL does not wait for it.)
    lab().start(
        "a", "long-select",
        {"mariadb", "--no-defaults", "--protocol=socket", "--socket=" + db1.socket().string(),
         "-uroot", "-e", "INSERT INTO app.w (id) SELECT 2000000000 + SLEEP(40)"});
    ASSERT_TRUE(wait_until(
        [&] {
            return db1.value(
                       "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO "
                       "LIKE 'INSERT INTO app.w (id) SELECT 2000000000%'") == "1";
        },
        5s, 50ms));
    const auto began = std::chrono::steady_clock::now();
    auto done = bootstrap();
    const auto took = std::chrono::steady_clock::now() - began;
    std::this_thread::sleep_for(1s);  // writes after bootstrap replicate too
    writer.stop();
    ASSERT_EQ(done.exit_code, 0) << done.err;
    EXPECT_LT(took, 30s) << "the dump waited for the long query: a global read lock";
    // Said before it happened: the empty schema counts as no data, the seed replaces mysql.*.
    EXPECT_NE(done.out.find("`test`"), std::string::npos) << done.out;
    EXPECT_NE(done.out.find("replaces db2's system schema mysql.*"), std::string::npos) << done.out;
    EXPECT_LT(done.out.find("mysql.*"), done.out.find("step 1 "));

    // Nothing was written on db2: only server 1 has GTIDs, on both nodes.
    for (const auto* db : {&db1, &db2}) {
        const auto state = db->value("SELECT @@gtid_binlog_state").value_or("?");
        EXPECT_EQ(state.find("-2-"), std::string::npos) << db->node() << ": " << state;
        EXPECT_EQ(state.rfind("0-1-", 0), 0u) << db->node() << ": " << state;
    }
    ASSERT_TRUE(wait_caught_up(db1, db2, 20s));
    for (const auto* db : {&db1, &db2}) {
        EXPECT_EQ(db->slave_status("Slave_IO_Running"), "Yes") << db->node();
        EXPECT_EQ(db->slave_status("Slave_SQL_Running"), "Yes") << db->node();
        EXPECT_EQ(db->slave_status("Last_SQL_Errno"), "0") << db->node();
        EXPECT_EQ(db->slave_status("Last_IO_Errno"), "0") << db->node();
    }
    EXPECT_EQ(writer.figures().errors, 0u) << writer.last_error();
    auto on2 = db2.sql("SELECT id FROM app.w", 20s);
    ASSERT_TRUE(on2.ok()) << on2.err;
    EXPECT_TRUE(missing_ids(writer.acked(), parse_ids(on2.out)).empty());
    const auto figures = writer.figures();
    std::cout << fmt::format(
        "[ figures ] bootstrap {} ms beside a 40 s write; writer on db1 during it: {} acked, {} "
        "errors, longest gap {} ms\n",
        std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), figures.acked,
        figures.errors, figures.longest_gap.count());
    EXPECT_LT(figures.longest_gap, 5s);
    // The way back runs too: db1 started from db2's binlog position and skips its own writes
    // that db2 logged; a write on db2 (now, with db1 quiet) arrives on db1.
    ASSERT_TRUE(db2.exec("INSERT INTO app.w (id) VALUES (1000000000)"));
    ASSERT_TRUE(wait_caught_up(db2, db1, 20s));
    EXPECT_EQ(db1.value("SELECT COUNT(*) FROM app.w WHERE id = 1000000000"), "1");
    EXPECT_EQ(db1.slave_status("Last_SQL_Errno"), "0");
    // The verify row: written on db1, arrived on db2.
    EXPECT_EQ(db2.value("SELECT GROUP_CONCAT(node) FROM havip.bootstrap_check"), "db1");
    // db2 is a copy of db1: the empty schema is gone.
    EXPECT_EQ(db2.value("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = "
                        "'test'"),
              "0");
    // The accounts of the earlier attempt were given the inventory's password and grants: the
    // monitor logs in with the generated option file and may read replication status.
    const auto monitor_cnf = out_ / "db1" / "monitor.cnf";
    for (const auto* db : {&db1, &db2}) {
        auto r = run_command(
            {"mariadb", "--defaults-extra-file=" + monitor_cnf.string(), "--protocol=socket",
             "--socket=" + db->socket().string(), "--batch", "-e", "SHOW ALL SLAVES STATUS"},
            10s);
        EXPECT_TRUE(r.ok()) << db->node() << ": " << r.err;
    }
}

// Issue 17, item 13: bootstrap sent the passwords it sets (CREATE USER, CHANGE MASTER) over TCP
// in clear, with no way to ask for TLS. Both servers here refuse any TCP login without TLS
// (require_secure_transport, which the replication channels must meet too). With the admin
// option file in clear, bootstrap cannot get in; with ssl-ca and
// ssl-verify-server-cert there (as the mariadb tools read them), its own logins, the seed's
// dump and load, and the channels (MASTER_SSL=1, verifying the master's certificate against
// the replica's ssl_ca) all use TLS.
TEST_F(BootstrapTest, sets_up_replication_over_tls_from_the_admin_option_files_ssl_keys) {
    const auto certificates = make_lab_certificates(lab().dir(), {"10.77.0.1", "10.77.0.2"});
    ASSERT_TRUE(certificates);
    const auto& [ca, cert, key] = *certificates;
    server_extra_ = fmt::format(
        "ssl_ca = {}\nssl_cert = {}\nssl_key = {}\nrequire_secure_transport = ON\n", ca, cert, key);
    ASSERT_NO_FATAL_FAILURE(start_pair());
    auto& db1 = *db1_;
    auto& db2 = *db2_;
    ASSERT_TRUE(
        db1.exec("CREATE DATABASE app; CREATE TABLE app.t (id INT PRIMARY KEY);"
                 " INSERT INTO app.t VALUES (1)"));

    auto refused = bootstrap();
    EXPECT_EQ(refused.exit_code, 1);
    // MariaDB 10.11 answers a login in clear with 1045 under require_secure_transport.
    EXPECT_NE(refused.err.find("db1 (10.77.0.1:3306): preflight: cannot connect: error 1045"),
              std::string::npos)
        << refused.err;
    EXPECT_EQ(db2.slave_status("Slave_IO_Running"), std::nullopt) << "a channel was set up";

    write_file(admin_cnf_,
               fmt::format("[client]\nuser = admin\npassword = {}\nssl-ca = {}\n"
                           "ssl-verify-server-cert\n",
                           admin_password, ca),
               fs::perms(0600));
    auto done = bootstrap();
    ASSERT_EQ(done.exit_code, 0) << done.err;
    EXPECT_EQ(done.out.find("not encrypted"), std::string::npos) << done.out;
    for (auto* db : {&db1, &db2}) {
        EXPECT_TRUE(
            wait_until([&] { return db->slave_status("Slave_IO_Running") == "Yes"; }, 10s, 100ms))
            << db->node() << ": " << db->slave_status("Last_IO_Error").value_or("");
        EXPECT_EQ(db->slave_status("Master_SSL_Allowed"), "Yes") << db->node();
        // The admin login verifies: so does each channel, against its server's own ssl_ca.
        EXPECT_EQ(db->slave_status("Master_SSL_Verify_Server_Cert"), "Yes") << db->node();
        EXPECT_EQ(db->slave_status("Master_SSL_CA_File"), ca) << db->node();
    }
    EXPECT_EQ(db2.value("SELECT COUNT(*) FROM app.t"), "1");  // seeded through TLS
}

}  // namespace
}  // namespace havip::test
