// libFuzzer entry for the control protocol's framing (vrrpd/control_framing.hpp), which `havip`
// reads the daemon's answers with and the daemon's session follows: arbitrary bytes, received
// in arbitrary pieces. The first byte picks the bound (1 to 255 bytes, or the daemon's 4096),
// the second how the rest is cut. Lines never exceed the bound, they and their '\n' are the
// input's start, every line the input holds comes out unless the stream went too long first,
// and how the bytes were cut changes nothing.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vrrpd/control_framing.hpp"

using havip::vrrp::LineFramer;

namespace {

struct Framed {
    std::vector<std::string> lines;
    bool too_long = false;
    std::size_t pending = 0;
    bool operator==(const Framed&) const = default;
};

// Pieces of 1 to max_piece bytes, their sizes from a xorshift seeded by `seed`.
Framed frame(std::string_view input, std::size_t max_line, std::uint8_t seed,
             std::size_t max_piece) {
    LineFramer framer(max_line);
    Framed out;
    std::uint32_t state = seed | 0x100u;
    for (std::size_t at = 0; at < input.size();) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        const std::size_t piece = 1 + state % max_piece;
        framer.feed(input.substr(at, piece));
        at += piece;
        while (auto line = framer.next())
            out.lines.push_back(std::move(*line));
    }
    while (auto line = framer.next())
        out.lines.push_back(std::move(*line));
    out.too_long = framer.too_long();
    out.pending = framer.pending();
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const std::size_t max_line = data[0] == 0 ? 4096 : data[0];
    const std::uint8_t seed = data[1];
    const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

    const Framed chunked = frame(input, max_line, seed, 1 + seed % 64);
    std::size_t consumed = 0;
    for (const auto& line : chunked.lines) {
        if (line.size() + 1 > max_line || line.find('\n') != std::string::npos) __builtin_trap();
        if (input.substr(consumed, line.size()) != line || consumed + line.size() >= input.size() ||
            input[consumed + line.size()] != '\n')
            __builtin_trap();
        consumed += line.size() + 1;
    }
    const auto rest = input.substr(consumed);
    if (chunked.too_long) {
        // Given up only on max_line bytes without a '\n', which no more bytes can make a line.
        if (rest.size() < max_line || rest.substr(0, max_line).find('\n') != std::string::npos ||
            chunked.pending != 0)
            __builtin_trap();
    } else {
        // Every complete line came out; what is left waits for its '\n', within the bound.
        if (rest.find('\n') != std::string::npos || rest.size() >= max_line ||
            chunked.pending != rest.size())
            __builtin_trap();
    }
    if (frame(input, max_line, seed, input.size() + 1) != chunked) __builtin_trap();
    return 0;
}
