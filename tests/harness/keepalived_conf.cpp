#include "tests/harness/keepalived_conf.hpp"

#include <fmt/format.h>

namespace havip::test {

VrrpInstanceSpec v3_instance(int priority, std::string_view vip) {
    VrrpInstanceSpec s;
    s.priority = priority;
    s.version = 3;
    s.advert_int = std::chrono::milliseconds(100);
    s.vips = {fmt::format("{}/24", vip)};
    return s;
}

std::string format_advert_int(std::chrono::milliseconds interval) {
    const auto ms = interval.count();
    if (ms % 1000 == 0) return fmt::format("{}", ms / 1000);
    std::string text = fmt::format("{}.{:03}", ms / 1000, ms % 1000);
    while (text.back() == '0')
        text.pop_back();
    return text;
}

std::string render_keepalived_conf(const KeepalivedConfig& config) {
    std::string out = "global_defs {\n";
    out += fmt::format("    router_id {}\n", config.router_id);
    for (const auto& line : config.global_extra_lines)
        out += fmt::format("    {}\n", line);
    out += "}\n";
    for (const auto& instance : config.instances) {
        out += fmt::format("\nvrrp_instance {} {{\n", instance.name);
        if (instance.state) out += fmt::format("    state {}\n", *instance.state);
        out += fmt::format("    interface {}\n", instance.interface);
        out += fmt::format("    version {}\n", instance.version);
        out += fmt::format("    virtual_router_id {}\n", instance.vrid);
        out += fmt::format("    priority {}\n", instance.priority);
        out += fmt::format("    advert_int {}\n", format_advert_int(instance.advert_int));
        if (instance.nopreempt) out += "    nopreempt\n";
        if (instance.preempt_delay) {
            out += fmt::format("    preempt_delay {}\n", *instance.preempt_delay);
        }
        if (instance.auth_pass) {
            out += "    authentication {\n        auth_type PASS\n";
            out += fmt::format("        auth_pass {}\n    }}\n", *instance.auth_pass);
        }
        if (instance.unicast_src_ip) {
            out += fmt::format("    unicast_src_ip {}\n", *instance.unicast_src_ip);
        }
        if (!instance.unicast_peers.empty()) {
            out += "    unicast_peer {\n";
            for (const auto& peer : instance.unicast_peers)
                out += fmt::format("        {}\n", peer);
            out += "    }\n";
        }
        out += "    virtual_ipaddress {\n";
        for (const auto& vip : instance.vips)
            out += fmt::format("        {}\n", vip);
        out += "    }\n";
        for (const auto& line : instance.extra_lines)
            out += fmt::format("    {}\n", line);
        out += "}\n";
    }
    return out;
}

}  // namespace havip::test
