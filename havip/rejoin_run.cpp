// The executor half of havip/rejoin.hpp: finds which inventory node this host is, asks both
// servers for their facts, plans, saves the extra transactions with mariadb-binlog, rolls them
// back by flashback (or empties this node for bootstrap's seed path), hands replication to
// bootstrap, then clears havipd's diverged latch.
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "checks/mysql_client.hpp"
#include "havip/bootstrap_run.hpp"
#include "havip/operator.hpp"
#include "havip/rejoin.hpp"
#include "havip/status.hpp"

namespace havip::cli {
namespace {

namespace fs = std::filesystem;
using namespace boot;

struct RejoinOptions {
    Options common;
    std::optional<std::string> node;  // --node: this host's inventory name
    fs::path state_dir = "/var/lib/havipd";
    std::string socket = default_socket;
};

// The IPv4 addresses on this host's (this namespace's) interfaces.
std::set<std::string> local_addresses() {
    std::set<std::string> out;
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return out;
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
        char text[INET_ADDRSTRLEN] = {};
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr, text,
                    sizeof text);
        out.insert(text);
    }
    ::freeifaddrs(list);
    return out;
}

// mariadb-binlog over the plan's range of `node`'s binary log. --verbose (the save): the BINLOG
// statements (replayable) with each row change decoded in ### comments, for the person who reads
// the file. --flashback (the rollback): the same range inverted, last transaction first.
enum class BinlogMode { verbose, flashback };
std::vector<std::string> binlog_command(const Options& o, const NodeTarget& node,
                                        const RejoinPlan& plan, const std::string& first_log,
                                        const fs::path& file,
                                        BinlogMode mode = BinlogMode::verbose) {
    // --defaults-extra-file must come first.
    return {"mariadb-binlog",
            "--defaults-extra-file=" + o.admin_option_file,
            "--read-from-remote-server",
            "--host=" + node.address,
            "--port=" + std::to_string(node.port),
            "--protocol=tcp",
            "--do-domain-ids=" + plan.domains,
            "--start-position=" + plan.start_position,
            "--stop-position=" + plan.stop_position,
            "--to-last-log",
            mode == BinlogMode::verbose ? "--verbose" : "--flashback",
            "--result-file=" + file.string(),
            first_log};
}

// Runs mariadb-binlog over the plan's range into `file` (its errors beside it); prints the
// command to `out`.
std::optional<std::string> read_range(const Options& o, Node& node, const RejoinPlan& plan,
                                      const fs::path& file, BinlogMode mode, std::ostream& out) {
    const auto label = node.target().label();
    auto logs = node.query("SHOW BINARY LOGS", "read the binary log");
    if (auto* e = std::get_if<std::string>(&logs)) return *e;
    const auto first_log = first(std::get<std::vector<checks::ReplicaRow>>(logs), "Log_name");
    if (first_log.empty()) return fmt::format("{}: SHOW BINARY LOGS lists no file", label);
    const auto argv = binlog_command(o, node.target(), plan, first_log, file, mode);
    out << "    " << shell_words(argv) << "\n";
    if (auto e = run_child(argv, o.seed_timeout, fs::path(file.string() + ".err")))
        return fmt::format("{}: {} (partial output kept in {})", label, *e, file.string());
    std::error_code ec;
    fs::remove(fs::path(file.string() + ".err"), ec);
    return std::nullopt;
}

std::string read_all(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

bool has_default_channel(const ServerFacts& f) {
    for (const auto& row : f.replicas) {
        auto it = row.find("Connection_name");
        if ((it != row.end() && it->second ? *it->second : "").empty()) return true;
    }
    return false;
}

struct Saved {
    fs::path file;
    BinlogScan scan;  // what flashback needs to know of it
};

// Saves the plan's extra transactions of `local` under dir; the file and its scan, or an error.
std::variant<Saved, std::string> save_extra(const Options& o, Node& local,
                                            const NodeTarget& authority, const RejoinPlan& plan,
                                            const RejoinFacts& facts, const fs::path& dir,
                                            std::ostream& out) {
    const auto label = local.target().label();
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return fmt::format("{}: cannot create {}: {}", label, dir.string(), ec.message());
    // The transactions are the data of the crash window: only root reads them.
    fs::permissions(dir, fs::perms::owner_all, ec);
    const auto now = std::chrono::system_clock::now();
    const fs::path file = dir / saved_file_name(now, facts.local.server_id);
    const fs::path partial = fs::path(file.string() + ".partial");
    if (auto e = read_range(o, local, plan, partial, BinlogMode::verbose, out))
        return "save: " + *e;
    const std::string text = read_all(partial);
    auto scan = scan_binlog(text);
    if (auto e = check_saved(plan, facts, scan.gtids))
        return fmt::format("{}: save: {} (output kept in {})", label, *e, partial.string());
    {
        std::ofstream f(file, std::ios::trunc | std::ios::binary);
        f << saved_header(local.target(), authority, facts, scan.gtids, now) << text;
        f.flush();
        if (!f) return fmt::format("{}: save: cannot write {}", label, file.string());
    }
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, ec);
    fs::remove(partial, ec);
    std::string list;
    for (const auto& g : scan.gtids)
        list += (list.empty() ? "" : " ") + g;
    out << fmt::format("    saved {} transaction(s) to {}: {}\n", scan.gtids.size(), file.string(),
                       list);
    return Saved{file, std::move(scan)};
}

// Nothing logged on `local` since `facts` were read (a write by an account that passes
// read_only would go unsaved), and the peer still the writer (a peer gone read-only meanwhile
// may be rejoining itself).
std::optional<std::string> unchanged_since_read(Node& local, Node& authority,
                                                const RejoinFacts& facts, const char* what) {
    auto state = local.query("SELECT @@gtid_binlog_state AS s", what);
    if (auto* e = std::get_if<std::string>(&state)) return *e;
    const auto now = first(std::get<std::vector<checks::ReplicaRow>>(state), "s");
    if (now != facts.local.gtid_binlog_state)
        return fmt::format(
            "{}: refusing: gtid_binlog_state moved from '{}' to '{}' since it was "
            "read: something was written here meanwhile; nothing was dropped, run "
            "havip rejoin again",
            local.target().label(), facts.local.gtid_binlog_state, now);
    auto peer = authority.query("SELECT @@read_only AS ro", what);
    if (auto* e = std::get_if<std::string>(&peer)) return *e;
    if (first(std::get<std::vector<checks::ReplicaRow>>(peer), "ro") != "0")
        return fmt::format(
            "{}: refusing: {} became read-only since it was read: it is not shown "
            "to be the authority; nothing was dropped",
            local.target().label(), authority.target().label());
    return std::nullopt;
}

// Runs `statements` on `node` in order, each printed first.
std::optional<std::string> run_statements(Node& node, const std::vector<std::string>& statements,
                                          const char* what, std::ostream& out,
                                          const std::string& where = "") {
    for (const auto& sql : statements) {
        out << "    " << sql << ";" << where << "\n";
        auto r = node.query(sql, what);
        if (auto* e = std::get_if<std::string>(&r)) return *e;
    }
    return std::nullopt;
}

// Replication between the two stops: this node's inbound channel is reset (RESET SLAVE ALL) and
// the authority's from this node stopped, so bootstrap sets both up again.
std::optional<std::string> stop_channels(Node& local, Node& authority, const RejoinFacts& facts,
                                         const char* what, std::ostream& out) {
    if (has_default_channel(facts.local))
        if (auto e = run_statements(local, {"STOP SLAVE", "RESET SLAVE ALL"}, what, out)) return e;
    if (has_default_channel(facts.authority))
        return run_statements(authority, {"STOP SLAVE"}, what, out,
                              fmt::format("  -- on {}", authority.target().name));
    return std::nullopt;
}

// This node loses its data and binary log (the extra part is saved): replication stopped, every
// schema but the system ones dropped (unlogged), RESET MASTER, no slave position.
std::optional<std::string> empty_local(Node& local, Node& authority, const RejoinFacts& facts,
                                       std::ostream& out) {
    if (auto e = unchanged_since_read(local, authority, facts, "empty")) return e;
    if (auto e = stop_channels(local, authority, facts, "empty", out)) return e;
    std::vector<std::string> statements = {"SET SESSION sql_log_bin=0"};
    for (const auto& schema : facts.local.schemas)
        statements.push_back("DROP DATABASE " + sql_identifier(schema.name));
    statements.push_back("SET SESSION sql_log_bin=1");
    statements.push_back("RESET MASTER");
    statements.push_back("SET GLOBAL gtid_slave_pos=''");
    return run_statements(local, statements, "empty", out);
}

// How a flashback ended: rejoined, or falling back to the re-seed, before or after this node's
// binary log was reset (its facts are read again then), or failed where no fallback is safe.
enum class Rewind { rejoined, reseed, reseed_after_reset, failed };

// Rolls the saved range back with mariadb-binlog --flashback (applied unlogged; the node stays
// read-only), resets the binary log to the branch point and replicates both ways through
// bootstrap's steps after a seed. `why` says what went wrong when it did not rejoin.
Rewind rewind(const Options& o, const BootstrapSettings& settings,
              const checks::MysqlCredentials& admin, Node& local, Node& authority,
              const RejoinPlan& plan, const RejoinFacts& facts, const Saved& saved,
              std::size_t& index, std::string& why, std::ostream& out, std::ostream& err) {
    const NodeTarget& me = local.target();
    out << fmt::format("step {} on {}: roll back the extra transactions by flashback\n", ++index,
                       me.label());
    if (auto e = unchanged_since_read(local, authority, facts, "flashback")) {
        why = *e;
        return Rewind::failed;
    }
    if (auto e = stop_channels(local, authority, facts, "flashback", out)) {
        why = *e;
        return Rewind::failed;
    }
    // Kept beside the saved file: what was applied.
    const fs::path file = fs::path(saved.file).replace_extension(".flashback");
    if (auto e = read_range(o, local, plan, file, BinlogMode::flashback, out)) {
        why = "flashback: " + *e;
        return Rewind::reseed;
    }
    std::error_code ec;
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, ec);
    // One inverted transaction per saved one (each ends in its Xid event).
    const std::string text = read_all(file);
    std::size_t inverted = 0;
    for (auto at = text.find("\tXid = "); at != std::string::npos; at = text.find("\tXid = ", at + 1))
        ++inverted;
    if (inverted != saved.scan.gtids.size()) {
        why = fmt::format("flashback: {} holds {} transaction(s), the save {}", file.string(),
                          inverted, saved.scan.gtids.size());
        return Rewind::reseed;
    }
    const auto load = load_command(o, me, file);
    out << "    " << shell_words(load) << "\n";
    if (auto e = run_child(load, o.seed_timeout, fs::path(file.string() + ".err"))) {
        why = fmt::format("{}: flashback: {}", me.label(), *e);
        return Rewind::reseed;
    }
    fs::remove(fs::path(file.string() + ".err"), ec);
    out << fmt::format("    rolled back {} transaction(s) ({})\n", inverted, file.string());

    const std::string branch = branch_position(plan, facts);
    out << fmt::format(
        "step {} on {}: reset its binary log to the branch point {} and replicate both ways "
        "(havip bootstrap's steps follow)\n",
        ++index, me.label(), branch);
    if (auto e = run_statements(
            local, {"RESET MASTER", fmt::format("SET GLOBAL gtid_slave_pos={}", sql_quote(branch))},
            "flashback", out)) {
        why = *e;
        return Rewind::reseed_after_reset;
    }
    out.flush();
    BootstrapSettings rewound = settings;
    rewound.nodes[0] = authority.target();
    rewound.nodes[1] = me;
    rewound.rewound = true;
    std::ostringstream failed;
    const int rc = execute_bootstrap(o, rewound, admin, out, failed);
    err << failed.str();
    if (rc != exit_done) {
        std::string first_error = failed.str();
        first_error = first_error.substr(0, first_error.find('\n'));
        why = fmt::format("replication from the branch point did not run cleanly after the "
                          "flashback: {}",
                          first_error);
        return Rewind::reseed_after_reset;
    }
    return Rewind::rejoined;
}

// The method, why, and the steps, numbered.
void print_plan(std::ostream& out, const RejoinPlan& plan) {
    out << fmt::format("method: {}: {}\n", to_string(plan.method), plan.method_why);
    for (std::size_t i = 0; i < plan.steps.size(); ++i)
        out << fmt::format("step {}: {}\n", i + 1, plan.steps[i]);
}

}  // namespace

std::string rejoin_usage() {
    return "Usage: havip rejoin INVENTORY --admin-option-file FILE [--node NAME] [--secrets DIR]\n"
           "                   [--state-dir DIR] [--socket PATH] [--dry-run]\n"
           "                   [--seed-timeout SECONDS] [--wait-timeout SECONDS]\n"
           "Run on a stale or diverged node: saves the transactions it has and its peer (the\n"
           "authority) lacks as SQL in DIR/rejoin/ (default /var/lib/havipd/rejoin/), rolls them\n"
           "back (mariadb-binlog --flashback: row events with full images only) or else re-seeds\n"
           "it from the authority as `havip bootstrap` does, sets up replication both ways, and\n"
           "clears the diverged latch of the running havipd. Refuses on the authority, on a\n"
           "writable node, or when the extra transactions cannot be saved. Credentials as for\n"
           "`havip bootstrap`.\n"
           "--node names this host in the inventory (default: the node whose address is here).\n"
           "--dry-run prints the plan and changes nothing.\n";
}

int run_rejoin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    RejoinOptions r;
    Options& o = r.common;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "-h" || a == "--help") {
            out << rejoin_usage();
            return exit_done;
        } else if (a == "--dry-run") {
            o.dry_run = true;
        } else if (a == "--admin-option-file" || a == "--secrets" || a == "--seed-timeout" ||
                   a == "--wait-timeout" || a == "--node" || a == "--state-dir" ||
                   a == "--socket") {
            if (i + 1 >= args.size()) {
                err << "havip rejoin: " << a << " needs a value\n" << rejoin_usage();
                return exit_bad_usage;
            }
            const std::string& v = args[++i];
            if (a == "--admin-option-file") {
                o.admin_option_file = v;
            } else if (a == "--secrets") {
                o.secrets = v;
            } else if (a == "--node") {
                r.node = v;
            } else if (a == "--state-dir") {
                r.state_dir = v;
            } else if (a == "--socket") {
                r.socket = v;
            } else {
                auto seconds = whole_seconds(v);
                if (!seconds) {
                    err << "havip rejoin: " << a << " takes whole seconds > 0\n";
                    return exit_bad_usage;
                }
                (a == "--seed-timeout" ? o.seed_timeout : o.wait_timeout) = *seconds;
            }
        } else if (!a.empty() && a[0] == '-') {
            err << "havip rejoin: unknown option " << a << "\n" << rejoin_usage();
            return exit_bad_usage;
        } else if (o.inventory.empty()) {
            o.inventory = a;
        } else {
            err << "havip rejoin: one inventory only\n" << rejoin_usage();
            return exit_bad_usage;
        }
    }
    if (o.inventory.empty() || o.admin_option_file.empty()) {
        err << rejoin_usage();
        return exit_bad_usage;
    }
    o.admin_option_file = fs::absolute(o.admin_option_file).string();
    auto settings = settings_from_inventory(o, err, "rejoin");
    if (!settings) return exit_failed;
    auto admin = checks::read_option_file(o.admin_option_file);
    if (!admin.credentials) {
        err << "havip rejoin: " << admin.error << "\n";
        return exit_failed;
    }

    const auto here = local_addresses();
    int local = -1;
    for (int n = 0; n < 2; ++n) {
        const NodeTarget& node = settings->nodes[n];
        if (r.node ? node.name == *r.node : here.count(node.address) != 0) {
            if (local >= 0) {
                err << "havip rejoin: both nodes' addresses are on this host: pass --node NAME\n";
                return exit_bad_usage;
            }
            local = n;
        }
    }
    if (local < 0) {
        err << (r.node ? fmt::format("havip rejoin: no node '{}' in {}\n", *r.node,
                                     o.inventory.string())
                       : fmt::format("havip rejoin: neither node's address ({}, {}) is on this "
                                     "host: run it on the stale node, or pass --node NAME\n",
                                     settings->nodes[0].address, settings->nodes[1].address));
        return exit_bad_usage;
    }
    const NodeTarget me = settings->nodes[local];
    const NodeTarget peer = settings->nodes[1 - local];

    checks::MysqlLibrary library;
    Node local_node(me, *admin.credentials);
    Node authority_node(peer, *admin.credentials);
    RejoinFacts facts;
    {
        auto l = gather(local_node, *settings);
        if (auto* e = std::get_if<std::string>(&l)) {
            err << *e << "\n";
            return exit_failed;
        }
        facts.local = std::get<ServerFacts>(l);
        auto a = gather(authority_node, *settings);
        if (auto* e = std::get_if<std::string>(&a)) {
            err << fmt::format(
                "{}: refusing: the authority is not reachable, so this node may "
                "hold the only copy of the writes; nothing was changed ({})\n",
                me.label(), *e);
            return exit_peer_unreachable;
        }
        facts.authority = std::get<ServerFacts>(a);
    }
    facts.local_holds_vip = !settings->vip.empty() && here.count(settings->vip) != 0;

    const RejoinPlan plan = plan_rejoin(me, peer, facts);
    if (!plan.errors.empty()) {
        for (const auto& e : plan.errors)
            err << e << "\n";
        return exit_failed;
    }
    out << fmt::format("rejoin {} to the authority {}\n", me.label(), peer.label());
    for (const auto& notice : plan.notices)
        out << "note: " << notice << "\n";
    if (o.dry_run) {
        // The method depends on what the range holds: read it into a scratch directory (a read
        // of the binary log only; nothing is kept).
        BinlogScan scan;
        if (plan.has_extra()) {
            std::string pattern = (fs::temp_directory_path() / "havip-rejoin-XXXXXX").string();
            if (::mkdtemp(pattern.data()) == nullptr) {
                err << fmt::format("havip rejoin: cannot create {}\n", pattern);
                return exit_failed;
            }
            const auto read = read_range(o, local_node, plan, fs::path(pattern) / "range.sql",
                                         BinlogMode::verbose, out);
            if (!read) scan = scan_binlog(read_all(fs::path(pattern) / "range.sql"));
            std::error_code ec;
            fs::remove_all(pattern, ec);
            if (read) {
                err << *read << "\ndry run: the save would refuse; nothing was changed\n";
                return exit_failed;
            }
        }
        print_plan(out, with_method(plan, me, peer, facts, scan));
        out << "dry run: nothing was changed\n";
        return exit_done;
    }
    out.flush();

    // One rejoin at a time on this node (havipd's auto_rejoin and a person's, say): a second
    // would drop what the first is loading. The lock is released when this process ends.
    {
        std::error_code ec;
        fs::create_directories(r.state_dir / "rejoin", ec);
        fs::permissions(r.state_dir / "rejoin", fs::perms::owner_all, ec);
        const auto lock = r.state_dir / "rejoin" / "lock";
        const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            err << fmt::format(
                "{}: refusing: another havip rejoin holds {} ({}); nothing was "
                "changed\n",
                me.label(), lock.string(), fd < 0 ? std::strerror(errno) : "it is running");
            if (fd >= 0) ::close(fd);
            return exit_failed;
        }
        // Kept open (and locked) until exit.
    }

    // This node's own channel stops first, and its facts are read again: what is saved and
    // what is checked before RESET MASTER is then one fixed binary log.
    std::size_t index = 0;
    if (has_default_channel(facts.local)) {
        auto stopped = local_node.query("STOP SLAVE", "stop");
        if (auto* e = std::get_if<std::string>(&stopped)) {
            err << *e << "\n";
            return exit_failed;
        }
        auto again = gather(local_node, *settings);
        if (auto* e = std::get_if<std::string>(&again)) {
            err << *e << "\n";
            return exit_failed;
        }
        facts.local = std::get<ServerFacts>(again);
    }
    const RejoinPlan final_plan = plan_rejoin(me, peer, facts);
    if (!final_plan.errors.empty()) {
        for (const auto& e : final_plan.errors)
            err << e << "\n";
        return exit_failed;
    }
    std::optional<Saved> saved;
    if (final_plan.has_extra()) {
        out << fmt::format("step {} on {}: save the extra transactions\n", ++index, me.label());
        auto result =
            save_extra(o, local_node, peer, final_plan, facts, r.state_dir / "rejoin", out);
        if (auto* e = std::get_if<std::string>(&result)) {
            err << *e
                << "\nrefusing to re-seed: nothing was dropped or reset (only this node's "
                   "replication was stopped)\n";
            return exit_failed;
        }
        saved = std::get<Saved>(std::move(result));
    }
    const RejoinPlan chosen =
        with_method(final_plan, me, peer, facts, saved ? saved->scan : BinlogScan{});
    print_plan(out, chosen);
    RejoinMethod method = chosen.method;
    if (method == RejoinMethod::flashback) {
        std::string why;
        const auto ended = rewind(o, *settings, *admin.credentials, local_node, authority_node,
                                  chosen, facts, *saved, index, why, out, err);
        if (ended == Rewind::failed) {
            err << why << "\n";
            return exit_failed;
        }
        if (ended != Rewind::rejoined) {
            out << fmt::format("flashback did not rejoin {}: {}; re-seeding instead\n", me.name,
                               why);
            method = RejoinMethod::reseed;
            // Read again: the channels were stopped, and the binary log reset perhaps. What it
            // holds now must be the saved range (not reset) or nothing the authority lacks.
            auto l = gather(local_node, *settings);
            auto a = gather(authority_node, *settings);
            for (auto* g : {&l, &a}) {
                if (auto* e = std::get_if<std::string>(g)) {
                    err << *e << "\n";
                    return exit_failed;
                }
            }
            RejoinFacts now = facts;
            now.local = std::get<ServerFacts>(l);
            now.authority = std::get<ServerFacts>(a);
            const bool reset = ended == Rewind::reseed_after_reset;
            if (reset ? plan_rejoin(me, peer, now).has_extra()
                      : now.local.gtid_binlog_state != facts.local.gtid_binlog_state) {
                err << fmt::format(
                    "{}: refusing to re-seed: gtid_binlog_state is '{}', {}; run havip rejoin "
                    "again\n",
                    me.label(), now.local.gtid_binlog_state,
                    reset ? "which holds transactions the authority lacks"
                          : fmt::format("not '{}' as saved", facts.local.gtid_binlog_state));
                return exit_failed;
            }
            facts = now;
        }
    }
    if (method == RejoinMethod::reseed) {
        out << fmt::format("step {} on {}: empty it (its data and binary log are replaced)\n",
                           ++index, me.label());
        if (auto e = empty_local(local_node, authority_node, facts, out)) {
            err << *e << "\n";
            return exit_failed;
        }
        out << fmt::format("step {}: re-seed {} from {} (havip bootstrap's steps follow)\n",
                           ++index, me.name, peer.name);
        out.flush();
        BootstrapSettings seeded = *settings;
        seeded.nodes[0] = peer;
        seeded.nodes[1] = me;
        if (int rc = execute_bootstrap(o, seeded, *admin.credentials, out, err); rc != exit_done) {
            err << fmt::format(
                "{}: the re-seed from {} failed; fix the cause and run havip rejoin "
                "again (the saved file stays)\n",
                me.label(), peer.name);
            return rc;
        }
    }
    out << fmt::format("step {}: clear the diverged latch of the running havipd\n", ++index);
    if (!fs::exists(r.socket)) {
        out << fmt::format("    no havipd control socket at {}: no latch to clear\n", r.socket);
    } else if (int rc = run_operator("clear-diverged", {"--socket", r.socket}, out, err); rc != 0) {
        err << fmt::format(
            "{}: rejoined, but the diverged latch was not cleared (exit {}); run "
            "`havip clear-diverged`\n",
            me.label(), rc);
        return exit_failed;
    }
    out << fmt::format("done: {} rejoined {} (method: {})\n", me.label(), peer.label(),
                       to_string(method));
    return exit_done;
}

}  // namespace havip::cli
