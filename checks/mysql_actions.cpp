#include "checks/mysql_actions.hpp"

#include <algorithm>
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
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

std::string ActionResult::describe() const {
    if (ok) return fmt::format("{} steps ok", steps.size());
    for (const auto& s : steps) {
        if (!s.ok) return fmt::format("failed at `{}`: {}", s.description, s.detail);
    }
    return "nothing done";
}

ActionResult promote(SqlSession& session, const PromoteSettings& settings) {
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
    if (received && !received->empty()) {
        const double total = settings.apply_timeout.count();
        const double slice = settings.wait_slice.count() > 0 ? settings.wait_slice.count() : total;
        double left = total;
        for (;;) {
            const double now = std::min(slice, left);
            std::string wait =
                maria ? fmt::format("SELECT MASTER_GTID_WAIT({}, {:.3f}) AS w",
                                    sql_quote(*received), now)
                      : fmt::format("SELECT WAIT_FOR_EXECUTED_GTID_SET({}, {:.3f}) AS w",
                                    sql_quote(*received), now);
            auto answer = step(r, session, wait);
            if (!answer) return finish(r);
            // MASTER_GTID_WAIT: 0 reached, -1 timeout; WAIT_FOR_EXECUTED_GTID_SET: 0 / 1.
            auto w = value(*answer, {"w"});
            if (w && *w == "0") break;
            left -= now;
            if (w && left > 1e-6) {
                r.steps.back().detail = fmt::format("{} not applied yet", *received);
                continue;
            }
            r.steps.back().ok = false;
            r.steps.back().detail = fmt::format("{} not applied within {:.1f} s (returned {})",
                                                *received, total, w.value_or("NULL"));
            return finish(r);
        }
        r.steps.back().detail = fmt::format("{} applied", *received);
    } else {
        r.steps.push_back(
            {"wait for the relay log", true, "no GTID received: nothing to wait for"});
    }
    // The whole channel, so it cannot resume from the old primary if that comes back; its
    // settings stay for the operator (or bootstrap) to re-point.
    std::string stop = maria ? fmt::format("STOP SLAVE{}", channel_clause(session, name))
                             : fmt::format("STOP REPLICA{}", mysql_channel(name));
    if (settings.stop_channel && !step(r, session, stop)) return finish(r);
    if (!step(r, session, "SET GLOBAL read_only=0")) return finish(r);
    return finish(r);
}

ActionResult demote(SqlSession& session) {
    ActionResult r;
    if (!step(r, session, "SET SESSION lock_wait_timeout=2")) return finish(r);
    step(r, session, "SET GLOBAL read_only=1");
    return finish(r);
}

ActionResult clear_read_only(SqlSession& session) {
    ActionResult r;
    step(r, session, "SET GLOBAL read_only=0");
    return finish(r);
}

}  // namespace havip::checks
