// From the block tree to the typed model: each keyword's values are checked where they are
// written (range, enum, address, block shape). Checks that need the whole configuration
// (references, duplicates, interfaces, script files) are in config/validate.
#pragma once

#include <string>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/model.hpp"
#include "config/tree.hpp"

namespace havip::config {

Config parse_config(const std::vector<Node>& nodes, Diagnostics& diagnostics);

// "1", "0.5", "40.95": seconds as written in the file, for messages and describe().
std::string format_seconds(Duration duration);

// "line 12" when `where` is in `from_file`, otherwise "FILE:12".
std::string refer_to(const SourceLocation& where, const std::string& from_file);

}  // namespace havip::config
