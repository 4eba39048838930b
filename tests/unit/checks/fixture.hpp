// Loads recorded server answers (tests/fixtures/mysql/…): the mariadb client's \G output of
// "SELECT @@read_only, …\G SHOW ALL SLAVES STATUS\G". The first row block is the variables,
// the following ones are replica rows; "NULL" is a NULL, a missing line a missing column.
#pragma once

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "checks/mysql_decision.hpp"

namespace havip::checks::testing {

inline Snapshot load_snapshot(const std::string& relative) {
    std::ifstream in(std::string(HAVIP_SOURCE_DIR) + "/tests/fixtures/mysql/" + relative);
    if (!in) throw std::runtime_error("missing fixture " + relative);
    std::vector<ReplicaRow> blocks;
    std::string line;
    std::string last_key;
    static const std::regex field(R"(^\s*([A-Za-z_@]+): ?(.*)$)");
    while (std::getline(in, line)) {
        if (line.rfind('#', 0) == 0) continue;
        if (line.rfind('*', 0) == 0) {
            blocks.emplace_back();
            last_key.clear();
            continue;
        }
        std::smatch m;
        if (std::regex_match(line, m, field) && !blocks.empty()) {
            last_key = m[1];
            std::string value = m[2];
            if (value == "NULL") {
                blocks.back()[last_key] = std::nullopt;
            } else {
                blocks.back()[last_key] = value;
            }
        } else if (!last_key.empty() && !blocks.empty() && blocks.back()[last_key]) {
            *blocks.back()[last_key] += "\n" + line;  // a GTID set wrapped after a comma
        }
    }
    Snapshot snap;
    if (blocks.empty()) return snap;
    auto& vars = blocks.front();
    auto get = [&](const char* k) -> std::optional<std::string> {
        auto it = vars.find(k);
        return it == vars.end() ? std::nullopt : it->second;
    };
    if (auto ro = get("@@read_only")) snap.read_only = *ro != "0";
    if (auto sid = get("@@server_id")) snap.server_id = std::stoul(*sid);
    snap.gtid_binlog_pos = get("@@gtid_binlog_pos");
    snap.gtid_slave_pos = get("@@gtid_slave_pos");
    snap.gtid_current_pos = get("@@gtid_current_pos");
    snap.gtid_executed = get("@@gtid_executed");
    snap.replicas.assign(blocks.begin() + 1, blocks.end());
    return snap;
}

}  // namespace havip::checks::testing
