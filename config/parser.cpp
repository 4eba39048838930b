#include "config/parser.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>
#include <type_traits>
#include <utility>

#include <fmt/format.h>

#include "config/command.hpp"
#include "config/keywords.hpp"

namespace havip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string_view context_name(Context context) {
    switch (context) {
        case Context::top:
            return "the top level";
        case Context::global_defs:
            return "global_defs";
        case Context::vrrp_script:
            return "vrrp_script";
        case Context::vrrp_instance:
            return "vrrp_instance";
        case Context::sync_group:
            return "vrrp_sync_group";
        case Context::track_file:
            return "track_file";
        case Context::track_process:
            return "vrrp_track_process";
    }
    return "";
}

// "12", "-3": a whole decimal integer, nothing else.
std::optional<long long> to_integer(std::string_view text) {
    long long value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// "1", "0.25", ".5": non-negative decimal seconds, to the microsecond (finer digits dropped).
std::optional<Duration> to_duration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    const std::size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view fraction =
        dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
    if (whole.empty() && fraction.empty()) return std::nullopt;
    auto all_digits = [](std::string_view s) {
        return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!all_digits(whole) || !all_digits(fraction) || whole.size() > 9) return std::nullopt;
    long long micros = 0;
    for (char c : whole)
        micros = micros * 10 + (c - '0');
    micros *= 1'000'000;
    long long scale = 100'000;
    for (std::size_t i = 0; i < fraction.size() && scale > 0; ++i, scale /= 10) {
        micros += (fraction[i] - '0') * scale;
    }
    return Duration(micros);
}

// Virtual address options keepalived accepts that havipd does not apply.
constexpr std::string_view ignored_vip_options[] = {"home", "mngtmpaddr", "autojoin", "track_group",
                                                    "preferred_lft"};
// The ones among them that take a value.
constexpr std::string_view ignored_vip_options_with_value[] = {"track_group", "preferred_lft"};

class Parser {
  public:
    explicit Parser(Diagnostics& diagnostics) : d_(diagnostics) {}

    Config parse(const std::vector<Node>& nodes) {
        for (const Node& node : nodes)
            top_level(node);
        return std::move(config_);
    }

  private:
    // --- Shape of a statement -------------------------------------------------------------

    std::string_view kw(const Node& node) const { return node.keyword.text; }

    void unknown(const Node& node, Context context) {
        if (const IgnoredKeyword* ignored = find_ignored_keyword(context, kw(node))) {
            d_.warning(node.keyword.where, fmt::format("havipd ignores keepalived's \"{}\": {}",
                                                       kw(node), ignored->why));
            return;
        }
        if (node.is_block) {
            if (context == Context::top) {
                d_.error(node.keyword.where, fmt::format("unknown block \"{}\"", kw(node)));
            } else {
                d_.error(node.keyword.where,
                         fmt::format("unknown block \"{}\" in {} (keepalived would end the {} "
                                     "at its '}}')",
                                     kw(node), context_name(context), context_name(context)));
            }
        } else if (context == Context::top) {
            d_.error(node.keyword.where, fmt::format("unknown keyword \"{}\"", kw(node)));
        } else {
            d_.error(node.keyword.where,
                     fmt::format("unknown keyword \"{}\" in {}", kw(node), context_name(context)));
        }
    }

    // A keyword that must open a block.
    bool want_block(const Node& node) {
        if (node.is_block) return true;
        d_.error(node.keyword.where, fmt::format("\"{}\" needs a {{ … }} block", kw(node)));
        return false;
    }

    // A keyword that must not open a block; skips the block if it does.
    bool want_statement(const Node& node) {
        if (!node.is_block) return true;
        d_.error(node.open_brace, fmt::format("\"{}\" does not take a block", kw(node)));
        return false;
    }

    // Values beyond the `used` first ones: keepalived ignores them without a word.
    void extra_values(const Node& node, std::size_t used) {
        if (node.values.size() <= used) return;
        const Token& extra = node.values[used];
        d_.warning(extra.where,
                   fmt::format("unexpected \"{}\" after {} (ignored)", extra.text, kw(node)));
    }

    const Token* value(const Node& node, std::size_t index = 0) {
        if (!want_statement(node)) return nullptr;
        if (node.values.size() > index) return &node.values[index];
        d_.error(node.keyword.where, fmt::format("{} needs a value", kw(node)));
        return nullptr;
    }

    std::optional<std::string> string_value(const Node& node) {
        const Token* token = value(node);
        if (!token) return std::nullopt;
        extra_values(node, 1);
        return token->text;
    }

    std::optional<long long> integer_token(const Token& token, std::string_view what, long long min,
                                           long long max) {
        auto parsed = to_integer(token.text);
        if (!parsed) {
            d_.error(token.where, fmt::format("{} \"{}\" is not an integer (valid: {}..{})", what,
                                              token.text, min, max));
            return std::nullopt;
        }
        if (*parsed < min || *parsed > max) {
            d_.error(token.where,
                     fmt::format("{} {} is out of range (valid: {}..{})", what, *parsed, min, max));
            return std::nullopt;
        }
        return parsed;
    }

    std::optional<long long> integer(const Node& node, long long min, long long max) {
        const Token* token = value(node);
        if (!token) return std::nullopt;
        extra_values(node, 1);
        return integer_token(*token, kw(node), min, max);
    }

    template <typename T>
    void set_int(const Node& node, T& out, long long min, long long max) {
        if (auto parsed = integer(node, min, max)) out = static_cast<T>(*parsed);
    }

    std::optional<Duration> duration_token(const Token& token, std::string_view what, Duration min,
                                           Duration max) {
        auto parsed = to_duration(token.text);
        if (!parsed) {
            d_.error(token.where,
                     fmt::format("{} \"{}\" is not a number of seconds (valid: {}..{})", what,
                                 token.text, format_seconds(min), format_seconds(max)));
            return std::nullopt;
        }
        if (*parsed < min || *parsed > max) {
            d_.error(token.where,
                     fmt::format("{} {} is out of range (valid: {}..{} seconds)", what, token.text,
                                 format_seconds(min), format_seconds(max)));
            return std::nullopt;
        }
        return parsed;
    }

    void set_duration(const Node& node, Duration& out, Duration min, Duration max) {
        const Token* token = value(node);
        if (!token) return;
        extra_values(node, 1);
        if (auto parsed = duration_token(*token, kw(node), min, max)) out = *parsed;
    }

    void set_flag(const Node& node, bool& out, bool flag_value = true) {
        if (!want_statement(node)) return;
        extra_values(node, 0);
        out = flag_value;
    }

    // on|off|true|false|yes|no, lower case as keepalived requires.
    void set_bool(const Node& node, bool& out) {
        const Token* token = value(node);
        if (!token) return;
        extra_values(node, 1);
        const std::string& t = token->text;
        if (t == "on" || t == "true" || t == "yes") {
            out = true;
        } else if (t == "off" || t == "false" || t == "no") {
            out = false;
        } else {
            d_.error(token->where,
                     fmt::format("{} \"{}\" is not a boolean (expected on, off, true, false, "
                                 "yes or no)",
                                 kw(node), t));
        }
    }

    std::optional<IpAddress> address_token(const Token& token, std::string_view what) {
        boost::system::error_code ec;
        IpAddress address = boost::asio::ip::make_address(token.text, ec);
        if (ec || token.text.find('%') != std::string::npos) {
            d_.error(token.where, fmt::format("{} \"{}\" is not an IP address", what, token.text));
            return std::nullopt;
        }
        return address;
    }

    void set_address(const Node& node, std::optional<IpAddress>& out) {
        const Token* token = value(node);
        if (!token) return;
        extra_values(node, 1);
        if (auto address = address_token(*token, kw(node))) out = *address;
    }

    // `ADDRESS:PORT`, the address in brackets when it is IPv6 (`[::1]:9650`), a literal only:
    // a name would need a lookup.
    std::optional<ListenAddress> listen_address(const Token& token) {
        const std::string& t = token.text;
        std::string host, port;
        if (t.starts_with('[')) {
            const auto close = t.find(']');
            if (close == std::string::npos || close + 1 >= t.size() || t[close + 1] != ':') {
                d_.error(token.where, fmt::format("\"{}\" is not [IPV6]:PORT", t));
                return std::nullopt;
            }
            host = t.substr(1, close - 1);
            port = t.substr(close + 2);
        } else {
            const auto colon = t.find(':');
            if (colon == std::string::npos || t.find(':', colon + 1) != std::string::npos) {
                d_.error(token.where,
                         fmt::format("\"{}\" is not ADDRESS:PORT (an IPv6 address goes in "
                                     "brackets: [::1]:9650)",
                                     t));
                return std::nullopt;
            }
            host = t.substr(0, colon);
            port = t.substr(colon + 1);
        }
        boost::system::error_code ec;
        const IpAddress address = boost::asio::ip::make_address(host, ec);
        if (ec || host.find('%') != std::string::npos) {
            d_.error(token.where, fmt::format("\"{}\" in \"{}\" is not an IP address", host, t));
            return std::nullopt;
        }
        const auto number = to_integer(port);
        if (!number || *number < 1 || *number > 65535) {
            d_.error(token.where, fmt::format("port \"{}\" in \"{}\" is not 1..65535", port, t));
            return std::nullopt;
        }
        return ListenAddress{address, static_cast<std::uint16_t>(*number), token.where};
    }

    // POSIX portable names, as useradd accepts them: no spaces, no colons.
    static bool valid_group_name(std::string_view name) {
        if (name.empty() || name.size() > 32 || name.front() == '-') return false;
        return std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
        });
    }

    // `weight W [reverse]` from values starting at `index`.
    void weight_values(const Node& node, std::size_t index, std::optional<int>& weight,
                       bool& reverse, long long min = -253, long long max = 253) {
        if (node.values.size() <= index) return;
        const Token& word = node.values[index];
        if (word.text != "weight") {
            d_.error(word.where, fmt::format("unexpected \"{}\" (expected weight W)", word.text));
            return;
        }
        if (node.values.size() <= index + 1) {
            d_.error(word.where, "weight needs a value");
            return;
        }
        if (auto w = integer_token(node.values[index + 1], "weight", min, max)) {
            weight = static_cast<int>(*w);
        }
        std::size_t used = index + 2;
        if (node.values.size() > used && node.values[used].text == "reverse") {
            reverse = true;
            ++used;
        }
        extra_values(node, used);
    }

    // `script "cmd args"` / `notify_x "cmd args" [USER [GROUP]]`: keepalived takes the first
    // word (the quoted string) as the whole command and splits it itself.
    std::optional<Command> command(const Node& node, bool takes_user) {
        const Token* token = value(node);
        if (!token) return std::nullopt;
        Command cmd;
        cmd.raw = token->text;
        cmd.where = token->where;
        auto split = split_command(token->text);
        if (auto* error = std::get_if<CommandSplitError>(&split)) {
            SourceLocation at = token->where;
            at.column += static_cast<int>(error->offset) + (token->quoted ? 1 : 0);
            d_.error(at, fmt::format("{}: {}", kw(node), error->message));
            return std::nullopt;
        }
        cmd.argv = std::get<std::vector<std::string>>(std::move(split));
        if (node.values.size() > 1) {
            const Token& next = node.values[1];
            if (!token->quoted) {
                d_.warning(next.where,
                           takes_user
                               ? fmt::format("\"{}\" is taken as the user to run \"{}\" as, not "
                                             "as an argument (keepalived drops the command if "
                                             "no such user exists); put the whole command in "
                                             "double quotes",
                                             next.text, token->text)
                               : fmt::format("keepalived ignores \"{}\": only \"{}\" is the "
                                             "command; put the whole command in double quotes",
                                             next.text, token->text));
            }
            if (takes_user) {
                cmd.user = next.text;
                if (node.values.size() > 2) cmd.group = node.values[2].text;
                extra_values(node, 3);
            } else if (token->quoted) {
                extra_values(node, 1);
            }
        }
        return cmd;
    }

    void user_group(const Node& node, std::optional<std::string>& user,
                    std::optional<std::string>& group) {
        const Token* token = value(node);
        if (!token) return;
        user = token->text;
        if (node.values.size() > 1) group = node.values[1].text;
        extra_values(node, 2);
    }

    // The name after a block keyword (`vrrp_instance NAME {`).
    std::optional<std::string> block_name(const Node& node) {
        if (!want_block(node)) return std::nullopt;
        if (node.values.empty()) {
            d_.error(node.keyword.where, fmt::format("{} needs a name", kw(node)));
            return std::nullopt;
        }
        extra_values(node, 1);
        return node.values[0].text;
    }

    // One namespace for vrrp_script, mysql_check and tcp_check: track_script names any.
    bool check_name_free(const std::string& name, const SourceLocation& where) {
        const SourceLocation* earlier = nullptr;
        if (auto* s = config_.find_script(name)) earlier = &s->where;
        if (auto* m = config_.find_mysql_check(name)) earlier = &m->where;
        if (auto* t = config_.find_tcp_check(name)) earlier = &t->where;
        if (!earlier) return true;
        d_.error(where, fmt::format("check \"{}\" is already defined ({})", name,
                                    refer_to(*earlier, where.file)));
        return false;
    }

    template <typename T>
    bool name_free(const std::vector<T>& items, std::string_view what, const std::string& name,
                   const SourceLocation& where) {
        for (const T& item : items) {
            if (item.name == name) {
                const SourceLocation* earlier = nullptr;
                if constexpr (std::is_same_v<T, VrrpInstance>) {
                    earlier = &item.where.name;
                } else {
                    earlier = &item.where;
                }
                d_.error(where, fmt::format("{} \"{}\" is already defined ({})", what, name,
                                            refer_to(*earlier, where.file)));
                return false;
            }
        }
        return true;
    }

    // --- Blocks ---------------------------------------------------------------------------

    void top_level(const Node& node) {
        const std::string_view k = kw(node);
        if (k == "global_defs") {
            if (want_block(node)) global_defs(node);
        } else if (k == "vrrp_script") {
            vrrp_script(node);
        } else if (k == "vrrp_instance") {
            vrrp_instance(node);
        } else if (k == "vrrp_sync_group") {
            sync_group(node);
        } else if (k == "track_file" || k == "vrrp_track_file") {
            // keepalived 2.x calls the block track_file; vrrp_track_file is its older name.
            track_file(node);
        } else if (k == "vrrp_track_process") {
            track_process(node);
        } else if (k == "mysql_check") {
            mysql_check(node);
        } else if (k == "tcp_check") {
            tcp_check(node);
        } else {
            unknown(node, Context::top);
        }
    }

    void global_defs(const Node& block) {
        GlobalDefs& g = config_.global;
        g.where = block.keyword.where;
        extra_values(block, 0);
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "router_id") {
                if (auto v = string_value(node)) g.router_id = *v;
            } else if (k == "script_user") {
                user_group(node, g.script_user, g.script_group);
            } else if (k == "enable_script_security") {
                set_flag(node, g.enable_script_security);
            } else if (k == "vrrp_garp_master_delay") {
                set_duration(node, g.vrrp_garp_master_delay, Duration(0), seconds(1000));
            } else if (k == "vrrp_garp_master_repeat") {
                set_int(node, g.vrrp_garp_master_repeat, 1, 1000);
            } else if (k == "vrrp_garp_master_refresh") {
                set_duration(node, g.vrrp_garp_master_refresh, Duration(0), seconds(86400));
            } else if (k == "vrrp_garp_master_refresh_repeat") {
                set_int(node, g.vrrp_garp_master_refresh_repeat, 1, 1000);
            } else if (k == "vrrp_garp_interval") {
                set_duration(node, g.vrrp_garp_interval, Duration(0), seconds(1));
            } else if (k == "vrrp_gna_interval") {
                set_duration(node, g.vrrp_gna_interval, Duration(0), seconds(1));
            } else if (k == "vrrp_garp_lower_prio_repeat") {
                set_int(node, g.vrrp_garp_lower_prio_repeat, 0, 1000);
            } else if (k == "vrrp_garp_lower_prio_delay") {
                set_duration(node, g.vrrp_garp_lower_prio_delay, Duration(0), seconds(1000));
            } else if (k == "vrrp_version") {
                set_int(node, g.vrrp_version, 2, 3);
            } else if (k == "vrrp_mcast_group4" || k == "vrrp_mcast_group6") {
                const bool v4 = k == "vrrp_mcast_group4";
                std::optional<IpAddress> group;
                set_address(node, group);
                if (group && (group->is_v4() != v4 || !group->is_multicast())) {
                    d_.error(node.values[0].where,
                             fmt::format("{} {} is not an {} multicast address", k,
                                         node.values[0].text, v4 ? "IPv4" : "IPv6"));
                } else if (group) {
                    (v4 ? g.vrrp_mcast_group4 : g.vrrp_mcast_group6) = group;
                }
            } else if (k == "vrrp_rt_priority") {
                // 0 (a havip extension; keepalived takes 1..99): normal scheduling.
                if (auto v = integer(node, 0, 99)) g.vrrp_rt_priority = static_cast<int>(*v);
            } else if (k == "vrrp_no_swap") {
                set_flag(node, g.vrrp_no_swap);
            } else if (k == "vrrp_startup_delay") {
                set_duration(node, g.vrrp_startup_delay, Duration(0), seconds(3600));
            } else if (k == "havip_metrics_listen") {
                const Token* token = value(node);
                if (token) {
                    extra_values(node, 1);
                    if (auto listen = listen_address(*token)) g.metrics_listen = *listen;
                }
            } else if (k == "havip_control_group") {
                if (auto v = string_value(node)) {
                    if (valid_group_name(*v)) {
                        g.control_group = *v;
                        g.control_group_where = node.values[0].where;
                    } else {
                        d_.error(node.values[0].where,
                                 fmt::format("havip_control_group \"{}\" is not a group name", *v));
                    }
                }
            } else if (k == "reload_check_config") {
                if (want_statement(node)) {
                    extra_values(node, 1);
                    g.reload_check_config = true;
                }
            } else {
                unknown(node, Context::global_defs);
            }
        }
    }

    void vrrp_script(const Node& block) {
        auto name = block_name(block);
        if (!name) return;
        VrrpScript s;
        s.name = *name;
        s.where = block.values[0].where;
        bool has_script = false;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "script") {
                if (auto cmd = command(node, false)) {
                    s.script = std::move(*cmd);
                    has_script = true;
                }
            } else if (k == "interval") {
                set_duration(node, s.interval, milliseconds(1), seconds(86400));
            } else if (k == "timeout") {
                set_duration(node, s.timeout, Duration(0), seconds(86400));
            } else if (k == "weight") {
                if (!value(node)) continue;
                std::optional<int> weight;
                Node as_weight = node;
                as_weight.values.insert(as_weight.values.begin(), node.keyword);
                weight_values(as_weight, 0, weight, s.weight_reverse);
                if (weight) s.weight = *weight;
            } else if (k == "rise") {
                set_int(node, s.rise, 1, 65535);
            } else if (k == "fall") {
                set_int(node, s.fall, 1, 65535);
            } else if (k == "user") {
                user_group(node, s.user, s.group);
            } else if (k == "init_fail") {
                set_flag(node, s.init_fail);
            } else {
                unknown(node, Context::vrrp_script);
            }
        }
        if (!has_script) {
            d_.error(s.where, fmt::format("vrrp_script \"{}\" has no script", s.name));
            return;
        }
        if (s.timeout == Duration(0)) s.timeout = s.interval;
        if (check_name_free(s.name, s.where)) config_.scripts.push_back(std::move(s));
    }

    std::vector<TrackRef> track_refs(const Node& block, long long min = -253, long long max = 253) {
        std::vector<TrackRef> refs;
        if (!want_block(block)) return refs;
        extra_values(block, 0);
        for (const Node& node : block.children) {
            if (!want_statement(node)) continue;
            TrackRef ref;
            ref.name = node.keyword.text;
            ref.where = node.keyword.where;
            weight_values(node, 0, ref.weight, ref.reverse, min, max);
            refs.push_back(std::move(ref));
        }
        return refs;
    }

    std::vector<TrackInterface> track_interfaces(const Node& block) {
        std::vector<TrackInterface> out;
        if (!want_block(block)) return out;
        extra_values(block, 0);
        for (const Node& node : block.children) {
            if (!want_statement(node)) continue;
            TrackInterface track;
            track.name = node.keyword.text;
            track.where = node.keyword.where;
            std::optional<int> weight;
            weight_values(node, 0, weight, track.reverse, -254, 254);
            if (weight) track.weight = *weight;
            out.push_back(std::move(track));
        }
        return out;
    }

    // notify_master / notify_backup / notify_fault / notify_stop / notify
    bool notify_keyword(const Node& node, Notify& notify) {
        const std::string_view k = kw(node);
        std::optional<Command>* slot = nullptr;
        if (k == "notify_master") slot = &notify.master;
        if (k == "notify_backup") slot = &notify.backup;
        if (k == "notify_fault") slot = &notify.fault;
        if (k == "notify_stop") slot = &notify.stop;
        if (k == "notify") slot = &notify.any;
        if (!slot) return false;
        if (auto cmd = command(node, true)) *slot = std::move(*cmd);
        return true;
    }

    void vrrp_instance(const Node& block) {
        auto name = block_name(block);
        if (!name) return;
        VrrpInstance v;
        v.name = *name;
        v.where.name = block.values[0].where;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "state") {
                const Token* token = value(node);
                if (!token) continue;
                extra_values(node, 1);
                if (token->text == "MASTER") {
                    v.state = InitialState::master;
                } else if (token->text == "BACKUP") {
                    v.state = InitialState::backup;
                } else {
                    d_.error(token->where,
                             fmt::format("unknown state \"{}\" (expected MASTER or BACKUP)",
                                         token->text));
                    continue;
                }
                v.where.state = token->where;
            } else if (k == "interface") {
                if (auto s = string_value(node)) {
                    v.interface = *s;
                    v.where.interface = node.values[0].where;
                }
            } else if (k == "virtual_router_id") {
                // Remembered even when invalid, so validation does not also call it missing.
                v.where.virtual_router_id = node.keyword.where;
                if (auto n = integer(node, 1, 255)) {
                    v.virtual_router_id = static_cast<int>(*n);
                    v.where.virtual_router_id = node.values[0].where;
                }
            } else if (k == "priority") {
                if (auto n = integer(node, 1, 255)) {
                    v.priority = static_cast<int>(*n);
                    v.where.priority = node.values[0].where;
                }
            } else if (k == "advert_int") {
                // The version decides the valid range and step; see validate.
                Duration d{0};
                set_duration(node, d, milliseconds(10), seconds(255));
                if (d > Duration(0)) {
                    v.advert_int = d;
                    v.where.advert_int = node.values[0].where;
                }
            } else if (k == "version") {
                if (auto n = integer(node, 2, 3)) {
                    v.version = static_cast<int>(*n);
                    v.where.version = node.values[0].where;
                }
            } else if (k == "nopreempt") {
                set_flag(node, v.nopreempt);
                v.where.nopreempt = node.keyword.where;
            } else if (k == "preempt") {
                set_flag(node, v.nopreempt, false);
            } else if (k == "preempt_delay") {
                set_duration(node, v.preempt_delay, Duration(0), seconds(1000));
                v.where.preempt_delay = node.keyword.where;
            } else if (k == "authentication") {
                authentication(node, v);
            } else if (k == "virtual_ipaddress") {
                virtual_addresses(node, v.virtual_addresses);
            } else if (k == "virtual_ipaddress_excluded") {
                virtual_addresses(node, v.excluded_addresses);
            } else if (k == "track_interface") {
                auto tracks = track_interfaces(node);
                v.track_interfaces.insert(v.track_interfaces.end(), tracks.begin(), tracks.end());
            } else if (k == "dont_track_primary") {
                set_flag(node, v.dont_track_primary);
            } else if (k == "track_script") {
                auto refs = track_refs(node);
                v.track_scripts.insert(v.track_scripts.end(), refs.begin(), refs.end());
            } else if (k == "track_file") {
                auto refs = track_refs(node);
                v.track_files.insert(v.track_files.end(), refs.begin(), refs.end());
            } else if (k == "track_process") {
                auto refs = track_refs(node, -254, 254);
                v.track_processes.insert(v.track_processes.end(), refs.begin(), refs.end());
            } else if (k == "unicast_src_ip") {
                set_address(node, v.unicast_src_ip);
                if (v.unicast_src_ip) v.where.unicast_src_ip = node.values[0].where;
            } else if (k == "unicast_peer") {
                unicast_peers(node, v);
            } else if (k == "unicast_ttl") {
                set_int(node, v.unicast_ttl, 1, 255);
            } else if (k == "check_unicast_src") {
                set_flag(node, v.check_unicast_src);
            } else if (k == "old_unicast_checksum") {
                old_unicast_checksum(node, v);
            } else if (k == "mcast_src_ip") {
                set_address(node, v.mcast_src_ip);
            } else if (notify_keyword(node, v.notify)) {
            } else if (k == "garp_master_delay") {
                set_duration(node, v.garp_master_delay, Duration(0), seconds(1000));
                v.where.garp_master_delay = node.keyword.where;
            } else if (k == "garp_master_repeat") {
                set_int(node, v.garp_master_repeat, 1, 1000);
                v.where.garp_master_repeat = node.keyword.where;
            } else if (k == "garp_master_refresh") {
                set_duration(node, v.garp_master_refresh, Duration(0), seconds(86400));
                v.where.garp_master_refresh = node.keyword.where;
            } else if (k == "garp_master_refresh_repeat") {
                set_int(node, v.garp_master_refresh_repeat, 1, 1000);
                v.where.garp_master_refresh_repeat = node.keyword.where;
            } else if (k == "down_timer_adverts") {
                set_int(node, v.down_timer_adverts, 1, 100);
            } else if (k == "accept") {
                set_flag(node, v.accept, true);
            } else if (k == "no_accept") {
                set_flag(node, v.accept, false);
            } else {
                unknown(node, Context::vrrp_instance);
            }
        }
        if (name_free(config_.instances, "vrrp_instance", v.name, v.where.name)) {
            config_.instances.push_back(std::move(v));
        }
    }

    void authentication(const Node& block, VrrpInstance& v) {
        if (!want_block(block)) return;
        extra_values(block, 0);
        v.where.authentication = block.keyword.where;
        std::optional<SourceLocation> type_at;
        bool ah = false;
        std::optional<std::string> pass;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "auth_type") {
                const Token* token = value(node);
                if (!token) continue;
                extra_values(node, 1);
                if (token->text == "PASS") {
                    v.auth_type = AuthType::pass;
                    type_at = node.keyword.where;
                } else if (token->text == "AH") {
                    ah = true;
                    d_.warning(token->where,
                               "havipd ignores keepalived's auth_type AH: IPsec AH "
                               "authentication is not implemented (the instance runs without "
                               "authentication)");
                } else {
                    d_.error(
                        token->where,
                        fmt::format("unknown auth_type \"{}\" (expected PASS or AH)", token->text));
                }
            } else if (k == "auth_pass") {
                const Token* token = value(node);
                if (!token) continue;
                extra_values(node, 1);
                pass = token->text;
                v.where.auth_pass = token->where;
                // RFC 3768 §5.3.10: the password field is 8 bytes.
                if (token->text.size() > 8) {
                    d_.error(token->where,
                             fmt::format("auth_pass is {} bytes, VRRPv2 carries at most 8 "
                                         "(keepalived would truncate it to \"{}\")",
                                         token->text.size(), token->text.substr(0, 8)));
                }
            } else {
                d_.error(node.keyword.where,
                         fmt::format("unknown keyword \"{}\" in authentication", k));
            }
        }
        if (v.auth_type == AuthType::pass) {
            if (pass) {
                v.auth_pass = pass->substr(0, 8);
            } else {
                // type_at is empty when an earlier authentication block set PASS (fuzzer).
                d_.warning(type_at.value_or(block.keyword.where),
                           "auth_type PASS without auth_pass: keepalived runs with an empty "
                           "password (did a '#' or '!' comment swallow the auth_pass on this "
                           "line?)");
            }
        } else if (pass && !ah) {
            d_.warning(v.where.auth_pass,
                       "auth_pass without auth_type PASS is ignored (no authentication)");
        }
    }

    // `old_unicast_checksum` (send the pre-1.3.6 form from the start) or
    // `old_unicast_checksum never` (never switch to it), as keepalived reads it.
    void old_unicast_checksum(const Node& node, VrrpInstance& v) {
        if (!want_statement(node)) return;
        using Mode = VrrpInstance::OldUnicastChecksum;
        if (node.values.empty()) {
            v.old_unicast_checksum = Mode::always;
            return;
        }
        extra_values(node, 1);
        if (node.values[0].text == "never") {
            v.old_unicast_checksum = Mode::never;
        } else {
            d_.error(node.values[0].where,
                     fmt::format("old_unicast_checksum takes no value or \"never\", not \"{}\"",
                                 node.values[0].text));
        }
    }

    void unicast_peers(const Node& block, VrrpInstance& v) {
        if (!want_block(block)) return;
        extra_values(block, 0);
        for (const Node& node : block.children) {
            if (!want_statement(node)) continue;
            if (auto address = address_token(node.keyword, "unicast_peer")) {
                v.unicast_peers.push_back(*address);
            }
            extra_values(node, 0);
        }
    }

    void virtual_addresses(const Node& block, std::vector<VirtualAddress>& out) {
        if (!want_block(block)) return;
        extra_values(block, 0);
        for (const Node& node : block.children) {
            if (!want_statement(node)) continue;
            if (auto vip = virtual_address(node)) out.push_back(std::move(*vip));
        }
    }

    // IP[/len] [brd IP] [dev IF] [scope S] [label L] [peer IP] [-nodad] [noprefixroute]
    // [no_track]
    std::optional<VirtualAddress> virtual_address(const Node& node) {
        VirtualAddress vip;
        vip.where = node.keyword.where;
        const std::string& text = node.keyword.text;
        const std::size_t slash = text.find('/');
        Token address_part = node.keyword;
        address_part.text = text.substr(0, slash);
        auto address = address_token(address_part, "virtual address");
        if (!address) return std::nullopt;
        vip.address = *address;
        const int max_prefix = address->is_v4() ? 32 : 128;
        vip.prefix_length = max_prefix;
        if (slash != std::string::npos) {
            Token length = node.keyword;
            length.text = text.substr(slash + 1);
            length.where.column += static_cast<int>(slash) + 1;
            auto n = integer_token(length, "prefix length", 0, max_prefix);
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
                d_.error(option.where, fmt::format("virtual address option {} needs a value", o));
                ok = false;
                return nullptr;
            };
            if (o == "brd" || o == "broadcast") {
                if (const Token* arg = argument()) {
                    if (auto b = address_token(*arg, "brd")) {
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
                        d_.error(arg->where,
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
                    if (auto p = address_token(*arg, "peer")) {
                        vip.peer = *p;
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
            } else if (std::find(std::begin(ignored_vip_options), std::end(ignored_vip_options),
                                 o) != std::end(ignored_vip_options)) {
                d_.warning(
                    option.where,
                    fmt::format("havipd ignores keepalived's virtual address option \"{}\"", o));
                if (std::find(std::begin(ignored_vip_options_with_value),
                              std::end(ignored_vip_options_with_value),
                              o) != std::end(ignored_vip_options_with_value)) {
                    ++i;
                }
            } else {
                // What follows may be this option's value: one error is enough.
                d_.error(option.where, fmt::format("unknown virtual address option \"{}\"", o));
                ok = false;
                break;
            }
        }
        if (vip.broadcast && !vip.address.is_v4()) {
            d_.error(vip.where, "brd is only for IPv4 addresses");
            ok = false;
        }
        if (!ok) return std::nullopt;
        return vip;
    }

    void sync_group(const Node& block) {
        auto name = block_name(block);
        if (!name) return;
        SyncGroup g;
        g.name = *name;
        g.where = block.values[0].where;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "group") {
                if (!want_block(node)) continue;
                extra_values(node, 0);
                for (const Node& member : node.children) {
                    if (!want_statement(member)) continue;
                    // keepalived allows several names on one line.
                    g.instances.push_back(member.keyword.text);
                    g.instance_where.push_back(member.keyword.where);
                    for (const Token& more : member.values) {
                        g.instances.push_back(more.text);
                        g.instance_where.push_back(more.where);
                    }
                }
            } else if (k == "track_script") {
                auto refs = track_refs(node);
                g.track_scripts.insert(g.track_scripts.end(), refs.begin(), refs.end());
            } else if (k == "track_interface") {
                auto tracks = track_interfaces(node);
                g.track_interfaces.insert(g.track_interfaces.end(), tracks.begin(), tracks.end());
            } else if (k == "track_file") {
                auto refs = track_refs(node);
                g.track_files.insert(g.track_files.end(), refs.begin(), refs.end());
            } else if (k == "track_process") {
                auto refs = track_refs(node, -254, 254);
                g.track_processes.insert(g.track_processes.end(), refs.begin(), refs.end());
            } else if (notify_keyword(node, g.notify)) {
            } else {
                unknown(node, Context::sync_group);
            }
        }
        if (name_free(config_.sync_groups, "vrrp_sync_group", g.name, g.where)) {
            config_.sync_groups.push_back(std::move(g));
        }
    }

    void track_file(const Node& block) {
        auto name = block_name(block);
        if (!name) return;
        TrackFile t;
        t.name = *name;
        t.where = block.values[0].where;
        bool has_file = false;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "file") {
                if (auto s = string_value(node)) {
                    t.file = *s;
                    has_file = true;
                }
            } else if (k == "weight") {
                if (!value(node)) continue;
                Node as_weight = node;
                as_weight.values.insert(as_weight.values.begin(), node.keyword);
                std::optional<int> weight;
                weight_values(as_weight, 0, weight, t.weight_reverse, -254, 254);
                if (weight) t.weight = *weight;
            } else if (k == "init_file") {
                if (!want_statement(node)) continue;
                t.init_file = 0;
                std::size_t i = 0;
                if (i < node.values.size() && node.values[i].text != "overwrite") {
                    if (auto n = integer_token(node.values[i], "init_file", -254, 254)) {
                        t.init_file = static_cast<int>(*n);
                    }
                    ++i;
                }
                if (i < node.values.size() && node.values[i].text == "overwrite") {
                    t.init_overwrite = true;
                    ++i;
                }
                extra_values(node, i);
            } else {
                unknown(node, Context::track_file);
            }
        }
        if (!has_file) {
            d_.error(t.where, fmt::format("track_file \"{}\" has no file", t.name));
            return;
        }
        if (name_free(config_.track_files, "track_file", t.name, t.where)) {
            config_.track_files.push_back(std::move(t));
        }
    }

    // vrrp_track_process NAME { … } (keepalived.conf(5) "vrrp_track_process").
    void track_process(const Node& block) {
        auto name = block_name(block);
        if (!name) return;
        TrackProcess t;
        t.name = *name;
        t.where = block.values[0].where;
        bool has_process = false;
        SourceLocation quorum_max_at;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "process") {
                const Token* token = value(node);
                if (!token) continue;
                // Each word is one element: a quoted first word is the whole process name.
                t.process = token->text;
                t.params.clear();
                for (std::size_t i = 1; i < node.values.size(); ++i)
                    t.params.push_back(node.values[i].text);
                has_process = !t.process.empty();
                if (!has_process) d_.error(token->where, "process needs a non-empty name");
            } else if (k == "param_match") {
                const Token* token = value(node);
                if (!token) continue;
                extra_values(node, 1);
                if (token->text == "initial") {
                    t.param_match = ParamMatch::initial;
                } else if (token->text == "partial") {
                    t.param_match = ParamMatch::partial;
                } else {
                    d_.error(
                        token->where,
                        fmt::format("param_match \"{}\" is not initial or partial", token->text));
                    continue;
                }
            } else if (k == "full_command") {
                set_flag(node, t.full_command);
            } else if (k == "weight") {
                if (!value(node)) continue;
                Node as_weight = node;
                as_weight.values.insert(as_weight.values.begin(), node.keyword);
                std::optional<int> weight;
                weight_values(as_weight, 0, weight, t.weight_reverse, -254, 254);
                if (weight) t.weight = *weight;
            } else if (k == "quorum") {
                set_int(node, t.quorum, 1, 65535);
            } else if (k == "quorum_max") {
                if (auto n = integer(node, 0, 65535)) {
                    t.quorum_max = static_cast<int>(*n);
                    quorum_max_at = node.values[0].where;
                }
            } else if (k == "delay") {
                Duration d{0};
                set_duration(node, d, Duration(0), seconds(3600));
                t.terminate_delay = t.fork_delay = d;
            } else if (k == "terminate_delay") {
                set_duration(node, t.terminate_delay, Duration(0), seconds(3600));
            } else if (k == "fork_delay") {
                set_duration(node, t.fork_delay, Duration(0), seconds(3600));
            } else {
                unknown(node, Context::track_process);
            }
        }
        if (!has_process) {
            d_.error(t.where, fmt::format("vrrp_track_process \"{}\" has no process", t.name));
            return;
        }
        if (t.quorum_max && *t.quorum_max < t.quorum) {
            d_.error(quorum_max_at,
                     fmt::format("quorum_max {} is less than quorum {}", *t.quorum_max, t.quorum));
            return;
        }
        // The kernel keeps 15 bytes of a process name (TASK_COMM_LEN): a longer name is never
        // a process's name, so keepalived never sees it running.
        if (!t.full_command && t.params.empty() && !t.param_match && t.process.size() > 15) {
            d_.warning(t.where,
                       fmt::format("vrrp_track_process \"{}\": process \"{}\" is longer than "
                                   "a process name can be (15 characters) and never matches; "
                                   "add full_command to match the command's path",
                                   t.name, t.process));
        }
        if (name_free(config_.track_processes, "vrrp_track_process", t.name, t.where)) {
            config_.track_processes.push_back(std::move(t));
        }
    }

    // mysql_check NAME { … } (havip native).
    void mysql_check(const Node& block) {
        auto name = block_name(block);
        if (!name) return;
        MysqlCheck m;
        m.name = *name;
        m.where = block.values[0].where;
        SourceLocation socket_at, host_at, option_file_at, user_at;
        bool timeout_set = false;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "socket") {
                if (auto s = string_value(node)) {
                    m.socket = *s;
                    socket_at = node.keyword.where;
                }
            } else if (k == "host") {
                set_address(node, m.host);
                host_at = node.keyword.where;
            } else if (k == "port") {
                set_int(node, m.port, 1, 65535);
            } else if (k == "option_file") {
                if (auto s = string_value(node)) {
                    m.option_file = *s;
                    option_file_at = node.keyword.where;
                }
            } else if (k == "user") {
                if (auto s = string_value(node)) {
                    m.user = *s;
                    user_at = node.keyword.where;
                }
            } else if (k == "password") {
                if (auto s = string_value(node)) m.password = *s;
            } else if (k == "interval") {
                set_duration(node, m.interval, milliseconds(10), seconds(86400));
            } else if (k == "timeout") {
                set_duration(node, m.timeout, milliseconds(1), seconds(86400));
                timeout_set = true;
            } else if (k == "rise") {
                set_int(node, m.rise, 1, 65535);
            } else if (k == "fall") {
                set_int(node, m.fall, 1, 65535);
            } else if (k == "weight") {
                set_int(node, m.weight, -253, 253);
            } else if (k == "max_lag") {
                Duration lag{0};
                set_duration(node, lag, Duration(0), seconds(86400 * 7));
                m.max_lag = lag;
            } else if (k == "lag_weight") {
                set_int(node, m.lag_weight, -253, 253);
            } else if (k == "connection") {
                if (auto s = string_value(node)) m.connection = *s;
            } else if (k == "manage_read_only") {
                set_bool(node, m.manage_read_only);
            } else if (k == "apply_timeout") {
                Duration wait{0};
                set_duration(node, wait, milliseconds(100), seconds(86400));
                m.apply_timeout = wait;
            } else if (k == "peer_server_id") {
                if (auto id = integer(node, 1, 4294967295LL))
                    m.peer_server_id = static_cast<std::uint32_t>(*id);
            } else if (k == "auto_rejoin") {
                set_bool(node, m.auto_rejoin);
            } else if (k == "rejoin_inventory") {
                if (auto s = string_value(node)) m.rejoin_inventory = *s;
            } else if (k == "rejoin_admin_option_file") {
                if (auto s = string_value(node)) m.rejoin_admin_option_file = *s;
            } else if (k == "rejoin_timeout") {
                set_duration(node, m.rejoin_timeout, seconds(1), seconds(86400));
            } else {
                d_.error(node.keyword.where,
                         fmt::format("unknown keyword \"{}\" in mysql_check", k));
            }
        }
        bool ok = true;
        if (m.socket && m.host) {
            d_.error(host_at, "mysql_check takes socket or host, not both");
            ok = false;
        } else if (!m.socket && !m.host) {
            // A host that is not an address was reported where it is written.
            if (!host_at.known()) {
                d_.error(m.where, fmt::format("mysql_check \"{}\" needs socket or host", m.name));
            }
            ok = false;
        }
        if (m.option_file && m.user) {
            d_.error(user_at, "mysql_check takes option_file or user, not both");
            ok = false;
        }
        if (m.user && ok) {
            d_.warning(user_at,
                       "the mysql_check password is readable by anyone who can read this file; "
                       "prefer option_file");
        }
        if (m.lag_weight != 0 && !m.max_lag) {
            d_.warning(m.where,
                       fmt::format("mysql_check \"{}\" has lag_weight but no max_lag (never "
                                   "applied)",
                                   m.name));
        }
        if (!timeout_set) m.timeout = m.interval;
        if (ok && check_name_free(m.name, m.where)) config_.mysql_checks.push_back(std::move(m));
    }

    // tcp_check NAME { … } (havip native).
    void tcp_check(const Node& block) {
        auto name = block_name(block);
        if (!name) return;
        TcpCheck t;
        t.name = *name;
        t.where = block.values[0].where;
        std::optional<IpAddress> host;
        bool timeout_set = false;
        for (const Node& node : block.children) {
            const std::string_view k = kw(node);
            if (k == "host") {
                set_address(node, host);
            } else if (k == "port") {
                set_int(node, t.port, 1, 65535);
            } else if (k == "interval") {
                set_duration(node, t.interval, milliseconds(10), seconds(86400));
            } else if (k == "timeout") {
                set_duration(node, t.timeout, milliseconds(1), seconds(86400));
                timeout_set = true;
            } else if (k == "rise") {
                set_int(node, t.rise, 1, 65535);
            } else if (k == "fall") {
                set_int(node, t.fall, 1, 65535);
            } else if (k == "weight") {
                set_int(node, t.weight, -253, 253);
            } else {
                d_.error(node.keyword.where, fmt::format("unknown keyword \"{}\" in tcp_check", k));
            }
        }
        bool ok = true;
        if (!host) {
            d_.error(t.where, fmt::format("tcp_check \"{}\" needs host", t.name));
            ok = false;
        } else {
            t.host = *host;
        }
        if (t.port == 0) {
            d_.error(t.where, fmt::format("tcp_check \"{}\" needs port", t.name));
            ok = false;
        }
        if (!timeout_set) t.timeout = t.interval;
        if (ok && check_name_free(t.name, t.where)) config_.tcp_checks.push_back(std::move(t));
    }

    Diagnostics& d_;
    Config config_;
};

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
    return Parser(diagnostics).parse(nodes);
}

}  // namespace havip::config
