// `havip rejoin`: bring a stale or diverged node back as a replica of the authority (issue 15).
//
// Run on the stale node: the old master that came back holding transactions of an async crash
// window (or of a partition) that the node now holding the VIP never got. Its check is latched
// *diverged*; the authority keeps serving. The rejoin
//   1. refuses unless this node is the stale side (read-only, not the VIP holder, and its peer
//      reachable and writable or holding writes this node lacks): the authority is never
//      rejoined;
//   2. saves the transactions this node has and the authority lacks as SQL (mariadb-binlog)
//      under <state dir>/rejoin/, counted and checked against the GTID positions, and refuses
//      if it cannot: nothing is dropped silently;
//   3. re-seeds this node from the authority through bootstrap's dump path (after dropping its
//      schemas, unlogged, and RESET MASTER), which also sets up GTID replication both ways;
//   4. clears the diverged latch of the running havipd (the request `havip clear-diverged`
//      sends).
// plan_rejoin() and the helpers below are pure (unit-tested); havip/rejoin_run.cpp executes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "havip/bootstrap.hpp"

namespace havip::cli {

struct RejoinFacts {
    ServerFacts local;             // this node, the one to rejoin
    ServerFacts authority;         // its peer
    bool local_holds_vip = false;  // the database VIP is on one of this host's interfaces
};

// In one replication domain, the local transactions after `after` (exclusive; the last
// transaction both histories share) through `through` (the local gtid_binlog_pos of that
// domain) are the ones the authority lacks.
struct ExtraRange {
    std::uint32_t domain = 0;
    std::string after;    // "0-1-100"
    std::string through;  // "0-1-102"
    // The local (domain, server) last GTIDs the authority lacks or has at a lower sequence.
    std::vector<std::string> beyond_authority;
};

struct RejoinPlan {
    // Refusals, each naming the node; when any is present nothing may be changed.
    std::vector<std::string> errors;
    std::vector<std::string> notices;
    std::vector<ExtraRange> extra;  // empty: this node holds nothing the authority lacks
    // mariadb-binlog's --do-domain-ids, --start-position (exclusive) and --stop-position
    // (inclusive), over the domains of `extra` only.
    std::string domains;
    std::string start_position;
    std::string stop_position;
    // What will be done, in order, for a person (printed as bootstrap prints its steps).
    std::vector<std::string> steps;
    bool has_extra() const { return !extra.empty(); }
};

RejoinPlan plan_rejoin(const NodeTarget& local, const NodeTarget& authority,
                       const RejoinFacts& facts);

// The GTIDs of the transactions in mariadb-binlog's output ("#… GTID 0-1-102 trans"), in order.
std::vector<std::string> binlog_gtids(std::string_view mariadb_binlog_output);

// Whether `gtids` (what mariadb-binlog printed) are exactly the plan's extra transactions as far
// as the positions show: every extra domain present and ending at its `through`, nothing at or
// before `after`, nothing outside the extra domains, no GTID the authority already logged.
// nullopt when it is; otherwise why not.
std::optional<std::string> check_saved(const RejoinPlan& plan, const RejoinFacts& facts,
                                       const std::vector<std::string>& gtids);

// <UTC time>-<server_id>.sql: "20261206T025500Z-1.sql".
std::string saved_file_name(std::chrono::system_clock::time_point now, std::uint32_t server_id);

// The comment block that opens the saved file: what it is, the GTIDs, the authority, the time,
// and how (not) to apply it.
std::string saved_header(const NodeTarget& local, const NodeTarget& authority,
                         const RejoinFacts& facts, const std::vector<std::string>& gtids,
                         std::chrono::system_clock::time_point now);

// `havip rejoin INVENTORY --admin-option-file FILE [--node NAME] [--secrets DIR] [--state-dir DIR]
// [--socket PATH] [--dry-run] [--seed-timeout S] [--wait-timeout S]`: 0 rejoined (or --dry-run
// printed the plan), 1 refused or failed, 3 the authority is unreachable (nothing changed),
// 64 bad usage.
inline constexpr int exit_peer_unreachable = 3;
int run_rejoin(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
std::string rejoin_usage();

}  // namespace havip::cli
