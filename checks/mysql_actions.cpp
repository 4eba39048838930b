#include "checks/mysql_actions.hpp"
#include "checks/term.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <thread>
#include <variant>

#include <fmt/format.h>

namespace havip::checks {
namespace {

// Runs `sql`, records it as a step; returns the rows when it worked.
std::optional<std::vector<ReplicaRow>> step(ActionResult& result, SqlSession& session,
                                            const std::string& sql) {
    auto answer = session.query(sql);
    ActionStep s;
    s.description = sql;
    if (auto* e = std::get_if<SqlError>(&answer)) {
        s.ok = false;
        s.detail = e->describe();
        result.steps.push_back(s);
        return std::nullopt;
    }
    s.ok = true;
    s.detail = "ok";
    result.steps.push_back(s);
    return std::get<std::vector<ReplicaRow>>(std::move(answer));
}

std::string channel_clause(const SqlSession& session, const std::string& name) {
    if (session.is_mariadb()) return name.empty() ? "" : fmt::format(" {}", sql_quote(name));
    return "";
}

std::string mysql_channel(const std::string& name) {
    return name.empty() ? "" : fmt::format(" FOR CHANNEL {}", sql_quote(name));
}

std::optional<std::string> value(const std::vector<ReplicaRow>& rows,
                                 std::initializer_list<const char*> names) {
    if (rows.empty()) return std::nullopt;
    for (const char* n : names) {
        auto it = rows.front().find(n);
        if (it != rows.front().end()) return it->second;
    }
    return std::nullopt;
}

// Whether the pair runs semi-sync: `known`, else asked of the server (MariaDB).
bool semi_sync_pair(ActionResult& r, SqlSession& session, std::optional<bool> known) {
    if (known) return *known;
    if (!session.is_mariadb()) return false;
    auto rows = step(r, session, "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_slave_enabled'");
    return rows && value(*rows, {"Value"}) == "ON";
}

ActionResult finish(ActionResult r) {
    r.ok = !r.steps.empty();
    for (const auto& s : r.steps)
        r.ok = r.ok && s.ok;
    return r;
}

}  // namespace

std::string sql_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';  // doubled: the same under every sql_mode
        if (c == '\\') out += '\\';  // sessions run without NO_BACKSLASH_ESCAPES
        out += c;
    }
    return out + "'";
}

std::vector<std::chrono::milliseconds> step_times(std::chrono::steady_clock::time_point started,
                                                  const std::vector<ActionStep>& steps) {
    std::vector<std::chrono::milliseconds> out;
    auto previous = started;
    for (const auto& s : steps) {
        const auto end = std::max(s.at, previous);
        out.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(end - previous));
        previous = end;
    }
    return out;
}

std::string ActionResult::describe() const {
    if (ok) return fmt::format("{} steps ok", steps.size());
    for (const auto& s : steps) {
        if (!s.ok) return fmt::format("failed at `{}`: {}", s.description, s.detail);
    }
    return "nothing done";
}

namespace {

// Why the channel's SQL thread will apply nothing more (it stopped, e.g. on 1950 when the two
// nodes' data differ), or nothing when it runs or its state cannot be read.
std::optional<std::string> applier_stopped(SqlSession& session, const std::string& name) {
    auto answer = session.query(
        session.is_mariadb() ? fmt::format("SHOW SLAVE{} STATUS", channel_clause(session, name))
                             : fmt::format("SHOW REPLICA STATUS{}", mysql_channel(name)));
    const auto* rows = std::get_if<std::vector<ReplicaRow>>(&answer);
    if (!rows || value(*rows, {"Slave_SQL_Running", "Replica_SQL_Running"}) != "No")
        return std::nullopt;
    const auto error = value(*rows, {"Last_SQL_Errno"}).value_or("0");
    if (error == "0") return "the replication SQL thread is stopped";
    return fmt::format("the replication SQL thread stopped with error {} ({})", error,
                       value(*rows, {"Last_SQL_Error"}).value_or(""));
}

// Waits in slices until `gtids` is applied, from the shared budget `left` (seconds); records
// one step per slice, the last one saying how it ended. False: not applied, or the wait failed.
bool wait_applied(ActionResult& r, SqlSession& session, const std::string& gtids,
                  const PromoteSettings& settings, double& left) {
    const double total = settings.apply_timeout.count();
    const double slice = settings.wait_slice.count() > 0 ? settings.wait_slice.count() : total;
    const bool maria = session.is_mariadb();
    for (;;) {
        const double now = std::max(0.0, std::min(slice, left));
        std::string wait =
            maria ? fmt::format("SELECT MASTER_GTID_WAIT({}, {:.3f}) AS w", sql_quote(gtids), now)
                  : fmt::format("SELECT WAIT_FOR_EXECUTED_GTID_SET({}, {:.3f}) AS w",
                                sql_quote(gtids), now);
        auto answer = step(r, session, wait);
        if (!answer) return false;
        // MASTER_GTID_WAIT: 0 reached, -1 timeout; WAIT_FOR_EXECUTED_GTID_SET: 0 / 1.
        auto w = value(*answer, {"w"});
        if (w && *w == "0") break;
        left -= now;
        if (w && left > 1e-6) {
            r.steps.back().detail = fmt::format("{} not applied yet", gtids);
            if (auto stopped = applier_stopped(session, settings.connection_name)) {
                r.steps.back().ok = false;
                r.steps.back().detail = fmt::format(
                    "{} not applied: {}; waiting longer cannot apply it", gtids, *stopped);
                return false;
            }
            continue;
        }
        r.steps.back().ok = false;
        r.steps.back().detail = fmt::format("{} not applied within {:.1f} s (returned {})", gtids,
                                            total, w.value_or("NULL"));
        return false;
    }
    r.steps.back().detail = fmt::format("{} applied", gtids);
    return true;
}

// What fence() learnt: nothing to wait for (not fenced, or nothing new), or the peer's
// position to wait for once our own relay log is applied.
struct Fenced {
    bool ok = true;                   // false: the peer answered but is not fenced
    std::optional<std::string> wait;  // GTIDs the peer had when it stopped taking writes
};

// A whole decimal number below 2^32, or nothing.
std::optional<unsigned> number(const std::string& text) {
    unsigned out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return out;
}

// Runs `sql` on the peer, recorded as "peer host:port: sql".
std::optional<std::vector<ReplicaRow>> peer_step(ActionResult& result, SqlSession& peer,
                                                 const std::string& where, const std::string& sql) {
    auto rows = step(result, peer, sql);
    result.steps.back().description = fmt::format("peer {}: {}", where, sql);
    return rows;
}

Fenced fence(ActionResult& r, SqlSession& session, const std::vector<ReplicaRow>& status,
             const PromoteSettings& settings, const PeerConnector& connect_peer) {
    auto host = value(status, {"Master_Host", "Source_Host"});
    auto port_text = value(status, {"Master_Port", "Source_Port"});
    const unsigned port = port_text ? number(*port_text).value_or(0) : 3306;
    if (!host || host->empty() || port == 0 || port > 65535) {
        r.steps.push_back({"fence the old primary", true,
                           "skipped: no Master_Host/Master_Port in the channel's status"});
        return {};
    }
    const std::string where = host->find(':') != std::string::npos
                                  ? fmt::format("[{}]:{}", *host, port)
                                  : fmt::format("{}:{}", *host, port);
    if (!is_ip_literal(*host)) {
        r.steps.push_back({fmt::format("fence {}", where), true,
                           "skipped: Master_Host is not an IP address (a name lookup could "
                           "block); promoting unfenced"});
        return {};
    }
    auto opened = connect_peer(*host, port);
    std::size_t retries = 0;
    double waited = 0;
    for (const auto pause : settings.fence_retry_pauses) {
        auto* e = std::get_if<SqlError>(&opened);
        if (!e || !peer_alive(*e)) break;
        if (settings.pause)
            settings.pause(pause);
        else
            std::this_thread::sleep_for(pause);
        ++retries;
        waited += pause.count();
        opened = connect_peer(*host, port);
    }
    if (auto* e = std::get_if<SqlError>(&opened)) {
        if (peer_alive(*e)) {
            // It answered: alive, and maybe writable. Going writable beside it diverges the pair.
            r.steps.push_back(
                {fmt::format("fence {}: connect", where), false,
                 fmt::format("{}: the old primary is alive but will not let us in ({} attempts "
                             "over {:.2f} s); not promoting unfenced",
                             e->describe(), retries + 1, waited)});
            return {false, {}};
        }
        // Down or unreachable: nothing to fence (the failover case).
        r.steps.push_back({fmt::format("fence {}: connect", where), true,
                           fmt::format("{}: taken as down, promoting unfenced", e->describe())});
        return {};
    }
    auto& peer = *std::get<std::unique_ptr<SqlSession>>(opened);
    // From here the peer answers: if it cannot be fenced, we must not go writable beside it.
    if (!peer_step(r, peer, where, "SET SESSION lock_wait_timeout=2")) return {false, {}};
    // Waits for the peer's commits in flight; later COMMITs there fail with 1290.
    if (!peer_step(r, peer, where, "SET GLOBAL read_only=1")) return {false, {}};
    const bool maria = peer.is_mariadb();
    auto rows = peer_step(r, peer, where,
                          maria ? "SELECT @@gtid_binlog_pos AS p" : "SELECT @@gtid_executed AS p");
    if (!rows) return {false, {}};
    auto pos = value(*rows, {"p"});
    if (!pos) {
        r.steps.back().ok = false;
        r.steps.back().detail = "no position returned";
        return {false, {}};
    }
    r.steps.back().detail = pos->empty() ? std::string{"(empty)"} : *pos;
    if (!maria) {
        // MySQL's gtid_executed holds our own transactions too: the set can be waited for.
        if (pos->empty()) return {};
        return {true, *pos};
    }
    auto parsed = parse_mariadb_gtid_list(*pos);
    if (!parsed.value) {
        r.steps.back().ok = false;
        r.steps.back().detail = fmt::format("{}: {}", *pos, parsed.error.message);
        return {false, {}};
    }
    if (parsed.value->empty()) return {};
    auto ids = step(r, session, "SELECT @@server_id AS id");
    if (!ids) return {false, {}};
    auto id = value(*ids, {"id"});
    const auto own = static_cast<std::uint32_t>(id ? number(*id).value_or(0) : 0);
    if (own == 0) {
        r.steps.back().ok = false;
        r.steps.back().detail = fmt::format("not a server id: {}", id.value_or("NULL"));
        return {false, {}};
    }
    r.steps.back().detail = std::to_string(own);
    auto wanted = fence_wait_list(*parsed.value, own);
    if (wanted.empty()) {
        r.steps.push_back({fmt::format("wait for {}", *pos), true,
                           "the peer's last transaction in every domain is ours: nothing to "
                           "wait for"});
        return {};
    }
    return {true, to_string(wanted)};
}

// The promote's new term (checks/term.hpp): the highest in our data, plus one, as this
// server's row, before read_only=0 so it precedes every client write of the term. The first
// promote creates the table. It never fails the promote: without a term (no grant, a full
// disk) the writer mark tells diverged branches apart, as it did before terms.
void record_term(ActionResult& r, SqlSession& session) {
    ActionStep s;
    s.ok = true;
    s.description = "record the new term in havip.heartbeat";
    const auto give_up = [&](const std::string& why) {
        s.detail = fmt::format(
            "not recorded ({}): which of two diverged branches is newer falls "
            "back to the writer mark",
            why);
        s.at = std::chrono::steady_clock::now();
        r.steps.push_back(s);
    };
    auto ids = session.query("SELECT @@server_id AS id");
    const auto* rows = std::get_if<std::vector<ReplicaRow>>(&ids);
    const auto id = rows ? value(*rows, {"id"}) : std::nullopt;
    const auto server_id = id ? number(*id).value_or(0) : 0;
    if (server_id == 0) return give_up(rows ? "no server id" : std::get<SqlError>(ids).describe());
    auto current = read_term(session);
    if (auto* e = std::get_if<SqlError>(&current); e && (e->code == 1146 || e->code == 1049)) {
        for (const char* ddl : {term_schema, term_table})
            if (auto failed = session.execute(ddl)) return give_up(failed->describe());
        current = std::uint64_t{0};
    }
    if (auto* e = std::get_if<SqlError>(&current)) return give_up(e->describe());
    const auto term = std::get<std::uint64_t>(current) + 1;
    if (auto failed = session.execute(record_term_sql(server_id, term)))
        return give_up(failed->describe());
    s.detail = fmt::format("term {} (server id {})", term, server_id);
    s.at = std::chrono::steady_clock::now();
    r.steps.push_back(s);
}

}  // namespace

std::optional<std::vector<ReplicaRow>> run_step(ActionResult& result, SqlSession& session,
                                                const std::string& sql) {
    return step(result, session, sql);
}

std::optional<std::string> first_value(const std::vector<ReplicaRow>& rows,
                                       std::initializer_list<const char*> names) {
    return value(rows, names);
}

bool wait_gtids_applied(ActionResult& result, SqlSession& session, const std::string& gtids,
                        const PromoteSettings& settings, double& left) {
    return wait_applied(result, session, gtids, settings, left);
}

bool peer_alive(const SqlError& error) {
    return (error.code >= 1000 && error.code < 2000) || error.code == 2013;
}

bool is_ip_literal(const std::string& host) {
    in6_addr v6{};
    in_addr v4{};
    return inet_pton(AF_INET, host.c_str(), &v4) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

MariadbGtidList fence_wait_list(const MariadbGtidList& peer, std::uint32_t own_server_id) {
    MariadbGtidList out;
    for (const auto& [domain, gtid] : peer)
        if (gtid.server_id != own_server_id) out[domain] = gtid;
    return out;
}

ActionResult promote(SqlSession& session, const PromoteSettings& settings,
                     const PeerConnector& connect_peer) {
    ActionResult r;
    const bool maria = session.is_mariadb();
    const std::string& name = settings.connection_name;
    // The IO thread only: the SQL thread must keep applying the relay log we wait for.
    std::string stop_io = maria
                              ? fmt::format("STOP SLAVE{} IO_THREAD", channel_clause(session, name))
                              : fmt::format("STOP REPLICA IO_THREAD{}", mysql_channel(name));
    if (settings.stop_channel && !step(r, session, stop_io)) return finish(r);

    std::string show = maria ? fmt::format("SHOW SLAVE{} STATUS", channel_clause(session, name))
                             : fmt::format("SHOW REPLICA STATUS{}", mysql_channel(name));
    auto rows = step(r, session, show);
    if (!rows) return finish(r);
    auto received = value(*rows, {"Gtid_IO_Pos", "Retrieved_Gtid_Set"});
    // Fence first: the old primary stops taking writes as early as possible, and whatever it
    // took until then is in the position we wait for below.
    Fenced fenced;
    if (connect_peer) {
        fenced = fence(r, session, *rows, settings, connect_peer);
        if (!fenced.ok) return finish(r);
    }
    double left = settings.apply_timeout.count();  // one budget for both waits
    if (settings.peer_diverged) {
        r.steps.push_back({"wait for the relay log and the peer's position", true,
                           "skipped: the peer diverged from this node, the writer; its extra "
                           "transactions are not to be applied here"});
    } else if (received && !received->empty()) {
        if (!wait_applied(r, session, *received, settings, left)) return finish(r);
    } else {
        r.steps.push_back(
            {"wait for the relay log", true, "no GTID received: nothing to wait for"});
    }
    if (settings.peer_diverged) {
        // Said above.
    } else if (fenced.wait && settings.stop_channel) {
        // Our IO thread is stopped: what the old primary took after it is not coming. The
        // fence still stops it taking more.
        r.steps.push_back({fmt::format("wait for {}", *fenced.wait), true,
                           "skipped: the channel is stopped (stop_channel)"});
    } else if (fenced.wait && !wait_applied(r, session, *fenced.wait, settings, left)) {
        return finish(r);
    }
    // The whole channel, so it cannot resume from the old primary if that comes back; its
    // settings stay for the operator (or bootstrap) to re-point.
    std::string stop = maria ? fmt::format("STOP SLAVE{}", channel_clause(session, name))
                             : fmt::format("STOP REPLICA{}", mysql_channel(name));
    if (settings.stop_channel && !step(r, session, stop)) return finish(r);
    // The loop may have given up on us while we waited: then it has recorded a failed promote
    // and may be demoting, so becoming writable now would be a write nobody asked for.
    if (settings.cancelled && settings.cancelled()) {
        r.steps.push_back({"SET GLOBAL read_only=0", false,
                           "not done: the promote's deadline passed and havipd gave up on it"});
        return finish(r);
    }
    if (semi_sync_pair(r, session, settings.semi_sync_master) &&
        !step(r, session, "SET GLOBAL rpl_semi_sync_master_enabled=ON"))
        return finish(r);
    if (settings.record_term) record_term(r, session);
    if (!step(r, session, "SET GLOBAL read_only=0")) return finish(r);
    return finish(r);
}

ActionResult refence(SqlSession& session, const PromoteSettings& settings,
                     const PeerConnector& connect_peer) {
    auto r = demote(session, settings.semi_sync_master);
    if (!r.ok) return r;
    auto p = promote(session, settings, connect_peer);
    r.steps.insert(r.steps.end(), p.steps.begin(), p.steps.end());
    return finish(r);
}

ActionResult demote(SqlSession& session, std::optional<bool> semi_sync_master) {
    ActionResult r;
    if (!step(r, session, "SET SESSION lock_wait_timeout=2")) return finish(r);
    step(r, session, "SET GLOBAL read_only=1");
    if (semi_sync_pair(r, session, semi_sync_master))
        step(r, session, "SET GLOBAL rpl_semi_sync_master_enabled=OFF");
    return finish(r);
}

ActionResult clear_read_only(SqlSession& session) {
    ActionResult r;
    step(r, session, "SET GLOBAL read_only=0");
    return finish(r);
}

}  // namespace havip::checks
