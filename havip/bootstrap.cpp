#include "havip/bootstrap.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "checks/gtid.hpp"
#include "checks/mysql_failure.hpp"
#include "havip/password_hash.hpp"

namespace havip::cli {
namespace {

constexpr const char* masked = "'***'";
// havipd's own schema (checks/term.hpp): the terms its promotes record, no operator data.
constexpr std::string_view havip_schema = "havip";

const std::vector<std::string> monitor_grants = {
    // shared/reference/mysql-health.md, "Privileges (MariaDB 10.11)": the acting account.
    "SLAVE MONITOR", "BINLOG MONITOR", "PROCESS", "CONNECTION ADMIN", "READ_ONLY ADMIN",
    "REPLICATION SLAVE ADMIN",
    // rpl_semi_sync_master_enabled, moved with the VIP in a semi-sync pair.
    "REPLICATION MASTER ADMIN",
    // sql_log_bin=0 for the write probe's session (havip.probe is never replicated).
    "BINLOG ADMIN"};

struct Version {
    unsigned major = 0, minor = 0, patch = 0;
    bool mariadb = false;
};

std::optional<Version> parse_version(const std::string& text) {
    Version v;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    unsigned* parts[] = {&v.major, &v.minor, &v.patch};
    for (int i = 0; i < 3; ++i) {
        auto [next, ec] = std::from_chars(p, end, *parts[i]);
        if (ec != std::errc{}) return std::nullopt;
        p = next;
        if (i < 2) {
            if (p == end || *p != '.') return std::nullopt;
            ++p;
        }
    }
    v.mariadb = text.find("MariaDB") != std::string::npos;
    return v;
}

bool at_least(const Version& v, unsigned major, unsigned minor, unsigned patch) {
    return std::tie(v.major, v.minor, v.patch) >= std::tie(major, minor, patch);
}

const checks::ReplicaRow* find_channel(const ServerFacts& facts, const std::string& name) {
    for (const auto& row : facts.replicas) {
        auto it = row.find("Connection_name");
        const std::string value = it != row.end() && it->second ? *it->second : "";
        if (value == name) return &row;
    }
    return nullptr;
}

std::string field(const checks::ReplicaRow& row, const std::string& name) {
    auto it = row.find(name);
    return it != row.end() && it->second ? *it->second : "";
}

// Whether every transaction `sub` names is in `sup`: per domain, a higher sequence, or the same
// sequence from the same server (the same GTID). A same-numbered GTID from another server is a
// different transaction: the histories diverged.
bool contained(const checks::MariadbGtidList& sub, const checks::MariadbGtidList& sup) {
    for (const auto& [domain, gtid] : sub) {
        auto it = sup.find(domain);
        if (it == sup.end()) return false;
        if (it->second.sequence < gtid.sequence) return false;
        if (it->second.sequence == gtid.sequence && it->second.server_id != gtid.server_id)
            return false;
    }
    return true;
}

}  // namespace

std::optional<BinlogState> parse_binlog_state(const std::string& text) {
    BinlogState state;
    std::size_t at = 0;
    while (at < text.size()) {
        auto end = text.find(',', at);
        if (end == std::string::npos) end = text.size();
        auto one = checks::parse_mariadb_gtid_list(text.substr(at, end - at));
        if (!one.value || one.value->size() != 1) return std::nullopt;
        const auto& [domain, gtid] = *one.value->begin();
        state[{domain, gtid.server_id}] = gtid.sequence;
        at = end + 1;
    }
    return state;
}

namespace {

// The (domain, server) pairs of `sub` that `sup` lacks or has at a lower sequence, as GTIDs.
std::vector<std::string> missing_from(const BinlogState& sub, const BinlogState& sup) {
    std::vector<std::string> out;
    for (const auto& [key, sequence] : sub) {
        auto it = sup.find(key);
        if (it == sup.end() || it->second < sequence)
            out.push_back(fmt::format("{}-{}-{}", key.first, key.second, sequence));
    }
    return out;
}

bool same_positions(const checks::MariadbGtidList& a, const checks::MariadbGtidList& b) {
    if (a.size() != b.size()) return false;
    return contained(a, b) && contained(b, a);
}

std::string connection_clause(const std::string& name) {
    return name.empty() ? "" : fmt::format(" {}", sql_quote(name));
}

std::string account(const std::string& user, const std::string& host) {
    return fmt::format("{}@{}", sql_quote(user), sql_quote(host));
}

// Statements with a password are built twice: once to run, once (masked) to show.
struct Statement {
    std::string run;
    std::string shown;
};

// The channel's TLS: encrypted over a TLS admin login, and verifying the master's certificate
// against `verify_ca` (a file on the replica's host) unless that is empty.
std::string channel_tls(const BootstrapSettings& s, const std::string& verify_ca) {
    if (!s.tls) return "";
    if (verify_ca.empty()) return ", MASTER_SSL=1";
    return fmt::format(", MASTER_SSL=1, MASTER_SSL_CA={}, MASTER_SSL_VERIFY_SERVER_CERT=1",
                       sql_quote(verify_ca));
}

Statement change_master(const BootstrapSettings& s, int to, const char* use_gtid,
                        const std::string& verify_ca) {
    const NodeTarget& source = s.nodes[to];
    auto build = [&](const std::string& password) {
        return fmt::format(
            "CHANGE MASTER{} TO MASTER_HOST={}, MASTER_PORT={}, MASTER_USER={}, "
            "MASTER_PASSWORD={}, MASTER_USE_GTID={}, MASTER_CONNECT_RETRY=1, "
            "MASTER_HEARTBEAT_PERIOD={:g}{}",
            connection_clause(s.connection_name), sql_quote(source.address), source.port,
            sql_quote(s.replication_user), password, use_gtid, s.heartbeat_period_s,
            channel_tls(s, verify_ca));
    };
    return {build(sql_quote(s.replication_password)), build(masked)};
}

class Planner {
  public:
    Planner(const BootstrapSettings& settings, const ServerFacts& n1, const ServerFacts& n2)
        : s_(settings), facts_{&n1, &n2} {}

    // Passwords in CREATE USER and CHANGE MASTER travel with the statements.
    void clear_text_notice() {
        if (s_.tls) return;
        std::vector<std::string> remote;
        for (const auto& node : s_.nodes)
            if (checks::transport_of("", node.address) == checks::Transport::tcp_remote)
                remote.push_back(node.label());
        if (remote.empty()) return;
        plan_.notices.push_back(fmt::format(
            "the admin login to {} is not encrypted: the passwords of the accounts and of the "
            "replication channels cross the network in clear; ssl-ca (or ssl) in the admin "
            "option file makes bootstrap use TLS, and MASTER_SSL=1 for the channels",
            fmt::join(remote, " and ")));
    }

    // The CA file node n's channel verifies its master's certificate against: its own
    // @@ssl_ca when the admin login verifies; "" when the channel does not verify.
    const std::string& verify_ca(int n) const {
        static const std::string none;
        return s_.tls_verify ? facts_[n]->ssl_ca : none;
    }

    // The admin login verifies certificates; a replica without a CA file of its own cannot.
    void unverified_channel_notices() {
        if (!s_.tls_verify) return;
        for (int n = 0; n < 2; ++n) {
            if (!verify_ca(n).empty()) continue;
            plan_.notices.push_back(fmt::format(
                "{0} has no ssl_ca: its channel from {1} is encrypted but does not verify {1}'s "
                "certificate; set ssl_ca in its [mysqld] to the CA that signed {1}'s certificate "
                "and run bootstrap again",
                s_.nodes[n].label(), s_.nodes[1 - n].name));
        }
    }

    Plan plan() {
        preflight(0);
        preflight(1);
        compare_servers();
        const checks::ReplicaRow* inbound[2] = {find_channel(*facts_[0], s_.connection_name),
                                                find_channel(*facts_[1], s_.connection_name)};
        for (int n = 0; n < 2; ++n) {
            if (!inbound[n]) continue;
            const auto host = field(*inbound[n], "Master_Host");
            const NodeTarget& peer = s_.nodes[1 - n];
            if (host != peer.address) {
                error(n, fmt::format("replication connection '{}' replicates from {}, not from "
                                     "{}; bootstrap leaves a connection it did not set up alone",
                                     s_.connection_name, host, peer.label()));
            }
        }
        clear_text_notice();
        unverified_channel_notices();
        SeedChoice seed = SeedChoice::none;
        if (plan_.errors.empty() && !inbound[1]) seed = choose_seed();
        if (!plan_.errors.empty()) {
            plan_.steps.clear();
            return std::move(plan_);
        }

        const bool semi = s_.replication == ReplicationMode::semi_sync;
        bool semi_changed[2] = {false, false};
        if (semi) {
            semi_changed[0] = semi_sync_steps(0);
            semi_changed[1] = semi_sync_steps(1);
        }
        user_steps(0);
        if (seed == SeedChoice::seed) {
            plan_.seeds = true;
            plan_.notices.push_back(system_schema_notice());
            drop_empty_schemas();
            Step dump;
            dump.kind = StepKind::seed;
            dump.node = 1;
            dump.reason = fmt::format(
                "{} is empty: load a consistent dump of {} (mariadb-dump --single-transaction "
                "--master-data=1 --gtid: sets its gtid_slave_pos; no global read lock) with "
                "sql_log_bin=0, so none of it is logged and replicated back. It replaces {}'s "
                "system schema mysql.* (users, grants) with {}'s",
                s_.nodes[1].label(), s_.nodes[0].label(), s_.nodes[1].name, s_.nodes[0].name);
            plan_.steps.push_back(std::move(dump));
            sql(1, {"FLUSH LOCAL PRIVILEGES"},
                "the dump replaced the grant tables (with the accounts created on " +
                    s_.nodes[0].name + "); LOCAL keeps the statement out of the binary log");
        } else {
            user_steps(1);
            if (seed == SeedChoice::in_sync) {
                sql(1,
                    {fmt::format("SET GLOBAL gtid_slave_pos={}",
                                 sql_quote(facts_[0]->gtid_current_pos))},
                    fmt::format("{} already holds {}'s transactions up to {}: replicate from "
                                "there",
                                s_.nodes[1].name, s_.nodes[0].name, facts_[0]->gtid_current_pos));
            }
        }
        // slave_pos on the peer: its gtid_slave_pos is exactly what the seed (or the position
        // just set) says it holds.
        channel_steps(1, inbound[1], "slave_pos", semi_changed[1], false);
        // Node 1 after a seed (or a rewind): node 2 holds nothing node 1 lacks, so node 1 may start at node
        // 2's binlog position. Not current_pos: node 1 takes writes node 2 has not all applied
        // yet, and a GTID node 2 has not logged is refused (1236, "not in the master's binlog",
        // which stops the IO thread). Nor node 2's seed position: it is in node 2's
        // gtid_slave_pos only until node 2 applies the next transaction, never in its binlog
        // (1236, "missing the GTID … strict mode"). So the verify row is written on node 1 first;
        // once node 2 has applied (and logged) it, node 1 starts at node 2's binlog position.
        // Otherwise current_pos: node 1's own writes are in its binlog position, not its slave
        // position, so it asks node 2 only for what it has not written.
        const bool reset = seed == SeedChoice::seed || seed == SeedChoice::rewound;
        if (reset) {
            verify_steps(0);
            channel_steps(0, inbound[0], "slave_pos", semi_changed[0], true);
        } else {
            channel_steps(0, inbound[0], "current_pos", semi_changed[0], false);
        }
        if (!plan_.steps.empty()) {
            // Waiting changes nothing: only worth a step when something else was done.
            for (int n : {1, 0}) {
                Step wait;
                wait.kind = StepKind::wait_replica;
                wait.node = n;
                wait.reason = fmt::format(
                    "IO and SQL threads of {} running, and it holds all its peer logged "
                    "(gtid_current_pos)",
                    s_.nodes[n].name);
                plan_.steps.push_back(std::move(wait));
            }
            if (!reset) verify_steps(writer());
        }
        return std::move(plan_);
    }

  private:
    enum class SeedChoice { none, seed, in_sync, rewound };

    void error(int n, const std::string& what) {
        plan_.errors.push_back(fmt::format("{}: {}", s_.nodes[n].label(), what));
    }

    void sql(int n, std::vector<std::string> statements, std::string reason,
             std::vector<std::string> shown = {}) {
        Step step;
        step.node = n;
        if (shown.empty()) shown = statements;
        step.statements = std::move(statements);
        step.shown = std::move(shown);
        step.reason = std::move(reason);
        plan_.steps.push_back(std::move(step));
    }

    void preflight(int n) {
        const ServerFacts& f = *facts_[n];
        auto bad = [&](const std::string& what) { error(n, "preflight: " + what); };
        auto version = parse_version(f.version);
        if (!version) {
            bad(fmt::format("cannot read the server version '{}'", f.version));
        } else if (!version->mariadb) {
            bad(fmt::format("{} is not MariaDB; bootstrap relies on MariaDB's GTID", f.version));
        } else if (!at_least(*version, 10, 5, 8)) {
            bad(
                fmt::format("MariaDB {} is older than 10.5.8 (the monitor account's privileges "
                            "need it)",
                            f.version));
        }
        if (f.server_id == 0) bad("server_id is 0 (a server that cannot replicate)");
        if (!f.log_bin) bad("log_bin is OFF");
        if (!f.gtid_strict_mode) bad("gtid_strict_mode is OFF");
        if (!f.log_slave_updates) bad("log_slave_updates is OFF");
        if (f.binlog_format != "ROW")
            bad(fmt::format("binlog_format is {}, not ROW", f.binlog_format));
        if (!parse_binlog_state(f.gtid_binlog_state))
            bad(fmt::format("cannot read gtid_binlog_state '{}'", f.gtid_binlog_state));
        for (const auto* text : {&f.gtid_binlog_pos, &f.gtid_slave_pos, &f.gtid_current_pos}) {
            auto parsed = checks::parse_mariadb_gtid_list(*text);
            if (!parsed.value)
                bad(fmt::format("GTID position '{}': {}", *text, parsed.error.message));
        }
        if (s_.replication == ReplicationMode::semi_sync && f.semi_sync.empty())
            bad("semi-synchronous replication chosen but the server has no rpl_semi_sync "
                "variables");
    }

    void compare_servers() {
        const ServerFacts& a = *facts_[0];
        const ServerFacts& b = *facts_[1];
        if (a.server_id != 0 && a.server_id == b.server_id) {
            error(1, fmt::format("preflight: server_id {} is also {}'s; each node needs its own",
                                 b.server_id, s_.nodes[0].name));
        }
        if (a.gtid_domain_id != b.gtid_domain_id) {
            error(1, fmt::format("preflight: gtid_domain_id {} differs from {}'s {}: one domain "
                                 "lets gtid_strict_mode stop dual writes",
                                 b.gtid_domain_id, s_.nodes[0].name, a.gtid_domain_id));
        }
        auto va = parse_version(a.version);
        auto vb = parse_version(b.version);
        if (va && vb && va->mariadb && vb->mariadb &&
            (va->major != vb->major || va->minor != vb->minor)) {
            error(1, fmt::format("preflight: MariaDB {} and {}'s {} differ; both replicate from "
                                 "each other, so run the same major version",
                                 b.version, s_.nodes[0].name, a.version));
        }
    }

    // Node 2 has no replication yet: may it be loaded from node 1, is it already a copy, or does
    // it hold something node 1 lacks?
    SeedChoice choose_seed() {
        const ServerFacts& a = *facts_[0];
        const ServerFacts& b = *facts_[1];
        if (s_.rewound) return rewound();
        auto a_pos = checks::parse_mariadb_gtid_list(a.gtid_current_pos)
                         .value.value_or(checks::MariadbGtidList{});
        auto b_pos = checks::parse_mariadb_gtid_list(b.gtid_current_pos)
                         .value.value_or(checks::MariadbGtidList{});
        auto refuse = [&](const std::string& why) {
            error(1, fmt::format("refusing: {}; nothing was changed. Move that data to {} or "
                                 "empty {} first",
                                 why, s_.nodes[0].name, s_.nodes[1].name));
        };
        // Per (domain, server): a transaction node 2 wrote itself is only on node 1 if node 1
        // logged that server's sequence too; the last GTID per domain alone cannot show it.
        auto a_state = parse_binlog_state(a.gtid_binlog_state).value_or(BinlogState{});
        auto b_state = parse_binlog_state(b.gtid_binlog_state).value_or(BinlogState{});
        auto lacking = missing_from(b_state, a_state);
        if (!lacking.empty()) {
            std::string list;
            for (const auto& gtid : lacking)
                list += (list.empty() ? "" : ",") + gtid;
            refuse(
                fmt::format("it has transactions {} lacks ({} of gtid_binlog_state '{}' not in "
                            "{}'s '{}')",
                            s_.nodes[0].name, list, b.gtid_binlog_state, s_.nodes[0].name,
                            a.gtid_binlog_state));
            return SeedChoice::none;
        }
        if (!contained(b_pos, a_pos)) {
            refuse(
                fmt::format("it has transactions {} lacks (gtid_current_pos {} is not "
                            "contained in {})",
                            s_.nodes[0].name, b.gtid_current_pos,
                            a.gtid_current_pos.empty() ? "''" : a.gtid_current_pos));
            return SeedChoice::none;
        }
        // A schema without a table, view, routine, trigger or event holds no data, nor does
        // `havip` (havipd's own: the terms its promotes recorded): the seed may go ahead (they
        // are dropped first, so node 2 becomes a copy).
        std::string holding;
        std::uint64_t tables = 0;
        for (const auto& schema : b.schemas) {
            if (schema.empty() || schema.name == havip_schema) continue;
            holding += (holding.empty() ? "" : ", ") + schema.name;
            tables += schema.tables;
        }
        if (holding.empty()) {
            for (const auto& schema : b.schemas)
                empty_schemas_.push_back(schema.name);
            return SeedChoice::seed;
        }
        if (!b_pos.empty() && same_positions(a_pos, b_pos)) return SeedChoice::in_sync;
        refuse(
            fmt::format("it holds schemas ({}, {} tables) and its GTID position '{}' is not "
                        "{}'s '{}', so its data cannot be shown to be a copy",
                        holding, tables, b.gtid_current_pos, s_.nodes[0].name, a.gtid_current_pos));
        return SeedChoice::none;
    }

    // After `havip rejoin`'s flashback: node 2 logged nothing since its RESET MASTER, and its
    // gtid_slave_pos (the branch point) is in node 1's history.
    SeedChoice rewound() {
        const ServerFacts& a = *facts_[0];
        const ServerFacts& b = *facts_[1];
        // Each GTID of the position is one node 1 logged: (domain, server) at that sequence.
        auto a_state = parse_binlog_state(a.gtid_binlog_state);
        auto b_pos = checks::parse_mariadb_gtid_list(b.gtid_slave_pos).value;
        bool in_history = a_state && b_pos;
        for (const auto& [domain, g] : b_pos.value_or(checks::MariadbGtidList{})) {
            auto it = a_state ? a_state->find({domain, g.server_id}) : BinlogState::iterator{};
            if (!a_state || it == a_state->end() || it->second < g.sequence) in_history = false;
        }
        if (!b.gtid_binlog_state.empty())
            error(1, fmt::format("refusing: rewound, but its binary log holds '{}'",
                                 b.gtid_binlog_state));
        else if (!in_history)
            error(1, fmt::format("refusing: rewound to gtid_slave_pos '{}', which is not in {}'s "
                                 "history (gtid_binlog_state '{}')",
                                 b.gtid_slave_pos, s_.nodes[0].name, a.gtid_binlog_state));
        else
            return SeedChoice::rewound;
        return SeedChoice::none;
    }

    // The seed is a dump of every schema of node 1, mysql included: node 2's accounts, grants
    // and roles become node 1's. Said before anything is done, with the accounts that go.
    std::string system_schema_notice() const {
        std::string lost;
        for (const auto& account : facts_[1]->all_accounts) {
            const auto& on1 = facts_[0]->all_accounts;
            if (std::find(on1.begin(), on1.end(), account) != on1.end()) continue;
            lost += (lost.empty() ? "" : ", ") +
                    fmt::format("{}@{}", sql_quote(account.first), sql_quote(account.second));
        }
        return fmt::format(
            "{}: the seed replaces {}'s system schema mysql.* (users, passwords, grants, roles) "
            "with {}'s; {}",
            s_.nodes[1].label(), s_.nodes[1].name, s_.nodes[0].name,
            lost.empty() ? fmt::format("every account {} has, {} has too", s_.nodes[1].name,
                                       s_.nodes[0].name)
                         : fmt::format("accounts only {} has are gone afterwards: {}",
                                       s_.nodes[1].name, lost));
    }

    // Node 2's schemas without any object, dropped before the seed: the dump does not drop a
    // schema node 1 lacks, and a CREATE DATABASE of that name replicated later from node 1
    // would stop node 2's SQL thread (1007). Unlogged: node 2 writes nothing to its binary log.
    void drop_empty_schemas() {
        if (empty_schemas_.empty()) return;
        std::vector<std::string> run = {"SET SESSION sql_log_bin=0"};
        std::string names;
        for (const auto& name : empty_schemas_) {
            run.push_back("DROP DATABASE " + sql_identifier(name));
            names += (names.empty() ? "" : ", ") + sql_identifier(name);
        }
        run.push_back("SET SESSION sql_log_bin=1");
        const bool bookkeeping = std::find(empty_schemas_.begin(), empty_schemas_.end(),
                                           havip_schema) != empty_schemas_.end();
        sql(1, std::move(run),
            fmt::format("{} {} {}no tables, views, routines, triggers or events: no data, so "
                        "{} counts as empty; dropped (unlogged) so the seed leaves a copy of {}",
                        names, empty_schemas_.size() == 1 ? "holds" : "hold",
                        bookkeeping ? "havipd's own records (its terms) or " : "",
                        s_.nodes[1].name, s_.nodes[0].name));
    }

    // The node that holds the writes: node 1 unless it is read-only and node 2 is not (the VIP
    // moved to node 2 after an earlier bootstrap).
    int writer() const { return facts_[0]->read_only && !facts_[1]->read_only ? 1 : 0; }

    // One row written on the node that holds writes reaches the other. Nothing is written on
    // the other node: it may be a replica of a node taking production writes, and a write of
    // its own would be a second writer in the domain (1950 under gtid_strict_mode). Its
    // direction back is proven by its running, caught-up channel (the wait steps).
    void verify_steps(int w) {
        Step mark;
        mark.kind = StepKind::mark;
        mark.node = w;
        mark.statements = {
            "CREATE DATABASE IF NOT EXISTS havip",
            "CREATE TABLE IF NOT EXISTS havip.bootstrap_check (node VARCHAR(64) PRIMARY KEY, "
            "verified_at TIMESTAMP(6) NOT NULL) ENGINE=InnoDB",
            fmt::format("REPLACE INTO havip.bootstrap_check VALUES ({}, NOW(6))",
                        sql_quote(s_.nodes[w].name))};
        mark.shown = mark.statements;
        mark.reason = fmt::format(
            "verify: a row written here, the node that holds the writes, only (a write on {} "
            "would be a second writer)",
            s_.nodes[1 - w].name);
        plan_.steps.push_back(std::move(mark));
        Step await;
        await.kind = StepKind::await_mark;
        await.node = 1 - w;
        await.reason = fmt::format(
            "verify: {}'s row arrives here through replication (its GTID applied); nothing is "
            "written here",
            s_.nodes[w].name);
        plan_.steps.push_back(std::move(await));
    }

    // The global privileges `user`@`host` needs.
    std::vector<std::string> needed_privileges(const std::string& user,
                                               const std::string& host) const {
        if (user != s_.monitor_user) return {"REPLICATION SLAVE"};
        // The peer's fence (read_only=1) and its switchover's read of this node's channel.
        if (host != "localhost") return {"READ_ONLY ADMIN", "SLAVE MONITOR"};
        return monitor_grants;
    }

    // What `user`@`host` needs on the `havip` schema: the check records a term there on each
    // promote (creating the table the first time) and reads the peer's (checks/term.hpp), and
    // its write probe commits a row of havip.probe each interval on the holder.
    std::vector<std::string> needed_on_havip(const std::string& user,
                                             const std::string& host) const {
        if (user != s_.monitor_user) return {};
        if (host != "localhost") return {"SELECT"};
        return {"SELECT", "INSERT", "UPDATE", "CREATE"};
    }

    // Creates the accounts the node lacks and brings those it has to the inventory's password
    // (ALTER USER: the peer's channel and havipd log in with it) and grants, unlogged: each node
    // gets its own, so they are not replicated a second time (and a CREATE USER replicated onto
    // a node that has the account would stop its SQL thread).
    void user_steps(int n) {
        const ServerFacts& f = *facts_[n];
        std::vector<std::string> run = {"SET SESSION sql_log_bin=0"};
        std::vector<std::string> shown = run;
        std::string created, repassworded, granted;
        auto add = [](std::string& list, const std::string& name) {
            list += (list.empty() ? "" : ", ") + name;
        };
        for (const auto& [user, host] : required_users(s_)) {
            const bool monitor = user == s_.monitor_user;
            const std::string& password = monitor ? s_.monitor_password : s_.replication_password;
            const std::string name = fmt::format("{}@{}", user, host);
            const auto needed = needed_privileges(user, host);
            auto existing = std::find_if(
                f.users.begin(), f.users.end(),
                [&](const AccountFacts& a) { return a.user == user && a.host == host; });
            const auto on_havip = needed_on_havip(user, host);
            auto grant = [&](const std::vector<std::string>& privileges, const char* on) {
                if (privileges.empty()) return;
                std::string list;
                for (const auto& p : privileges)
                    list += (list.empty() ? "" : ", ") + p;
                run.push_back(fmt::format("GRANT {} ON {} TO {}", list, on, account(user, host)));
                shown.push_back(run.back());
            };
            if (existing == f.users.end()) {
                run.push_back(fmt::format("CREATE USER {} IDENTIFIED BY {}", account(user, host),
                                          sql_quote(password)));
                shown.push_back(
                    fmt::format("CREATE USER {} IDENTIFIED BY {}", account(user, host), masked));
                grant(needed, "*.*");
                grant(on_havip, "havip.*");
                add(created, name);
                continue;
            }
            // The hash is compared here, so the password is never sent in a query.
            const bool native =
                existing->plugin == "mysql_native_password" || existing->plugin.empty();
            if (!native || existing->authentication_string != native_password_hash(password)) {
                run.push_back(fmt::format("ALTER USER {} IDENTIFIED BY {}", account(user, host),
                                          sql_quote(password)));
                shown.push_back(
                    fmt::format("ALTER USER {} IDENTIFIED BY {}", account(user, host), masked));
                add(repassworded, name);
            }
            std::vector<std::string> missing;
            for (const auto& p : needed) {
                if (std::find(existing->privileges.begin(), existing->privileges.end(), p) ==
                    existing->privileges.end())
                    missing.push_back(p);
            }
            std::vector<std::string> missing_on_havip;
            for (const auto& p : on_havip) {
                if (std::find(existing->privileges.begin(), existing->privileges.end(),
                              "havip:" + p) == existing->privileges.end())
                    missing_on_havip.push_back(p);
            }
            if (!missing.empty() || !missing_on_havip.empty()) {
                grant(missing, "*.*");
                grant(missing_on_havip, "havip.*");
                add(granted, name);
            }
        }
        if (run.size() == 1) return;
        run.push_back("SET SESSION sql_log_bin=1");
        shown.push_back(run.back());
        std::string reason;
        if (!created.empty()) reason = fmt::format("create {}", created);
        if (!repassworded.empty())
            reason += fmt::format("{}set the inventory's password of {} (it exists with another)",
                                  reason.empty() ? "" : "; ", repassworded);
        if (!granted.empty())
            reason += fmt::format("{}grant {} what it lacks", reason.empty() ? "" : "; ", granted);
        sql(n, std::move(run), reason + "; unlogged: every node gets the same accounts on its own",
            std::move(shown));
    }

    // Semi-synchronous replication (issue 9): the slave side on both nodes, wait point
    // AFTER_SYNC. The master side is left to whoever moves the VIP (havipd's manage_read_only,
    // the generated keepalived notify hooks): on only where the VIP is (PromoteSettings).
    // Returns whether the slave side was switched on now (a running IO thread then has to
    // reconnect to register as semi-sync).
    bool semi_sync_steps(int n) {
        const auto& vars = facts_[n]->semi_sync;
        auto value = [&](const char* name) {
            auto it = vars.find(name);
            return it == vars.end() ? std::string() : it->second;
        };
        const std::string timeout = std::to_string(s_.semi_sync_timeout.count());
        std::vector<std::string> statements;
        if (value("rpl_semi_sync_master_wait_point") != "AFTER_SYNC")
            statements.push_back("SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC");
        if (value("rpl_semi_sync_master_timeout") != timeout)
            statements.push_back("SET GLOBAL rpl_semi_sync_master_timeout=" + timeout);
        const bool slave_off = value("rpl_semi_sync_slave_enabled") != "ON";
        if (slave_off) statements.push_back("SET GLOBAL rpl_semi_sync_slave_enabled=ON");
        if (!statements.empty()) {
            sql(n, std::move(statements),
                "semi-synchronous replication chosen (wait point AFTER_SYNC, timeout in ms); "
                "keep the same settings in the node's mariadb.cnf");
        }
        return slave_off;
    }

    // peer_position: before CHANGE MASTER, gtid_slave_pos is set to the peer's position of the
    // moment (a peer_position step), for a node whose peer holds nothing it lacks.
    void channel_steps(int n, const checks::ReplicaRow* row, const char* use_gtid,
                       bool semi_sync_switched_on, bool peer_position) {
        const NodeTarget& peer = s_.nodes[1 - n];
        const std::string conn = connection_clause(s_.connection_name);
        std::string why =
            fmt::format("replicate from {} (MASTER_USE_GTID={})", peer.name, use_gtid);
        if (row) {
            const bool running = field(*row, "Slave_IO_Running") == "Yes" &&
                                 field(*row, "Slave_SQL_Running") == "Yes";
            const std::string& ca = verify_ca(n);
            const bool same = field(*row, "Master_Port") == std::to_string(peer.port) &&
                              field(*row, "Master_User") == s_.replication_user &&
                              field(*row, "Using_Gtid") != "No" &&
                              (!s_.tls || field(*row, "Master_SSL_Allowed") == "Yes") &&
                              (ca.empty() || (field(*row, "Master_SSL_Verify_Server_Cert") == "Yes" &&
                                              field(*row, "Master_SSL_CA_File") == ca));
            if (running && same) {
                if (semi_sync_switched_on) {
                    sql(n,
                        {fmt::format("STOP SLAVE{} IO_THREAD", conn),
                         fmt::format("START SLAVE{} IO_THREAD", conn)},
                        "reconnect the IO thread so it registers as a semi-sync slave");
                }
                return;
            }
            why = fmt::format("replication from {} exists but {}", peer.name,
                              same ? "is not running" : "differs from the inventory");
            sql(n, {fmt::format("STOP SLAVE{}", conn)}, why);
        }
        if (peer_position) {
            Step position;
            position.kind = StepKind::peer_position;
            position.node = n;
            position.reason = fmt::format(
                "start at {}'s binlog position, which holds the verify row: {} holds nothing {} "
                "lacks, and a GTID it has not logged would be refused (1236)",
                peer.name, peer.name, s_.nodes[n].name);
            plan_.steps.push_back(std::move(position));
        }
        auto change = change_master(s_, 1 - n, use_gtid, verify_ca(n));
        sql(n, {change.run, fmt::format("START SLAVE{}", conn)}, why,
            {change.shown, fmt::format("START SLAVE{}", conn)});
    }

    const BootstrapSettings& s_;
    const ServerFacts* facts_[2];
    std::vector<std::string> empty_schemas_;  // node 2's, when it is seeded
    Plan plan_;
};

}  // namespace

std::string NodeTarget::label() const {
    return fmt::format("{} ({}:{})", name, address, port);
}

std::string sql_identifier(const std::string& name) {
    std::string out = "`";
    for (char c : name) {
        if (c == '`') out += '`';
        out += c;
    }
    return out + "`";
}

std::vector<std::pair<std::string, std::string>> required_users(const BootstrapSettings& s) {
    // The monitor account by address too: each node's havipd fences the other before it
    // becomes writable (checks/mysql_actions.hpp, promote).
    return {{s.replication_user, s.nodes[0].address},
            {s.replication_user, s.nodes[1].address},
            {s.monitor_user, "localhost"},
            {s.monitor_user, s.nodes[0].address},
            {s.monitor_user, s.nodes[1].address}};
}

bool gtid_contains(const std::string& superset, const std::string& subset) {
    auto sup = checks::parse_mariadb_gtid_list(superset);
    auto sub = checks::parse_mariadb_gtid_list(subset);
    return sup.value && sub.value && contained(*sub.value, *sup.value);
}

Plan plan_bootstrap(const BootstrapSettings& settings, const ServerFacts& node1,
                    const ServerFacts& node2) {
    return Planner(settings, node1, node2).plan();
}

}  // namespace havip::cli
