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
//   3. rolls them back with `mariadb-binlog --flashback` (applied unlogged), resets the binary
//      log and sets gtid_slave_pos to the branch point, then sets up GTID replication both ways
//      through bootstrap's code; or, when flashback cannot undo the range (DDL, statement
//      events, images that are not FULL, too large; choose_method says why) or its result does
//      not replicate cleanly, re-seeds this node from the authority through bootstrap's dump
//      path (after dropping its schemas, unlogged, and RESET MASTER);
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

// How the node is brought back to the authority's history.
enum class RejoinMethod {
    flashback,  // its extra transactions rolled back, replication resumed at the branch point
    reseed      // its data replaced by a dump of the authority's
};
const char* to_string(RejoinMethod method);

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
    // plan_rejoin plans the re-seed; with_method() may change it to flashback.
    RejoinMethod method = RejoinMethod::reseed;
    std::string method_why;  // the reason for the method, for a person
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

// What flashback needs to know of mariadb-binlog --verbose's output for the extra range.
struct BinlogScan {
    std::vector<std::string> gtids;  // binlog_gtids()
    std::size_t bytes = 0;           // of the output
    // Transactions that are not row events only, flashback cannot invert them: "0-1-8 (DDL:
    // create table …)", "0-1-9 (a statement: insert …)".
    std::vector<std::string> not_rows;
    // Transactions with an UPDATE whose before image has other columns than its after image:
    // binlog_row_image was not FULL when they were logged.
    std::vector<std::string> partial_images;
};
BinlogScan scan_binlog(std::string_view mariadb_binlog_verbose_output);

// Flashback's bound. mariadb-binlog --flashback holds the whole range in memory to print it
// last-first, and the rollback is one client replaying it while the node is out of service. An
// async crash window is seconds of writes (tens to thousands of transactions); past 10,000
// transactions or 64 MiB of decoded binary log the range is not a crash window, a re-seed's cost
// is as predictable, and a rollback that long is the likelier to meet something unforeseen.
inline constexpr std::size_t flashback_max_transactions = 10000;
inline constexpr std::size_t flashback_max_bytes = std::size_t{64} << 20;

// Flashback when every extra transaction is in this node's binary log still (`scan` holds
// exactly the plan's range: check_saved), all of them row events with full images
// (binlog_format ROW and binlog_row_image FULL on this node, no Query event but
// BEGIN/COMMIT/ROLLBACK in the range, no UPDATE with a partial before image) and the range
// within the bound; otherwise re-seed. The plan's method, why and steps are set accordingly.
RejoinPlan with_method(RejoinPlan plan, const NodeTarget& local, const NodeTarget& authority,
                       const RejoinFacts& facts, const BinlogScan& scan);

// The GTID position where both histories part, per domain: this node's gtid_current_pos with
// each extra domain at its range's `after`. What gtid_slave_pos is set to after the flashback.
std::string branch_position(const RejoinPlan& plan, const RejoinFacts& facts);

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
