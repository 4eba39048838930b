#include "config/model.hpp"

#include <algorithm>

namespace havip::config {
namespace {

template <typename T>
const T* find_named(const std::vector<T>& items, std::string_view name) {
    auto it =
        std::find_if(items.begin(), items.end(), [&](const T& item) { return item.name == name; });
    return it == items.end() ? nullptr : &*it;
}

}  // namespace

const VrrpScript* Config::find_script(std::string_view name) const {
    return find_named(scripts, name);
}
const MysqlCheck* Config::find_mysql_check(std::string_view name) const {
    return find_named(mysql_checks, name);
}
const TcpCheck* Config::find_tcp_check(std::string_view name) const {
    return find_named(tcp_checks, name);
}
const TrackFile* Config::find_track_file(std::string_view name) const {
    return find_named(track_files, name);
}

const TrackProcess* Config::find_track_process(std::string_view name) const {
    return find_named(track_processes, name);
}
const VrrpInstance* Config::find_instance(std::string_view name) const {
    return find_named(instances, name);
}
bool Config::has_check(std::string_view name) const {
    return find_script(name) || find_mysql_check(name) || find_tcp_check(name);
}

const SyncGroup* Config::find_sync_group_of(std::string_view instance) const {
    for (const auto& g : sync_groups)
        if (std::find(g.instances.begin(), g.instances.end(), instance) != g.instances.end())
            return &g;
    return nullptr;
}

std::string unknown_ids(const Command& command) {
    if (!command.ids_unknown) return "its user was not looked up when the configuration was loaded";
    std::string out = "unknown user '" + command.run_user.value_or("") + "'";
    if (command.run_group) out += " or group '" + *command.run_group + "'";
    return out;
}

}  // namespace havip::config
