#include "tests/harness/mariadb.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <fstream>
#include <mutex>
#include <variant>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* mariadbd_bin = "/usr/sbin/mariadbd";
constexpr const char* install_db_bin = "/usr/bin/mariadb-install-db";
constexpr const char* client_bin = "/usr/bin/mariadb";
constexpr const char* monitor_password = "chk-lab-secret";
constexpr const char* repl_password = "repl-lab-secret";

// InnoDB sizes small enough that a copied datadir is ~25 MB and a start is quick. They must be
// the same at initialisation and at every start (the system tablespace is created with them).
const std::vector<std::string> innodb_small = {"--innodb-log-file-size=8M",
                                               "--innodb-buffer-pool-size=32M"};

std::string seconds_text(std::chrono::milliseconds d) {
    std::string text = fmt::format("{}.{:03}", d.count() / 1000, d.count() % 1000);
    while (text.back() == '0')
        text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
}

// A datadir made by mariadb-install-db once per build tree, MariaDB binary and options, and
// copied for every server. ctest runs each test in a process of its own and making one takes
// 2 to 5 s (mostly fsync), so the test processes share it: the first makes it under a lock in a
// directory of its own and renames that into place; the others wait on the lock and copy it.
class TemplateDatadir {
  public:
    // test_db: mariadb-install-db's default, which creates the empty `test` schema (and
    // grants on test% to PUBLIC) that --skip-test-db leaves out.
    explicit TemplateDatadir(bool test_db) : test_db_(test_db) {}
    // The template's path, or a failure saying why it could not be made.
    std::variant<fs::path, std::string> get() {
        std::lock_guard lock(mutex_);
        if (!error_.empty()) return error_;
        if (!data_.empty()) return data_;
        const fs::path runs = fs::path(HAVIP_BINARY_DIR) / "test-runs";
        std::error_code ec;
        fs::create_directories(runs, ec);
        sweep(runs);

        std::vector<std::string> options = {"--no-defaults", "--user=root",
                                            "--auth-root-authentication-method=socket"};
        if (!test_db_) options.push_back("--skip-test-db");
        options.insert(options.end(), innodb_small.begin(), innodb_small.end());
        struct stat server {};
        if (::stat(mariadbd_bin, &server) != 0)
            return error_ = fmt::format("cannot stat {}: {}", mariadbd_bin, std::strerror(errno));
        const auto key = std::hash<std::string>{}(fmt::format(
            "{} {} {}", server.st_size, server.st_mtime, fmt::join(options, " ")));
        const fs::path shared = runs / fmt::format("mariadb-template-{:016x}", key);
        if (fs::exists(shared / "data", ec)) return data_ = shared / "data";

        const int lock_fd = ::open((shared.string() + ".lock").c_str(),
                                   O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX) != 0) {
            error_ = fmt::format("cannot lock {}.lock: {}", shared.string(), std::strerror(errno));
            if (lock_fd >= 0) ::close(lock_fd);
            return error_;
        }
        if (!fs::exists(shared / "data", ec)) make(runs, shared, options);
        ::close(lock_fd);
        if (!error_.empty()) return error_;
        return data_ = shared / "data";
    }

  private:
    // Made in mariadb-template-<pid>.tmp, a name sweep() removes once this process is gone.
    void make(const fs::path& runs, const fs::path& shared, std::vector<std::string> argv) {
        const fs::path work = runs / fmt::format("mariadb-template-{}.tmp", ::getpid());
        std::error_code ec;
        fs::remove_all(work, ec);
        // A private tmpdir: the bootstrap server's temporary tables in a shared /tmp were seen
        // removed under it ("Could not remove temporary table '/tmp/#sql-temptable-…'").
        fs::create_directories(work / "tmp", ec);
        argv.insert(argv.begin(), install_db_bin);
        argv.push_back(fmt::format("--datadir={}", (work / "data").string()));
        argv.push_back(fmt::format("--tmpdir={}", (work / "tmp").string()));
        auto result = run_command(argv, 120s);
        if (!result.ok()) {
            error_ = fmt::format("{} failed ({}): {}", install_db_bin, result.exit_code,
                                 result.err.empty() ? result.out : result.err);
        } else {
            fs::remove_all(work / "tmp", ec);
            fs::rename(work, shared, ec);
            if (ec) error_ = fmt::format("cannot rename {} to {}: {}", work.string(),
                                         shared.string(), ec.message());
        }
        fs::remove_all(work, ec);
    }

    // Half-made templates of processes that died while making them.
    static void sweep(const fs::path& runs) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(runs, ec)) {
            const auto name = entry.path().filename().string();
            constexpr std::string_view prefix = "mariadb-template-";
            if (name.rfind(prefix, 0) != 0 || !name.ends_with(".tmp")) continue;
            const int pid = std::atoi(name.c_str() + prefix.size());
            if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
                std::error_code ignored;
                fs::remove_all(entry.path(), ignored);
            }
        }
    }

    const bool test_db_;
    std::mutex mutex_;
    fs::path data_;
    std::string error_;
};

TemplateDatadir& template_datadir(bool test_db) {
    static TemplateDatadir without(false);
    static TemplateDatadir with(true);
    return test_db ? with : without;
}

testing::AssertionResult write_file(const fs::path& path, const std::string& text, ::mode_t mode) {
    {
        std::ofstream out(path, std::ios::trunc);
        out << text;
        if (!out) return testing::AssertionFailure() << "cannot write " << path;
    }
    if (::chmod(path.c_str(), mode) != 0)
        return testing::AssertionFailure() << "cannot chmod " << path;
    return testing::AssertionSuccess();
}

}  // namespace

std::string_view lab_monitor_password() { return monitor_password; }

std::optional<std::string> mariadb_skip_reason() {
    for (const char* tool : {mariadbd_bin, install_db_bin, client_bin}) {
        if (::access(tool, X_OK) != 0) return fmt::format("{} is not installed", tool);
    }
    return std::nullopt;
}

MariadbServer::MariadbServer(Lab& lab, std::string node, std::string address, int server_id)
    : lab_(lab), node_(std::move(node)), address_(std::move(address)), server_id_(server_id) {
    dir_ = lab_.dir() / fmt::format("mariadb-{}", node_);
    datadir_ = dir_ / "data";
    // A unix socket path is limited to 107 bytes; the lab directory is named after the test.
    socket_ = fs::path("/tmp") / fmt::format("{}mariadb-{}.sock", lab_.prefix(), node_);
    config_ = dir_ / "my.cnf";
    monitor_cnf_ = dir_ / "chk.cnf";
    error_log_ = dir_ / "error.log";
}

MariadbServer::~MariadbServer() {
    std::error_code ec;
    fs::remove(socket_, ec);
    fs::remove(socket_.string() + ".lock", ec);
}

testing::AssertionResult MariadbServer::prepare() {
    auto made = template_datadir(test_db_).get();
    if (auto* error = std::get_if<std::string>(&made)) return testing::AssertionFailure() << *error;
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) return testing::AssertionFailure() << "cannot create " << dir_ << ": " << ec.message();
    auto copied = run_command({"cp", "-a", std::get<fs::path>(made).string(), datadir_.string()});
    if (!copied.ok()) return succeeded({"cp", "-a"}, copied);
    std::error_code tmp_ec;
    fs::create_directories(dir_ / "tmp", tmp_ec);
    if (tmp_ec)
        return testing::AssertionFailure()
               << "cannot make " << (dir_ / "tmp") << ": " << tmp_ec.message();

    // shared/reference/mysql-health.md, "Setup the generator/bootstrapper should produce";
    // slave_net_timeout at its low end so a hung peer is noticed within the tests' budget.
    std::string cnf = fmt::format(
        "[mariadbd]\n"
        "user = root\n"
        "datadir = {datadir}\n"
        "socket = {socket}\n"
        "pid-file = {dir}/mysqld.pid\n"
        "tmpdir = {dir}/tmp\n"
        "log_error = {error_log}\n"
        "bind-address = {address}\n"
        "port = 3306\n"
        "server_id = {id}\n"
        "log_bin = {datadir}/binlog\n"
        "relay_log = {datadir}/relay\n"
        "binlog_format = ROW\n"
        "binlog_row_image = FULL\n"
        "log_slave_updates = ON\n"
        "gtid_domain_id = 0\n"
        "gtid_strict_mode = ON\n"
        "auto_increment_increment = 2\n"
        "auto_increment_offset = {id}\n"
        "read_only = ON\n"
        "slave_net_timeout = 4\n"
        "binlog_expire_logs_seconds = 86400\n"
        "sync_binlog = 1\n"
        "innodb_flush_log_at_trx_commit = 1\n"
        "relay_log_recovery = ON\n"
        "skip_name_resolve = ON\n"
        "max_connect_errors = 1000000\n"
        "innodb_log_file_size = 8M\n"
        "innodb_buffer_pool_size = 32M\n"
        "performance_schema = OFF\n",
        fmt::arg("datadir", datadir_.string()), fmt::arg("socket", socket_.string()),
        fmt::arg("dir", dir_.string()), fmt::arg("error_log", error_log_.string()),
        fmt::arg("address", address_), fmt::arg("id", server_id_));
    if (!include_.empty()) cnf += fmt::format("!include {}\n", include_.string());
    if (auto written = write_file(config_, cnf, 0644); !written) return written;
    // The check refuses an option file others may read: it holds a password.
    return write_file(monitor_cnf_,
                      fmt::format("[client]\nuser = chk\npassword = {}\n", monitor_password), 0600);
}

testing::AssertionResult MariadbServer::start(std::chrono::milliseconds timeout) {
    if (running()) return testing::AssertionFailure() << "mariadbd on " << node_ << " runs";
    if (starts_ == 0) {
        if (auto prepared = prepare(); !prepared) return prepared;
    }
    ++starts_;
    std::error_code ec;
    fs::remove(socket_, ec);
    process_ = &lab_.start(node_, fmt::format("{}-mariadbd-{}", node_, starts_),
                           {mariadbd_bin, fmt::format("--defaults-file={}", config_.string())});
    if (auto ready = wait_ready(timeout); !ready) return ready;
    if (accounts_created_ || !lab_accounts_) return testing::AssertionSuccess();
    // Not logged (sql_log_bin=0) on both servers, so neither has a GTID the other lacks.
    // chk gets what shared/reference/mysql-health.md lists for the acting account.
    auto created = exec(fmt::format(
        "SET sql_log_bin=0;"
        "CREATE USER 'chk'@'localhost' IDENTIFIED BY '{chk}';"
        "GRANT SLAVE MONITOR, BINLOG MONITOR, PROCESS, CONNECTION ADMIN, READ_ONLY ADMIN,"
        " REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN"
        " ON *.* TO 'chk'@'localhost';"
        // Terms (checks/term.hpp) and the write probe (havip.probe), as `havip generate`
        // grants them.
        "GRANT SELECT, INSERT, UPDATE, CREATE ON havip.* TO 'chk'@'localhost';"
        // The new master's fence logs in here from the lab network (as `havip generate` sets
        // it up: the peer's address, only what the fence does).
        "CREATE USER 'chk'@'10.77.0.%' IDENTIFIED BY '{chk}';"
        "GRANT READ_ONLY ADMIN, SLAVE MONITOR ON *.* TO 'chk'@'10.77.0.%';"
        "GRANT SELECT ON havip.* TO 'chk'@'10.77.0.%';"
        "CREATE USER 'repl'@'10.77.0.%' IDENTIFIED BY '{repl}';"
        "GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.77.0.%';"
        "CREATE DATABASE lab; CREATE TABLE lab.t (id INT AUTO_INCREMENT PRIMARY KEY,"
        " node VARCHAR(16), at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;",
        fmt::arg("chk", monitor_password), fmt::arg("repl", repl_password)));
    if (!created) return created;
    accounts_created_ = true;
    return testing::AssertionSuccess();
}

testing::AssertionResult MariadbServer::wait_ready(std::chrono::milliseconds timeout) {
    auto ready = wait_until(
        [&] {
            if (!process_->running()) return true;  // reported below
            return sql("SELECT 1", 2s).ok();
        },
        timeout, 100ms);
    if (!process_->running()) {
        return testing::AssertionFailure()
               << "mariadbd on " << node_ << " exited: " << process_->log_tail(10)
               << "\nerror log: " << error_log_;
    }
    if (!ready)
        return testing::AssertionFailure() << "mariadbd on " << node_ << " not ready after "
                                           << timeout.count() << " ms; see " << error_log_;
    return testing::AssertionSuccess();
}

CommandResult MariadbServer::sql(std::string_view statements,
                                 std::chrono::milliseconds timeout) const {
    return run_command(
        {client_bin, "--no-defaults", "--protocol=socket",
         fmt::format("--socket={}", socket_.string()), "-uroot", "--batch", "--skip-column-names",
         "--connect-timeout=2", "-e", std::string(statements)},
        timeout);
}

testing::AssertionResult MariadbServer::exec(std::string_view statements) const {
    auto result = sql(statements);
    if (result.ok()) return testing::AssertionSuccess();
    return testing::AssertionFailure()
           << "SQL on " << node_ << " failed (" << result.exit_code
           << (result.timed_out ? ", timed out" : "") << "): " << statements << ": " << result.err;
}

std::optional<std::string> MariadbServer::value(std::string_view query) const {
    auto result = sql(query, 5s);
    if (!result.ok()) return std::nullopt;
    auto line = result.out.substr(0, result.out.find('\n'));
    if (result.out.empty()) return std::nullopt;
    return line.substr(0, line.find('\t'));
}

std::optional<std::string> MariadbServer::slave_status(std::string_view column) const {
    // --vertical prints "   Column: value" lines.
    auto result = run_command({client_bin, "--no-defaults", "--protocol=socket",
                               fmt::format("--socket={}", socket_.string()), "-uroot", "--vertical",
                               "--connect-timeout=2", "-e", "SHOW SLAVE STATUS"},
                              5s);
    if (!result.ok()) return std::nullopt;
    const std::string key = fmt::format("{}: ", column);
    std::size_t at = 0;
    while (at < result.out.size()) {
        auto end = result.out.find('\n', at);
        if (end == std::string::npos) end = result.out.size();
        std::string line = result.out.substr(at, end - at);
        auto start = line.find_first_not_of(' ');
        if (start != std::string::npos && line.compare(start, key.size(), key) == 0)
            return line.substr(start + key.size());
        at = end + 1;
    }
    return std::nullopt;
}

std::optional<bool> MariadbServer::read_only() const {
    auto v = value("SELECT @@global.read_only");
    if (!v) return std::nullopt;
    return *v == "1";
}

bool MariadbServer::running() const {
    return process_ != nullptr && process_->running();
}

testing::AssertionResult MariadbServer::kill() {
    if (!running()) return testing::AssertionFailure() << "mariadbd on " << node_ << " not running";
    process_->signal_group(SIGKILL);
    if (!process_->wait_exit(5s))
        return testing::AssertionFailure() << "mariadbd on " << node_ << " survived SIGKILL";
    return testing::AssertionSuccess();
}

testing::AssertionResult MariadbServer::freeze() {
    if (!running() || !process_->signal_group(SIGSTOP))
        return testing::AssertionFailure() << "cannot SIGSTOP mariadbd on " << node_;
    return testing::AssertionSuccess();
}

testing::AssertionResult MariadbServer::thaw() {
    if (!running() || !process_->signal_group(SIGCONT))
        return testing::AssertionFailure() << "cannot SIGCONT mariadbd on " << node_;
    return testing::AssertionSuccess();
}

testing::AssertionResult MariadbServer::stop() {
    if (!running()) return testing::AssertionFailure() << "mariadbd on " << node_ << " not running";
    process_->signal_group(SIGCONT);  // a frozen server cannot act on TERM
    auto status = process_->stop(20s);
    if (!status) return testing::AssertionFailure() << "mariadbd on " << node_ << " did not stop";
    return testing::AssertionSuccess();
}

std::string MariadbServer::check_block(const CheckSpec& spec) const {
    std::string out = fmt::format("mysql_check {} {{\n", spec.name);
    out += fmt::format("    socket {}\n", socket_.string());
    out += fmt::format("    option_file {}\n", monitor_cnf_.string());
    out += fmt::format("    interval {}\n", seconds_text(spec.interval));
    out += fmt::format("    timeout {}\n", seconds_text(spec.timeout));
    out +=
        fmt::format("    fall {}\n    rise {}\n    weight {}\n", spec.fall, spec.rise, spec.weight);
    if (spec.max_lag) {
        out += fmt::format("    max_lag {}\n    lag_weight {}\n", seconds_text(*spec.max_lag),
                           spec.lag_weight);
    }
    if (spec.manage_read_only) out += "    manage_read_only on\n";
    out += "}";
    return out;
}

namespace {

testing::AssertionResult point_at(MariadbServer& replica, const MariadbServer& source,
                                  std::string_view use_gtid) {
    return replica.exec(
        fmt::format("CHANGE MASTER TO MASTER_HOST='{}', MASTER_PORT=3306, MASTER_USER='repl',"
                    " MASTER_PASSWORD='{}', MASTER_USE_GTID={}, MASTER_CONNECT_RETRY=1,"
                    " MASTER_HEARTBEAT_PERIOD=0.5;"
                    " START SLAVE;",
                    source.address(), repl_password, use_gtid));
}

testing::AssertionResult wait_threads(const MariadbServer& replica,
                                      std::chrono::milliseconds timeout) {
    auto ok = wait_until(
        [&] {
            return replica.slave_status("Slave_IO_Running") == "Yes" &&
                   replica.slave_status("Slave_SQL_Running") == "Yes";
        },
        timeout, 100ms);
    if (ok) return testing::AssertionSuccess();
    return testing::AssertionFailure()
           << "replication on " << replica.node()
           << " not running: IO=" << replica.slave_status("Slave_IO_Running").value_or("?")
           << " SQL=" << replica.slave_status("Slave_SQL_Running").value_or("?")
           << " Last_IO_Error=" << replica.slave_status("Last_IO_Error").value_or("?")
           << " Last_SQL_Error=" << replica.slave_status("Last_SQL_Error").value_or("?");
}

}  // namespace

testing::AssertionResult wait_caught_up(const MariadbServer& from, const MariadbServer& to,
                                        std::chrono::milliseconds timeout) {
    auto pos = from.value("SELECT @@gtid_binlog_pos");
    if (!pos) return testing::AssertionFailure() << from.node() << " does not answer";
    if (pos->empty()) return testing::AssertionSuccess();
    std::optional<std::string> answer;
    auto ok = wait_until(
        [&] {
            answer = to.value(fmt::format("SELECT MASTER_GTID_WAIT('{}', 0.5)", *pos));
            return answer == "0";
        },
        timeout, 50ms);
    if (ok) return testing::AssertionSuccess();
    return testing::AssertionFailure()
           << to.node() << " did not apply " << *pos << " from " << from.node() << " (last answer "
           << answer.value_or("none") << ")";
}

testing::AssertionResult setup_master_master(MariadbServer& a, MariadbServer& b,
                                             std::chrono::milliseconds timeout) {
    if (auto r = point_at(b, a, "slave_pos"); !r) return r;
    if (auto r = wait_threads(b, timeout); !r) return r;
    if (auto r = point_at(a, b, "current_pos"); !r) return r;
    if (auto r = wait_threads(a, timeout); !r) return r;
    // Root writes through read_only (it has READ_ONLY ADMIN); one row from each side proves
    // both directions.
    if (auto r = a.exec("INSERT INTO lab.t (node) VALUES ('a-setup')"); !r) return r;
    if (auto r = wait_caught_up(a, b, timeout); !r) return r;
    if (auto r = b.exec("INSERT INTO lab.t (node) VALUES ('b-setup')"); !r) return r;
    if (auto r = wait_caught_up(b, a, timeout); !r) return r;
    return wait_caught_up(a, b, timeout);
}

}  // namespace havip::test
