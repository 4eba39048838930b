#include "checks/mysql_reply.hpp"

#include <cstdlib>

namespace havip::checks {

namespace {

// nullopt for a missing column and for NULL alike.
std::optional<std::string> field(const ReplicaRow& row, const char* name) {
    const auto it = row.find(name);
    return it == row.end() ? std::nullopt : it->second;
}

}  // namespace

std::string variables_query(bool mariadb) {
    return mariadb ? "SELECT @@read_only AS ro, @@server_id AS sid, @@gtid_binlog_pos AS binlog, "
                     "@@gtid_slave_pos AS slave, @@gtid_current_pos AS cur, "
                     "@@rpl_semi_sync_slave_enabled AS semi"
                   : "SELECT @@read_only AS ro, @@server_id AS sid, @@gtid_executed AS executed";
}

void read_variables(const std::vector<ReplicaRow>& rows, bool mariadb, Snapshot& snap) {
    if (rows.empty()) return;
    const ReplicaRow& r = rows.front();
    if (auto ro = field(r, "ro")) snap.read_only = *ro != "0";
    if (auto sid = field(r, "sid")) snap.server_id = static_cast<std::uint32_t>(std::stoul(*sid));
    if (mariadb) {
        snap.gtid_binlog_pos = field(r, "binlog");
        snap.gtid_slave_pos = field(r, "slave");
        snap.gtid_current_pos = field(r, "cur");
        if (auto semi = field(r, "semi")) snap.semi_sync_slave_enabled = *semi != "0";
    } else {
        snap.gtid_executed = field(r, "executed");
    }
}

void read_semi_sync_status(const std::vector<ReplicaRow>& rows, Snapshot& snap) {
    for (const auto& row : rows) {
        auto name = field(row, "Variable_name");
        auto value = field(row, "Value");
        if (name && value) snap.semi_sync[*name] = *value;
    }
}

void read_slave_net_timeout(const std::vector<ReplicaRow>& rows, Snapshot& snap) {
    if (rows.empty()) return;
    const auto text = field(rows.front(), "t");
    if (!text) return;
    char* end = nullptr;
    const double value = std::strtod(text->c_str(), &end);
    if (end == text->c_str() || value <= 0) return;
    snap.slave_net_timeout = value;
}

}  // namespace havip::checks
