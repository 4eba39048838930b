// keepalived's dump files, so its exporters and scripts read havipd as they read keepalived:
// SIGUSR1 writes the data dump (/tmp/keepalived.data), SIGUSR2 the statistics
// (/tmp/keepalived.stats), SIGRTMIN+2 the JSON dump (/tmp/keepalived.json). The layouts copy
// keepalived 2.2.7's output (captured from a running keepalived); the data dump carries only
// the sections havipd has (global definitions, VRRP topology), with keepalived's line labels.
// Pure: text in memory; the daemon writes the files.
#pragma once

#include <filesystem>
#include <string>

#include "vrrpd/status.hpp"

namespace havip::vrrp {

// keepalived's directory for the dumps; havipd's --dump-dir changes it (tests).
inline constexpr const char* default_dump_directory = "/tmp";

struct DumpPaths {
    std::filesystem::path data;   // keepalived.data
    std::filesystem::path stats;  // keepalived.stats
    std::filesystem::path json;   // keepalived.json
};
DumpPaths dump_paths(const std::filesystem::path& directory);

// SIGUSR1: "------< Global definitions >------", "------< VRRP Topology >------" with one
// " VRRP Instance = NAME" block each ("   State = MASTER", "   Virtual Router ID = 51"…).
std::string format_data_dump(const StatusSnapshot& snapshot);

// SIGUSR2: "VRRP Instance: NAME" then its counters under keepalived's headings.
std::string format_stats_dump(const StatusSnapshot& snapshot);

// SIGRTMIN+2: a JSON array of {"data":{iname, vrid, state, …}, "stats":{advert_rcvd, …}},
// states numbered as keepalived's (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT).
std::string format_json_dump(const StatusSnapshot& snapshot);

}  // namespace havip::vrrp
