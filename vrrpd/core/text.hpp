// The core's descriptions and reasons ("state BACKUP -> MASTER (...)", "arm adver at 1.5s",
// "switched over in 2.07 s"), written with the standard library alone: the core links nothing
// but it and Boost's headers. Each function writes what the fmt spec named beside it wrote,
// byte for byte, since logs, `havip status` and the tests compare these lines.
//
// Header-only: the fuzz targets compile core sources by name (tests/fuzz/CMakeLists.txt), and
// a helper every description uses should not add a file to each of their lists.
#pragma once

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace havip::vrrp::text {

// An integer that prints as a number. std::uint8_t, the type of a VRRP priority, is one (fmt
// prints it as a number too); bool and the character types are not, so that they cannot be
// passed where a count was meant.
template <typename T>
concept Number = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                 !std::same_as<T, wchar_t> && !std::same_as<T, char8_t> &&
                 !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;
template <typename T>
concept SignedNumber = Number<T> && std::signed_integral<T>;

// value < 0, for any Number.
template <Number Int>
constexpr bool is_negative(Int value) {
    if constexpr (std::signed_integral<Int>)
        return value < 0;
    else
        return false;  // no "< 0" on an unsigned type: -Wtype-limits
}

// "{}" of an integer: its decimal digits, '-' first if negative.
template <Number Int>
std::string decimal(Int value) {
    std::array<char, 24> buf;  // the 20 digits of a 64-bit integer and the sign
    const auto end = std::to_chars(buf.data(), buf.data() + buf.size(), value).ptr;
    return std::string(buf.data(), end);
}

// "{:+d}": the sign always, "+0" for zero. Signed types only, as in fmt.
template <SignedNumber Int>
std::string signed_decimal(Int value) {
    return value < 0 ? decimal(value) : '+' + decimal(value);
}

// "{:0<width>d}": zeros after the sign up to `width` characters in all, as in "{:09d}" of the
// nanoseconds of a time. A number longer than `width` is written whole.
template <Number Int>
std::string zero_padded(Int value, std::size_t width) {
    std::string out = decimal(value);
    if (out.size() < width) out.insert(is_negative(value) ? 1 : 0, width - out.size(), '0');
    return out;
}

// "{:.<precision>f}": `precision` digits after the point (no point for 0), correctly rounded,
// an exact tie to even, as fmt and printf round; "inf", "nan" and "-0.00" as fmt writes them.
inline std::string fixed(double value, unsigned precision) {
    // The sign, the 309 digits of the largest double before the point, the point, the rest.
    std::string out(1 + 309 + 1 + std::size_t{precision}, '\0');
    const auto end = std::to_chars(out.data(), out.data() + out.size(), value,
                                   std::chars_format::fixed, static_cast<int>(precision))
                         .ptr;
    out.resize(static_cast<std::size_t>(end - out.data()));
    return out;
}

// "{}" of each item, `separator` between them: fmt::join.
inline std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += separator;
        out += items[i];
    }
    return out;
}

namespace detail {
inline void append(std::string& out, std::string_view part) {
    out += part;
}
template <Number Int>
void append(std::string& out, Int part) {
    out += decimal(part);
}
}  // namespace detail

// The parts one after the other, as fmt::format("{}{}…", parts...) writes them: strings (any
// that converts to std::string_view) as they are, integers in decimal. A double must go
// through fixed() (it has no "{}" here: fmt's shortest form is not worth reproducing), an enum
// through its to_string.
template <typename... Parts>
std::string concat(const Parts&... parts) {
    std::string out;
    (detail::append(out, parts), ...);
    return out;
}

}  // namespace havip::vrrp::text
