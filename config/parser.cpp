#include "config/parser.hpp"

#include <utility>

#include <fmt/format.h>

#include "config/parse_blocks.hpp"

namespace havip::config {
namespace {

void top_level(ParseContext& p, const Node& node) {
    const std::string_view k = p.kw(node);
    if (k == "global_defs") {
        if (p.want_block(node)) parse_global_defs(p, node);
    } else if (k == "vrrp_script") {
        parse_vrrp_script(p, node);
    } else if (k == "vrrp_instance") {
        parse_vrrp_instance(p, node);
    } else if (k == "vrrp_sync_group") {
        parse_sync_group(p, node);
    } else if (k == "track_file" || k == "vrrp_track_file") {
        // keepalived 2.x calls the block track_file; vrrp_track_file is its older name.
        parse_track_file(p, node);
    } else if (k == "vrrp_track_process") {
        parse_track_process(p, node);
    } else if (k == "mysql_check") {
        parse_mysql_check(p, node);
    } else if (k == "tcp_check") {
        parse_tcp_check(p, node);
    } else {
        p.unknown(node, Context::top);
    }
}

}  // namespace

std::string format_seconds(Duration duration) {
    const long long micros = duration.count();
    std::string text = fmt::format("{}.{:06}", micros / 1'000'000, micros % 1'000'000);
    while (text.back() == '0')
        text.pop_back();
    if (text.back() == '.') text.pop_back();
    return text;
}

std::string refer_to(const SourceLocation& where, const std::string& from_file) {
    if (where.file == from_file) return fmt::format("line {}", where.line);
    return fmt::format("{}:{}", where.file, where.line);
}

Config parse_config(const std::vector<Node>& nodes, Diagnostics& diagnostics) {
    ParseContext p(diagnostics);
    for (const Node& node : nodes)
        top_level(p, node);
    return std::move(p.config);
}

}  // namespace havip::config
