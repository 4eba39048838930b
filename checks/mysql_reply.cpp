#include "checks/mysql_reply.hpp"

#include <charconv>
#include <cmath>
#include <string_view>

#include <fmt/format.h>

namespace havip::checks {

namespace {

// nullopt for a missing column and for NULL alike.
std::optional<std::string> field(const ReplicaRow& row, const char* name) {
    const auto it = row.find(name);
    return it == row.end() ? std::nullopt : it->second;
}

// A value as an alert quotes it: the server (or a proxy in front of it) may answer anything,
// at any length.
std::string quoted(std::string_view text) {
    constexpr std::size_t shown = 40;
    if (text.size() <= shown) return fmt::format("'{}'", text);
    return fmt::format("'{}…' ({} bytes)", text.substr(0, shown), text.size());
}

// A boolean variable as SELECT @@var answers it (0 or 1); ON and OFF as SHOW VARIABLES does.
std::optional<bool> switch_value(std::string_view text) {
    if (text == "0" || text == "OFF" || text == "off") return false;
    if (text == "1" || text == "ON" || text == "on") return true;
    return std::nullopt;
}

// Reads a boolean variable's column into `out`; a value neither 0 nor 1 is unknown, and said.
void read_switch(const ReplicaRow& row, const char* column, const char* variable,
                 std::optional<bool>& out, Snapshot& snap) {
    const auto text = field(row, column);
    if (!text) return;
    out = switch_value(*text);
    if (!out)
        snap.unreadable.push_back(
            fmt::format("{} {} is neither 0 nor 1: unknown", variable, quoted(*text)));
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
    // Unknown rather than read-only: on the holder, read-only makes manage_read_only clear it.
    read_switch(r, "ro", "@@read_only", snap.read_only, snap);
    if (auto sid = field(r, "sid")) {
        // Unknown rather than an exception on the probe thread, which would end havipd; the
        // write probe, which names its row by server id, is then not tried.
        snap.server_id = whole_number<std::uint32_t>(*sid);
        if (!snap.server_id)
            snap.unreadable.push_back(fmt::format(
                "@@server_id {} is not a number from 0 to 4294967295: unknown", quoted(*sid)));
    }
    if (mariadb) {
        snap.gtid_binlog_pos = field(r, "binlog");
        snap.gtid_slave_pos = field(r, "slave");
        snap.gtid_current_pos = field(r, "cur");
        read_switch(r, "semi", "@@rpl_semi_sync_slave_enabled", snap.semi_sync_slave_enabled, snap);
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
    // from_chars, not strtod: no locale, and "inf" or "nan" are not a timeout. An infinite one
    // would keep a channel whose master hangs fresh for ever.
    double value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec == std::errc{} && end == text->data() + text->size() && std::isfinite(value) &&
        value > 0) {
        snap.slave_net_timeout = value;
        return;
    }
    snap.unreadable.push_back(
        fmt::format("@@slave_net_timeout {} is not a number of seconds: ignored", quoted(*text)));
}

}  // namespace havip::checks
