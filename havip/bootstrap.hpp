// `havip bootstrap`: GTID master-master replication between the inventory's two MariaDB nodes
// (shared/reference/mysql-health.md, "Setup the generator/bootstrapper should produce").
//
// Split in two: plan_bootstrap() is pure — what each server answered goes in, the ordered
// steps (SQL text, why) or the reasons to refuse come out — so every decision is unit-tested
// without a server; run_bootstrap() gathers the facts over checks::MysqlConnection, runs the
// steps with timeouts and verifies the result.
#pragma once

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_decision.hpp"
#include "havip/inventory.hpp"

namespace havip::cli {

// A schema other than the system ones, and what it holds.
struct SchemaFacts {
    std::string name;
    std::uint64_t tables = 0;  // base tables, views and sequences (information_schema.TABLES)
    std::uint64_t routines = 0;
    std::uint64_t triggers = 0;
    std::uint64_t events = 0;
    // No object at all: `mariadb-install-db`'s `test` schema unless --skip-test-db.
    bool empty() const { return tables == 0 && routines == 0 && triggers == 0 && events == 0; }
};

// An account of mysql.user, and its global privileges (information_schema.USER_PRIVILEGES).
struct AccountFacts {
    std::string user;
    std::string host;
    std::string plugin;                   // mysql_native_password, unix_socket, ed25519, …
    std::string authentication_string;    // "*<hex>" for mysql_native_password
    std::vector<std::string> privileges;  // "REPLICATION SLAVE", "SLAVE MONITOR", …
};

// What one server answered before anything was changed.
struct ServerFacts {
    std::string version;  // SELECT VERSION(): "10.11.6-MariaDB-0+deb12u1-log"
    std::uint32_t server_id = 0;
    bool read_only = false;  // ON: not the node taking the writes
    bool log_bin = false;
    bool gtid_strict_mode = false;
    bool log_slave_updates = false;
    std::string binlog_format;  // ROW | MIXED | STATEMENT
    std::string binlog_row_image;  // FULL | NOBLOB | MINIMAL: flashback needs FULL
    std::uint32_t gtid_domain_id = 0;
    std::string gtid_binlog_pos;
    std::string gtid_slave_pos;
    std::string gtid_current_pos;
    // The last GTID per (domain, server) in the binary log: "0-1-10,0-2-3".
    std::string gtid_binlog_state;
    // Accounts among those bootstrap creates, as they are now.
    std::vector<AccountFacts> users;
    // Every account of mysql.user: (user, host).
    std::vector<std::pair<std::string, std::string>> all_accounts;
    std::vector<checks::ReplicaRow> replicas;  // SHOW ALL SLAVES STATUS
    // Schemas other than mysql, information_schema, performance_schema and sys.
    std::vector<SchemaFacts> schemas;
    // SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync%' (empty when the server lacks semi-sync).
    std::map<std::string, std::string> semi_sync;
    // @@ssl_ca: the CA file on the server's own host, which its replication channel verifies
    // the peer's certificate against ("" when unset).
    std::string ssl_ca;
};

struct NodeTarget {
    std::string name;     // "db1", from the inventory
    std::string address;  // IPv4 literal
    unsigned port = 3306;
    std::string label() const;  // "db1 (10.0.0.1:3306)", the prefix of every message
};

struct BootstrapSettings {
    NodeTarget nodes[2];           // [0] is the source of the seed, [1] the peer
    std::string connection_name;   // "" = MariaDB's default replication connection
    std::string replication_user;  // REPLICATION SLAVE, one account per peer address
    std::string replication_password;
    std::string monitor_user;  // @'localhost', over the unix socket
    std::string monitor_password;
    ReplicationMode replication = ReplicationMode::async;
    std::chrono::milliseconds semi_sync_timeout{10000};
    double heartbeat_period_s = 1.0;
    std::string vip;  // the database VIP (IPv4 literal), "" when the inventory has none
    // The admin login uses TLS (its option file's ssl keys); then the channels do too
    // (MASTER_SSL=1). Without it, a notice says the passwords cross the network in clear.
    bool tls = false;
    // The admin login verifies the servers' certificates (ssl-verify-server-cert); then each
    // channel verifies its master's too, against the replica's own @@ssl_ca
    // (MASTER_SSL_CA, MASTER_SSL_VERIFY_SERVER_CERT=1), and a replica without one says so.
    bool tls_verify = false;
    // Set by `havip rejoin` after a flashback: node 2's data is node 1's history up to node 2's
    // gtid_slave_pos and its binary log is reset. Instead of a seed it replicates from that
    // position, and node 1 from node 2's binary log, as after a seed.
    bool rewound = false;
};

// Done as SQL on one node's connection (in order, same session), by running mariadb-dump into
// the peer, or by waiting until a node's inbound channel runs and has applied what it received.
// mark: the verify row, written (statements) on the node that holds writes only — a write on
// its peer would be a second writer in the domain (1950 under gtid_strict_mode); await_mark:
// the peer waits until that row's GTID has been applied (MASTER_GTID_WAIT) and reads it back.
// peer_position: SET GLOBAL gtid_slave_pos on the node to its peer's @@gtid_current_pos, read
// when the step runs (a position the peer is sure to accept, whatever it has applied by then).
enum class StepKind { sql, seed, wait_replica, mark, await_mark, peer_position };

struct Step {
    StepKind kind = StepKind::sql;
    int node = 0;                         // 0 or 1: where the statements run
    std::vector<std::string> statements;  // sql: what is executed
    std::vector<std::string> shown;       // the same with passwords masked, for output
    std::string reason;
};

struct Plan {
    // Preflight failures and refusals, each "db2 (10.0.0.2:3306): preflight: …"; when any is
    // present there are no steps and nothing may be changed.
    std::vector<std::string> errors;
    // What the operator must know before anything is done (printed first, --dry-run too).
    std::vector<std::string> notices;
    std::vector<Step> steps;
    bool seeds = false;  // node 2 is loaded from a dump of node 1
    bool already_done() const { return errors.empty() && steps.empty(); }
};

// The users every node gets (identical sets on both, so a dump of either carries the right
// accounts): replication@<each node's address> and monitor@localhost.
std::vector<std::pair<std::string, std::string>> required_users(const BootstrapSettings& settings);

Plan plan_bootstrap(const BootstrapSettings& settings, const ServerFacts& node1,
                    const ServerFacts& node2);

// Whether every transaction of the MariaDB GTID list `subset` is in `superset` (per domain a
// higher sequence, or the same GTID); false when either does not parse.
bool gtid_contains(const std::string& superset, const std::string& subset);

// @@gtid_binlog_state: (domain, server) → the last sequence logged. nullopt when it does not
// parse.
using BinlogState = std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t>;
std::optional<BinlogState> parse_binlog_state(const std::string& text);

// `name` with backticks doubled, for SQL identifiers.
std::string sql_identifier(const std::string& name);

// A string literal for SQL (checks/mysql_actions.hpp).
using checks::sql_quote;

// `havip bootstrap INVENTORY --admin-option-file FILE [--secrets DIR] [--dry-run]`; the exit
// code is 0 when replication runs both ways (set up now or found so), 1 on a refusal or failure,
// 64 on bad usage.
int run_bootstrap(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
std::string bootstrap_usage();

}  // namespace havip::cli
