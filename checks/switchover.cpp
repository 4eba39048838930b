#include "checks/switchover.hpp"

#include <charconv>
#include <thread>

#include <fmt/format.h>

#include "checks/gtid.hpp"

namespace havip::checks {
namespace {

// Records a step that failed without a statement (a check of what a statement returned).
ActionResult& fail(ActionResult& r, std::string description, std::string detail) {
    r.steps.push_back({std::move(description), false, std::move(detail)});
    r.ok = false;
    return r;
}

ActionResult& done(ActionResult& r) {
    r.ok = !r.steps.empty();
    for (const auto& s : r.steps)
        r.ok = r.ok && s.ok;
    return r;
}

std::optional<std::uint32_t> number(const std::optional<std::string>& text) {
    if (!text) return std::nullopt;
    std::uint32_t out = 0;
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
    if (ec != std::errc{} || end != text->data() + text->size() || text->empty())
        return std::nullopt;
    return out;
}

std::string show_channel(const SqlSession& session, const std::string& name) {
    if (session.is_mariadb())
        return name.empty() ? "SHOW SLAVE STATUS"
                            : fmt::format("SHOW SLAVE {} STATUS", sql_quote(name));
    return name.empty() ? "SHOW REPLICA STATUS"
                        : fmt::format("SHOW REPLICA STATUS FOR CHANNEL {}", sql_quote(name));
}

// What a waiter must apply of `position` (this node's binlog position): on MariaDB every
// domain's last GTID except those the target itself wrote, on MySQL the whole executed set.
std::optional<std::string> wait_list(ActionResult& r, const SqlSession& local,
                                     const std::string& position, std::uint32_t target_id) {
    if (!local.is_mariadb()) return position;
    auto parsed = parse_mariadb_gtid_list(position);
    if (!parsed.value) {
        fail(r, "this node's position", fmt::format("{}: {}", position, parsed.error.message));
        return std::nullopt;
    }
    return to_string(fence_wait_list(*parsed.value, target_id));
}

const char* position_sql(const SqlSession& session) {
    return session.is_mariadb() ? "SELECT @@gtid_binlog_pos AS p" : "SELECT @@gtid_executed AS p";
}

std::variant<std::unique_ptr<SqlSession>, std::string> open_target(
    const SwitchoverTarget& target, const PeerConnector& connect_peer) {
    auto opened = connect_peer(target.host, target.port);
    if (auto* e = std::get_if<SqlError>(&opened))
        return fmt::format("the target {} does not let us in: {}", target.where(), e->describe());
    return std::move(std::get<std::unique_ptr<SqlSession>>(opened));
}

// The target's statements are recorded as "target host:port: sql".
std::optional<std::vector<ReplicaRow>> target_step(ActionResult& r, SqlSession& peer,
                                                   const SwitchoverTarget& target,
                                                   const std::string& sql) {
    auto rows = run_step(r, peer, sql);
    r.steps.back().description = fmt::format("target {}: {}", target.where(), sql);
    return rows;
}

}  // namespace

std::string SwitchoverTarget::where() const {
    return host.find(':') != std::string::npos ? fmt::format("[{}]:{}", host, port)
                                               : fmt::format("{}:{}", host, port);
}

SwitchoverPreflight switchover_preflight(SqlSession& local, const SwitchoverSettings& settings,
                                         const PeerConnector& connect_peer) {
    SwitchoverPreflight out;
    auto& r = out.result;
    auto channel = run_step(r, local, show_channel(local, settings.connection_name));
    if (!channel) return out;
    if (channel->empty()) {
        fail(r, "this node's channel",
             fmt::format("no channel '{}': this node does not replicate from a peer",
                         settings.connection_name));
        return out;
    }
    const auto io = first_value(*channel, {"Slave_IO_Running", "Replica_IO_Running"});
    const auto sql = first_value(*channel, {"Slave_SQL_Running", "Replica_SQL_Running"});
    SwitchoverTarget target;
    target.host = first_value(*channel, {"Master_Host", "Source_Host"}).value_or("");
    target.port = number(first_value(*channel, {"Master_Port", "Source_Port"})).value_or(3306);
    if (io != "Yes" || sql != "Yes") {
        fail(r, "this node's channel",
             fmt::format("replication from {} is not running (IO {}, SQL {}): after the "
                         "switchover this node would not get the new master's writes",
                         target.where(), io.value_or("?"), sql.value_or("?")));
        return out;
    }
    if (!is_ip_literal(target.host)) {
        fail(r, "this node's channel",
             fmt::format("Master_Host {} is not an IP address (a name lookup could block)",
                         target.host));
        return out;
    }
    if (settings.target_host && *settings.target_host != target.host) {
        fail(r, "the target",
             fmt::format("{} is not this node's peer: it replicates from {}", *settings.target_host,
                         target.where()));
        return out;
    }
    auto own = run_step(r, local,
                        local.is_mariadb() ? "SELECT @@read_only AS ro, @@gtid_binlog_pos AS p"
                                           : "SELECT @@read_only AS ro, @@gtid_executed AS p");
    if (!own) return out;
    if (first_value(*own, {"ro"}) != "0") {
        fail(r, "this node", "read_only is on: this node is not the writer");
        return out;
    }
    const std::string position = first_value(*own, {"p"}).value_or("");
    r.steps.back().detail =
        position.empty() ? "writable, no position yet" : "writable at " + position;

    auto opened = open_target(target, connect_peer);
    if (auto* why = std::get_if<std::string>(&opened)) {
        fail(r, fmt::format("connect to the target {}", target.where()), *why);
        return out;
    }
    auto& peer = *std::get<std::unique_ptr<SqlSession>>(opened);
    auto facts = target_step(r, peer, target, "SELECT @@read_only AS ro, @@server_id AS id");
    if (!facts) return out;
    target.server_id = number(first_value(*facts, {"id"})).value_or(0);
    if (first_value(*facts, {"ro"}) != "1") {
        fail(r, "the target", "read_only is off there: it would be a second writer");
        return out;
    }
    if (settings.target_server_id && *settings.target_server_id != target.server_id) {
        fail(r, "the target",
             fmt::format("server id {}, expected {} (peer_server_id)", target.server_id,
                         *settings.target_server_id));
        return out;
    }
    r.steps.back().detail = fmt::format("read-only, server id {}", target.server_id);
    // The target must be applying this node's writes: a channel stopped by an error is how a
    // diverged standby looks from here (its havipd latches it and would not take the VIP).
    const auto show = show_channel(peer, settings.connection_name);
    auto theirs = peer.query(show);
    const auto* error = std::get_if<SqlError>(&theirs);
    if (error && error->code == 1227) {
        // A peer account set up before switchover existed: the catch-up wait below still
        // proves the target applies this node's writes.
        r.steps.push_back({fmt::format("target {}: {}", target.where(), show), true,
                           "not allowed (grant SLAVE MONITOR to the peer account, as `havip "
                           "generate` does): judged by the wait below"});
    } else if (error) {
        fail(r, fmt::format("target {}: {}", target.where(), show), error->describe());
        return out;
    } else {
        const auto& rows = std::get<std::vector<ReplicaRow>>(theirs);
        r.steps.push_back(
            {fmt::format("target {}: {}", target.where(), show), true, "replicating"});
        if (rows.empty()) {
            fail(r, "the target",
                 fmt::format("no channel '{}' there: it does not replicate from this node",
                             settings.connection_name));
            return out;
        }
        const auto their_io = first_value(rows, {"Slave_IO_Running", "Replica_IO_Running"});
        const auto their_sql = first_value(rows, {"Slave_SQL_Running", "Replica_SQL_Running"});
        if (their_io != "Yes" || their_sql != "Yes") {
            const auto why = first_value(rows, {"Last_SQL_Error", "Last_IO_Error"});
            fail(r, "the target",
                 fmt::format("its replication from this node is not running (IO {}, SQL {}{})",
                             their_io.value_or("?"), their_sql.value_or("?"),
                             why && !why->empty() ? ": " + *why : std::string{}));
            return out;
        }
    }
    auto wanted = position.empty() ? std::optional<std::string>{""}
                                   : wait_list(r, local, position, target.server_id);
    if (!wanted) return out;
    if (!wanted->empty()) {
        PromoteSettings wait;
        wait.connection_name = settings.connection_name;
        wait.apply_timeout = settings.lag_bound;
        wait.wait_slice = settings.wait_slice;
        double left = settings.lag_bound.count();
        if (!wait_gtids_applied(r, peer, *wanted, wait, left)) {
            r.steps.back().detail = fmt::format(
                "the target lags: {} (it must apply this node's position within "
                "{:.1f} s before a switchover starts)",
                r.steps.back().detail, settings.lag_bound.count());
            return out;
        }
        r.steps.back().description = fmt::format("target {}: caught up", target.where());
    }
    out.target = target;
    done(r);
    return out;
}

ActionResult switchover_catch_up(SqlSession& local, const SwitchoverTarget& target,
                                 const SwitchoverSettings& settings,
                                 const PeerConnector& connect_peer,
                                 std::chrono::duration<double> timeout) {
    ActionResult r;
    auto own = run_step(r, local, position_sql(local));
    if (!own) return r;
    const std::string position = first_value(*own, {"p"}).value_or("");
    r.steps.back().detail = position.empty() ? "(empty)" : position;
    auto wanted = position.empty() ? std::optional<std::string>{""}
                                   : wait_list(r, local, position, target.server_id);
    if (!wanted) return r;
    if (wanted->empty()) {
        r.steps.push_back({"the target's wait", true, "nothing to wait for"});
        return done(r);
    }
    auto opened = open_target(target, connect_peer);
    if (auto* why = std::get_if<std::string>(&opened)) {
        fail(r, fmt::format("connect to the target {}", target.where()), *why);
        return r;
    }
    PromoteSettings wait;
    wait.connection_name = settings.connection_name;
    wait.apply_timeout = timeout;
    wait.wait_slice = settings.wait_slice;
    double left = timeout.count();
    if (!wait_gtids_applied(r, *std::get<std::unique_ptr<SqlSession>>(opened), *wanted, wait, left))
        return r;
    r.steps.back().description = fmt::format("target {}: applied", target.where());
    return done(r);
}

ActionResult switchover_target_writable(const SwitchoverTarget& target,
                                        const SwitchoverSettings& settings,
                                        const PeerConnector& connect_peer,
                                        std::chrono::duration<double> timeout) {
    ActionResult r;
    const auto pause = std::chrono::duration<double>(0.05);
    std::unique_ptr<SqlSession> peer;
    std::string last = "no answer";
    for (double waited = 0;; waited += pause.count()) {
        if (!peer) {
            auto opened = open_target(target, connect_peer);
            if (auto* why = std::get_if<std::string>(&opened))
                last = *why;
            else
                peer = std::move(std::get<std::unique_ptr<SqlSession>>(opened));
        }
        if (peer) {
            auto answer = peer->query("SELECT @@read_only AS ro");
            if (auto* rows = std::get_if<std::vector<ReplicaRow>>(&answer)) {
                if (first_value(*rows, {"ro"}) == "0") {
                    r.steps.push_back(
                        {fmt::format("target {}: read_only=0", target.where()), true, "writable"});
                    return done(r);
                }
                last = "read_only is still on";
            } else {
                last = std::get<SqlError>(answer).describe();
                peer.reset();
            }
        }
        if (waited >= timeout.count()) break;
        if (settings.pause)
            settings.pause(pause);
        else
            std::this_thread::sleep_for(pause);
    }
    return fail(r, fmt::format("target {}: read_only=0", target.where()),
                fmt::format("not writable within {:.1f} s ({})", timeout.count(), last));
}

std::string blocking_sessions(SqlSession& local) {
    auto answer = local.query(
        "SELECT ID AS id, USER AS user, HOST AS host, COMMAND AS command, TIME AS time, "
        "IFNULL(STATE, '') AS state, IFNULL(LEFT(INFO, 60), '') AS info "
        "FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN "
        "('Daemon', 'Binlog Dump', 'Binlog Dump GTID', 'Slave_IO', 'Slave_SQL', "
        "'Slave_worker') AND USER NOT IN ('system user', 'event_scheduler') "
        "ORDER BY TIME DESC LIMIT 5");
    const auto* rows = std::get_if<std::vector<ReplicaRow>>(&answer);
    if (!rows)
        return fmt::format("(cannot list sessions: {})", std::get<SqlError>(answer).describe());
    if (rows->empty()) return "no other client session";
    std::string out = "sessions that may hold it, longest first:";
    for (const auto& row : *rows) {
        const auto get = [&](const char* key) {
            auto it = row.find(key);
            return it == row.end() || !it->second ? std::string{} : *it->second;
        };
        out +=
            fmt::format(" [id {} {}@{} {} {} s{}{}]", get("id"), get("user"), get("host"),
                        get("command"), get("time"), get("state").empty() ? "" : " " + get("state"),
                        get("info").empty() ? "" : ": " + get("info"));
    }
    return out;
}

}  // namespace havip::checks
