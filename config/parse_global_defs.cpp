// global_defs { … }: daemon-wide settings and the defaults instances inherit.
#include <algorithm>
#include <array>
#include <cctype>

#include "config/parse_blocks.hpp"
#include "config/parse_fields.hpp"

namespace havip::config {
namespace {

using std::chrono::seconds;

const std::array<FieldKeyword<GlobalDefs>, 15> global_fields{
    string_field("router_id", &GlobalDefs::router_id),
    flag_field("enable_script_security", &GlobalDefs::enable_script_security),
    duration_field("vrrp_garp_master_delay", &GlobalDefs::vrrp_garp_master_delay, Duration(0),
                   seconds(1000)),
    int_field("vrrp_garp_master_repeat", &GlobalDefs::vrrp_garp_master_repeat, 1, 1000),
    duration_field("vrrp_garp_master_refresh", &GlobalDefs::vrrp_garp_master_refresh, Duration(0),
                   seconds(86400)),
    int_field("vrrp_garp_master_refresh_repeat", &GlobalDefs::vrrp_garp_master_refresh_repeat, 1,
              1000),
    duration_field("vrrp_garp_interval", &GlobalDefs::vrrp_garp_interval, Duration(0), seconds(1)),
    duration_field("vrrp_gna_interval", &GlobalDefs::vrrp_gna_interval, Duration(0), seconds(1)),
    int_field("vrrp_garp_lower_prio_repeat", &GlobalDefs::vrrp_garp_lower_prio_repeat, 0, 1000),
    optional_duration_field("vrrp_garp_lower_prio_delay", &GlobalDefs::vrrp_garp_lower_prio_delay,
                            Duration(0), seconds(1000)),
    int_field("vrrp_version", &GlobalDefs::vrrp_version, 2, 3),
    int_field("vrrp_down_timer_adverts", &GlobalDefs::vrrp_down_timer_adverts, 1, 100),
    // 0 (a havip extension; keepalived takes 1..99): normal scheduling.
    int_field("vrrp_rt_priority", &GlobalDefs::vrrp_rt_priority, 0, 99),
    flag_field("vrrp_no_swap", &GlobalDefs::vrrp_no_swap),
    duration_field("vrrp_startup_delay", &GlobalDefs::vrrp_startup_delay, Duration(0),
                   seconds(3600)),
};

// POSIX portable names, as useradd accepts them: no spaces, no colons.
bool valid_group_name(std::string_view name) {
    if (name.empty() || name.size() > 32 || name.front() == '-') return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

}  // namespace

void parse_global_defs(ParseContext& p, const Node& block) {
    GlobalDefs& g = p.config.global;
    g.where = block.keyword.where;
    p.extra_values(block, 0);
    for (const Node& node : block.children) {
        if (set_field<GlobalDefs>(global_fields, p, node, g)) continue;
        const std::string_view k = p.kw(node);
        if (k == "script_user") {
            p.user_group(node, g.script_user, g.script_group);
        } else if (k == "vrrp_mcast_group4" || k == "vrrp_mcast_group6") {
            const bool v4 = k == "vrrp_mcast_group4";
            std::optional<IpAddress> group;
            p.set_address(node, group);
            if (group && (group->is_v4() != v4 || !group->is_multicast())) {
                p.d.error(node.values[0].where,
                          fmt::format("{} {} is not an {} multicast address", k,
                                      node.values[0].text, v4 ? "IPv4" : "IPv6"));
            } else if (group) {
                (v4 ? g.vrrp_mcast_group4 : g.vrrp_mcast_group6) = group;
            }
        } else if (k == "havip_metrics_listen") {
            const Token* token = p.value(node);
            if (token) {
                p.extra_values(node, 1);
                if (auto listen = p.listen_address(*token)) g.metrics_listen = *listen;
            }
        } else if (k == "havip_control_group") {
            if (auto v = p.string_value(node)) {
                if (valid_group_name(*v)) {
                    g.control_group = *v;
                    g.control_group_where = node.values[0].where;
                } else {
                    p.d.error(node.values[0].where,
                              fmt::format("havip_control_group \"{}\" is not a group name", *v));
                }
            }
        } else if (k == "reload_check_config") {
            if (p.want_statement(node)) {
                p.extra_values(node, 1);
                g.reload_check_config = true;
            }
        } else {
            p.unknown(node, Context::global_defs);
        }
    }
}

}  // namespace havip::config
