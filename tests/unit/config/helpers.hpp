// Shared by the config unit tests: load text the way havipd would, on a fake host with
// interfaces lo, eth0, eth1 and br0, and read the diagnostics back as "LINE:COL: sev: msg".
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/load.hpp"

namespace havip::config::testing {

// The fake host's users: root, nobody, and keepalived_script (so a script with no user of
// its own does not run as root); groups root and nogroup.
inline std::optional<LoadOptions::Ids> fake_users(const std::string& user,
                                                  const std::optional<std::string>& group) {
    LoadOptions::Ids ids;
    if (user == "root") ids = {0, 0};
    else if (user == "nobody") ids = {65534, 65534};
    else if (user == "keepalived_script") ids = {998, 998};
    else return std::nullopt;
    if (group) {
        if (*group == "root") ids.gid = 0;
        else if (*group == "nogroup") ids.gid = 65534;
        else return std::nullopt;
    }
    return ids;
}

inline LoadOptions test_options() {
    LoadOptions options;
    options.config_id = "node1";
    options.interface_exists = [](std::string_view name) {
        static const std::set<std::string, std::less<>> known{"lo", "eth0", "eth1", "br0"};
        return known.count(name) > 0;
    };
    options.check_scripts = true;
    options.lookup_user = fake_users;
    return options;
}

inline LoadResult load(std::string_view text, const LoadOptions& options = test_options()) {
    return load_string(text, "t.conf", options);
}

// Diagnostics of t.conf without the file name; others keep theirs.
inline std::vector<std::string> messages(const LoadResult& result) {
    std::vector<std::string> out;
    for (const auto& d : result.diagnostics) {
        std::string text = format(d);
        if (text.rfind("t.conf:", 0) == 0) text = text.substr(7);
        out.push_back(text);
    }
    return out;
}

inline std::vector<std::string> messages_of(std::string_view text,
                                            const LoadOptions& options = test_options()) {
    return messages(load(text, options));
}

// A valid instance to build on: the tests add or change one thing at a time.
inline std::string instance(std::string_view extra = "", std::string_view name = "VI_1",
                            int vrid = 51, std::string_view vip = "10.0.0.50") {
    std::string text = "vrrp_instance ";
    text += name;
    text += " {\n    interface eth0\n    virtual_router_id " + std::to_string(vrid) + "\n";
    text += "    virtual_ipaddress {\n        ";
    text += vip;
    text += "\n    }\n";
    text += extra;
    text += "}\n";
    return text;
}

}  // namespace havip::config::testing
