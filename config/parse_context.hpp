// Internal to config/parser: what every block parser shares. Reading one statement's values
// (its shape, integers, durations, booleans, addresses, commands, `weight W [reverse]`) and
// reporting what is wrong with them where it is written, and the names already taken.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <fmt/format.h>

#include "config/diagnostic.hpp"
#include "config/keywords.hpp"
#include "config/model.hpp"
#include "config/parser.hpp"
#include "config/tree.hpp"

namespace havip::config {

// The diagnostics of one parse and the configuration it builds.
class ParseContext {
  public:
    explicit ParseContext(Diagnostics& diagnostics) : d(diagnostics) {}

    Diagnostics& d;
    Config config;

    // --- Shape of a statement -------------------------------------------------------------

    std::string_view kw(const Node& node) const { return node.keyword.text; }

    // A keyword no parser took: a warning when keepalived knows it (keywords.hpp), else an
    // error.
    void unknown(const Node& node, Context context);

    // A keyword that must open a block.
    bool want_block(const Node& node);

    // A keyword that must not open a block; skips the block if it does.
    bool want_statement(const Node& node);

    // Values beyond the `used` first ones: keepalived ignores them without a word.
    void extra_values(const Node& node, std::size_t used);

    // The statement's value at `index`, or nullptr (reported) when it has none.
    const Token* value(const Node& node, std::size_t index = 0);

    // --- Values ---------------------------------------------------------------------------

    std::optional<std::string> string_value(const Node& node);

    std::optional<long long> integer_token(const Token& token, std::string_view what, long long min,
                                           long long max);
    std::optional<long long> integer(const Node& node, long long min, long long max);

    template <typename T>
    void set_int(const Node& node, T& out, long long min, long long max) {
        if (auto parsed = integer(node, min, max)) out = static_cast<T>(*parsed);
    }

    std::optional<Duration> duration_token(const Token& token, std::string_view what, Duration min,
                                           Duration max);
    void set_duration(const Node& node, Duration& out, Duration min, Duration max);

    void set_flag(const Node& node, bool& out, bool flag_value = true);

    // on|off|true|false|yes|no, lower case as keepalived requires.
    void set_bool(const Node& node, bool& out);

    std::optional<IpAddress> address_token(const Token& token, std::string_view what);
    void set_address(const Node& node, std::optional<IpAddress>& out);

    // `ADDRESS:PORT`, the address in brackets when it is IPv6 (`[::1]:9650`), a literal only:
    // a name would need a lookup.
    std::optional<ListenAddress> listen_address(const Token& token);

    // `weight W [reverse]` from values starting at `index`.
    void weight_values(const Node& node, std::size_t index, std::optional<int>& weight,
                       bool& reverse, long long min = -253, long long max = 253);

    // The statement `weight W [reverse]` (vrrp_script, track_file, vrrp_track_process).
    void weight_keyword(const Node& node, int& weight, bool& reverse, long long min, long long max);

    // `script "cmd args"` / `notify_x "cmd args" [USER [GROUP]]`: keepalived takes the first
    // word (the quoted string) as the whole command and splits it itself.
    std::optional<Command> command(const Node& node, bool takes_user);

    void user_group(const Node& node, std::optional<std::string>& user,
                    std::optional<std::string>& group);

    // notify_master / notify_backup / notify_fault / notify_stop / notify; false when `node`
    // is none of them.
    bool notify_keyword(const Node& node, Notify& notify);

    // `track_script { NAME [weight W [reverse]] … }` and the like.
    std::vector<TrackRef> track_refs(const Node& block, long long min = -253, long long max = 253);
    std::vector<TrackInterface> track_interfaces(const Node& block);

    // --- Names ----------------------------------------------------------------------------

    // The name after a block keyword (`vrrp_instance NAME {`).
    std::optional<std::string> block_name(const Node& node);

    // One namespace for vrrp_script, mysql_check and tcp_check: track_script names any.
    bool check_name_free(const std::string& name, const SourceLocation& where);

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
                d.error(where, fmt::format("{} \"{}\" is already defined ({})", what, name,
                                           refer_to(*earlier, where.file)));
                return false;
            }
        }
        return true;
    }
};

}  // namespace havip::config
