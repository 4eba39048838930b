#include "config/parse_context.hpp"

#include <algorithm>
#include <charconv>
#include <utility>
#include <variant>

#include "config/command.hpp"

namespace havip::config {
namespace {

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

}  // namespace

void ParseContext::unknown(const Node& node, Context context) {
    if (const IgnoredKeyword* ignored = find_ignored_keyword(context, kw(node))) {
        d.warning(node.keyword.where,
                  fmt::format("havipd ignores keepalived's \"{}\": {}", kw(node), ignored->why));
        return;
    }
    if (node.is_block) {
        if (context == Context::top) {
            d.error(node.keyword.where, fmt::format("unknown block \"{}\"", kw(node)));
        } else {
            d.error(node.keyword.where,
                    fmt::format("unknown block \"{}\" in {} (keepalived would end the {} "
                                "at its '}}')",
                                kw(node), context_name(context), context_name(context)));
        }
    } else if (context == Context::top) {
        d.error(node.keyword.where, fmt::format("unknown keyword \"{}\"", kw(node)));
    } else {
        d.error(node.keyword.where,
                fmt::format("unknown keyword \"{}\" in {}", kw(node), context_name(context)));
    }
}

bool ParseContext::want_block(const Node& node) {
    if (node.is_block) return true;
    d.error(node.keyword.where, fmt::format("\"{}\" needs a {{ … }} block", kw(node)));
    return false;
}

bool ParseContext::want_statement(const Node& node) {
    if (!node.is_block) return true;
    d.error(node.open_brace, fmt::format("\"{}\" does not take a block", kw(node)));
    return false;
}

void ParseContext::extra_values(const Node& node, std::size_t used) {
    if (node.values.size() <= used) return;
    const Token& extra = node.values[used];
    d.warning(extra.where,
              fmt::format("unexpected \"{}\" after {} (ignored)", extra.text, kw(node)));
}

const Token* ParseContext::value(const Node& node, std::size_t index) {
    if (!want_statement(node)) return nullptr;
    if (node.values.size() > index) return &node.values[index];
    d.error(node.keyword.where, fmt::format("{} needs a value", kw(node)));
    return nullptr;
}

std::optional<std::string> ParseContext::string_value(const Node& node) {
    const Token* token = value(node);
    if (!token) return std::nullopt;
    extra_values(node, 1);
    return token->text;
}

std::optional<long long> ParseContext::integer_token(const Token& token, std::string_view what,
                                                     long long min, long long max) {
    auto parsed = to_integer(token.text);
    if (!parsed) {
        d.error(token.where, fmt::format("{} \"{}\" is not an integer (valid: {}..{})", what,
                                         token.text, min, max));
        return std::nullopt;
    }
    if (*parsed < min || *parsed > max) {
        d.error(token.where,
                fmt::format("{} {} is out of range (valid: {}..{})", what, *parsed, min, max));
        return std::nullopt;
    }
    return parsed;
}

std::optional<long long> ParseContext::integer(const Node& node, long long min, long long max) {
    const Token* token = value(node);
    if (!token) return std::nullopt;
    extra_values(node, 1);
    return integer_token(*token, kw(node), min, max);
}

std::optional<Duration> ParseContext::duration_token(const Token& token, std::string_view what,
                                                     Duration min, Duration max) {
    auto parsed = to_duration(token.text);
    if (!parsed) {
        d.error(token.where,
                fmt::format("{} \"{}\" is not a number of seconds (valid: {}..{})", what,
                            token.text, format_seconds(min), format_seconds(max)));
        return std::nullopt;
    }
    if (*parsed < min || *parsed > max) {
        d.error(token.where, fmt::format("{} {} is out of range (valid: {}..{} seconds)", what,
                                         token.text, format_seconds(min), format_seconds(max)));
        return std::nullopt;
    }
    return parsed;
}

void ParseContext::set_duration(const Node& node, Duration& out, Duration min, Duration max) {
    const Token* token = value(node);
    if (!token) return;
    extra_values(node, 1);
    if (auto parsed = duration_token(*token, kw(node), min, max)) out = *parsed;
}

void ParseContext::set_flag(const Node& node, bool& out, bool flag_value) {
    if (!want_statement(node)) return;
    extra_values(node, 0);
    out = flag_value;
}

void ParseContext::set_bool(const Node& node, bool& out) {
    const Token* token = value(node);
    if (!token) return;
    extra_values(node, 1);
    const std::string& t = token->text;
    if (t == "on" || t == "true" || t == "yes") {
        out = true;
    } else if (t == "off" || t == "false" || t == "no") {
        out = false;
    } else {
        d.error(token->where,
                fmt::format("{} \"{}\" is not a boolean (expected on, off, true, false, "
                            "yes or no)",
                            kw(node), t));
    }
}

std::optional<IpAddress> ParseContext::address_token(const Token& token, std::string_view what) {
    boost::system::error_code ec;
    IpAddress address = boost::asio::ip::make_address(token.text, ec);
    if (ec || token.text.find('%') != std::string::npos) {
        d.error(token.where, fmt::format("{} \"{}\" is not an IP address", what, token.text));
        return std::nullopt;
    }
    return address;
}

void ParseContext::set_address(const Node& node, std::optional<IpAddress>& out) {
    const Token* token = value(node);
    if (!token) return;
    extra_values(node, 1);
    if (auto address = address_token(*token, kw(node))) out = *address;
}

std::optional<ListenAddress> ParseContext::listen_address(const Token& token) {
    const std::string& t = token.text;
    std::string host, port;
    if (t.starts_with('[')) {
        const auto close = t.find(']');
        if (close == std::string::npos || close + 1 >= t.size() || t[close + 1] != ':') {
            d.error(token.where, fmt::format("\"{}\" is not [IPV6]:PORT", t));
            return std::nullopt;
        }
        host = t.substr(1, close - 1);
        port = t.substr(close + 2);
    } else {
        const auto colon = t.find(':');
        if (colon == std::string::npos || t.find(':', colon + 1) != std::string::npos) {
            d.error(token.where, fmt::format("\"{}\" is not ADDRESS:PORT (an IPv6 address goes in "
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
        d.error(token.where, fmt::format("\"{}\" in \"{}\" is not an IP address", host, t));
        return std::nullopt;
    }
    const auto number = to_integer(port);
    if (!number || *number < 1 || *number > 65535) {
        d.error(token.where, fmt::format("port \"{}\" in \"{}\" is not 1..65535", port, t));
        return std::nullopt;
    }
    return ListenAddress{address, static_cast<std::uint16_t>(*number), token.where};
}

void ParseContext::weight_values(const Node& node, std::size_t index, std::optional<int>& weight,
                                 bool& reverse, long long min, long long max) {
    if (node.values.size() <= index) return;
    const Token& word = node.values[index];
    if (word.text != "weight") {
        d.error(word.where, fmt::format("unexpected \"{}\" (expected weight W)", word.text));
        return;
    }
    if (node.values.size() <= index + 1) {
        d.error(word.where, "weight needs a value");
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

void ParseContext::weight_keyword(const Node& node, int& weight, bool& reverse, long long min,
                                  long long max) {
    if (!value(node)) return;
    Node as_weight = node;
    as_weight.values.insert(as_weight.values.begin(), node.keyword);
    std::optional<int> parsed;
    weight_values(as_weight, 0, parsed, reverse, min, max);
    if (parsed) weight = *parsed;
}

std::optional<Command> ParseContext::command(const Node& node, bool takes_user) {
    const Token* token = value(node);
    if (!token) return std::nullopt;
    Command cmd;
    cmd.raw = token->text;
    cmd.where = token->where;
    auto split = split_command(token->text);
    if (auto* error = std::get_if<CommandSplitError>(&split)) {
        SourceLocation at = token->where;
        at.column += static_cast<int>(error->offset) + (token->quoted ? 1 : 0);
        d.error(at, fmt::format("{}: {}", kw(node), error->message));
        return std::nullopt;
    }
    cmd.argv = std::get<std::vector<std::string>>(std::move(split));
    if (node.values.size() > 1) {
        const Token& next = node.values[1];
        if (!token->quoted) {
            d.warning(next.where,
                      takes_user ? fmt::format("\"{}\" is taken as the user to run \"{}\" as, not "
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

void ParseContext::user_group(const Node& node, std::optional<std::string>& user,
                              std::optional<std::string>& group) {
    const Token* token = value(node);
    if (!token) return;
    user = token->text;
    if (node.values.size() > 1) group = node.values[1].text;
    extra_values(node, 2);
}

std::optional<std::string> ParseContext::block_name(const Node& node) {
    if (!want_block(node)) return std::nullopt;
    if (node.values.empty()) {
        d.error(node.keyword.where, fmt::format("{} needs a name", kw(node)));
        return std::nullopt;
    }
    extra_values(node, 1);
    return node.values[0].text;
}

bool ParseContext::check_name_free(const std::string& name, const SourceLocation& where) {
    const SourceLocation* earlier = nullptr;
    if (auto* s = config.find_script(name)) earlier = &s->where;
    if (auto* m = config.find_mysql_check(name)) earlier = &m->where;
    if (auto* t = config.find_tcp_check(name)) earlier = &t->where;
    if (!earlier) return true;
    d.error(where, fmt::format("check \"{}\" is already defined ({})", name,
                               refer_to(*earlier, where.file)));
    return false;
}

std::vector<TrackRef> ParseContext::track_refs(const Node& block, long long min, long long max) {
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

std::vector<TrackInterface> ParseContext::track_interfaces(const Node& block) {
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

bool ParseContext::notify_keyword(const Node& node, Notify& notify) {
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

}  // namespace havip::config
