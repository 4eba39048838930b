// Real MariaDB servers on lab nodes: one mariadbd per node (its own datadir under the lab
// directory, bound to the node's address), GTID master-master replication between two of them,
// the mysql_check monitor account, and the failure injections the tests need (kill, SIGSTOP,
// SIGCONT, clean stop, restart). The settings are those of shared/reference/mysql-health.md.
// Each mariadbd is started through Lab::start, so the Lab's destructor kills it like any other
// process of the lab.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/command.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/process.hpp"

namespace havip::test {

// The password of the lab's check account chk (in monitor_option_file()).
std::string_view lab_monitor_password();

// Why MariaDB lab tests cannot run (mariadbd or its tools missing), or nullopt.
std::optional<std::string> mariadb_skip_reason();

class MariadbServer {
  public:
    // Nothing runs until start(). `address` is the node's IPv4 address (no prefix length);
    // server_id is also the auto_increment_offset (1 or 2 in a pair).
    MariadbServer(Lab& lab, std::string node, std::string address, int server_id);
    // Removes the socket file (in /tmp: the path must be short); the process is the Lab's.
    ~MariadbServer();
    MariadbServer(const MariadbServer&) = delete;
    MariadbServer& operator=(const MariadbServer&) = delete;

    // The first start copies a datadir initialised once per test binary run, writes the
    // server's option file and the monitor account's, and creates the accounts (unlogged, so
    // both servers of a pair start at the same empty GTID position). Later starts reuse the
    // datadir (a restart after kill()). Waits until the server answers on its socket.
    testing::AssertionResult start(std::chrono::milliseconds timeout = std::chrono::seconds(30));

    // Before the first start(): no lab accounts (chk, repl) and no lab schema, a server as
    // mariadb-install-db left it (for `havip bootstrap`, which creates its own).
    void without_lab_accounts() { lab_accounts_ = false; }
    // Before the first start(): a datadir made by plain `mariadb-install-db`, which creates the
    // empty `test` schema, its PUBLIC grants and anonymous accounts (the harness otherwise
    // passes --skip-test-db, as Debian 12's postinst does; a DBA initialising a datadir by hand
    // or another distribution's package does not).
    void install_with_test_db() { test_db_ = true; }
    // Before the first start(): the option file ends with `!include PATH`, so the settings of
    // PATH (a generated mariadb.cnf) win over the harness's.
    void include_config(std::filesystem::path path) { include_ = std::move(path); }

    // Runs SQL as root over the unix socket (batch mode, no column names, tab-separated).
    CommandResult sql(std::string_view statements,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    testing::AssertionResult exec(std::string_view statements) const;
    // The first column of the first row, or nullopt on error or no row ("NULL" is returned as
    // the text NULL).
    std::optional<std::string> value(std::string_view query) const;
    // One column of SHOW SLAVE STATUS (the default connection), or nullopt.
    std::optional<std::string> slave_status(std::string_view column) const;
    // @@read_only as 0/1, nullopt when the server does not answer.
    std::optional<bool> read_only() const;

    // SIGKILL (waits for the exit), SIGSTOP, SIGCONT, and a clean shutdown (SIGTERM, waits).
    testing::AssertionResult kill();
    testing::AssertionResult freeze();
    testing::AssertionResult thaw();
    testing::AssertionResult stop();
    bool running() const;

    const std::string& node() const { return node_; }
    const std::string& address() const { return address_; }
    int server_id() const { return server_id_; }
    const std::filesystem::path& socket() const { return socket_; }
    // [client] user=chk / password, mode 0600: the mysql_check option_file.
    const std::filesystem::path& monitor_option_file() const { return monitor_cnf_; }
    const std::filesystem::path& error_log() const { return error_log_; }

    // The mysql_check block for havipd watching this server through its socket.
    struct CheckSpec {
        std::string name = "chk_db";
        std::chrono::milliseconds interval{200};
        std::chrono::milliseconds timeout{400};
        int fall = 2;
        int rise = 1;
        int weight = 0;  // 0: unsafe = FAULT
        std::optional<std::chrono::milliseconds> max_lag;
        int lag_weight = 0;
        bool manage_read_only = false;
    };
    std::string check_block(const CheckSpec& spec) const;

  private:
    testing::AssertionResult prepare();
    testing::AssertionResult wait_ready(std::chrono::milliseconds timeout);

    Lab& lab_;
    std::string node_;
    std::string address_;
    int server_id_;
    std::filesystem::path dir_;  // <lab dir>/mariadb-<node>
    std::filesystem::path datadir_;
    std::filesystem::path socket_;
    std::filesystem::path config_;
    std::filesystem::path monitor_cnf_;
    std::filesystem::path error_log_;
    Process* process_ = nullptr;
    int starts_ = 0;
    bool accounts_created_ = false;
    bool lab_accounts_ = true;
    bool test_db_ = false;
    std::filesystem::path include_;
};

// GTID master-master between two started servers (shared/reference/mysql-health.md, "Setup"):
// `b` replicates from `a` with MASTER_USE_GTID=slave_pos, then `a` from `b` with current_pos,
// both with MASTER_CONNECT_RETRY=1, heartbeats every 0.5 s (so a standby's check sees
// the channel in contact without writes) and the repl account; waits until both threads of both
// directions run and a write on each side has reached the other.
testing::AssertionResult setup_master_master(
    MariadbServer& a, MariadbServer& b,
    std::chrono::milliseconds timeout = std::chrono::seconds(20));

// Waits until `to` has applied everything `from` has written (its gtid_binlog_pos is in `to`'s
// gtid_slave_pos / gtid_current_pos).
testing::AssertionResult wait_caught_up(const MariadbServer& from, const MariadbServer& to,
                                        std::chrono::milliseconds timeout);

}  // namespace havip::test
