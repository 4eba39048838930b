// keepalived keywords havipd knows but does not implement. A keyword in this table is parsed
// past (a block skipped whole) with a warning; any other unknown keyword is an error. The
// distinction is this data, not code.
#pragma once

#include <string_view>

namespace havip::config {

// The block a keyword appears in.
enum class Context {
    top,
    global_defs,
    vrrp_script,
    vrrp_instance,
    sync_group,
    track_file,
    track_process
};

struct IgnoredKeyword {
    Context context;
    std::string_view keyword;
    std::string_view why;  // completes "havipd ignores keepalived's KEYWORD: WHY"
};

// The entry for KEYWORD in CONTEXT, or nullptr when keepalived does not know it either.
const IgnoredKeyword* find_ignored_keyword(Context context, std::string_view keyword);

}  // namespace havip::config
