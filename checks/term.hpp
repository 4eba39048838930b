// Terms in the data (issue 15): every promote writes the next term into the node's own data,
// `havip.heartbeat`, one row per server, before read_only=0. The row replicates with the
// writes, so of two branches that differ the newer one is the one whose highest term is
// higher — what sequence numbers cannot tell (an async crash-window tail and a partition's
// newer writes both look like "more transactions").
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checks/mysql_client.hpp"
#include "checks/mysql_decision.hpp"

namespace havip::checks {

// The node's highest term: 0 for a table with no row.
inline constexpr const char* term_query = "SELECT COALESCE(MAX(term), 0) AS t FROM havip.heartbeat";

// The schema, created by the first promote that finds it missing (replicated like the rows).
inline constexpr const char* term_schema = "CREATE DATABASE IF NOT EXISTS havip";
inline constexpr const char* term_table =
    "CREATE TABLE IF NOT EXISTS havip.heartbeat ("
    "server_id INT UNSIGNED NOT NULL PRIMARY KEY, "
    "term BIGINT UNSIGNED NOT NULL, "
    "written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB";

// Whether the replica status shows the two nodes' data differ (1950, 1062, or 1236 for a GTID
// not in the master's binlog): only then is the term read.
bool data_differ(const std::vector<ReplicaRow>& rows);

// The answer to term_query, or the error. A missing table or schema (1146, 1049) is reported
// as the error: a node that never recorded a term is asked for nothing more.
// `sql` is term_query, or it wrapped in a server-side bound (MysqlConnection::bounded).
std::variant<std::uint64_t, SqlError> read_term(SqlSession& session,
                                                const std::string& sql = term_query);

// The peer's highest term, over `peer` (a connection to the peer's server, with the check's
// login): connects, reads, and closes (asked only while the data differ, it holds no slot
// there). A peer without the table never recorded a term: 0.
std::variant<std::uint64_t, SqlError> read_peer_term(MysqlConnection& peer);

// What asking the peer for its term came to: the term, or why there is none.
struct PeerTermAnswer {
    std::optional<std::uint64_t> term;
    std::string error;
};
// `completed`: the job ran to its end within `bound` (else no answer came); `answer`:
// read_peer_term's result.
PeerTermAnswer peer_term_answer(bool completed, const std::variant<std::uint64_t, SqlError>& answer,
                                std::chrono::seconds bound);
// Why the peer at `at` is not asked at all, or nothing: a Master_Host that is a name would need
// a lookup, which can block.
std::optional<std::string> peer_term_unaskable(const PeerAddress& at);
// The line logged for the answer: "the data differ from the peer's: its term is 4 (…:3306)".
std::string describe(const PeerTermAnswer& answer, const PeerAddress& at);

// The statement that records `term` as this server's (`server_id`).
std::string record_term_sql(std::uint32_t server_id, std::uint64_t term);

}  // namespace havip::checks
