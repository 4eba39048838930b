// libFuzzer entry for what mysql_check reads from its server: the answers of a snapshot's
// statements as rows of columns (checks/mysql_reply.hpp), then the decision on the snapshot they
// make (checks/mysql_decision.hpp), twice in a row as the check does, with an operator's force
// and a peer's term on top. A server, or a proxy in front of it, may answer anything: nothing
// may crash, throw or hang, and the decision must stay a function of its inputs.
//
// The input is text. A first line of options, words: mysql, standby, promoting,
// manage_read_only, expect_semi_sync, replica_error, channel=NAME, expect_master=N, term=N,
// peer_term=N, connect_failed, query_failed, timed_out, error=N, step=N (ProbeStep),
// write_failed, write_ok. Then the answers in the order take_snapshot asks, separated by a line
// "--": the variables, the replica status, the semi-sync status, slave_net_timeout. Rows are
// separated by an empty line; a row's lines are "Column: value", the value NULL for a NULL.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checks/mysql_decision.hpp"
#include "checks/mysql_reply.hpp"

using namespace havip::checks;

namespace {

std::vector<std::string_view> split(std::string_view text, std::string_view separator) {
    std::vector<std::string_view> out;
    for (;;) {
        const auto at = text.find(separator);
        out.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return out;
        text.remove_prefix(at + separator.size());
    }
}

std::vector<ReplicaRow> rows_of(std::string_view block) {
    std::vector<ReplicaRow> rows(1);
    for (const auto line : split(block, "\n")) {
        if (line.empty()) {
            if (!rows.back().empty()) rows.emplace_back();
            continue;
        }
        const auto colon = line.find(':');
        const auto name = line.substr(0, colon);
        auto value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 1);
        if (value.starts_with(' ')) value.remove_prefix(1);
        auto& cell = rows.back()[std::string(name)];
        if (value != "NULL") cell = std::string(value);
    }
    if (rows.back().empty()) rows.pop_back();
    return rows;
}

template <typename Int>
Int number(std::string_view text) {
    Int value{};
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

struct Options {
    bool mariadb = true;
    Role role = Role::holder;
    DecisionSettings settings;
    std::optional<std::uint64_t> peer_term;
};

Options read_options(std::string_view line, Snapshot& snap) {
    Options o;
    o.settings.slave_net_timeout = std::chrono::seconds(4);
    for (const auto word : split(line, " ")) {
        const auto eq = word.find('=');
        const auto key = word.substr(0, eq);
        const auto value = eq == std::string_view::npos ? std::string_view{} : word.substr(eq + 1);
        if (key == "mysql") o.mariadb = false;
        if (key == "standby") o.role = Role::standby;
        if (key == "promoting") o.role = Role::promoting;
        if (key == "manage_read_only") o.settings.manage_read_only = true;
        if (key == "expect_semi_sync") o.settings.expect_semi_sync = true;
        if (key == "replica_error") snap.replica_error = 1227;
        if (key == "channel") o.settings.connection_name = std::string(value);
        if (key == "expect_master")
            o.settings.expected_master_server_id = number<std::uint32_t>(value);
        if (key == "term") snap.term = number<std::uint64_t>(value);
        if (key == "peer_term") o.peer_term = number<std::uint64_t>(value);
        if (key == "connect_failed") snap.outcome = ProbeOutcome::connect_failed;
        if (key == "query_failed") snap.outcome = ProbeOutcome::query_failed;
        if (key == "timed_out") snap.outcome = ProbeOutcome::timed_out;
        if (key == "error") snap.error_code = number<unsigned>(value);
        if (key == "step") {
            const auto step = number<unsigned>(value);
            snap.step =
                step <= static_cast<unsigned>(ProbeStep::done) ? ProbeStep(step) : ProbeStep::done;
        }
        if (key == "write_failed") snap.write = WriteProbe{false, 1205, "lock wait", 0.3, ""};
        if (key == "write_ok") snap.write = WriteProbe{true, 0, "", 0.3, ""};
    }
    return o;
}

bool same(const Decision& a, const Decision& b) {
    return a.status == b.status && a.reason == b.reason && a.alerts == b.alerts &&
           a.caught_up == b.caught_up && a.failback_hold == b.failback_hold &&
           a.clear_read_only == b.clear_read_only && a.diverged == b.diverged;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto first_line = text.find('\n');
    Snapshot snap;
    const Options o = read_options(text.substr(0, first_line), snap);
    const auto blocks = split(
        first_line == std::string_view::npos ? std::string_view{} : text.substr(first_line + 1),
        "\n--\n");
    const auto block = [&](std::size_t i) {
        return i < blocks.size() ? rows_of(blocks[i]) : std::vector<ReplicaRow>{};
    };

    read_variables(block(0), o.mariadb, snap);
    if (!snap.replica_error) snap.replicas = block(1);
    read_semi_sync_status(block(2), snap);
    read_slave_net_timeout(block(3), snap);

    // What the readers promise: a number is a number, the rest is said, briefly.
    if (snap.slave_net_timeout &&
        (!std::isfinite(*snap.slave_net_timeout) || *snap.slave_net_timeout <= 0))
        __builtin_trap();
    if (snap.unreadable.size() > 4) __builtin_trap();
    for (const auto& u : snap.unreadable)
        if (u.size() > 200) __builtin_trap();

    const auto t0 = WallClock::time_point(std::chrono::seconds(1'700'000'000));
    const auto d = decide(snap, o.role, History{}, o.settings, t0);
    if (d.reason.empty()) __builtin_trap();
    if (!same(d, decide(snap, o.role, History{}, o.settings, t0))) __builtin_trap();
    if (snap.outcome == ProbeOutcome::ok)
        for (const auto& u : snap.unreadable)
            if (std::find(d.alerts.begin(), d.alerts.end(), u) == d.alerts.end()) __builtin_trap();

    // The next interval, from the history this one left; the peer's term when it is asked for;
    // an operator's force; the VIP taken.
    History h = d.history;
    auto next = decide(snap, o.role, h, o.settings, t0 + std::chrono::seconds(1));
    if (next.ask_peer_term) {
        h = next.history;
        record_peer_term(h, o.peer_term, o.peer_term ? "" : "access denied", true);
        next = decide(snap, o.role, h, o.settings, t0 + std::chrono::seconds(2));
    }
    h = next.history;
    force_eligible(h, t0, "uid 0, pid 1");
    (void)decide(snap, o.role, h, o.settings, t0 + std::chrono::seconds(3));
    took_vip(h, next.status);
    clear_diverged(h);
    (void)decide(snap, Role::holder, h, o.settings, t0 + std::chrono::seconds(4));
    return 0;
}
