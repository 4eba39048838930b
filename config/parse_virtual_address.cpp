// The addresses of `virtual_ipaddress { … }`, one a line, each with the `ip address`-like
// options keepalived takes.
#include <algorithm>
#include <iterator>

#include "config/parse_blocks.hpp"

namespace havip::config {
namespace {

// Virtual address options keepalived accepts that havipd does not apply.
constexpr std::string_view ignored_vip_options[] = {"home", "mngtmpaddr", "autojoin", "track_group",
                                                    "preferred_lft"};
// The ones among them that take a value.
constexpr std::string_view ignored_vip_options_with_value[] = {"track_group", "preferred_lft"};

// IP[/len] [brd IP] [dev IF] [scope S] [label L] [peer IP] [-nodad] [noprefixroute]
// [no_track]
std::optional<VirtualAddress> virtual_address(ParseContext& p, const Node& node) {
    VirtualAddress vip;
    vip.where = node.keyword.where;
    const std::string& text = node.keyword.text;
    const std::size_t slash = text.find('/');
    Token address_part = node.keyword;
    address_part.text = text.substr(0, slash);
    auto address = p.address_token(address_part, "virtual address");
    if (!address) return std::nullopt;
    vip.address = *address;
    const int max_prefix = address->is_v4() ? 32 : 128;
    vip.prefix_length = max_prefix;
    if (slash != std::string::npos) {
        Token length = node.keyword;
        length.text = text.substr(slash + 1);
        length.where.column += static_cast<int>(slash) + 1;
        auto n = p.integer_token(length, "prefix length", 0, max_prefix);
        if (!n) return std::nullopt;
        vip.prefix_length = static_cast<int>(*n);
    }
    bool ok = true;
    const auto& values = node.values;
    for (std::size_t i = 0; i < values.size(); ++i) {
        const Token& option = values[i];
        const std::string& o = option.text;
        auto argument = [&]() -> const Token* {
            if (i + 1 < values.size()) return &values[++i];
            p.d.error(option.where, fmt::format("virtual address option {} needs a value", o));
            ok = false;
            return nullptr;
        };
        if (o == "brd" || o == "broadcast") {
            if (const Token* arg = argument()) {
                if (auto b = p.address_token(*arg, "brd")) {
                    vip.broadcast = *b;
                } else {
                    ok = false;
                }
            }
        } else if (o == "dev") {
            if (const Token* arg = argument()) {
                vip.dev = arg->text;
                vip.dev_where = arg->where;
            }
        } else if (o == "scope") {
            if (const Token* arg = argument()) {
                static constexpr std::string_view scopes[] = {"global", "site", "link", "host",
                                                              "nowhere"};
                if (std::find(std::begin(scopes), std::end(scopes), arg->text) ==
                    std::end(scopes)) {
                    p.d.error(arg->where,
                              fmt::format("unknown scope \"{}\" (expected global, site, link, "
                                          "host or nowhere)",
                                          arg->text));
                    ok = false;
                } else {
                    vip.scope = arg->text;
                }
            }
        } else if (o == "label") {
            if (const Token* arg = argument()) vip.label = arg->text;
        } else if (o == "peer") {
            if (const Token* arg = argument()) {
                if (auto peer = p.address_token(*arg, "peer")) {
                    vip.peer = *peer;
                } else {
                    ok = false;
                }
            }
        } else if (o == "-nodad") {
            vip.dad = true;
        } else if (o == "nodad") {
            vip.dad = false;  // havipd's spelling of the default
        } else if (o == "noprefixroute") {
            vip.noprefixroute = true;
        } else if (o == "no_track") {
            vip.no_track = true;
        } else if (std::find(std::begin(ignored_vip_options), std::end(ignored_vip_options), o) !=
                   std::end(ignored_vip_options)) {
            p.d.warning(
                option.where,
                fmt::format("havipd ignores keepalived's virtual address option \"{}\"", o));
            if (std::find(std::begin(ignored_vip_options_with_value),
                          std::end(ignored_vip_options_with_value),
                          o) != std::end(ignored_vip_options_with_value)) {
                ++i;
            }
        } else {
            // What follows may be this option's value: one error is enough.
            p.d.error(option.where, fmt::format("unknown virtual address option \"{}\"", o));
            ok = false;
            break;
        }
    }
    if (vip.broadcast && !vip.address.is_v4()) {
        p.d.error(vip.where, "brd is only for IPv4 addresses");
        ok = false;
    }
    if (!ok) return std::nullopt;
    return vip;
}

}  // namespace

void parse_virtual_addresses(ParseContext& p, const Node& block, std::vector<VirtualAddress>& out) {
    if (!p.want_block(block)) return;
    p.extra_values(block, 0);
    for (const Node& node : block.children) {
        if (!p.want_statement(node)) continue;
        if (auto vip = virtual_address(p, node)) out.push_back(std::move(*vip));
    }
}

}  // namespace havip::config
