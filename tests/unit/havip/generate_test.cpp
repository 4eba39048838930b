// `havip generate` (havip/generate): the files for each layout, their settings, that havip's own
// config loader accepts the VRRP configs, the passwords kept in secrets/, atomic writes and the
// command's exit codes. The real mariadbd / havipd / keepalived checks are in
// tests/netns/generate_test.cpp.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "checks/mysql_client.hpp"
#include "config/load.hpp"
#include "havip/generate.hpp"

namespace havip::cli {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(HAVIP_SOURCE_DIR) / "tests/configs/inventories/good";
const Passwords passwords{"MonPw0123456789abcdefghi", "ReplPw0123456789abcdefgh"};

Inventory sample(const std::string& name) {
    auto r = load_inventory(corpus / name);
    EXPECT_TRUE(std::holds_alternative<Inventory>(r)) << name;
    return std::holds_alternative<Inventory>(r) ? std::get<Inventory>(r) : Inventory{};
}

std::map<std::string, GeneratedFile> by_path(const std::vector<GeneratedFile>& files) {
    std::map<std::string, GeneratedFile> m;
    for (const auto& f : files)
        m[f.path.string()] = f;
    return m;
}

// key = value lines of an ini file, comments and groups skipped.
std::map<std::string, std::string> ini(const std::string& text) {
    std::map<std::string, std::string> m;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#' || line[0] == '[') continue;
        auto eq = line.find(" = ");
        if (eq != std::string::npos) m[line.substr(0, eq)] = line.substr(eq + 3);
    }
    return m;
}

// The lines that are not comments (# or SQL's --), trimmed.
std::vector<std::string> statements(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        auto b = line.find_first_not_of(' ');
        if (b == std::string::npos || line[b] == '#' || line.compare(b, 2, "--") == 0) continue;
        out.push_back(line.substr(b));
    }
    return out;
}

bool has_statement(const std::string& text, const std::string& s) {
    for (const auto& l : statements(text))
        if (l == s) return true;
    return false;
}

config::LoadResult load_vrrp(const std::string& text) {
    config::LoadOptions o;
    o.check_scripts = false;  // /usr/bin/havip is not installed on a build machine
    return config::load_string(text, "gen.conf", o);
}

std::string diagnostics(const config::LoadResult& r) {
    std::string s;
    for (const auto& d : r.diagnostics)
        s += config::format(d) + "\n";
    return s;
}

TEST(Generate, two_node_layouts_write_six_files_per_node_and_a_checklist) {
    for (const char* name : {"3-node.yaml", "5-node.yaml"}) {
        auto files = by_path(generate_files(sample(name), passwords));
        std::set<std::string> paths;
        for (const auto& [p, f] : files)
            paths.insert(p);
        std::set<std::string> expected{"CHECKLIST.md"};
        for (const char* node : {"db1", "db2"})
            for (const char* f : {"mariadb.cnf", "users.sql", "havipd.conf", "keepalived.conf",
                                  "sysctl.conf", "monitor.cnf"})
                expected.insert(fmt::format("{}/{}", node, f));
        EXPECT_EQ(paths, expected) << name;
        // Files holding a password are 0600, the rest 0644.
        for (const auto& [p, f] : files) {
            const bool secret = p.ends_with("monitor.cnf") || p.ends_with("users.sql");
            EXPECT_EQ(f.mode, fs::perms(secret ? 0600 : 0644)) << p;
        }
    }
}

TEST(Generate, mariadb_settings_pair_the_two_servers) {
    auto files = by_path(generate_files(sample("5-node.yaml"), passwords));
    auto a = ini(files["db1/mariadb.cnf"].content);
    auto b = ini(files["db2/mariadb.cnf"].content);
    EXPECT_EQ(a["server_id"], "1");
    EXPECT_EQ(b["server_id"], "2");
    EXPECT_EQ(a["auto_increment_offset"], "1");
    EXPECT_EQ(b["auto_increment_offset"], "2");
    for (auto* m : {&a, &b}) {
        EXPECT_EQ((*m)["auto_increment_increment"], "2");
        EXPECT_EQ((*m)["binlog_format"], "ROW");
        EXPECT_EQ((*m)["binlog_row_image"], "FULL");
        EXPECT_EQ((*m)["log_slave_updates"], "ON");
        EXPECT_EQ((*m)["gtid_domain_id"], "0");
        EXPECT_EQ((*m)["gtid_strict_mode"], "ON");
        EXPECT_EQ((*m)["read_only"], "ON");
        EXPECT_EQ((*m)["sync_binlog"], "1");
        EXPECT_EQ((*m)["relay_log_recovery"], "ON");
        EXPECT_EQ((*m)["skip_name_resolve"], "ON");
        EXPECT_EQ((*m)["bind_address"], "0.0.0.0");
        EXPECT_EQ((*m)["max_connect_errors"], "1000000");
        EXPECT_EQ((*m)["binlog_expire_logs_seconds"], "604800");
        EXPECT_EQ((*m)["slave_net_timeout"], "10");
        EXPECT_EQ((*m)["port"], "3306");
        EXPECT_TRUE(m->count("log_bin"));
        // Asynchronous unless asked for.
        EXPECT_FALSE(m->count("rpl_semi_sync_master_enabled"));
        EXPECT_FALSE(m->count("init_rpl_role"));
    }
}

TEST(Generate, semi_sync_waits_after_sync_with_the_inventory_timeout_in_milliseconds) {
    auto files = by_path(generate_files(sample("5-node-semi-sync.yaml"), passwords));
    for (const char* node : {"mysql-a", "mysql-b"}) {
        auto m = ini(files[fmt::format("{}/mariadb.cnf", node)].content);
        EXPECT_EQ(m["rpl_semi_sync_master_enabled"], "OFF");  // moved with the VIP
        EXPECT_EQ(m["rpl_semi_sync_slave_enabled"], "ON");
        EXPECT_EQ(m["rpl_semi_sync_master_wait_point"], "AFTER_SYNC");
        EXPECT_EQ(m["rpl_semi_sync_master_timeout"], "2500");
        EXPECT_EQ(m["init_rpl_role"], "SLAVE");  // crash recovery drops what was never acked
        EXPECT_EQ(m["port"], "3307");
        // Plain keepalived's hooks move the master side with the VIP, as havipd does.
        const auto& conf = files[fmt::format("{}/keepalived.conf", node)].content;
        EXPECT_NE(conf.find("'SET GLOBAL rpl_semi_sync_master_enabled=ON; SET GLOBAL read_only=0'"),
                  std::string::npos);
        EXPECT_NE(conf.find("SET GLOBAL read_only=1; SET GLOBAL rpl_semi_sync_master_enabled=OFF'"),
                  std::string::npos);
    }
}

TEST(Generate, havipd_config_loads_cleanly_with_priorities_vip_and_managed_read_only) {
    auto files = by_path(generate_files(sample("5-node.yaml"), passwords));
    int priority[2] = {150, 100};
    int i = 0;
    for (const char* node : {"db1", "db2"}) {
        const std::string text = files[fmt::format("{}/havipd.conf", node)].content;
        auto r = load_vrrp(text);
        ASSERT_TRUE(r.ok()) << diagnostics(r) << text;
        EXPECT_TRUE(r.diagnostics.empty()) << diagnostics(r);
        const auto& c = *r.config;
        ASSERT_EQ(c.instances.size(), 1u);
        const auto& v = c.instances[0];
        EXPECT_EQ(v.state, config::InitialState::backup);
        EXPECT_EQ(v.priority, priority[i++]);
        EXPECT_EQ(v.virtual_router_id, 99);
        EXPECT_EQ(v.interface, "eth0");
        EXPECT_EQ(v.version, 2);
        EXPECT_FALSE(v.nopreempt);  // failback is gated by the check, not by nopreempt
        EXPECT_EQ(v.auth_type, config::AuthType::none);
        ASSERT_EQ(v.virtual_addresses.size(), 1u);
        EXPECT_EQ(v.virtual_addresses[0].address.to_string(), "10.127.10.50");
        EXPECT_EQ(v.virtual_addresses[0].prefix_length, 24);
        EXPECT_EQ(v.virtual_addresses[0].dev, "eth0");
        ASSERT_EQ(v.track_scripts.size(), 1u);
        ASSERT_EQ(c.mysql_checks.size(), 1u);
        const auto& m = c.mysql_checks[0];
        EXPECT_EQ(v.track_scripts[0].name, m.name);
        EXPECT_EQ(m.socket, std::optional<std::string>(mysql_socket_path));
        EXPECT_EQ(m.option_file, std::optional<std::string>(monitor_cnf_path));
        EXPECT_TRUE(m.manage_read_only);
        EXPECT_EQ(m.rise, 2);
        EXPECT_EQ(m.fall, 2);
        EXPECT_EQ(m.weight, 0);
        EXPECT_EQ(m.interval, std::chrono::milliseconds(500));
        EXPECT_EQ(m.timeout, std::chrono::milliseconds(400));
        // A lagging node drops below its peer, so it cannot take the VIP back while behind.
        ASSERT_TRUE(m.max_lag);
        EXPECT_LT(v.priority + m.lag_weight, 100);
    }
}

TEST(Generate, fractional_adverts_use_vrrpv3_and_a_node_can_override_its_interface) {
    auto files = by_path(generate_files(sample("5-node-semi-sync.yaml"), passwords));
    auto r = load_vrrp(files["mysql-b/havipd.conf"].content);
    ASSERT_TRUE(r.ok()) << diagnostics(r);
    const auto& v = r.config->instances.at(0);
    EXPECT_EQ(v.version, 3);
    EXPECT_EQ(v.advert_int, std::chrono::milliseconds(100));
    EXPECT_EQ(v.interface, "br0");
    EXPECT_EQ(v.virtual_addresses.at(0).dev, "br0");
    EXPECT_EQ(v.priority, 120);
    EXPECT_EQ(v.virtual_router_id, 42);
}

// Issue 18: what the generated check promises, worked out from the generated values. A frozen
// server (SIGSTOP, hung I/O) still accepts connections, so only the timeout sees it, `fall`
// times in a row: at worst fall × interval + timeout after it froze (it froze just after a
// probe). The peer, told by priority 0, then waits its Skew_Time (RFC 5798 §6.1).
TEST(Generate, frozen_database_moves_the_vip_within_2_5_s_with_1_s_adverts) {
    using std::chrono::duration;
    auto files = by_path(generate_files(sample("5-node.yaml"), passwords));
    const char* nodes[2] = {"db1", "db2"};
    for (int i = 0; i < 2; ++i) {
        auto own = load_vrrp(files[fmt::format("{}/havipd.conf", nodes[i])].content);
        auto peer = load_vrrp(files[fmt::format("{}/havipd.conf", nodes[1 - i])].content);
        ASSERT_TRUE(own.ok() && peer.ok());
        const auto& m = own.config->mysql_checks.at(0);
        const auto& p = peer.config->instances.at(0);
        ASSERT_EQ(p.advert_int, std::chrono::seconds(1));
        // A probe ends before the next is due, so none is skipped while one hangs.
        EXPECT_LT(m.timeout, m.interval);
        const duration<double> skew = duration<double>(p.advert_int) * (256 - p.priority) / 256.0;
        const duration<double> worst =
            m.fall * duration<double>(m.interval) + duration<double>(m.timeout) + skew;
        EXPECT_LE(worst.count(), 2.5) << nodes[i];
        const auto& text = files[fmt::format("{}/havipd.conf", nodes[i])].content;
        EXPECT_NE(text.find("frozen"), std::string::npos) << "the comment explains the bound";
    }
}

// Issue 15 item 12: the check's interval and timeout do not follow the advert interval down:
// 0.1 s adverts must not give a 0.1 s bound on the server's answer.
TEST(Generate, check_timing_does_not_follow_fast_adverts) {
    auto fast = load_vrrp(
        by_path(generate_files(sample("5-node-semi-sync.yaml"), passwords))["mysql-b/havipd.conf"]
            .content);
    auto slow = load_vrrp(
        by_path(generate_files(sample("5-node.yaml"), passwords))["db2/havipd.conf"].content);
    ASSERT_TRUE(fast.ok() && slow.ok());
    ASSERT_EQ(fast.config->instances.at(0).advert_int, std::chrono::milliseconds(100));
    const auto& f = fast.config->mysql_checks.at(0);
    const auto& s = slow.config->mysql_checks.at(0);
    EXPECT_GE(f.timeout, std::chrono::milliseconds(400));
    EXPECT_EQ(f.timeout, s.timeout);
    EXPECT_EQ(f.interval, s.interval);
}

// Issue 15 item 12: the promote's wait for the relay log to be applied does not follow the
// advert interval (nor the check's timeout) down. A standby may take the VIP while degraded,
// up to the unsafe lag bound (max(30 s, 4 × max_lag)) behind; a wait shorter than that fails
// the promote of the only node left to serve (0.1 s adverts once gave 0.5 s).
TEST(Generate, promote_waits_for_the_relay_log_as_long_as_an_eligible_standby_may_lag) {
    for (const auto& [inventory, node] :
         {std::pair{"5-node-semi-sync.yaml", "mysql-b"}, std::pair{"5-node.yaml", "db2"}}) {
        SCOPED_TRACE(inventory);
        const std::string text = by_path(generate_files(
            sample(inventory), passwords))[fmt::format("{}/havipd.conf", node)]
                                     .content;
        auto r = load_vrrp(text);
        ASSERT_TRUE(r.ok()) << diagnostics(r);
        const auto& m = r.config->mysql_checks.at(0);
        ASSERT_TRUE(m.max_lag);
        const auto unsafe_lag = std::max<std::chrono::milliseconds>(
            std::chrono::seconds(30),
            4 * std::chrono::duration_cast<std::chrono::milliseconds>(*m.max_lag));
        // The value as written in the mysql_check block.
        const auto at = text.find("\n    apply_timeout ");
        ASSERT_NE(at, std::string::npos) << "the mysql_check block sets apply_timeout";
        const double written = std::stod(text.substr(at + 19));
        EXPECT_GE(written, std::chrono::duration<double>(unsafe_lag).count());
        EXPECT_NE(text.find("relay log"), std::string::npos) << "the comment says why";
    }
}

// Issue 15 item 9: a standby replicating from any server but its peer is the wrong master.
TEST(Generate, each_check_knows_the_server_id_of_the_peer_it_replicates_from) {
    auto files = by_path(generate_files(sample("5-node.yaml"), passwords));
    for (const auto& [node, peer_id] : {std::pair{"db1", 2u}, std::pair{"db2", 1u}}) {
        auto r = load_vrrp(files[fmt::format("{}/havipd.conf", node)].content);
        ASSERT_TRUE(r.ok()) << diagnostics(r);
        EXPECT_EQ(r.config->mysql_checks.at(0).peer_server_id, peer_id) << node;
        // … the server_id that node's own mariadb.cnf gives it.
        const auto other = std::string(node) == "db1" ? "db2" : "db1";
        EXPECT_NE(files[fmt::format("{}/mariadb.cnf", other)].content.find(
                      fmt::format("server_id = {}\n", peer_id)),
                  std::string::npos)
            << other;
    }
}

TEST(Generate, keepalived_config_runs_havip_check_and_flips_read_only_on_notify) {
    auto files = by_path(generate_files(sample("5-node.yaml"), passwords));
    const std::string text = files["db2/keepalived.conf"].content;
    auto r = load_vrrp(text);
    ASSERT_TRUE(r.ok()) << diagnostics(r) << text;
    const auto& c = *r.config;
    EXPECT_TRUE(c.global.enable_script_security);
    ASSERT_EQ(c.scripts.size(), 1u);
    const auto& argv = c.scripts[0].script.argv;
    ASSERT_GE(argv.size(), 3u);
    EXPECT_EQ(argv[0], havip_bin_path);
    EXPECT_EQ(argv[1], "check");
    EXPECT_EQ(argv[2], "mysql");
    auto arg_after = [&](const std::string& flag) {
        for (std::size_t i = 0; i + 1 < argv.size(); ++i)
            if (argv[i] == flag) return argv[i + 1];
        return std::string();
    };
    EXPECT_EQ(arg_after("--option-file"), monitor_cnf_path);
    EXPECT_EQ(arg_after("--vip"), "10.127.10.50");
    EXPECT_FALSE(arg_after("--state").empty());
    EXPECT_EQ(arg_after("--peer-server-id"), "1");  // db2 replicates from db1
    EXPECT_EQ(c.scripts[0].fall, 2);
    const auto& v = c.instances.at(0);
    EXPECT_EQ(v.priority, 100);
    ASSERT_TRUE(v.notify.master && v.notify.backup && v.notify.fault);
    EXPECT_EQ(v.notify.master->argv.back(), "SET GLOBAL read_only=0");
    EXPECT_NE(v.notify.backup->argv.back().find("SET GLOBAL read_only=1"), std::string::npos);
    EXPECT_NE(v.notify.fault->argv.back().find("SET GLOBAL read_only=1"), std::string::npos);
    EXPECT_EQ(v.notify.master->argv.at(1), fmt::format("--defaults-file={}", monitor_cnf_path));
}

TEST(Generate, monitor_option_file_carries_the_monitor_credentials) {
    auto files = by_path(generate_files(sample("5-node-semi-sync.yaml"), passwords));
    auto creds = checks::parse_option_file(files["mysql-a/monitor.cnf"].content);
    ASSERT_TRUE(creds.credentials) << creds.error;
    EXPECT_EQ(creds.credentials->user, "hv_check");
    EXPECT_EQ(creds.credentials->password, passwords.monitor);
}

TEST(Generate, users_sql_creates_the_monitor_and_the_peer_replication_account_unlogged) {
    auto files = by_path(generate_files(sample("5-node.yaml"), passwords));
    const std::string sql = files["db1/users.sql"].content;
    auto first = statements(sql);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first.front(), "SET SESSION sql_log_bin = 0;");
    // db2 (10.127.10.218) replicates from db1.
    EXPECT_NE(sql.find("CREATE USER IF NOT EXISTS 'repl'@'10.127.10.218' IDENTIFIED BY '" +
                       passwords.replication + "';"),
              std::string::npos);
    EXPECT_NE(sql.find("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.127.10.218';"),
              std::string::npos);
    EXPECT_NE(sql.find("CREATE USER IF NOT EXISTS 'havip_monitor'@'localhost' IDENTIFIED BY '" +
                       passwords.monitor + "';"),
              std::string::npos);
    for (const char* priv :
         {"SLAVE MONITOR", "BINLOG MONITOR", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN",
          "CONNECTION ADMIN", "REPLICATION MASTER ADMIN", "BINLOG ADMIN"})
        EXPECT_NE(sql.find(priv), std::string::npos) << priv;
    EXPECT_NE(files["db2/users.sql"].content.find("'repl'@'10.127.10.211'"), std::string::npos);
    // db2's havipd fences db1 when it promotes itself: it logs in from its address, and may
    // only set read_only.
    EXPECT_NE(sql.find("CREATE USER IF NOT EXISTS 'havip_monitor'@'10.127.10.218' IDENTIFIED BY '" +
                       passwords.monitor + "';"),
              std::string::npos);
    EXPECT_NE(sql.find("GRANT READ_ONLY ADMIN, SLAVE MONITOR ON *.* TO "
                       "'havip_monitor'@'10.127.10.218';"),
              std::string::npos);
}

TEST(Generate, sysctl_allows_nonlocal_bind_and_does_not_turn_on_forwarding) {
    auto files = by_path(generate_files(sample("3-node.yaml"), passwords));
    const std::string text = files["db1/sysctl.conf"].content;
    EXPECT_TRUE(has_statement(text, "net.ipv4.ip_nonlocal_bind = 1"));
    for (const auto& s : statements(text))
        EXPECT_EQ(s.find("ip_forward"), std::string::npos);
}

TEST(Generate, four_node_layout_has_no_vrrp_files_and_a_writable_single_server) {
    auto files = by_path(generate_files(sample("4-node.yaml"), passwords));
    std::set<std::string> paths;
    for (const auto& [p, f] : files)
        paths.insert(p);
    EXPECT_EQ(paths, (std::set<std::string>{"CHECKLIST.md", "db1/mariadb.cnf"}));
    EXPECT_EQ(ini(files["db1/mariadb.cnf"].content)["read_only"], "OFF");
    const std::string checklist = files["CHECKLIST.md"].content;
    EXPECT_NE(checklist.find("SINGLE POINT OF FAILURE"), std::string::npos);
    EXPECT_NE(checklist.find("| MySQL Host IP | 10.127.190.254"), std::string::npos);
}

TEST(Generate, checklist_fills_in_the_installer_fields_and_the_manual_steps) {
    auto files = by_path(generate_files(sample("3-node.yaml"), passwords));
    const std::string c = files["CHECKLIST.md"].content;
    for (const char* needle :
         {"| High Availability VIP | 10.127.10.100 |",
          "| Controlplane IPs | 10.127.10.211 10.127.10.212 10.127.10.213 |",
          "| MySQL Host IP | 10.127.10.50 (the database VIP) |", "| MySQL Port Number | 3306 |",
          "MySQL Username", "source/destination check", "Reserve the database VIP 10.127.10.50",
          "SELinux", "`br0`", "host agent", "havip bootstrap", "protocol 112",
          "`/etc/havip/inventory.yaml`", "`/etc/havip/admin.cnf`"}) {
        EXPECT_NE(c.find(needle), std::string::npos) << needle << "\n" << c;
    }
    // Steps are numbered in order.
    EXPECT_LT(c.find("## 1."), c.find("## 2."));
    EXPECT_LT(c.find("## 2."), c.find("## 3."));
}

TEST(Generate, passwords_are_created_once_in_secrets_and_reused) {
    const fs::path dir = fs::path(HAVIP_BINARY_DIR) / "generate-test" / "secrets-reuse";
    fs::remove_all(dir);
    auto inv = sample("5-node.yaml");
    auto first = obtain_passwords(inv, dir);
    ASSERT_TRUE(std::holds_alternative<Passwords>(first)) << std::get<std::string>(first);
    const auto& p = std::get<Passwords>(first);
    EXPECT_EQ(p.monitor.size(), 24u);
    EXPECT_NE(p.monitor, p.replication);
    EXPECT_TRUE(usable_password(p.monitor));
    for (const char* f : {"secrets/havip_monitor.password", "secrets/repl.password"}) {
        struct stat st {};
        ASSERT_EQ(::stat((dir / f).c_str(), &st), 0) << f;
        EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
    }
    auto second = obtain_passwords(inv, dir);
    ASSERT_TRUE(std::holds_alternative<Passwords>(second));
    EXPECT_EQ(std::get<Passwords>(second).monitor, p.monitor);
    EXPECT_EQ(std::get<Passwords>(second).replication, p.replication);
    fs::remove_all(dir);
}

TEST(Generate, a_password_file_from_the_inventory_is_used_and_checked) {
    const fs::path dir = fs::path(HAVIP_BINARY_DIR) / "generate-test" / "password-file";
    fs::remove_all(dir);
    fs::create_directories(dir);
    auto inv = sample("5-node.yaml");
    inv.database.replication_user.password_file = dir / "repl.pw";
    std::ofstream(dir / "repl.pw") << "Given-Pw_1\n";
    auto r = obtain_passwords(inv, dir / "out");
    ASSERT_TRUE(std::holds_alternative<Passwords>(r)) << std::get<std::string>(r);
    EXPECT_EQ(std::get<Passwords>(r).replication, "Given-Pw_1");
    EXPECT_FALSE(fs::exists(dir / "out/secrets/repl.password"));

    std::ofstream(dir / "repl.pw") << "it's quoted\n";
    auto bad = obtain_passwords(inv, dir / "out");
    ASSERT_TRUE(std::holds_alternative<std::string>(bad));
    EXPECT_EQ(std::get<std::string>(bad).rfind((dir / "repl.pw").string() + ": ", 0), 0u)
        << std::get<std::string>(bad);
    fs::remove_all(dir);
}

TEST(Generate, atomic_write_replaces_the_file_with_its_mode_and_leaves_no_temporary) {
    const fs::path dir = fs::path(HAVIP_BINARY_DIR) / "generate-test" / "atomic";
    fs::remove_all(dir);
    const fs::path f = dir / "sub" / "monitor.cnf";
    EXPECT_EQ(write_file_atomically(f, "one\n", fs::perms(0644)), "");
    EXPECT_EQ(write_file_atomically(f, "two\n", fs::perms(0600)), "");
    std::ifstream in(f);
    std::string content((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(content, "two\n");
    struct stat st {};
    ASSERT_EQ(::stat(f.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator{}), 1);
    fs::remove_all(dir);
}

TEST(GenerateCommand, an_invalid_inventory_exits_1_naming_the_key_and_writes_nothing) {
    const fs::path out = fs::path(HAVIP_BINARY_DIR) / "generate-test" / "bad-out";
    fs::remove_all(out);
    const std::string inv =
        (fs::path(HAVIP_SOURCE_DIR) / "tests/configs/inventories/bad/out-of-range.yaml").string();
    std::ostringstream o, e;
    EXPECT_EQ(run_generate({inv, "-o", out.string()}, o, e), 1);
    EXPECT_NE(e.str().find(inv + ": database.vrid: 300 is not in 1-255"), std::string::npos)
        << e.str();
    EXPECT_FALSE(fs::exists(out));
}

TEST(GenerateCommand, writes_every_file_and_warns_on_stderr_for_the_four_node_layout) {
    const fs::path out = fs::path(HAVIP_BINARY_DIR) / "generate-test" / "four-node-out";
    fs::remove_all(out);
    std::ostringstream o, e;
    EXPECT_EQ(run_generate({(corpus / "4-node.yaml").string(), "-o", out.string()}, o, e), 0)
        << e.str();
    EXPECT_NE(e.str().find("WARNING"), std::string::npos);
    EXPECT_NE(e.str().find("SINGLE POINT OF FAILURE"), std::string::npos);
    EXPECT_TRUE(fs::exists(out / "db1/mariadb.cnf"));
    EXPECT_TRUE(fs::exists(out / "CHECKLIST.md"));
    EXPECT_NE(o.str().find((out / "db1/mariadb.cnf").string()), std::string::npos);
    fs::remove_all(out);
}

TEST(GenerateCommand, missing_arguments_are_a_usage_error) {
    std::ostringstream o, e;
    EXPECT_EQ(run_generate({"inv.yaml"}, o, e), 64);
    EXPECT_EQ(run_generate({"-o", "dir"}, o, e), 64);
    EXPECT_EQ(run_generate({"inv.yaml", "-o", "dir", "--bogus"}, o, e), 64);
    EXPECT_NE(e.str().find("Usage: havip generate"), std::string::npos);
}

}  // namespace
}  // namespace havip::cli
