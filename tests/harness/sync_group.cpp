#include "tests/harness/sync_group.hpp"

#include <tuple>

#include <fmt/format.h>

#include "tests/harness/keepalived_conf.hpp"

namespace havip::test {

using namespace std::chrono_literals;

std::string two_member_group(std::string_view node, int priority, std::string_view group,
                             const std::filesystem::path& flag,
                             const std::filesystem::path& hook) {
    KeepalivedConfig c;
    c.router_id = std::string(node);
    for (auto [name, vrid, vip] :
         {std::tuple{"VI_DB", 51, sync_db_vip}, {"VI_GW", 52, sync_gw_vip}}) {
        VrrpInstanceSpec s;
        s.name = name;
        s.vrid = vrid;
        s.priority = priority;
        s.version = 3;
        s.advert_int = 200ms;
        s.vips = {fmt::format("{}/24", vip)};
        if (!flag.empty() && vrid == 52) s.extra_lines = {"track_file {", "    flag", "}"};
        c.instances.push_back(s);
    }
    if (!hook.empty()) c.global_extra_lines = {"script_user root", "enable_script_security"};
    std::string out = render_keepalived_conf(c);
    if (!flag.empty())
        out +=
            fmt::format("track_file flag {{\n    file \"{}\"\n    weight 0\n}}\n", flag.string());
    if (!group.empty())
        out += fmt::format(
            "vrrp_sync_group {} {{\n    group {{\n        VI_DB\n        VI_GW\n"
            "    }}\n{}}}\n",
            group, hook.empty() ? "" : fmt::format("    notify \"{}\" root\n", hook.string()));
    return out;
}

}  // namespace havip::test
