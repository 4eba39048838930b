// What mysql_check reads from its server's answers: the rows of each statement of a snapshot
// (take_snapshot) turned into Snapshot fields, without a connection. The statements sit here
// beside their readers, since the readers look their columns up by the names these give.
// A value that is not of its type (a server_id that is no number, a read_only neither 0 nor 1)
// is left unknown and said in Snapshot::unreadable; nothing here throws.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/mysql_decision.hpp"

namespace havip::checks {

// A number as a server's answer gives it: decimal digits and nothing else, within the type (no
// sign, space, or trailing text); nothing otherwise.
template <typename Int>
std::optional<Int> whole_number(std::string_view text) {
    Int value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || text.front() == '-' || ec != std::errc{} ||
        end != text.data() + text.size())
        return std::nullopt;
    return value;
}

// The variables of a snapshot: read_only, server_id and the GTID positions (MariaDB:
// gtid_binlog_pos, gtid_slave_pos, gtid_current_pos and rpl_semi_sync_slave_enabled; MySQL:
// gtid_executed).
std::string variables_query(bool mariadb);
void read_variables(const std::vector<ReplicaRow>& rows, bool mariadb, Snapshot& snap);

// SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%': each Variable_name and its Value.
inline constexpr const char* semi_sync_status_query = "SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%'";
void read_semi_sync_status(const std::vector<ReplicaRow>& rows, Snapshot& snap);

// The server's slave_net_timeout: whole seconds, or fractional on MariaDB; a finite positive
// number or nothing.
inline constexpr const char* slave_net_timeout_query = "SELECT @@slave_net_timeout AS t";
void read_slave_net_timeout(const std::vector<ReplicaRow>& rows, Snapshot& snap);

}  // namespace havip::checks
