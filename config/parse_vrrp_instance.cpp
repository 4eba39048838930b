// vrrp_instance NAME { … }: one virtual router, its addresses, authentication and peers.
#include <array>

#include "config/parse_blocks.hpp"
#include "config/parse_fields.hpp"

namespace havip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Where = VrrpInstance::Where;

// A field row that also remembers where its keyword was written, valid or not (validate
// names it).
FieldKeyword<VrrpInstance> noted(FieldKeyword<VrrpInstance> row, SourceLocation Where::*where) {
    return {row.keyword,
            [set = std::move(row.set), where](ParseContext& p, const Node& node, VrrpInstance& v) {
                set(p, node, v);
                v.where.*where = node.keyword.where;
            }};
}

const std::array<FieldKeyword<VrrpInstance>, 16> instance_fields{
    noted(flag_field("nopreempt", &VrrpInstance::nopreempt), &Where::nopreempt),
    flag_field("preempt", &VrrpInstance::nopreempt, false),
    noted(duration_field("preempt_delay", &VrrpInstance::preempt_delay, Duration(0), seconds(1000)),
          &Where::preempt_delay),
    flag_field("dont_track_primary", &VrrpInstance::dont_track_primary),
    int_field("unicast_ttl", &VrrpInstance::unicast_ttl, 1, 255),
    flag_field("check_unicast_src", &VrrpInstance::check_unicast_src),
    address_field("mcast_src_ip", &VrrpInstance::mcast_src_ip),
    noted(duration_field("garp_master_delay", &VrrpInstance::garp_master_delay, Duration(0),
                         seconds(1000)),
          &Where::garp_master_delay),
    noted(int_field("garp_master_repeat", &VrrpInstance::garp_master_repeat, 1, 1000),
          &Where::garp_master_repeat),
    noted(duration_field("garp_master_refresh", &VrrpInstance::garp_master_refresh, Duration(0),
                         seconds(86400)),
          &Where::garp_master_refresh),
    noted(
        int_field("garp_master_refresh_repeat", &VrrpInstance::garp_master_refresh_repeat, 1, 1000),
        &Where::garp_master_refresh_repeat),
    noted(int_field("down_timer_adverts", &VrrpInstance::down_timer_adverts, 1, 100),
          &Where::down_timer_adverts),
    int_field("garp_lower_prio_repeat", &VrrpInstance::garp_lower_prio_repeat, 0, 1000),
    optional_duration_field("garp_lower_prio_delay", &VrrpInstance::garp_lower_prio_delay,
                            Duration(0), seconds(1000)),
    flag_field("accept", &VrrpInstance::accept, true),
    flag_field("no_accept", &VrrpInstance::accept, false),
};

void authentication(ParseContext& p, const Node& block, VrrpInstance& v) {
    if (!p.want_block(block)) return;
    p.extra_values(block, 0);
    v.where.authentication = block.keyword.where;
    std::optional<SourceLocation> type_at;
    bool ah = false;
    std::optional<std::string> pass;
    for (const Node& node : block.children) {
        const std::string_view k = p.kw(node);
        if (k == "auth_type") {
            const Token* token = p.value(node);
            if (!token) continue;
            p.extra_values(node, 1);
            if (token->text == "PASS") {
                v.auth_type = AuthType::pass;
                type_at = node.keyword.where;
            } else if (token->text == "AH") {
                ah = true;
                p.d.warning(token->where,
                            "havipd ignores keepalived's auth_type AH: IPsec AH "
                            "authentication is not implemented (the instance runs without "
                            "authentication)");
            } else {
                p.d.error(
                    token->where,
                    fmt::format("unknown auth_type \"{}\" (expected PASS or AH)", token->text));
            }
        } else if (k == "auth_pass") {
            const Token* token = p.value(node);
            if (!token) continue;
            p.extra_values(node, 1);
            pass = token->text;
            v.where.auth_pass = token->where;
            // RFC 3768 §5.3.10: the password field is 8 bytes.
            if (token->text.size() > 8) {
                p.d.error(token->where,
                          fmt::format("auth_pass is {} bytes, VRRPv2 carries at most 8 "
                                      "(keepalived would truncate it to \"{}\")",
                                      token->text.size(), token->text.substr(0, 8)));
            }
        } else {
            p.d.error(node.keyword.where,
                      fmt::format("unknown keyword \"{}\" in authentication", k));
        }
    }
    if (v.auth_type == AuthType::pass) {
        if (pass) {
            v.auth_pass = pass->substr(0, 8);
        } else {
            // type_at is empty when an earlier authentication block set PASS (fuzzer).
            p.d.warning(type_at.value_or(block.keyword.where),
                        "auth_type PASS without auth_pass: keepalived runs with an empty "
                        "password (did a '#' or '!' comment swallow the auth_pass on this "
                        "line?)");
        }
    } else if (pass && !ah) {
        p.d.warning(v.where.auth_pass,
                    "auth_pass without auth_type PASS is ignored (no authentication)");
    }
}

// `old_unicast_checksum` (send the pre-1.3.6 form from the start) or
// `old_unicast_checksum never` (never switch to it), as keepalived reads it.
void old_unicast_checksum(ParseContext& p, const Node& node, VrrpInstance& v) {
    if (!p.want_statement(node)) return;
    using Mode = VrrpInstance::OldUnicastChecksum;
    if (node.values.empty()) {
        v.old_unicast_checksum = Mode::always;
        return;
    }
    p.extra_values(node, 1);
    if (node.values[0].text == "never") {
        v.old_unicast_checksum = Mode::never;
    } else {
        p.d.error(node.values[0].where,
                  fmt::format("old_unicast_checksum takes no value or \"never\", not \"{}\"",
                              node.values[0].text));
    }
}

void unicast_peers(ParseContext& p, const Node& block, VrrpInstance& v) {
    if (!p.want_block(block)) return;
    p.extra_values(block, 0);
    for (const Node& node : block.children) {
        if (!p.want_statement(node)) continue;
        if (auto address = p.address_token(node.keyword, "unicast_peer")) {
            v.unicast_peers.push_back(*address);
        }
        p.extra_values(node, 0);
    }
}

}  // namespace

void parse_vrrp_instance(ParseContext& p, const Node& block) {
    auto name = p.block_name(block);
    if (!name) return;
    VrrpInstance v;
    v.name = *name;
    v.where.name = block.values[0].where;
    for (const Node& node : block.children) {
        if (set_field<VrrpInstance>(instance_fields, p, node, v)) continue;
        const std::string_view k = p.kw(node);
        if (k == "state") {
            const Token* token = p.value(node);
            if (!token) continue;
            p.extra_values(node, 1);
            if (token->text == "MASTER") {
                v.state = InitialState::master;
            } else if (token->text == "BACKUP") {
                v.state = InitialState::backup;
            } else {
                p.d.error(
                    token->where,
                    fmt::format("unknown state \"{}\" (expected MASTER or BACKUP)", token->text));
                continue;
            }
            v.where.state = token->where;
        } else if (k == "interface") {
            if (auto s = p.string_value(node)) {
                v.interface = *s;
                v.where.interface = node.values[0].where;
            }
        } else if (k == "virtual_router_id") {
            // Remembered even when invalid, so validation does not also call it missing.
            v.where.virtual_router_id = node.keyword.where;
            if (auto n = p.integer(node, 1, 255)) {
                v.virtual_router_id = static_cast<int>(*n);
                v.where.virtual_router_id = node.values[0].where;
            }
        } else if (k == "priority") {
            if (auto n = p.integer(node, 1, 255)) {
                v.priority = static_cast<int>(*n);
                v.where.priority = node.values[0].where;
            }
        } else if (k == "advert_int") {
            // The version decides the valid range and step; see validate.
            Duration d{0};
            p.set_duration(node, d, milliseconds(10), seconds(255));
            if (d > Duration(0)) {
                v.advert_int = d;
                v.where.advert_int = node.values[0].where;
            }
        } else if (k == "version") {
            if (auto n = p.integer(node, 2, 3)) {
                v.version = static_cast<int>(*n);
                v.where.version = node.values[0].where;
            }
        } else if (k == "authentication") {
            authentication(p, node, v);
        } else if (k == "virtual_ipaddress") {
            parse_virtual_addresses(p, node, v.virtual_addresses);
        } else if (k == "virtual_ipaddress_excluded") {
            parse_virtual_addresses(p, node, v.excluded_addresses);
        } else if (k == "track_interface") {
            auto tracks = p.track_interfaces(node);
            v.track_interfaces.insert(v.track_interfaces.end(), tracks.begin(), tracks.end());
        } else if (k == "track_script") {
            auto refs = p.track_refs(node);
            v.track_scripts.insert(v.track_scripts.end(), refs.begin(), refs.end());
        } else if (k == "track_file") {
            auto refs = p.track_refs(node);
            v.track_files.insert(v.track_files.end(), refs.begin(), refs.end());
        } else if (k == "track_process") {
            auto refs = p.track_refs(node, -254, 254);
            v.track_processes.insert(v.track_processes.end(), refs.begin(), refs.end());
        } else if (k == "unicast_src_ip") {
            p.set_address(node, v.unicast_src_ip);
            // Where this line's value is: an earlier line may have set the address.
            if (v.unicast_src_ip && !node.values.empty())
                v.where.unicast_src_ip = node.values[0].where;
        } else if (k == "mcast_dst_ip") {
            p.set_address(node, v.mcast_dst_ip);
            if (v.mcast_dst_ip && !node.values.empty()) v.where.mcast_dst_ip = node.values[0].where;
        } else if (k == "unicast_peer") {
            unicast_peers(p, node, v);
        } else if (k == "old_unicast_checksum") {
            old_unicast_checksum(p, node, v);
        } else if (p.notify_keyword(node, v.notify)) {
        } else {
            p.unknown(node, Context::vrrp_instance);
        }
    }
    if (p.name_free(p.config.instances, "vrrp_instance", v.name, v.where.name)) {
        p.config.instances.push_back(std::move(v));
    }
}

}  // namespace havip::config
