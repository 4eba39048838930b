#include "havip/status.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

#include "vrrpd/control_framing.hpp"

namespace havip::cli {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A string from the daemon as it may reach a terminal: reasons carry MySQL error text and
// script output, which anyone who can make the server fail controls. C0 controls, DEL and the
// C1 controls (UTF-8 C2 80..C2 9F) are shown as \xNN, never sent to the terminal.
std::string printable(const std::string& s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else if (c == 0xc2 && i + 1 < s.size() &&
                   (static_cast<unsigned char>(s[i + 1]) & 0xe0) == 0x80) {
            out += fmt::format("\\x{:02x}", static_cast<unsigned char>(s[i + 1]));
            ++i;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::string text(const json& j, const char* key, std::string fallback = "-") {
    const auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    if (it->is_string()) return printable(it->get<std::string>());
    return it->dump();
}

std::string errno_text(int e) {
    return std::strerror(e);
}

// Waits for `events` on fd until `deadline`; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
    for (;;) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) return false;
        pollfd p{fd, events, 0};
        const int r = ::poll(&p, 1, static_cast<int>(left.count()));
        if (r > 0) return true;
        if (r == 0) return false;
        if (errno != EINTR) return false;
    }
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

// A number of the document, or 0 when it is none. Read as a double: nlohmann's value<int>()
// casts a 1e105 in the document to int, which is undefined behaviour (the long fuzz run).
double number(const json& object, const char* key) {
    const auto it = object.find(key);
    return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string pad(const std::string& s, std::size_t width) {
    return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

// A mysql_check's term: the highest promote recorded in its server's data, and the peer's while
// the two differ (the higher term is the newer branch, the authority). Empty when none is known.
std::string term_line(const json& check) {
    auto number = [&](const char* key) -> std::optional<std::uint64_t> {
        const auto it = check.find(key);
        if (it == check.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0)
            return std::nullopt;
        return it->get<std::uint64_t>();
    };
    const auto here = number("term");
    if (!here) return {};
    const auto there = number("peer_term");
    if (!there)
        return fmt::format("      term {} (the last promote recorded in this node's data)\n",
                           *here);
    return fmt::format("      term {} here, {} on the peer: {}\n", *here, *there,
                       *here > *there   ? "this node holds the newer branch (the authority)"
                       : *here < *there ? "the peer holds the newer branch (the authority)"
                                        : "equal: the writer mark tells the newer branch");
}

}  // namespace

std::string status_usage() {
    return "Usage: havip status [--socket PATH] [--json]\n"
           "Shows havipd's instances, their checks and counters.\n"
           "  --socket PATH  the control socket (default /run/havipd/havipd.sock)\n"
           "  --json         print the daemon's JSON document\n"
           "Exit codes: 0 all good, 1 an instance is in FAULT, 2 daemon unreachable, 64 usage.\n";
}

std::variant<StatusArgs, UsageError> parse_status_args(const std::vector<std::string>& args) {
    StatusArgs out;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--json") {
            out.json = true;
        } else if (a == "-h" || a == "--help") {
            out.help = true;
        } else if (a == "--socket") {
            if (i + 1 >= args.size()) return UsageError{"--socket needs a path"};
            out.socket = args[++i];
        } else if (a.starts_with("--socket=")) {
            out.socket = a.substr(9);
        } else {
            return UsageError{fmt::format("unexpected argument '{}'", a)};
        }
        if (out.socket.empty()) return UsageError{"--socket needs a path"};
    }
    return out;
}

std::variant<json, QueryError> query_status(const std::string& socket,
                                            std::chrono::milliseconds timeout) {
    return query_daemon(socket, json{{"version", 1}, {"command", "status"}}, timeout);
}

std::variant<json, QueryError> query_daemon(const std::string& socket, const json& request_doc,
                                            std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    sockaddr_un addr{};
    if (socket.size() >= sizeof addr.sun_path)
        return QueryError{fmt::format("{}: path too long for a unix socket", socket)};
    addr.sun_family = AF_UNIX;
    socket.copy(addr.sun_path, sizeof addr.sun_path - 1);
    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (s.fd < 0) return QueryError{fmt::format("socket: {}", errno_text(errno))};
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (errno != EINPROGRESS && errno != EAGAIN)
            return QueryError{fmt::format("cannot connect to {}: {} (is havipd running?)", socket,
                                          errno_text(errno))};
        if (!wait_for(s.fd, POLLOUT, deadline))
            return QueryError{fmt::format("{}: connect timed out", socket)};
    }
    const std::string request = request_doc.dump() + "\n";
    std::size_t sent = 0;
    while (sent < request.size()) {
        const auto n = ::send(s.fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += static_cast<std::size_t>(n);
        } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!wait_for(s.fd, POLLOUT, deadline))
                return QueryError{fmt::format("{}: sending the request timed out", socket)};
        } else {
            return QueryError{fmt::format("{}: send: {}", socket, errno_text(errno))};
        }
    }
    // Whatever holds the socket may send without end: the answer line is bounded as the
    // daemon bounds requests (vrrpd/control_framing.hpp).
    vrrp::LineFramer framer(max_answer);
    std::optional<std::string> answer;
    char buf[8192];
    while (!(answer = framer.next())) {
        if (framer.too_long())
            return QueryError{
                fmt::format("{}: the answer is longer than {} MiB without an end of line", socket,
                            max_answer >> 20)};
        const auto n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n > 0) {
            framer.feed({buf, static_cast<std::size_t>(n)});
        } else if (n == 0) {
            return QueryError{framer.pending() == 0
                                  ? fmt::format("{}: the daemon closed the connection", socket)
                                  : fmt::format("{}: the daemon closed the connection before the "
                                                "end of its answer",
                                                socket)};
        } else if (errno == EAGAIN || errno == EINTR) {
            if (!wait_for(s.fd, POLLIN, deadline))
                return QueryError{
                    fmt::format("{}: no answer within {} ms", socket, timeout.count())};
        } else {
            return QueryError{fmt::format("{}: recv: {}", socket, errno_text(errno))};
        }
    }
    auto doc = json::parse(*answer, nullptr, false);
    if (doc.is_discarded() || !doc.is_object())
        return QueryError{fmt::format("{}: the answer is not JSON", socket)};
    return doc;
}

int status_exit_code(const json& document) {
    if (!document.is_object() || document.contains("error")) return exit_unreachable;
    const auto it = document.find("instances");
    if (it == document.end() || !it->is_array()) return exit_unreachable;
    for (const auto& i : *it)
        if (i.is_object() && text(i, "state") == "FAULT") return exit_fault;
    return exit_ok;
}

namespace {

std::string table_of(const json& document) {
    const std::vector<std::string> headers = {"INSTANCE", "STATE",     "VRID", "INTERFACE",
                                              "PRIO",     "EFFECTIVE", "VIPS", "MASTER"};
    std::vector<std::vector<std::string>> rows;
    const auto instances = document.value("instances", json::array());
    for (const auto& i : instances) {
        std::string vips;
        for (const auto& v : i.value("vips", json::array()))
            vips += (vips.empty() ? "" : ",") + (v.is_string() ? v.get<std::string>() : v.dump());
        rows.push_back({text(i, "name"), text(i, "state"), text(i, "vrid"), text(i, "interface"),
                        text(i, "priority"), text(i, "effective_priority"),
                        vips.empty() ? "-" : vips, text(i, "master_ip")});
    }
    std::vector<std::size_t> width(headers.size());
    for (std::size_t c = 0; c < headers.size(); ++c) {
        width[c] = headers[c].size();
        for (const auto& r : rows)
            width[c] = std::max(width[c], r[c].size());
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < cells.size(); ++c)
            out += c + 1 == cells.size() ? cells[c] : pad(cells[c], width[c] + 2);
        return out + "\n";
    };
    std::string out = line(headers);
    if (instances.empty()) out += "(no instances)\n";
    for (std::size_t n = 0; n < instances.size(); ++n) {
        const auto& i = instances[n];
        out += line(rows[n]);
        const auto t = i.value("last_transition", json(nullptr));
        if (t.is_object())
            out += fmt::format("    last transition {} {} -> {}: {}\n", text(t, "time"),
                               text(t, "from"), text(t, "to"), text(t, "reason", ""));
        for (const auto& r : i.value("vip_retries", json::array())) {
            const double failures = number(r, "failures");
            out += fmt::format("    VIP {} failing: {}: {} ({:.0f} attempt{}, next in {:.0f} ms)\n",
                               text(r, "operation"), text(r, "vip"), text(r, "error", ""), failures,
                               failures == 1 ? "" : "s", r.value("next_attempt_in_ms", 0.0));
        }
        for (const auto& c : i.value("checks", json::array())) {
            const std::string reason = text(c, "reason", "");
            const std::string since = text(c, "since", "");
            out += fmt::format("    check {} ({}): {}{}{}\n", text(c, "name"), text(c, "type"),
                               text(c, "status"), reason.empty() ? "" : " - " + reason,
                               since.empty() ? "" : " since " + since);
            const std::string action = text(c, "read_only_action", "");
            if (!action.empty()) out += fmt::format("      {}\n", action);
            // A demote after a failed promote: why this node cannot take writes stays in view.
            if (const std::string failure = text(c, "promote_failure", "");
                !failure.empty() && failure != action)
                out += fmt::format("      last {}\n", failure);
            out += term_line(c);
            // Every latch says its way out.
            if (c.value("diverged", false))
                out += fmt::format(
                    "      latched diverged: this node's data holds transactions its peer lacks "
                    "or refused. `havip rejoin` (or havipd's auto_rejoin) saves them and rolls "
                    "them "
                    "back or re-seeds it from the writer; or repair it by hand, then `havip "
                    "clear-diverged "
                    "{0}`; or, to serve from this node anyway, `havip promote --force {0}`\n",
                    text(i, "name"));
            if (const std::string rejoin = text(c, "rejoin", ""); !rejoin.empty())
                out += fmt::format("      {}\n", rejoin);
            if (c.value("forced", false))
                out +=
                    "      eligible by operator decision (havip promote --force) until the "
                    "next normal change of writer\n";
        }
        if (const std::string hold = text(i, "switchover_hold", ""); !hold.empty())
            out += fmt::format(
                "    switchover hold: {}; does not preempt until `havip "
                "switchover` on the holder moves the VIP back, or `havip "
                "switchover --end-hold {}` here\n",
                hold, text(i, "name"));
        if (const auto sw = i.value("switchover", json(nullptr)); sw.is_object()) {
            out += fmt::format("    switchover {} {}: {}\n",
                               sw.value("running", false) ? "running since" : "last started",
                               text(sw, "started"), text(sw, "summary"));
            for (const auto& st : sw.value("steps", json::array()))
                out += fmt::format("      {} {} ({:.0f} ms): {}\n", text(st, "step"),
                                   st.value("ok", false) ? "ok" : "FAILED", st.value("ms", 0.0),
                                   text(st, "detail", ""));
        }
        const auto s = i.value("stats", json::object());
        out += fmt::format(
            "    adverts received {} sent {}; became master {}, released {}; priority 0 "
            "received {} sent {}\n",
            text(s, "advert_rcvd"), text(s, "advert_sent"), text(s, "become_master"),
            text(s, "release_master"), text(s, "pri_zero_rcvd"), text(s, "pri_zero_sent"));
        std::string errors;
        for (const char* k :
             {"packet_len_err", "ip_ttl_err", "invalid_type_rcvd", "advert_interval_err",
              "addr_list_err", "invalid_authtype", "authtype_mismatch", "auth_failure"}) {
            const auto v = s.find(k);
            if (v != s.end() && v->is_number() && v->get<double>() != 0)
                errors += fmt::format("{}{} {}", errors.empty() ? "" : ", ", k, v->dump());
        }
        if (!errors.empty()) out += fmt::format("    packet errors: {}\n", errors);
        const auto jit =
            i.value("timing", json::object()).value("advert_send_jitter_ms", json::object());
        if (jit.is_object() && number(jit, "samples") > 0)
            out +=
                fmt::format("    advert send jitter p50 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms\n",
                            jit.value("p50", 0.0), jit.value("p99", 0.0), jit.value("max", 0.0));
    }
    return out;
}

}  // namespace

std::string render_table(const json& document) {
    // A daemon of another version, or a damaged answer, may hold a field of another type
    // than this version reads: say so rather than abort.
    try {
        return table_of(document);
    } catch (const json::exception& e) {
        return fmt::format("(the status document is not what this havip reads: {})\n",
                           printable(e.what()));
    }
}

int run_status(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto parsed = parse_status_args(args);
    if (auto* e = std::get_if<UsageError>(&parsed)) {
        err << "havip status: " << e->message << "\n" << status_usage();
        return exit_usage;
    }
    const auto& a = std::get<StatusArgs>(parsed);
    if (a.help) {
        out << status_usage();
        return exit_ok;
    }
    auto answer = query_status(a.socket, std::chrono::seconds(5));
    if (auto* e = std::get_if<QueryError>(&answer)) {
        err << "havip status: " << e->message << "\n";
        return exit_unreachable;
    }
    const auto& doc = std::get<json>(answer);
    if (doc.contains("error")) {
        err << "havip status: the daemon answered: " << text(doc, "error") << "\n";
        return exit_unreachable;
    }
    if (a.json)
        out << doc.dump(2) << "\n";
    else
        out << render_table(doc);
    return status_exit_code(doc);
}

}  // namespace havip::cli
