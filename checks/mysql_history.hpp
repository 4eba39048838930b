// The mysql_check history (last contact, the diverged latch…) kept in a small state file so
// a restart of havipd does not forget that the standby was current a moment ago: without it
// the first interval after a restart would call every peer_gone standby "not fresh".
#pragma once

#include <string>
#include <system_error>

#include "checks/mysql_decision.hpp"

namespace havip::checks {

struct LoadedHistory {
    History history;        // empty when the file is missing or unreadable
    std::error_code error;  // no_such_file_or_directory for a first start
    std::string detail;     // which line was wrong, for a log line
};

// Reads `path`; a missing or malformed file gives an empty history and says why.
LoadedHistory load_history(const std::string& path);

// Writes `path` atomically (a temporary file beside it, fsync, rename, fsync of the
// directory). A failure (disk full, read-only fs) is returned for the caller to log; the
// check keeps working from memory.
std::error_code save_history(const std::string& path, const History& history);

// The file's text, and back: exposed for tests.
std::string format_history(const History& history);
bool parse_history(const std::string& text, History& out, std::string& detail);

}  // namespace havip::checks
