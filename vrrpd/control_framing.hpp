// The control protocol's framing (vrrpd/control_socket.hpp): one request per line, one answer
// per line, each ended by '\n'. Both ends follow the same rule: a line holds at most a bound
// of bytes, its '\n' included; past the bound without a '\n' the stream is given up, never
// gathered further. The daemon's session keeps it with asio::async_read_until on a streambuf
// whose max_size is the bound (what LineFramer does, tests/unit/vrrpd/control_framing_test.cpp
// holds the two to the same answers); `havip` reads the daemon's answers with a LineFramer.
// Header-only: the daemon and the CLI share no library.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace havip::vrrp {

// Bytes in, complete lines out, as they arrive in whatever pieces the socket gives them.
class LineFramer {
  public:
    // `max_line`: bytes of a line, its '\n' included (at least 1).
    explicit LineFramer(std::size_t max_line) : max_line_{std::max<std::size_t>(max_line, 1)} {}

    // Bytes received; ignored once the stream is too long.
    void feed(std::string_view bytes) {
        if (too_long_) return;
        if (start_ > 0 && start_ >= buffer_.size() / 2) {  // what was taken, dropped in bulk
            buffer_.erase(0, start_);
            scanned_ -= start_;
            start_ = 0;
        }
        buffer_.append(bytes);
    }

    // The next complete line, without its '\n' (a '\r' before it stays: JSON reads it as
    // white space); nullopt until one is complete, and for good once too_long().
    std::optional<std::string> next() {
        if (too_long_) return std::nullopt;
        const std::size_t limit = std::min(buffer_.size(), start_ + max_line_);
        if (scanned_ < limit) {
            const auto at = std::string_view(buffer_).substr(scanned_, limit - scanned_).find('\n');
            if (at != std::string_view::npos) {
                std::string line = buffer_.substr(start_, scanned_ + at - start_);
                start_ = scanned_ = scanned_ + at + 1;
                return line;
            }
            scanned_ = limit;  // no '\n' there: not looked at again
        }
        if (buffer_.size() - start_ >= max_line_) {
            too_long_ = true;
            buffer_.clear();
            buffer_.shrink_to_fit();
            start_ = scanned_ = 0;
        }
        return std::nullopt;
    }

    // max_line bytes came without a '\n' (known once next() has said nullopt): the line can
    // never be complete, and the peer is not one that speaks this protocol.
    bool too_long() const { return too_long_; }
    // Bytes received and not yet in a line.
    std::size_t pending() const { return buffer_.size() - start_; }
    std::size_t max_line() const { return max_line_; }

  private:
    std::size_t max_line_;
    std::string buffer_;
    std::size_t start_ = 0;    // where the next line begins
    std::size_t scanned_ = 0;  // up to here, no '\n' after start_
    bool too_long_ = false;
};

}  // namespace havip::vrrp
