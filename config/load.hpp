// Loading keepalived.conf: read (with includes), parse, validate, and report every
// diagnostic. The entry point for `havipd`, `havipd -t` and reloads.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/model.hpp"

namespace havip::config {

struct LoadOptions {
    // For `@ID` conditional lines and ${_INSTANCE} (havipd -i; the caller passes the short
    // host name by default, as keepalived does).
    std::string config_id;
    // Whether an interface exists; null = do not check (interface, dev, track_interface).
    std::function<bool(std::string_view ifname)> interface_exists;
    // Whether to stat the programs of vrrp_script and notify commands.
    bool check_scripts = true;
    // Whether a script refused by script security is an error (havipd -t: the daemon would
    // silently drop it) or a warning (the daemon, which runs without it, as keepalived).
    bool refused_scripts_are_errors = true;
    // A user's uid and primary gid, or the named group's gid; nullopt when either does not
    // exist. Null = the system's user database (getpwnam_r, getgrnam_r).
    using Ids = RunIds;
    std::function<std::optional<Ids>(const std::string& user,
                                     const std::optional<std::string>& group)>
        lookup_user;
    // Where a program named without a slash is looked up.
    std::string script_search_path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
};

struct LoadResult {
    std::optional<Config> config;  // absent only when nothing could be read
    std::vector<Diagnostic> diagnostics;

    // No errors (warnings allowed).
    bool ok() const;
};

LoadResult load_file(const std::filesystem::path& path, const LoadOptions& options);
LoadResult load_string(std::string_view text, std::string_view file_name,
                       const LoadOptions& options);

}  // namespace havip::config
