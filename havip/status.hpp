// `havip status [--socket PATH] [--json]`: asks havipd over its control socket and prints a
// table, or the daemon's JSON document as it is. The exit code tells scripts the verdict.
#pragma once

#include <chrono>
#include <cstddef>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace havip::cli {

// Documented in README.md "Operations".
inline constexpr int exit_ok = 0;
inline constexpr int exit_fault = 1;        // at least one instance is in FAULT
inline constexpr int exit_unreachable = 2;  // no daemon, permission denied, bad answer
inline constexpr int exit_usage = 64;       // EX_USAGE

inline constexpr const char* default_socket = "/run/havipd/havipd.sock";

struct StatusArgs {
    std::string socket = default_socket;
    bool json = false;
    bool help = false;
};
struct UsageError {
    std::string message;
};
// The arguments after "status".
std::variant<StatusArgs, UsageError> parse_status_args(const std::vector<std::string>& args);
std::string status_usage();

struct QueryError {
    std::string message;
};
// The longest answer line read, its '\n' included: far beyond the status document of any
// configuration (a few KiB an instance), far below what a client should hold in memory.
inline constexpr std::size_t max_answer = std::size_t{16} << 20;
// One request, one answer line (at most max_answer bytes, ended by '\n'), each within
// `timeout`.
std::variant<nlohmann::json, QueryError> query_daemon(const std::string& socket,
                                                      const nlohmann::json& request,
                                                      std::chrono::milliseconds timeout);
std::variant<nlohmann::json, QueryError> query_status(const std::string& socket,
                                                      std::chrono::milliseconds timeout);

// The readable table: one line per instance, then its checks, counters and timing.
std::string render_table(const nlohmann::json& document);

// exit_fault when an instance is in FAULT, exit_unreachable when the document is an error or
// not a status document, otherwise exit_ok.
int status_exit_code(const nlohmann::json& document);

// The whole command: parse, query, print; returns the exit code.
int run_status(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace havip::cli
