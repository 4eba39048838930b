// The mysql_check history (last contact, the diverged latch…) kept in a small state file so
// a restart of havipd does not forget that the standby was current a moment ago: without it
// the first interval after a restart would call every peer_gone standby "not fresh".
#pragma once

#include <string>
#include <system_error>

#include "checks/mysql_decision.hpp"

namespace havip::checks {

struct LoadedHistory {
    // Empty when the file is missing; latched diverged, the reason naming the file and why,
    // when it exists but cannot be read or parsed (a reset would forget the latch).
    History history;
    std::error_code error;  // no_such_file_or_directory for a first start
    std::string detail;     // which line was wrong, for a log line
};

// Reads `path`; a missing file gives an empty history, an unreadable or malformed one a
// latched history, and says why.
LoadedHistory load_history(const std::string& path);

// Writes `path` atomically (a temporary file beside it, fsync, rename, fsync of the
// directory). A failure (disk full, read-only fs) is returned for the caller to log; the
// check keeps working from memory.
std::error_code save_history(const std::string& path, const History& history);

// The file's text, and back: exposed for tests.
std::string format_history(const History& history);
bool parse_history(const std::string& text, History& out, std::string& detail);

}  // namespace havip::checks
