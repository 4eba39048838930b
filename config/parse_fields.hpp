// Internal to config/parser: keywords whose value goes straight into one field of the block
// being read, each said once as a table row (keyword, field, valid range) rather than a branch
// of its own. Keywords that do more (remember a location, cross-check, build a list) keep
// their own code in the block's parser.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string_view>

#include "config/parse_context.hpp"

namespace havip::config {

template <typename Block>
struct FieldKeyword {
    std::string_view keyword;
    std::function<void(ParseContext&, const Node&, Block&)> set;
};

// KEYWORD N, min ≤ N ≤ max.
template <typename Block, typename Int>
FieldKeyword<Block> int_field(std::string_view keyword, Int Block::*field, long long min,
                              long long max) {
    return {keyword, [=](ParseContext& p, const Node& node, Block& block) {
                p.set_int(node, block.*field, min, max);
            }};
}

// KEYWORD SECONDS, min ≤ SECONDS ≤ max.
template <typename Block>
FieldKeyword<Block> duration_field(std::string_view keyword, Duration Block::*field, Duration min,
                                   Duration max) {
    return {keyword, [=](ParseContext& p, const Node& node, Block& block) {
                p.set_duration(node, block.*field, min, max);
            }};
}

// An optional KEYWORD SECONDS: written at all, even invalid (reported), it is set (to 0 then).
template <typename Block>
FieldKeyword<Block> optional_duration_field(std::string_view keyword,
                                            std::optional<Duration> Block::*field, Duration min,
                                            Duration max) {
    return {keyword, [=](ParseContext& p, const Node& node, Block& block) {
                Duration duration{0};
                p.set_duration(node, duration, min, max);
                block.*field = duration;
            }};
}

// KEYWORD alone: sets the field to `value`.
template <typename Block>
FieldKeyword<Block> flag_field(std::string_view keyword, bool Block::*field, bool value = true) {
    return {keyword, [=](ParseContext& p, const Node& node, Block& block) {
                p.set_flag(node, block.*field, value);
            }};
}

// KEYWORD on|off|true|false|yes|no.
template <typename Block>
FieldKeyword<Block> bool_field(std::string_view keyword, bool Block::*field) {
    return {keyword, [=](ParseContext& p, const Node& node, Block& block) {
                p.set_bool(node, block.*field);
            }};
}

// KEYWORD WORD, into a std::string or std::optional<std::string>.
template <typename Block, typename String>
FieldKeyword<Block> string_field(std::string_view keyword, String Block::*field) {
    return {keyword, [=](ParseContext& p, const Node& node, Block& block) {
                if (auto text = p.string_value(node)) block.*field = *text;
            }};
}

// KEYWORD IP.
template <typename Block>
FieldKeyword<Block> address_field(std::string_view keyword,
                                  std::optional<IpAddress> Block::*field) {
    return {keyword, [=](ParseContext& p, const Node& node, Block& block) {
                p.set_address(node, block.*field);
            }};
}

// weight W [reverse], min ≤ W ≤ max.
template <typename Block>
FieldKeyword<Block> weight_field(int Block::*weight, bool Block::*reverse, long long min,
                                 long long max) {
    return {"weight", [=](ParseContext& p, const Node& node, Block& block) {
                p.weight_keyword(node, block.*weight, block.*reverse, min, max);
            }};
}

// Sets the field `node`'s keyword names; false when `fields` has no row for it.
template <typename Block>
bool set_field(std::span<const FieldKeyword<Block>> fields, ParseContext& p, const Node& node,
               Block& block) {
    for (const FieldKeyword<Block>& field : fields) {
        if (field.keyword == p.kw(node)) {
            field.set(p, node, block);
            return true;
        }
    }
    return false;
}

}  // namespace havip::config
