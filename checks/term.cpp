#include "checks/term.hpp"

#include <fmt/format.h>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_reply.hpp"

namespace havip::checks {

namespace {

std::optional<std::string> field(const ReplicaRow& row, const char* name) {
    auto it = row.find(name);
    if (it == row.end()) return std::nullopt;
    return it->second;
}

}  // namespace

bool data_differ(const std::vector<ReplicaRow>& rows) {
    for (const auto& row : rows) {
        const auto sql = field(row, "Last_SQL_Errno").value_or("0");
        const auto io = field(row, "Last_IO_Errno").value_or("0");
        if (sql == "1950" || sql == "1062") return true;
        if (io == "1236" &&
            field(row, "Last_IO_Error").value_or("").find("not in the master's binlog") !=
                std::string::npos)
            return true;
    }
    return false;
}

std::variant<std::uint64_t, SqlError> read_term(SqlSession& session, const std::string& sql) {
    auto answer = session.query(sql);
    if (auto* e = std::get_if<SqlError>(&answer)) return *e;
    const auto& rows = std::get<std::vector<ReplicaRow>>(answer);
    const auto text = rows.empty() ? std::nullopt : field(rows.front(), "t");
    // The whole text: "12abc" is no term 12, since the next term is written from it.
    const auto term = text ? whole_number<std::uint64_t>(*text) : std::nullopt;
    if (!term) return SqlError{0, fmt::format("not a term: {}", text.value_or("NULL"))};
    return *term;
}

std::variant<std::uint64_t, SqlError> read_peer_term(MysqlConnection& peer) {
    if (auto e = peer.ensure_connected()) return *e;
    auto term = read_term(peer);
    peer.close();
    if (auto* e = std::get_if<SqlError>(&term); e && (e->code == 1146 || e->code == 1049))
        return std::uint64_t{0};
    return term;
}

std::string record_term_sql(std::uint32_t server_id, std::uint64_t term) {
    return fmt::format(
        "INSERT INTO havip.heartbeat (server_id, term, written_at) VALUES ({}, {}, NOW(6)) "
        "ON DUPLICATE KEY UPDATE term = VALUES(term), written_at = VALUES(written_at)",
        server_id, term);
}

PeerTermAnswer peer_term_answer(bool completed, const std::variant<std::uint64_t, SqlError>& answer,
                                std::chrono::seconds bound) {
    if (!completed) return {std::nullopt, fmt::format("no answer within {} s", bound.count())};
    if (const auto* term = std::get_if<std::uint64_t>(&answer)) return {*term, ""};
    return {std::nullopt, std::get<SqlError>(answer).describe()};
}

std::optional<std::string> peer_term_unaskable(const PeerAddress& at) {
    if (is_ip_literal(at.host)) return std::nullopt;
    return fmt::format("Master_Host {} is not an IP address (a name lookup could block)", at.host);
}

std::string describe(const PeerTermAnswer& answer, const PeerAddress& at) {
    if (answer.term)
        return fmt::format("the data differ from the peer's: its term is {} ({}:{})", *answer.term,
                           at.host, at.port);
    return fmt::format("the data differ from the peer's: cannot read its term ({}:{}): {}", at.host,
                       at.port, answer.error);
}

}  // namespace havip::checks
