// Internal to config/parser: one parser per top-level block, each in a file of its own, each
// adding what it reads to `p.config` and reporting to `p.d`. `block` is the block's node.
#pragma once

#include <vector>

#include "config/parse_context.hpp"

namespace havip::config {

void parse_global_defs(ParseContext& p, const Node& block);
void parse_vrrp_script(ParseContext& p, const Node& block);
void parse_vrrp_instance(ParseContext& p, const Node& block);
void parse_sync_group(ParseContext& p, const Node& block);
void parse_track_file(ParseContext& p, const Node& block);
void parse_track_process(ParseContext& p, const Node& block);
void parse_mysql_check(ParseContext& p, const Node& block);
void parse_tcp_check(ParseContext& p, const Node& block);

// `virtual_ipaddress { … }` and `virtual_ipaddress_excluded { … }` of an instance.
void parse_virtual_addresses(ParseContext& p, const Node& block, std::vector<VirtualAddress>& out);

}  // namespace havip::config
