#include "checks/mysql_history.hpp"

#include "checks/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace havip::checks {
namespace {

// Values may hold newlines (MySQL GTID sets): escape them so each key stays on one line.
std::string escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string unescape(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
            ++i;
            out += s[i] == 'n' ? '\n' : s[i];
        } else {
            out += s[i];
        }
    }
    return out;
}

std::int64_t to_ms(WallClock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

WallClock::time_point from_ms(std::int64_t ms) {
    return WallClock::time_point(
        std::chrono::duration_cast<WallClock::duration>(std::chrono::milliseconds(ms)));
}

template <typename Int>
bool parse_int(std::string_view s, Int& out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size() && !s.empty();
}

// Milliseconds since the epoch that the wall clock can hold (its nanoseconds end in 2262):
// beyond that the file is corrupt, and converting would overflow.
bool parse_time(std::string_view s, std::optional<WallClock::time_point>& out) {
    constexpr auto limit =
        std::chrono::duration_cast<std::chrono::milliseconds>(WallClock::duration::max()).count();
    std::int64_t ms = 0;
    if (!parse_int(s, ms) || ms > limit || ms < -limit) return false;
    out = from_ms(ms);
    return true;
}

std::error_code last_error() {
    return {errno, std::generic_category()};
}

}  // namespace

// Version 1 throughout: keys are only ever added, and a reader skips keys it does not know,
// so a file written by a newer havip still loads in an older one (a downgrade keeps the
// diverged latch). The version changes only when an existing key changes meaning.
std::string format_history(const History& h) {
    std::string out = "# havipd mysql_check state; rewritten every interval\nversion=1\n";
    if (h.last_ok) out += fmt::format("last_ok_ms={}\n", to_ms(*h.last_ok));
    out += fmt::format("last_received={}\n", escape(h.last_received));
    if (h.last_heartbeats) out += fmt::format("last_heartbeats={}\n", *h.last_heartbeats);
    // The previous observation of the channel, which the next one (a new `havip check mysql`
    // process on the keepalived route) compares with.
    out += fmt::format("connected={}\n", h.connected ? 1 : 0);
    out += fmt::format("in_contact={}\n", h.in_contact ? 1 : 0);
    if (h.observed_at) out += fmt::format("observed_at_ms={}\n", to_ms(*h.observed_at));
    out += fmt::format("diverged={}\n", h.diverged ? 1 : 0);
    if (h.diverged_since) out += fmt::format("diverged_since_ms={}\n", to_ms(*h.diverged_since));
    out += fmt::format("diverged_reason={}\n", escape(h.diverged_reason));
    out += fmt::format("read_only_reapplied={}\n", h.read_only_reapplied ? 1 : 0);
    out += fmt::format("writer={}\n", h.writer ? 1 : 0);
    out += fmt::format("writer_position={}\n", escape(h.writer_position));
    out += fmt::format("peer_diverged={}\n", h.peer_diverged ? 1 : 0);
    out += fmt::format("peer_diverged_reason={}\n", escape(h.peer_diverged_reason));
    if (h.forced_since) out += fmt::format("forced_since_ms={}\n", to_ms(*h.forced_since));
    if (h.forced_since) out += fmt::format("forced_by={}\n", escape(h.forced_by));
    if (h.write_failures) out += fmt::format("write_failures={}\n", h.write_failures);
    return out;
}

bool parse_history(const std::string& text, History& out, std::string& detail) {
    History h;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    bool versioned = false;
    while (std::getline(in, line)) {
        ++number;
        if (line.empty() || line[0] == '#') continue;
        auto eq = line.find('=');
        if (eq == std::string::npos) {
            detail = fmt::format("line {}: no '='", number);
            return false;
        }
        std::string_view key(line.data(), eq);
        std::string_view value(line.data() + eq + 1, line.size() - eq - 1);
        bool good = true;
        std::uint64_t u = 0;
        if (key == "version") {
            good = value == "1";
            versioned = good;
        } else if (key == "last_ok_ms") {
            good = parse_time(value, h.last_ok);
        } else if (key == "last_received") {
            h.last_received = unescape(value);
        } else if (key == "last_heartbeats") {
            good = parse_int(value, u);
            if (good) h.last_heartbeats = u;
        } else if (key == "connected") {
            good = value == "0" || value == "1";
            h.connected = value == "1";
        } else if (key == "in_contact") {
            good = value == "0" || value == "1";
            h.in_contact = value == "1";
        } else if (key == "observed_at_ms") {
            good = parse_time(value, h.observed_at);
        } else if (key == "diverged") {
            good = value == "0" || value == "1";
            h.diverged = value == "1";
        } else if (key == "diverged_since_ms") {
            good = parse_time(value, h.diverged_since);
        } else if (key == "diverged_reason") {
            h.diverged_reason = unescape(value);
        } else if (key == "read_only_reapplied") {
            good = value == "0" || value == "1";
            h.read_only_reapplied = value == "1";
        } else if (key == "writer") {
            good = value == "0" || value == "1";
            h.writer = value == "1";
        } else if (key == "writer_position") {
            h.writer_position = unescape(value);
        } else if (key == "peer_diverged") {
            good = value == "0" || value == "1";
            h.peer_diverged = value == "1";
        } else if (key == "peer_diverged_reason") {
            h.peer_diverged_reason = unescape(value);
        } else if (key == "forced_since_ms") {
            good = parse_time(value, h.forced_since);
        } else if (key == "forced_by") {
            h.forced_by = unescape(value);
        } else if (key == "write_failures") {
            good = parse_int(value, h.write_failures);
        }  // unknown keys: written by a newer havipd, ignored
        if (!good) {
            detail = fmt::format("line {}: bad value for {}", number, key);
            return false;
        }
    }
    if (!versioned) {
        detail = "no 'version=1' line";
        return false;
    }
    out = std::move(h);
    return true;
}

namespace {

// What the file held is unknown, the diverged latch included: start latched, saying why.
void latch_unreadable(LoadedHistory& result, WallClock::time_point now) {
    result.history = History{};
    result.history.diverged = true;
    result.history.diverged_since = now;
    result.history.diverged_reason = fmt::format(
        "the state file {} could not be loaded, so whether this node's data diverged is "
        "unknown; once it is known to be right, run `havip clear-diverged`",
        result.detail);
}

}  // namespace

LoadedHistory load_history(const std::string& path) {
    LoadedHistory result;
    std::ifstream in(path);
    if (!in) {
        result.error = last_error();
        if (!result.error) result.error = std::make_error_code(std::errc::io_error);
        result.detail = fmt::format("{}: {}", path, result.error.message());
        if (result.error != std::errc::no_such_file_or_directory)
            latch_unreadable(result, WallClock::now());
        return result;
    }
    std::stringstream buf;
    buf << in.rdbuf();
    if (!parse_history(buf.str(), result.history, result.detail)) {
        result.error = std::make_error_code(std::errc::invalid_argument);
        result.detail = fmt::format("{}: {}", path, result.detail);
        latch_unreadable(result, WallClock::now());
    }
    return result;
}

std::error_code save_history(const std::string& path, const History& history) {
    return write_file_atomically(path, format_history(history), 0600, true);
}

}  // namespace havip::checks
