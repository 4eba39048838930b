// GTID positions as the servers print them, and the "has everything received been applied"
// comparison the mysql_check decision needs (shared/reference/mysql-health.md, "applied").
//
// MariaDB prints a GTID list: one domain-server-sequence triple per replication domain,
// "0-1-100,1-2-5". MySQL prints a GTID set: per source UUID (optionally with a tag since 8.3)
// a list of transaction intervals, "3e11fa47-…:1-5:7,8a94f357-…:1-2" (with newlines after
// the commas in SHOW REPLICA STATUS). Both parse into values that compare without I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace havip::checks {

// A parse failure names what was wrong and where, so the check's reason can quote it.
struct GtidParseError {
    std::string message;
};

// MariaDB: the last transaction seen per domain.
struct MariadbGtid {
    std::uint32_t server_id = 0;
    std::uint64_t sequence = 0;
};
using MariadbGtidList = std::map<std::uint32_t, MariadbGtid>;  // domain → last GTID

// MySQL: per source ("uuid" or "uuid:tag"), sorted, merged, closed intervals.
using GtidIntervals = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
using MysqlGtidSet = std::map<std::string, GtidIntervals>;

template <typename T>
struct Parsed {
    std::optional<T> value;
    GtidParseError error;  // meaningful only when !value
};

// "" parses to an empty list (a server that never logged a transaction).
Parsed<MariadbGtidList> parse_mariadb_gtid_list(std::string_view text);
Parsed<MysqlGtidSet> parse_mysql_gtid_set(std::string_view text);

// True when every domain of `received` is present in `applied` with a sequence at least as
// high: everything the IO thread fetched has been executed. Sequence numbers are compared per
// domain only; server ids differ after a failover and do not order transactions.
bool mariadb_applied(const MariadbGtidList& received, const MariadbGtidList& applied);

// The domains where `applied` is behind `received`, as "domain 0: 0-1-100 > 0-1-98", for a
// reason a person reads.
std::vector<std::string> mariadb_missing(const MariadbGtidList& received,
                                         const MariadbGtidList& applied);

// True when `subset` ⊆ `superset` (MySQL's GTID_SUBSET).
bool mysql_gtid_subset(const MysqlGtidSet& subset, const MysqlGtidSet& superset);

std::string to_string(const MariadbGtidList& list);

}  // namespace havip::checks
