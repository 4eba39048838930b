// The executor half of havip/bootstrap.hpp: reads the inventory and secrets, asks both servers
// over TCP for the facts the planner needs, runs the planned steps (SQL on one connection per
// node, the seed through mariadb-dump and mariadb under a timeout) and verifies the result.
#include <arpa/inet.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <sstream>
#include <thread>
#include <tuple>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>

#include "checks/child_process.hpp"
#include "checks/mysql_client.hpp"
#include "checks/mysql_reply.hpp"
#include "havip/bootstrap.hpp"
#include "havip/bootstrap_run.hpp"

namespace havip::cli {
namespace boot {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::optional<std::chrono::seconds> whole_seconds(const std::string& text) {
    long value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || p != text.data() + text.size() || value <= 0) return std::nullopt;
    return std::chrono::seconds(value);
}

std::optional<std::string> read_secret(const fs::path& path, std::string& error) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        error = fmt::format("{}: cannot read the password file", path.string());
        return std::nullopt;
    }
    if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
        error = fmt::format("{}: mode {:o} lets others read it; chmod 600", path.string(),
                            st.st_mode & 0777);
        return std::nullopt;
    }
    std::ifstream in(path);
    std::string password;
    std::getline(in, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
    if (password.empty()) {
        error = fmt::format("{}: empty password file", path.string());
        return std::nullopt;
    }
    return password;
}

std::string first(const std::vector<checks::ReplicaRow>& rows, const std::string& column) {
    if (rows.empty()) return "";
    auto it = rows.front().find(column);
    return it != rows.front().end() && it->second ? *it->second : "";
}

namespace {

// The row's column; nullopt when absent or NULL.
std::optional<std::string> column(const checks::ReplicaRow& row, const char* name) {
    auto it = row.find(name);
    return it != row.end() ? it->second : std::nullopt;
}

std::string shown(const std::optional<std::string>& value) {
    return value ? fmt::format("'{}'", *value) : "NULL";
}

}  // namespace

std::optional<std::string> read_server_variables(const std::vector<checks::ReplicaRow>& rows,
                                                 const NodeTarget& node, ServerFacts& f) {
    const checks::ReplicaRow none;
    const checks::ReplicaRow& row = rows.empty() ? none : rows.front();
    // A server_id that is no number is not 0, which the planner would compare with its peer's.
    for (auto [name, variable, out] :
         {std::tuple{"server_id", "@@server_id", &f.server_id},
          std::tuple{"domain", "@@gtid_domain_id", &f.gtid_domain_id}}) {
        const auto text = column(row, name);
        const auto value = text ? checks::whole_number<std::uint32_t>(*text) : std::nullopt;
        if (!value)
            return fmt::format("{}: preflight: {} is {}, not a number from 0 to 4294967295",
                               node.label(), variable, shown(text));
        *out = *value;
    }
    f.version = first(rows, "version");
    f.read_only = first(rows, "ro") == "1";
    f.log_bin = first(rows, "log_bin") == "1";
    f.gtid_strict_mode = first(rows, "strict") == "1";
    f.log_slave_updates = first(rows, "lsu") == "1";
    f.binlog_format = first(rows, "format");
    f.binlog_row_image = first(rows, "image");
    f.gtid_binlog_pos = first(rows, "binlog");
    f.gtid_slave_pos = first(rows, "slave");
    f.gtid_current_pos = first(rows, "cur");
    f.gtid_binlog_state = first(rows, "state");
    return std::nullopt;
}

std::optional<std::string> read_schemas(const std::vector<checks::ReplicaRow>& rows,
                                        const NodeTarget& node, ServerFacts& f) {
    for (const auto& row : rows) {
        const auto name = column(row, "name");
        if (!name) continue;
        SchemaFacts schema{.name = *name};
        // A count that is no number is not 0: a schema read as empty is dropped before a seed.
        for (auto [counted, out] :
             {std::pair{"tables", &schema.tables}, std::pair{"routines", &schema.routines},
              std::pair{"triggers", &schema.triggers}, std::pair{"events", &schema.events}}) {
            const auto text = column(row, counted);
            const auto value = text ? checks::whole_number<std::uint64_t>(*text) : std::nullopt;
            if (!value)
                return fmt::format("{}: preflight: schema {}: {} is {}, not a whole number",
                                   node.label(), *name, counted, shown(text));
            *out = *value;
        }
        f.schemas.push_back(std::move(schema));
    }
    return std::nullopt;
}

constexpr const char* system_schemas =
    "('mysql', 'information_schema', 'performance_schema', 'sys')";

// The planner's view of one server; an error names the node.
std::variant<ServerFacts, std::string> gather(Node& node, const BootstrapSettings& settings) {
    if (auto e = node.connect()) return *e;
    ServerFacts f;
    std::string failure;
    auto ask = [&](const std::string& sql) -> std::optional<std::vector<checks::ReplicaRow>> {
        auto answer = node.query(sql, "preflight");
        if (auto* e = std::get_if<std::string>(&answer)) {
            failure = *e;
            return std::nullopt;
        }
        return std::move(std::get<std::vector<checks::ReplicaRow>>(answer));
    };
    {
        auto rows =
            ask("SELECT VERSION() AS version, @@server_id AS server_id, @@read_only AS ro, "
                "@@log_bin AS "
                "log_bin, @@gtid_strict_mode AS strict, @@log_slave_updates AS lsu, "
                "@@binlog_format AS format, @@binlog_row_image AS image, "
                "@@gtid_domain_id AS domain, "
                "@@gtid_binlog_pos AS binlog, @@gtid_slave_pos AS slave, "
                "@@gtid_current_pos AS cur, @@gtid_binlog_state AS state");
        if (!rows) return failure;
        if (auto e = read_server_variables(*rows, node.target(), f)) return *e;
    }
    {
        std::string names =
            sql_quote(settings.replication_user) + ", " + sql_quote(settings.monitor_user);
        auto rows =
            ask(fmt::format("SELECT User AS user, Host AS host, plugin, authentication_string AS "
                            "auth FROM mysql.user WHERE User IN ({})",
                            names));
        if (!rows) return failure;
        auto text = [](const checks::ReplicaRow& row, const char* name) {
            auto it = row.find(name);
            return it != row.end() && it->second ? *it->second : std::string();
        };
        for (const auto& row : *rows)
            f.users.push_back(
                {text(row, "user"), text(row, "host"), text(row, "plugin"), text(row, "auth"), {}});
        // GRANTEE reads 'user'@'host'.
        auto privileges =
            ask("SELECT GRANTEE AS grantee, PRIVILEGE_TYPE AS privilege FROM "
                "information_schema.USER_PRIVILEGES");
        if (!privileges) return failure;
        // On the `havip` schema (terms, checks/term.hpp): "havip:SELECT" ….
        auto on_schema =
            ask("SELECT GRANTEE AS grantee, PRIVILEGE_TYPE AS privilege FROM "
                "information_schema.SCHEMA_PRIVILEGES WHERE TABLE_SCHEMA = 'havip'");
        if (!on_schema) return failure;
        for (auto& account : f.users) {
            const std::string grantee = fmt::format("'{}'@'{}'", account.user, account.host);
            for (const auto& row : *privileges) {
                if (text(row, "grantee") == grantee)
                    account.privileges.push_back(text(row, "privilege"));
            }
            for (const auto& row : *on_schema) {
                if (text(row, "grantee") == grantee)
                    account.privileges.push_back("havip:" + text(row, "privilege"));
            }
        }
    }
    {
        auto rows = ask("SELECT User AS user, Host AS host FROM mysql.user ORDER BY 1, 2");
        if (!rows) return failure;
        for (const auto& row : *rows) {
            auto u = row.find("user");
            auto h = row.find("host");
            if (u != row.end() && h != row.end() && u->second && h->second)
                f.all_accounts.emplace_back(*u->second, *h->second);
        }
    }
    {
        auto rows = ask("SHOW ALL SLAVES STATUS");
        if (!rows) return failure;
        f.replicas = std::move(*rows);
    }
    {
        // Each schema and what it holds: one without any object is no data (the `test` schema
        // mariadb-install-db creates unless --skip-test-db).
        auto count = [](const char* table, const char* column) {
            return fmt::format(
                "(SELECT COUNT(*) FROM information_schema.{} x WHERE x.{} = "
                "s.SCHEMA_NAME)",
                table, column);
        };
        auto rows = ask(fmt::format(
            "SELECT s.SCHEMA_NAME AS name, {} AS tables, {} AS routines, {} AS triggers, {} AS "
            "events FROM information_schema.SCHEMATA s WHERE s.SCHEMA_NAME NOT IN {} ORDER BY 1",
            count("TABLES", "TABLE_SCHEMA"), count("ROUTINES", "ROUTINE_SCHEMA"),
            count("TRIGGERS", "TRIGGER_SCHEMA"), count("EVENTS", "EVENT_SCHEMA"), system_schemas));
        if (!rows) return failure;
        if (auto e = read_schemas(*rows, node.target(), f)) return *e;
    }
    {
        auto rows = ask("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%'");
        if (!rows) return failure;
        for (const auto& row : *rows) {
            auto n = row.find("Variable_name");
            auto v = row.find("Value");
            if (n != row.end() && v != row.end() && n->second && v->second)
                f.semi_sync[*n->second] = *v->second;
        }
    }
    {
        auto rows = ask("SELECT @@ssl_ca AS ca");
        if (!rows) return failure;
        f.ssl_ca = first(*rows, "ca");
    }
    return f;
}

// mariadb-dump of node 1 into `file`, then mariadb loading it into node 2 with the binary log
// off for that session (so the seed is not replicated back to node 1).
std::vector<std::string> dump_command(const Options& o, const NodeTarget& from,
                                      const fs::path& file) {
    return {"mariadb-dump",
            "--defaults-extra-file=" + o.admin_option_file,
            "--host=" + from.address,
            "--port=" + std::to_string(from.port),
            "--protocol=tcp",
            "--all-databases",
            "--single-transaction",
            "--master-data=1",
            "--gtid",
            "--routines",
            "--events",
            "--triggers",
            "--result-file=" + file.string()};
}

std::vector<std::string> load_command(const Options& o, const NodeTarget& into,
                                      const fs::path& file) {
    return {"mariadb",
            "--defaults-extra-file=" + o.admin_option_file,
            "--host=" + into.address,
            "--port=" + std::to_string(into.port),
            "--protocol=tcp",
            "--init-command=SET SESSION sql_log_bin=0",
            "--batch",
            "--execute=SOURCE " + file.string()};
}

std::string shell_words(const std::vector<std::string>& argv) {
    std::string out;
    for (const auto& word : argv) {
        if (!out.empty()) out += ' ';
        if (word.find_first_of(" '\"$") == std::string::npos) {
            out += word;
        } else {
            out += '\'';
            for (char c : word)
                out += c == '\'' ? std::string("'\\''") : std::string(1, c);
            out += '\'';
        }
    }
    return out;
}

// Runs argv with a timeout, its stderr kept in `errors` (ChildProcess sends it to /dev/null, so
// a shell redirects it first). Returns an error text or nullopt.
std::optional<std::string> run_child(const std::vector<std::string>& argv,
                                     std::chrono::seconds timeout, const fs::path& errors) {
    checks::Command command;
    command.argv = {"/bin/sh", "-c", "f=$1; shift; exec \"$@\" 2>\"$f\"", "sh", errors.string()};
    command.argv.insert(command.argv.end(), argv.begin(), argv.end());
    boost::asio::io_context io;
    checks::RunResult result;
    auto child = checks::ChildProcess::start(io, command, timeout,
                                             [&](const checks::RunResult& r) { result = r; });
    io.run();
    if (result.success()) return std::nullopt;
    std::ifstream in(errors);
    std::stringstream text;
    text << in.rdbuf();
    std::string tail = text.str();
    if (tail.size() > 2000) tail = "…" + tail.substr(tail.size() - 2000);
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == ' '))
        tail.pop_back();
    return fmt::format("{} {}{}{}", argv.front(), result.describe(), tail.empty() ? "" : ": ",
                       tail);
}

class Executor {
  public:
    Executor(const Options& o, const BootstrapSettings& s, Node& n1, Node& n2,
             const ServerFacts& f1, std::ostream& out)
        : o_(o), s_(s), nodes_{&n1, &n2}, facts_{&f1, nullptr}, out_(out) {}

    std::optional<std::string> run(const Step& step, std::size_t index) {
        Node& node = *nodes_[step.node];
        const std::string what = fmt::format("step {}", index);
        switch (step.kind) {
            case StepKind::sql:
                for (std::size_t i = 0; i < step.statements.size(); ++i) {
                    auto r = node.query(step.statements[i], what, step.shown[i]);
                    if (auto* e = std::get_if<std::string>(&r)) return *e;
                }
                return std::nullopt;
            case StepKind::seed:
                return seed(index);
            case StepKind::wait_replica:
                return wait_replica(step.node, what);
            case StepKind::mark:
                return mark(step, what);
            case StepKind::await_mark:
                return await_mark(step.node, what);
            case StepKind::peer_position:
                return peer_position(step.node, what);
        }
        return std::nullopt;
    }

    // Both channels running and each node holding everything the other logged.
    std::optional<std::string> verify_threads(const std::string& step) {
        for (int n : {1, 0}) {
            if (auto e = wait_replica(n, step)) return e;
        }
        return semi_sync_status(step);
    }

  private:
    // The verify row, on the node that holds writes only; its GTID (@@last_gtid of this
    // session) is what the peer waits for.
    std::optional<std::string> mark(const Step& step, const std::string& what) {
        Node& writer = *nodes_[step.node];
        for (std::size_t i = 0; i < step.statements.size(); ++i) {
            auto r = writer.query(step.statements[i], what, step.shown[i]);
            if (auto* e = std::get_if<std::string>(&r)) return *e;
        }
        auto r = writer.query(fmt::format("SELECT @@last_gtid AS gtid, (SELECT verified_at FROM "
                                          "havip.bootstrap_check WHERE node={}) AS at",
                                          sql_quote(writer.target().name)),
                              what);
        if (auto* e = std::get_if<std::string>(&r)) return *e;
        const auto& rows = std::get<std::vector<checks::ReplicaRow>>(r);
        mark_gtid_ = first(rows, "gtid");
        mark_at_ = first(rows, "at");
        mark_node_ = writer.target().name;
        if (mark_gtid_.empty() || mark_at_.empty())
            return fmt::format("{}: {}: the verify row got no GTID ('{}') or no time ('{}')",
                               writer.target().label(), what, mark_gtid_, mark_at_);
        return std::nullopt;
    }

    // Node n applies the verify row through replication, within the wait timeout, and holds it
    // as written. Nothing is written on n.
    std::optional<std::string> await_mark(int n, const std::string& what) {
        Node& replica = *nodes_[n];
        if (mark_gtid_.empty())
            return fmt::format("{}: {}: no verify row was written", replica.target().label(), what);
        const auto deadline = std::chrono::steady_clock::now() + o_.wait_timeout;
        for (;;) {
            // One second at a time, so a stopped channel is reported at once.
            auto r = replica.query(
                fmt::format("SELECT MASTER_GTID_WAIT({}, 1) AS r", sql_quote(mark_gtid_)), what);
            if (auto* e = std::get_if<std::string>(&r)) return *e;
            if (first(std::get<std::vector<checks::ReplicaRow>>(r), "r") == "0") break;
            std::string error;
            auto row = channel(n, error, what);
            if (!error.empty()) return error;
            auto col = [&](const char* name) {
                auto it = row ? row->find(name) : checks::ReplicaRow::const_iterator{};
                return row && it != row->end() && it->second ? *it->second : std::string();
            };
            if (row && col("Slave_SQL_Running") == "No" && !col("Last_SQL_Error").empty())
                return fmt::format(
                    "{}: {}: replication from {} stopped before the verify row "
                    "{} arrived: {}",
                    replica.target().label(), what, mark_node_, mark_gtid_, col("Last_SQL_Error"));
            if (std::chrono::steady_clock::now() >= deadline)
                return fmt::format("{}: {}: the verify row {} from {} not applied after {} s",
                                   replica.target().label(), what, mark_gtid_, mark_node_,
                                   o_.wait_timeout.count());
        }
        auto seen = replica.query(
            fmt::format("SELECT verified_at AS at FROM havip.bootstrap_check WHERE node={}",
                        sql_quote(mark_node_)),
            what);
        if (auto* e = std::get_if<std::string>(&seen)) return *e;
        const std::string there = first(std::get<std::vector<checks::ReplicaRow>>(seen), "at");
        if (there != mark_at_) {
            return fmt::format("{}: {}: the row {} wrote at {} arrived as '{}'",
                               replica.target().label(), what, mark_node_, mark_at_, there);
        }
        return std::nullopt;
    }

    // Node n's gtid_slave_pos := its peer's @@gtid_binlog_pos now, which holds the verify row
    // (await_mark ran): GTIDs in the peer's binary log, which it accepts as a start.
    // Node n's own binary log is ahead of that position (it takes the writes), which
    // gtid_strict_mode refuses (1947) and otherwise only warns about: strict mode is off for
    // that one statement, in one server-side block that turns it back on whatever happens (no
    // inbound channel runs on n meanwhile; its clients' commits get their GTIDs as always).
    std::optional<std::string> peer_position(int n, const std::string& what) {
        auto r = nodes_[1 - n]->query("SELECT @@gtid_binlog_pos AS pos", what);
        if (auto* e = std::get_if<std::string>(&r)) return *e;
        const auto pos = first(std::get<std::vector<checks::ReplicaRow>>(r), "pos");
        if (mark_gtid_.empty() || !gtid_contains(pos, mark_gtid_))
            return fmt::format(
                "{}: {}: {}'s binlog position '{}' does not hold the verify row "
                "'{}'",
                nodes_[n]->target().label(), what, nodes_[1 - n]->target().name, pos, mark_gtid_);
        auto set = nodes_[n]->query(
            fmt::format("BEGIN NOT ATOMIC DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SET GLOBAL "
                        "gtid_strict_mode=1; RESIGNAL; END; SET GLOBAL gtid_strict_mode=0; SET "
                        "GLOBAL gtid_slave_pos={}; SET GLOBAL gtid_strict_mode=1; END",
                        sql_quote(pos)),
            what);
        if (auto* e = std::get_if<std::string>(&set)) return *e;
        out_ << fmt::format("    -- {}'s position was '{}'\n", nodes_[1 - n]->target().name, pos);
        return std::nullopt;
    }

    std::optional<std::string> seed(std::size_t index) {
        const NodeTarget& from = s_.nodes[0];
        const NodeTarget& into = s_.nodes[1];
        const std::string what = fmt::format("step {} (seed)", index);
        std::string pattern = (fs::temp_directory_path() / "havip-bootstrap-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr)
            return fmt::format("{}: {}: cannot create {}", into.label(), what, pattern);
        const fs::path dir = pattern;  // mode 0700: the dump holds the grant tables
        struct Remove {
            fs::path dir;
            ~Remove() {
                std::error_code ec;
                fs::remove_all(dir, ec);
            }
        } remove{dir};
        const fs::path file = dir / "seed.sql";
        // What node 1 had committed before the dump: the binary log position of a consistent
        // snapshot, as GTIDs. Not @@gtid_binlog_pos: under semi-sync AFTER_SYNC a transaction is
        // logged before it commits and waits there for a replica's acknowledgement, which the
        // node being seeded cannot give, so it is in the binary log but in no dump; node 2's
        // channel fetches it from the binary log once it runs.
        std::string before;
        if (auto e = committed_position(*nodes_[0], what, before)) return e;
        if (auto e = run_child(dump_command(o_, from, file), o_.seed_timeout, dir / "dump.err"))
            return fmt::format("{}: {}: {}", from.label(), what, *e);
        if (auto e = run_child(load_command(o_, into, file), o_.seed_timeout, dir / "load.err"))
            return fmt::format("{}: {}: {}", into.label(), what, *e);
        // --master-data=1 --gtid put SET GLOBAL gtid_slave_pos at the dump's position; it must
        // hold everything node 1 had committed before the dump started.
        auto pos = nodes_[1]->query("SELECT @@gtid_slave_pos AS pos", what);
        if (auto* e = std::get_if<std::string>(&pos)) return *e;
        const std::string slave_pos = first(std::get<std::vector<checks::ReplicaRow>>(pos), "pos");
        if (!gtid_contains(slave_pos, before)) {
            return fmt::format(
                "{}: {}: gtid_slave_pos is '{}' after the load, not at least what {} had "
                "committed before the dump, '{}'",
                into.label(), what, slave_pos, from.name, before);
        }
        return std::nullopt;
    }

    // BINLOG_GTID_POS of binlog_snapshot_file/position inside a consistent snapshot: the
    // transactions committed (visible to a dump), in binary log order.
    // An error, or the position in `gtids`.
    static std::optional<std::string> committed_position(Node& node, const std::string& what,
                                                         std::string& gtids) {
        auto begun = node.query("START TRANSACTION WITH CONSISTENT SNAPSHOT", what);
        if (auto* e = std::get_if<std::string>(&begun)) return *e;
        std::string file;
        std::string position;
        auto status = node.query("SHOW SESSION STATUS LIKE 'binlog_snapshot_%'", what);
        if (auto* rows = std::get_if<std::vector<checks::ReplicaRow>>(&status)) {
            for (const auto& row : *rows) {
                const auto name = row.find("Variable_name");
                const auto value = row.find("Value");
                if (name == row.end() || value == row.end() || !name->second || !value->second)
                    continue;
                if (*name->second == "Binlog_snapshot_file") file = *value->second;
                if (*name->second == "Binlog_snapshot_position") position = *value->second;
            }
        }
        // A number from the server; anything else is not put into the statement.
        if (position.find_first_not_of("0123456789") != std::string::npos) position.clear();
        std::optional<std::string> error;
        if (auto* e = std::get_if<std::string>(&status)) error = *e;
        if (!error && !file.empty() && !position.empty()) {
            auto r = node.query(
                fmt::format("SELECT BINLOG_GTID_POS({}, {}) AS pos", sql_quote(file), position),
                what);
            if (auto* e = std::get_if<std::string>(&r))
                error = *e;
            else
                gtids = first(std::get<std::vector<checks::ReplicaRow>>(r), "pos");
        }
        (void)node.query("COMMIT", what);
        if (error) return error;
        if (file.empty() || position.empty())
            return fmt::format(
                "{}: {}: no binary log snapshot position (binlog_snapshot_file "
                "'{}', binlog_snapshot_position '{}')",
                node.target().label(), what, file, position);
        return std::nullopt;
    }

    std::optional<checks::ReplicaRow> channel(int n, std::string& error, const std::string& step) {
        auto rows = nodes_[n]->query("SHOW ALL SLAVES STATUS", step);
        if (auto* e = std::get_if<std::string>(&rows)) {
            error = *e;
            return std::nullopt;
        }
        for (auto& row : std::get<std::vector<checks::ReplicaRow>>(rows)) {
            auto it = row.find("Connection_name");
            if ((it != row.end() && it->second ? *it->second : "") == s_.connection_name)
                return row;
        }
        return std::nullopt;
    }

    // Node n's inbound channel runs (IO and SQL Yes) and n has applied everything its peer has
    // logged (the peer's gtid_binlog_pos is in n's gtid_current_pos), within the wait timeout.
    std::optional<std::string> wait_replica(int n, const std::string& step) {
        Node& replica = *nodes_[n];
        Node& source = *nodes_[1 - n];
        const auto deadline = std::chrono::steady_clock::now() + o_.wait_timeout;
        // What the source had logged when the wait began: a source taking writes keeps moving,
        // and a replica a few transactions behind a moving target would never be "caught up".
        auto src = source.query("SELECT @@gtid_binlog_pos AS pos", step);
        if (auto* e = std::get_if<std::string>(&src)) return *e;
        const auto want = first(std::get<std::vector<checks::ReplicaRow>>(src), "pos");
        std::string last;
        auto col = [](const checks::ReplicaRow& row, const char* name) {
            auto it = row.find(name);
            return it != row.end() && it->second ? *it->second : std::string();
        };
        for (;;) {
            std::string error;
            auto row = channel(n, error, step);
            if (!error.empty()) return error;
            if (!row)
                return fmt::format("{}: {}: no replication connection", replica.target().label(),
                                   step);
            const auto io = col(*row, "Slave_IO_Running");
            const auto sql = col(*row, "Slave_SQL_Running");
            last = fmt::format("IO={} SQL={} Last_IO_Error='{}' Last_SQL_Error='{}'", io, sql,
                               col(*row, "Last_IO_Error"), col(*row, "Last_SQL_Error"));
            if (sql == "No" && !col(*row, "Last_SQL_Error").empty())
                return fmt::format("{}: {}: replication from {} stopped: {}",
                                   replica.target().label(), step, source.target().name, last);
            if (io == "Yes" && sql == "Yes") {
                auto dst = replica.query("SELECT @@gtid_current_pos AS pos", step);
                if (auto* e = std::get_if<std::string>(&dst)) return *e;
                const auto have = first(std::get<std::vector<checks::ReplicaRow>>(dst), "pos");
                if (gtid_contains(have, want)) return std::nullopt;
                last += fmt::format(", has '{}' of {}'s '{}'", have, source.target().name, want);
            }
            if (std::chrono::steady_clock::now() >= deadline) break;
            std::this_thread::sleep_for(200ms);
        }
        return fmt::format("{}: {}: replication from {} not running and caught up after {} s: {}",
                           replica.target().label(), step, source.target().name,
                           o_.wait_timeout.count(), last);
    }

    // Both nodes acknowledge as semi-sync slaves. The master side is not checked: it is on only
    // where the VIP is, and whoever moves the VIP switches it (PromoteSettings::semi_sync_master).
    std::optional<std::string> semi_sync_status(const std::string& step) {
        if (s_.replication != ReplicationMode::semi_sync) return std::nullopt;
        for (Node* node : nodes_) {
            auto rows =
                node->query("SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_slave_enabled'", step);
            if (auto* e = std::get_if<std::string>(&rows)) return *e;
            const auto value = first(std::get<std::vector<checks::ReplicaRow>>(rows), "Value");
            if (value != "ON")
                return fmt::format("{}: {}: rpl_semi_sync_slave_enabled is {}",
                                   node->target().label(), step, value.empty() ? "absent" : value);
        }
        return std::nullopt;
    }

    const Options& o_;
    const BootstrapSettings& s_;
    Node* nodes_[2];
    const ServerFacts* facts_[2];
    std::ostream& out_;
    std::string mark_gtid_;  // the verify row's GTID, its time and the node that wrote it
    std::string mark_at_;
    std::string mark_node_;
};

std::string address_text(const in_addr& address) {
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &address, text, sizeof text);
    return text;
}

void print_step(std::ostream& out, const Options& o, const BootstrapSettings& s, const Step& step,
                std::size_t index) {
    const NodeTarget& node = s.nodes[step.node];
    out << fmt::format("step {} on {}: {}\n", index, node.label(), step.reason);
    switch (step.kind) {
        case StepKind::sql:
            for (const auto& statement : step.shown)
                out << "    " << statement << ";\n";
            break;
        case StepKind::seed: {
            const fs::path file = fs::temp_directory_path() / "havip-bootstrap-XXXXXX/seed.sql";
            out << "    " << shell_words(dump_command(o, s.nodes[0], file)) << "\n";
            out << "    " << shell_words(load_command(o, s.nodes[1], file)) << "\n";
            break;
        }
        case StepKind::wait_replica:
            out << "    SHOW ALL SLAVES STATUS; SELECT @@gtid_current_pos;  -- until caught up\n";
            break;
        case StepKind::mark:
            for (const auto& statement : step.shown)
                out << "    " << statement << ";\n";
            out << "    SELECT @@last_gtid;  -- the row's GTID\n";
            break;
        case StepKind::await_mark:
            out << "    SELECT MASTER_GTID_WAIT(<the row's GTID>, 1);  -- until applied, then the "
                   "row is read back\n";
            break;
        case StepKind::peer_position:
            out << fmt::format(
                "    SET GLOBAL gtid_strict_mode=0; SET GLOBAL gtid_slave_pos=<{}'s "
                "@@gtid_binlog_pos, read then>; SET GLOBAL gtid_strict_mode=1;  -- one block\n",
                s.nodes[1 - step.node].name);
            break;
    }
}

std::optional<BootstrapSettings> settings_from_inventory(const Options& o, std::ostream& err,
                                                         const std::string& command) {
    auto loaded = load_inventory(o.inventory);
    if (auto* errors = std::get_if<InventoryErrors>(&loaded)) {
        for (const auto& m : errors->messages)
            err << m << "\n";
        return std::nullopt;
    }
    const Inventory& inventory = std::get<Inventory>(loaded);
    const Database& db = inventory.database;
    if (db.nodes.size() != 2) {
        err << fmt::format(
            "havip {}: {}: database.nodes has {} node(s); replication "
            "needs two\n",
            command, o.inventory.string(), db.nodes.size());
        return std::nullopt;
    }
    BootstrapSettings s;
    for (int n = 0; n < 2; ++n)
        s.nodes[n] = {db.nodes[n].name, address_text(db.nodes[n].address), db.port};
    s.replication = db.replication;
    s.semi_sync_timeout = db.semi_sync_timeout;
    s.replication_user = db.replication_user.name;
    s.monitor_user = db.monitor.name;
    const fs::path secrets = o.secrets ? *o.secrets : o.inventory.parent_path() / "secrets";
    for (auto [user, password] : {std::pair{&db.replication_user, &s.replication_password},
                                  std::pair{&db.monitor, &s.monitor_password}}) {
        const fs::path file =
            user->password_file ? *user->password_file : secrets / (user->name + ".password");
        std::string error;
        auto secret = read_secret(file, error);
        if (!secret) {
            err << "havip " << command << ": " << error << "\n";
            return std::nullopt;
        }
        *password = *secret;
    }
    if (db.vip.address.s_addr != 0) s.vip = address_text(db.vip.address);
    return s;
}

int execute_bootstrap(const Options& o, const BootstrapSettings& settings,
                      const checks::MysqlCredentials& admin, std::ostream& out, std::ostream& err) {
    BootstrapSettings s = settings;
    s.tls = admin.tls.on;
    s.tls_verify = admin.tls.on && admin.tls.verify_server_cert;
    Node node1(s.nodes[0], admin);
    Node node2(s.nodes[1], admin);
    std::vector<std::string> errors;
    ServerFacts facts[2];
    for (auto [node, f] : {std::pair{&node1, &facts[0]}, std::pair{&node2, &facts[1]}}) {
        auto gathered = gather(*node, s);
        if (auto* e = std::get_if<std::string>(&gathered)) {
            errors.push_back(*e);
        } else {
            *f = std::get<ServerFacts>(gathered);
        }
    }
    if (!errors.empty()) {
        for (const auto& e : errors)
            err << e << "\n";
        return exit_failed;
    }
    const Plan plan = plan_bootstrap(s, facts[0], facts[1]);
    if (!plan.errors.empty()) {
        for (const auto& e : plan.errors)
            err << e << "\n";
        return exit_failed;
    }
    Executor executor(o, s, node1, node2, facts[0], out);
    if (plan.already_done()) {
        if (o.dry_run) {
            out << "already set up: nothing to do (dry run)\n";
            return exit_done;
        }
        if (auto e = executor.verify_threads("verify")) {
            err << *e << "\n";
            return exit_failed;
        }
        out << fmt::format(
            "already set up: {} and {} replicate from each other; nothing "
            "changed\n",
            s.nodes[0].label(), s.nodes[1].label());
        return exit_done;
    }
    for (const auto& notice : plan.notices)
        out << "note: " << notice << "\n";
    for (std::size_t i = 0; i < plan.steps.size(); ++i) {
        print_step(out, o, s, plan.steps[i], i + 1);
        if (o.dry_run) continue;
        out.flush();
        if (auto e = executor.run(plan.steps[i], i + 1)) {
            err << *e << "\n";
            return exit_failed;
        }
    }
    if (o.dry_run) {
        out << "dry run: nothing was changed\n";
        return exit_done;
    }
    if (auto e = executor.verify_threads("verify")) {
        err << *e << "\n";
        return exit_failed;
    }
    out << fmt::format("done: {} and {} replicate from each other\n", s.nodes[0].label(),
                       s.nodes[1].label());
    return exit_done;
}

}  // namespace boot

using namespace boot;

std::string bootstrap_usage() {
    return "Usage: havip bootstrap INVENTORY --admin-option-file FILE [--secrets DIR] [--dry-run]\n"
           "                      [--seed-timeout SECONDS] [--wait-timeout SECONDS]\n"
           "Sets up GTID master-master replication between the inventory's two database nodes\n"
           "over TCP, as the admin account of FILE ([client] user=, password=; mode 0600).\n"
           "Passwords come from database.users.*.password_file, else DIR/<user>.password\n"
           "(DIR defaults to secrets/ next to the inventory, where `havip generate` puts them).\n"
           "A second run finds the work done and exits 0; --dry-run prints every statement.\n";
}

int run_bootstrap(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        auto value = [&]() -> std::optional<std::string> {
            if (i + 1 >= args.size()) return std::nullopt;
            return args[++i];
        };
        if (a == "-h" || a == "--help") {
            out << bootstrap_usage();
            return exit_done;
        } else if (a == "--dry-run") {
            o.dry_run = true;
        } else if (a == "--admin-option-file" || a == "--secrets" || a == "--seed-timeout" ||
                   a == "--wait-timeout") {
            auto v = value();
            if (!v) {
                err << "havip bootstrap: " << a << " needs a value\n" << bootstrap_usage();
                return exit_bad_usage;
            }
            if (a == "--admin-option-file") {
                o.admin_option_file = *v;
            } else if (a == "--secrets") {
                o.secrets = *v;
            } else {
                auto seconds = whole_seconds(*v);
                if (!seconds) {
                    err << "havip bootstrap: " << a << " takes whole seconds > 0\n";
                    return exit_bad_usage;
                }
                (a == "--seed-timeout" ? o.seed_timeout : o.wait_timeout) = *seconds;
            }
        } else if (!a.empty() && a[0] == '-') {
            err << "havip bootstrap: unknown option " << a << "\n" << bootstrap_usage();
            return exit_bad_usage;
        } else if (o.inventory.empty()) {
            o.inventory = a;
        } else {
            err << "havip bootstrap: one inventory only\n" << bootstrap_usage();
            return exit_bad_usage;
        }
    }
    if (o.inventory.empty() || o.admin_option_file.empty()) {
        err << bootstrap_usage();
        return exit_bad_usage;
    }
    // The tools read the option file by path: make it absolute in case they resolve otherwise.
    o.admin_option_file = fs::absolute(o.admin_option_file).string();

    auto settings = settings_from_inventory(o, err, "bootstrap");
    if (!settings) return exit_failed;
    auto admin = checks::read_option_file(o.admin_option_file);
    if (!admin.credentials) {
        err << "havip bootstrap: " << admin.error << "\n";
        return exit_failed;
    }
    checks::MysqlLibrary library;
    return execute_bootstrap(o, *settings, *admin.credentials, out, err);
}

}  // namespace havip::cli
