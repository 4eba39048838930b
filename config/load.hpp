// Loading keepalived.conf: read (with includes), parse, validate, and report every
// diagnostic. The entry point for `havipd`, `havipd -t` and reloads.
#pragma once

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
