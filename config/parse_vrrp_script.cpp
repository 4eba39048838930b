// vrrp_script NAME { … }: a command run every interval whose exit status a tracking instance
// follows.
#include <array>

#include "config/parse_blocks.hpp"
#include "config/parse_fields.hpp"

namespace havip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::array<FieldKeyword<VrrpScript>, 6> script_fields{
    duration_field("interval", &VrrpScript::interval, milliseconds(1), seconds(86400)),
    duration_field("timeout", &VrrpScript::timeout, Duration(0), seconds(86400)),
    weight_field(&VrrpScript::weight, &VrrpScript::weight_reverse, -253, 253),
    int_field("rise", &VrrpScript::rise, 1, 65535),
    int_field("fall", &VrrpScript::fall, 1, 65535),
    flag_field("init_fail", &VrrpScript::init_fail),
};

}  // namespace

void parse_vrrp_script(ParseContext& p, const Node& block) {
    auto name = p.block_name(block);
    if (!name) return;
    VrrpScript s;
    s.name = *name;
    s.where = block.values[0].where;
    bool has_script = false;
    for (const Node& node : block.children) {
        if (set_field<VrrpScript>(script_fields, p, node, s)) continue;
        const std::string_view k = p.kw(node);
        if (k == "script") {
            if (auto cmd = p.command(node, false)) {
                s.script = std::move(*cmd);
                has_script = true;
            }
        } else if (k == "user") {
            p.user_group(node, s.user, s.group);
        } else {
            p.unknown(node, Context::vrrp_script);
        }
    }
    if (!has_script) {
        p.d.error(s.where, fmt::format("vrrp_script \"{}\" has no script", s.name));
        return;
    }
    if (s.timeout == Duration(0)) s.timeout = s.interval;
    if (p.check_name_free(s.name, s.where)) p.config.scripts.push_back(std::move(s));
}

}  // namespace havip::config
