// vrrp_sync_group NAME { … }: instances that change state together, and what they track as one.
#include "config/parse_blocks.hpp"

namespace havip::config {

void parse_sync_group(ParseContext& p, const Node& block) {
    auto name = p.block_name(block);
    if (!name) return;
    SyncGroup g;
    g.name = *name;
    g.where = block.values[0].where;
    for (const Node& node : block.children) {
        const std::string_view k = p.kw(node);
        if (k == "group") {
            if (!p.want_block(node)) continue;
            p.extra_values(node, 0);
            for (const Node& member : node.children) {
                if (!p.want_statement(member)) continue;
                // keepalived allows several names on one line.
                g.instances.push_back(member.keyword.text);
                g.instance_where.push_back(member.keyword.where);
                for (const Token& more : member.values) {
                    g.instances.push_back(more.text);
                    g.instance_where.push_back(more.where);
                }
            }
        } else if (k == "track_script") {
            auto refs = p.track_refs(node);
            g.track_scripts.insert(g.track_scripts.end(), refs.begin(), refs.end());
        } else if (k == "track_interface") {
            auto tracks = p.track_interfaces(node);
            g.track_interfaces.insert(g.track_interfaces.end(), tracks.begin(), tracks.end());
        } else if (k == "track_file") {
            auto refs = p.track_refs(node);
            g.track_files.insert(g.track_files.end(), refs.begin(), refs.end());
        } else if (k == "track_process") {
            auto refs = p.track_refs(node, -254, 254);
            g.track_processes.insert(g.track_processes.end(), refs.begin(), refs.end());
        } else if (p.notify_keyword(node, g.notify)) {
        } else {
            p.unknown(node, Context::sync_group);
        }
    }
    if (p.name_free(p.config.sync_groups, "vrrp_sync_group", g.name, g.where)) {
        p.config.sync_groups.push_back(std::move(g));
    }
}

}  // namespace havip::config
