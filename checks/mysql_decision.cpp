#include "checks/mysql_decision.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <initializer_list>
#include <string_view>

#include <fmt/format.h>

#include "checks/gtid.hpp"

namespace havip::checks {
namespace {

// How long a master may take to fetch back a GTID of its own that its crash recovery truncated
// (it reconnects to us at once; MASTER_CONNECT_RETRY is 1 s as generated).
constexpr auto refetch_grace = std::chrono::seconds{30};

// Whether the GTID a 1236 "connecting slave requested to start from GTID D-S-N, which is not in
// the master's binlog" names is not ours (server id S ≠ `own`): then it is the master's own.
// Our own GTID missing there is the async crash window: this node holds what the master never
// had, diverged at once.
bool masters_own_gtid(const std::string& error, std::optional<std::uint32_t> own) {
    constexpr std::string_view marker = "start from GTID ";
    const auto at = error.find(marker);
    if (!own || at == std::string::npos) return false;
    const auto begin = at + marker.size();
    const auto end = error.find_first_of(", '", begin);
    auto parsed = parse_mariadb_gtid_list(error.substr(begin, end - begin));
    if (!parsed.value || parsed.value->size() != 1) return false;
    return parsed.value->begin()->second.server_id != *own;
}

using Seconds = std::chrono::duration<double>;

// Lookup by any of the names a column has had (MariaDB 10.x / MySQL ≤ 8.0.21 first, then
// MySQL 8.0.22+'s Replica_/Source_ names). nullopt: missing or NULL — both mean "unknown".
std::optional<std::string> column(const ReplicaRow& row, std::initializer_list<const char*> names) {
    for (const char* name : names) {
        auto it = row.find(name);
        if (it != row.end()) return it->second;
    }
    return std::nullopt;
}

bool has_column(const ReplicaRow& row, std::initializer_list<const char*> names) {
    return std::any_of(names.begin(), names.end(), [&](const char* n) { return row.contains(n); });
}

template <typename Int>
std::optional<Int> to_int(const std::optional<std::string>& text) {
    if (!text || text->empty()) return std::nullopt;
    Int value{};
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
    return value;
}

// "2026-12-05T13:10:04Z": when an operator acted, in reasons.
std::string format_wall(WallClock::time_point t) {
    const auto secs = WallClock::to_time_t(t);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string age(Seconds s) {
    double v = std::max(0.0, s.count());
    if (v < 120) return fmt::format("{:.0f} s", v);
    if (v < 7200) return fmt::format("{:.0f} min", v / 60);
    return fmt::format("{:.1f} h", v / 3600);
}

enum class IoState { yes, connecting, no, unknown };

IoState io_state(const std::optional<std::string>& text) {
    if (!text) return IoState::unknown;
    if (*text == "Yes") return IoState::yes;
    // MariaDB shows Preparing while it sets up the connection: the same as Connecting.
    if (*text == "Connecting" || *text == "Preparing") return IoState::connecting;
    if (*text == "No") return IoState::no;
    return IoState::unknown;
}

// What the inbound channel looks like, derived from its row once.
struct Channel {
    const ReplicaRow* row = nullptr;
    std::string io_text;
    IoState io = IoState::unknown;
    std::optional<bool> sql_running;
    unsigned io_errno = 0;
    unsigned sql_errno = 0;
    std::string io_error;
    std::string sql_error;
    std::optional<double> lag;
    std::string received;  // the marker that advances while the master sends us anything
    std::optional<std::uint64_t> heartbeats;
    bool has_heartbeats = false;
    std::optional<double> heartbeat_period;  // Slave_heartbeat_period (MariaDB), seconds
    std::optional<std::uint32_t> master_server_id;
    std::optional<bool> applied;
    std::string not_applied;  // why not, when applied == false
};

const ReplicaRow* find_channel(const std::vector<ReplicaRow>& rows, const std::string& name) {
    for (const auto& row : rows) {
        auto row_name = column(row, {"Connection_name", "Channel_Name", "Channel_name"});
        if (row_name && *row_name == name) return &row;
        // SHOW SLAVE STATUS (no ALL) and single-channel MySQL may omit the name: the only
        // row is the default channel.
        if (!has_column(row, {"Connection_name", "Channel_Name", "Channel_name"}) && name.empty() &&
            rows.size() == 1) {
            return &row;
        }
    }
    return nullptr;
}

void compute_applied(Channel& ch, const Snapshot& snap) {
    const ReplicaRow& row = *ch.row;
    // MariaDB: Gtid_IO_Pos received vs gtid_slave_pos applied, per domain.
    auto io_pos = column(row, {"Gtid_IO_Pos"});
    if (io_pos && !io_pos->empty()) {
        auto slave_pos =
            snap.gtid_slave_pos ? snap.gtid_slave_pos : column(row, {"Gtid_Slave_Pos"});
        auto received = parse_mariadb_gtid_list(*io_pos);
        auto applied = parse_mariadb_gtid_list(slave_pos.value_or(""));
        if (received.value && applied.value && slave_pos) {
            auto missing = mariadb_missing(*received.value, *applied.value);
            ch.applied = missing.empty();
            if (!missing.empty()) ch.not_applied = fmt::format("{}", fmt::join(missing, "; "));
            return;
        }
    }
    // MySQL: Retrieved_Gtid_Set ⊆ Executed_Gtid_Set.
    auto retrieved = column(row, {"Retrieved_Gtid_Set"});
    auto executed = column(row, {"Executed_Gtid_Set"});
    if (retrieved && !retrieved->empty() && executed) {
        auto r = parse_mysql_gtid_set(*retrieved);
        auto e = parse_mysql_gtid_set(*executed);
        if (r.value && e.value) {
            ch.applied = mysql_gtid_subset(*r.value, *e.value);
            if (!*ch.applied) {
                ch.not_applied =
                    fmt::format("retrieved {} not all in executed {}", *retrieved, *executed);
            }
            return;
        }
    }
    // Fallback without GTIDs: the read position equals the executed position (MHA).
    auto file = column(row, {"Master_Log_File", "Source_Log_File"});
    auto read = to_int<std::uint64_t>(column(row, {"Read_Master_Log_Pos", "Read_Source_Log_Pos"}));
    auto exec_file = column(row, {"Relay_Master_Log_File", "Relay_Source_Log_File"});
    auto exec = to_int<std::uint64_t>(column(row, {"Exec_Master_Log_Pos", "Exec_Source_Log_Pos"}));
    if (file && read && exec_file && exec) {
        ch.applied = *file == *exec_file && *read == *exec;
        if (!*ch.applied) {
            ch.not_applied =
                fmt::format("read {}:{}, executed {}:{}", *file, *read, *exec_file, *exec);
        }
    }
}

Channel read_channel(const ReplicaRow& row, const Snapshot& snap) {
    Channel ch;
    ch.row = &row;
    auto io = column(row, {"Slave_IO_Running", "Replica_IO_Running"});
    ch.io_text = io.value_or("unknown");
    ch.io = io_state(io);
    auto sql = column(row, {"Slave_SQL_Running", "Replica_SQL_Running"});
    if (sql == "Yes") ch.sql_running = true;
    if (sql == "No") ch.sql_running = false;
    ch.io_errno = to_int<unsigned>(column(row, {"Last_IO_Errno"})).value_or(0);
    ch.sql_errno = to_int<unsigned>(column(row, {"Last_SQL_Errno"})).value_or(0);
    ch.io_error = column(row, {"Last_IO_Error"}).value_or("");
    ch.sql_error = column(row, {"Last_SQL_Error"}).value_or("");
    if (auto lag = to_int<std::uint64_t>(
            column(row, {"Seconds_Behind_Master", "Seconds_Behind_Source"}))) {
        ch.lag = static_cast<double>(*lag);
    }
    if (auto gtid = column(row, {"Gtid_IO_Pos"}); gtid && !gtid->empty()) {
        ch.received = *gtid;
    } else if (auto set = column(row, {"Retrieved_Gtid_Set"}); set && !set->empty()) {
        ch.received = *set;
    } else {
        auto file = column(row, {"Master_Log_File", "Source_Log_File"});
        auto pos = column(row, {"Read_Master_Log_Pos", "Read_Source_Log_Pos"});
        if (file && pos) ch.received = fmt::format("{}:{}", *file, *pos);
    }
    ch.has_heartbeats = row.contains("Slave_received_heartbeats");
    ch.heartbeats = to_int<std::uint64_t>(column(row, {"Slave_received_heartbeats"}));
    if (auto period = column(row, {"Slave_heartbeat_period"})) {
        double p = 0;
        const auto [end, ec] = std::from_chars(period->data(), period->data() + period->size(), p);
        if (ec == std::errc{} && end == period->data() + period->size() && p > 0)
            ch.heartbeat_period = p;
    }
    ch.master_server_id =
        to_int<std::uint32_t>(column(row, {"Master_Server_Id", "Source_Server_Id"}));
    compute_applied(ch, snap);
    return ch;
}

bool in(unsigned value, std::initializer_list<unsigned> set) {
    return std::find(set.begin(), set.end(), value) != set.end();
}

// reference: peer_gone = IO∈{Connecting,Preparing} ∧ SQL=Yes ∧ Last_SQL_Errno=0 ∧
// Last_IO_Errno∈{0,2002,2003,2006,2013}.
bool peer_gone(const Channel& ch) {
    return ch.io == IoState::connecting && ch.sql_running == true && ch.sql_errno == 0 &&
           in(ch.io_errno, {0, 2002, 2003, 2006, 2013});
}

std::string error_text(unsigned code, const std::string& message) {
    return message.empty() ? fmt::format("error {}", code)
                           : fmt::format("error {} ({})", code, message);
}

// Why the channel cannot be trusted to have kept this node current, or "" when it can.
std::string broken_reason(const Channel& ch, const DecisionSettings& settings) {
    if (ch.sql_running == false) {
        if (ch.sql_errno != 0) {
            return fmt::format("replication SQL thread stopped: {}",
                               error_text(ch.sql_errno, ch.sql_error));
        }
        return "replication SQL thread stopped";
    }
    if (ch.io == IoState::no) {
        if (ch.io_errno != 0) {
            return fmt::format("replication IO thread stopped: {}",
                               error_text(ch.io_errno, ch.io_error));
        }
        return "replication IO thread stopped";
    }
    // These errors do not heal by retrying: bad grants, purged binlogs, a refused plugin.
    if (in(ch.io_errno, {1045, 1236, 2061})) {
        return fmt::format("replication cannot fetch from its master: {}",
                           error_text(ch.io_errno, ch.io_error));
    }
    if (settings.expected_master_server_id && ch.master_server_id && *ch.master_server_id != 0 &&
        *ch.master_server_id != *settings.expected_master_server_id) {
        return fmt::format("replicating from server id {}, expected {}", *ch.master_server_id,
                           *settings.expected_master_server_id);
    }
    if (ch.sql_running != true || ch.io == IoState::unknown) {
        return fmt::format("replication state unknown (IO {}, SQL {})", ch.io_text,
                           ch.sql_running ? (*ch.sql_running ? "Yes" : "No") : "unknown");
    }
    return "";
}

// Whether the received position moved forward from `before` to `now`: new transactions from
// the master. A position that went back or sideways is not news from the master: after a
// restart of the standby's server, Gtid_IO_Pos starts again from gtid_slave_pos
// (relay_log_recovery) and Retrieved_Gtid_Set from empty.
bool moved_forward(const std::string& before, const std::string& now) {
    if (before.empty() || now.empty() || before == now) return false;
    auto old_list = parse_mariadb_gtid_list(before);
    auto new_list = parse_mariadb_gtid_list(now);
    if (old_list.value && new_list.value) return mariadb_applied(*old_list.value, *new_list.value);
    auto old_set = parse_mysql_gtid_set(before);
    auto new_set = parse_mysql_gtid_set(now);
    if (old_set.value && new_set.value) return mysql_gtid_subset(*old_set.value, *new_set.value);
    // file:pos without GTIDs: a later file, or further in the same one.
    const auto split =
        [](const std::string& s) -> std::optional<std::pair<std::string, std::uint64_t>> {
        const auto colon = s.rfind(':');
        if (colon == std::string::npos) return std::nullopt;
        auto pos = to_int<std::uint64_t>(s.substr(colon + 1));
        if (!pos) return std::nullopt;
        return std::pair{s.substr(0, colon), *pos};
    };
    auto a = split(before);
    auto b = split(now);
    return a && b && *b > *a;
}

void update_contact(History& h, const Channel& ch, const Now& now) {
    if (ch.io == IoState::yes && ch.sql_running == true) {
        bool advanced = true;
        // With a heartbeat counter, "IO=Yes" alone is not contact: a SIGSTOPped master
        // keeps IO=Yes for slave_net_timeout while only the counter stops (reference [E]).
        // Without one (MySQL's SHOW REPLICA STATUS) IO=Yes is the best evidence there is.
        // Only against the previous observation of this same connection: after a loss, or
        // a restart of either server, the counter starts afresh and the received position is
        // read back from the relay log, which is not news from the master.
        const bool counted = ch.has_heartbeats;
        if (counted) {
            bool beat = ch.heartbeats && h.last_heartbeats && *ch.heartbeats > *h.last_heartbeats;
            bool moved = moved_forward(h.last_received, ch.received);
            advanced = h.connected && (beat || moved);
        }
        h.connected = true;
        if (advanced && (!counted || h.observed_steady)) {
            // Compared with an observation of this run, an interval ago at most.
            h.last_ok = now.wall;
            h.last_ok_steady = now.steady;
            h.in_contact = true;
        } else if (advanced && h.observed_at && *h.observed_at <= now.wall) {
            // Compared with the previous run's saved observation: the advance came after it,
            // when exactly is unknown, so the contact is dated at it (never later than true).
            if (!h.last_ok || *h.last_ok < *h.observed_at) {
                h.last_ok = *h.observed_at;
                h.last_ok_steady.reset();
            }
            h.in_contact = true;
        }
        // An observation from the future (the clock stepped back since) proves nothing.
    } else {
        h.in_contact = false;
        h.connected = false;
    }
    h.observed_at = now.wall;
    h.observed_steady = now.steady;
    if (!ch.received.empty()) h.last_received = ch.received;
    if (ch.heartbeats) h.last_heartbeats = ch.heartbeats;
}

// How long ago the inbound channel was last in contact: on the monotonic clock when that was
// seen in this run, else from the persisted wall time. Unknown when that lies in the future:
// the clock stepped back since, and a stale node must not look fresh.
std::optional<Seconds> contact_age(const History& h, const Now& now) {
    if (h.last_ok_steady) return Seconds{now.steady - *h.last_ok_steady};
    if (!h.last_ok || *h.last_ok > now.wall) return std::nullopt;
    return Seconds{now.wall - *h.last_ok};
}

// "last in contact 72 h ago (more than 9 s)", or why the age is not known.
std::string contact_text(const History& h, const Now& now, Seconds window) {
    if (auto a = contact_age(h, now))
        return fmt::format("last in contact {} ago (more than {})", age(*a), age(window));
    if (h.last_ok) return "last contact recorded in the future (the clock stepped back)";
    return "never seen in contact";
}

// This node's own position: what it wrote, and everything it applied.
std::optional<std::string> own_position(const Snapshot& snap) {
    if (snap.gtid_binlog_pos) return snap.gtid_binlog_pos;
    return snap.gtid_executed;
}

// Why this node is not the writer that may stay eligible alone, or "" when it is: it was the
// writer and its data still holds what it wrote then (not restored from an older backup).
std::string writer_gap(const Snapshot& snap, const History& h) {
    if (!h.writer) return "not the writer";
    if (h.writer_position.empty()) return "";
    const auto own = own_position(snap);
    if (!own)
        return fmt::format("its own GTID position is unknown (it wrote up to {})",
                           h.writer_position);
    bool holds = false;
    if (snap.gtid_binlog_pos) {
        auto wrote = parse_mariadb_gtid_list(h.writer_position);
        auto has = parse_mariadb_gtid_list(*own);
        holds = wrote.value && has.value && mariadb_applied(*wrote.value, *has.value);
    } else {
        auto wrote = parse_mysql_gtid_set(h.writer_position);
        auto has = parse_mysql_gtid_set(*own);
        holds = wrote.value && has.value && mysql_gtid_subset(*wrote.value, *has.value);
    }
    if (holds) return "";
    return fmt::format("it was the writer up to {} but its data holds only {}", h.writer_position,
                       own->empty() ? std::string{"''"} : *own);
}

// How long the data may differ before a peer whose term cannot be read is given up on: the
// writer mark decides then, as without terms.
constexpr auto term_wait = std::chrono::seconds{5};

enum class TermVerdict {
    unknown,  // no terms (no table, no grant, equal, or the peer never answered): writer mark
    pending,  // the peer's term is being read
    newer,    // this node's branch is the newer one
    older,    // the peer's is
};

struct Terms {
    TermVerdict verdict = TermVerdict::unknown;
    std::string text;  // "term 3 here, 2 on the peer", for the latch's reason
};

Terms compare_terms(Decision& d, const Snapshot& snap, const std::optional<Channel>& ch,
                    bool differ, const Now& now) {
    if (!differ || !snap.term || d.history.diverged || d.history.peer_diverged) return {};
    const auto& h = d.history;
    if (h.peer_term) {
        const auto here = *snap.term;
        const auto there = *h.peer_term;
        const auto text = fmt::format("term {} here, {} on the peer", here, there);
        if (here > there) return {TermVerdict::newer, text};
        if (here < there)
            return {TermVerdict::older,
                    fmt::format("{}: the peer's branch is the newer one", text)};
        return {TermVerdict::unknown, fmt::format("{} (equal: the writer mark decides)", text)};
    }
    if (h.peer_term_given_up || now.steady - *h.conflict_since >= term_wait) {
        return {TermVerdict::unknown,
                fmt::format("the peer's term could not be read within {} s ({}): the writer "
                            "mark decides",
                            std::chrono::duration_cast<std::chrono::seconds>(term_wait).count(),
                            h.peer_term_error.empty() ? "no answer" : h.peer_term_error)};
    }
    auto host = column(*ch->row, {"Master_Host", "Source_Host"});
    auto port = to_int<unsigned>(column(*ch->row, {"Master_Port", "Source_Port"}));
    if (!host || host->empty()) return {};
    d.ask_peer_term = PeerAddress{*host, port.value_or(3306)};
    return {TermVerdict::pending, {}};
}

std::string semi_sync_value(const Snapshot& snap, std::initializer_list<const char*> names) {
    for (const char* n : names) {
        auto it = snap.semi_sync.find(n);
        if (it != snap.semi_sync.end()) return it->second;
    }
    return "";
}

Decision decide_unreachable(const Snapshot& snap, Role role, const History& history,
                            const DecisionSettings& settings, const Now& now) {
    Decision d;
    d.history = history;
    // The server may restart before it answers again: its channel's counter and received
    // position start afresh then, so the next answer has nothing to be compared with.
    d.history.in_contact = false;
    d.history.connected = false;
    d.diverged = history.diverged;
    std::string why = error_text(snap.error_code, snap.error_message);
    // 1040 too many connections / 1203 max_user_connections: the server answered the
    // handshake, so it is alive (MHA treats these as alive too).
    if (snap.outcome == ProbeOutcome::connect_failed && in(snap.error_code, {1040, 1203})) {
        std::string alert = fmt::format("server refuses new connections: {}", why);
        d.alerts.push_back(alert);
        if (role == Role::holder) {
            d.status = Status::healthy;
            d.reason = fmt::format("alive but full: {}", why);
            return d;
        }
        Seconds window = 2 * settings.slave_net_timeout + settings.interval;
        const auto contact = contact_age(history, now);
        if (contact && *contact <= window && !history.diverged) {
            d.status = Status::healthy;
            d.reason = fmt::format("alive but full ({}); replication last confirmed {} ago", why,
                                   age(*contact));
        } else {
            d.status = Status::unsafe;
            d.reason = fmt::format("alive but full ({}); replication state unknown", why);
        }
        return d;
    }
    d.status = Status::down;
    switch (snap.outcome) {
        case ProbeOutcome::connect_failed:
            d.reason = fmt::format("cannot connect: {}", why);
            break;
        case ProbeOutcome::query_failed:
            d.reason = fmt::format("query failed: {}", why);
            break;
        case ProbeOutcome::timed_out:
            d.reason = snap.error_message.empty()
                           ? "no answer before the deadline"
                           : fmt::format("no answer before the deadline ({})", snap.error_message);
            break;
        case ProbeOutcome::ok:
            break;
    }
    return d;
}

// Why the write probe did not commit, for the reason and the journal.
std::string write_text(const WriteProbe& w) {
    // 1227 BINLOG ADMIN (SUPER before 10.5) for sql_log_bin=0, 1142 a table, 1044 the schema.
    if (in(w.error_code, {1227, 1142, 1044}))
        return fmt::format(
            "the write probe lacks a privilege ({}): GRANT BINLOG ADMIN ON *.* and GRANT "
            "INSERT, UPDATE, CREATE ON havip.* to the check's account",
            error_text(w.error_code, w.error_message));
    if (w.error_code != 0)
        return fmt::format("a write does not commit: {}",
                           error_text(w.error_code, w.error_message));
    const std::string waiting = w.waiting_for.empty() ? "" : fmt::format(": {}", w.waiting_for);
    if (w.bound_s <= 0)
        return fmt::format("a write does not commit before the probe's deadline ({}){}",
                           w.error_message, waiting);
    return fmt::format("a write does not commit within {:.2f} s{}", w.bound_s, waiting);
}

std::string replica_unanswered_text(const Snapshot& snap) {
    const std::string waiting =
        snap.replica_waiting_for.empty() ? "" : fmt::format(": {}", snap.replica_waiting_for);
    if (!snap.replica_unanswered || *snap.replica_unanswered <= 0)
        return fmt::format("replica status did not answer before the probe's deadline ({}){}",
                           snap.error_message, waiting);
    return fmt::format("replica status did not answer within {:.2f} s{}", *snap.replica_unanswered,
                       waiting);
}

// The writable holder's job ran out of time in the write probe or the replica status (a
// backup's global read lock, a commit stuck in fsync, the channel's locks held): the server
// answered everything before, so this is what a snapshot that ended there would say, not a
// server that does not answer. nullopt for anything else (a standby's freshness is unknown
// then: it stays down, as before).
std::optional<Snapshot> stalled_holder(const Snapshot& snap, Role role) {
    if (snap.outcome != ProbeOutcome::timed_out || role != Role::holder || snap.read_only != false)
        return std::nullopt;
    Snapshot s = snap;
    s.outcome = ProbeOutcome::ok;
    if (snap.step == ProbeStep::write) {
        s.write = WriteProbe{};
        s.write->error_message = snap.error_message;
    } else if (snap.step == ProbeStep::replica_status) {
        s.replica_unanswered = 0.0;
    } else {
        return std::nullopt;
    }
    return s;
}

void decide_holder(Decision& d, const Snapshot& snap, const std::optional<Channel>& ch,
                   const DecisionSettings& settings) {
    d.status = Status::healthy;
    if (snap.read_only == true) {
        if (!settings.manage_read_only) {
            d.reason = "read_only=1 on the VIP holder";
            d.alerts.push_back(
                "read_only=1 on the VIP holder: clients cannot write "
                "(manage_read_only is off)");
        } else if (d.history.read_only_reapplied) {
            d.status = Status::down;
            d.reason = "read_only=1 again after clearing it: someone else keeps setting it";
        } else {
            d.reason = "read_only=1 set by someone else: clearing it";
            d.clear_read_only = true;
            d.history.read_only_reapplied = true;
        }
    } else {
        if (snap.read_only == false) d.history.read_only_reapplied = false;
        d.reason =
            snap.read_only ? "writable" : "writable state unknown (read_only NULL or unreadable)";
        // An unreadable value is already an alert of its own (Snapshot::unreadable).
        const bool unreadable =
            std::any_of(snap.unreadable.begin(), snap.unreadable.end(),
                        [](const std::string& u) { return u.starts_with("@@read_only "); });
        if (!snap.read_only && !unreadable) d.alerts.push_back("@@read_only not reported");
    }
    // The inbound channel never lowers the holder's fitness; it is reported only. A replica
    // status that does not answer is degraded, not down: the channel's locks are held, the
    // server serves.
    if (snap.replica_unanswered) {
        const auto text = replica_unanswered_text(snap);
        d.reason += "; " + text;
        d.alerts.push_back(text);
        if (d.status == Status::healthy) d.status = Status::degraded;
    }
    if (d.history.peer_diverged) {
        d.reason += "; peer diverged and needs rejoin (inbound channel stopped)";
    } else if (ch) {
        if (peer_gone(*ch)) {
            d.reason += "; inbound channel: peer gone";
        } else if (auto broken = broken_reason(*ch, settings); !broken.empty()) {
            d.reason += "; inbound " + broken;
            d.alerts.push_back("inbound " + broken);
        } else {
            d.reason += "; inbound channel replicating";
        }
    }
    // Semi-sync state of the holder, whenever the plugin reports it: with it on, a commit
    // acknowledged to a client is on the peer too; after a fallback it may not be.
    const std::string master_status =
        semi_sync_value(snap, {"Rpl_semi_sync_master_status", "Rpl_semi_sync_source_status"});
    const std::string master_enabled =
        semi_sync_value(snap, {"Rpl_semi_sync_master_enabled", "Rpl_semi_sync_source_enabled"});
    if (master_status == "ON") {
        d.reason += "; semi-sync on";
    } else if (master_status == "OFF" && (settings.expect_semi_sync || master_enabled == "ON")) {
        d.reason += "; semi-sync fell back to async (Rpl_semi_sync_master_status=OFF)";
        d.alerts.push_back(
            "semi-sync fell back to asynchronous replication (Rpl_semi_sync_master_status=OFF): "
            "acknowledged commits may be missing on the peer");
    }
}

void decide_standby(Decision& d, const Snapshot& snap, const std::optional<Channel>& ch,
                    const DecisionSettings& settings, const Now& now) {
    if (snap.replica_error) {
        d.status = Status::unsafe;
        d.reason = fmt::format("cannot read replication status: {}",
                               error_text(*snap.replica_error, snap.replica_error_message));
        return;
    }
    if (!ch) {
        d.status = Status::unsafe;
        d.reason = settings.connection_name.empty()
                       ? "no replication channel: this node is not a replica"
                       : fmt::format("no replication channel '{}'", settings.connection_name);
        return;
    }
    d.applied = ch->applied;
    d.lag_seconds = ch->lag;
    if (d.history.peer_diverged) {
        // The writer, back as a standby (a restart) while its peer is still diverged: the only
        // copy with every write, as with a peer gone.
        const std::string gap = writer_gap(snap, d.history);
        d.status = gap.empty() ? Status::healthy : Status::unsafe;
        d.reason = gap.empty()
                       ? fmt::format(
                             "peer diverged and needs rejoin; this node was the writer "
                             "(up to {}) and has not heard from its peer since",
                             d.history.writer_position.empty() ? std::string{"its last write"}
                                                               : d.history.writer_position)
                       : fmt::format("peer diverged, and {}", gap);
        return;
    }
    if (peer_gone(*ch)) {
        d.peer_gone = true;
        Seconds window = 2 * settings.slave_net_timeout + settings.interval;
        std::string applied_text = ch->applied == true ? "relay log applied"
                                   : ch->applied == false
                                       ? fmt::format(
                                             "relay log not yet applied ({}); promotion "
                                             "waits for it",
                                             ch->not_applied)
                                       : "relay log state unknown";
        const auto contact = contact_age(d.history, now);
        const std::string gap = writer_gap(snap, d.history);
        if (contact && *contact <= window) {
            d.status = Status::healthy;
            d.reason =
                fmt::format("peer gone, {}, last in contact {} ago", applied_text, age(*contact));
        } else if (gap.empty()) {
            // Nobody else can have written since this node did: it is the only copy.
            d.status = Status::healthy;
            d.reason = fmt::format(
                "peer gone, {}; this node was the writer (up to {}) and has not heard from its "
                "peer since",
                applied_text,
                d.history.writer_position.empty() ? std::string{"its last write"}
                                                  : d.history.writer_position);
        } else {
            d.status = Status::unsafe;
            d.reason = fmt::format("peer gone and {}: this node may be missing transactions",
                                   contact_text(d.history, now, window));
            if (d.history.writer) d.reason += fmt::format(" ({})", gap);
        }
        return;
    }
    if (auto broken = broken_reason(*ch, settings); !broken.empty()) {
        d.status = Status::unsafe;
        d.reason = broken;
        return;
    }
    if (ch->io != IoState::yes) {
        // Connecting with an error that is neither "peer gone" nor permanent (1130, …).
        d.status = Status::unsafe;
        d.reason = fmt::format("replication not connected: IO {}, {}", ch->io_text,
                               error_text(ch->io_errno, ch->io_error));
        return;
    }
    if (!ch->lag) {
        d.status = Status::degraded;
        d.reason = "replicating, lag unknown (Seconds_Behind_Master NULL)";
        return;
    }
    Seconds lag{*ch->lag};
    // Hysteresis: Seconds_Behind_Master moves in whole seconds, so a lag hovering at a bound
    // would flip the status (and, with lag_weight, the priority) every interval. A bound once
    // crossed holds until the lag is back under 80 % of it.
    constexpr double recover = 0.8;
    auto& over = d.history;
    over.lag_over_max =
        lag > settings.max_lag || (over.lag_over_max && lag > recover * settings.max_lag);
    over.lag_over_warn = over.lag_over_max || lag > settings.lag_warn ||
                         (over.lag_over_warn && lag > recover * settings.lag_warn);
    if (!over.lag_over_warn) {
        d.status = Status::healthy;
        d.reason = fmt::format("replicating, lag {:.0f} s", *ch->lag);
    } else if (!over.lag_over_max) {
        d.status = Status::degraded;
        d.reason =
            lag > settings.lag_warn
                ? fmt::format("replicating, lag {:.0f} s (more than {:.0f} s)", *ch->lag,
                              settings.lag_warn.count())
                : fmt::format(
                      "replicating, lag {:.0f} s (more than {:.0f} s lately; "
                      "healthy again under {:.0f} s)",
                      *ch->lag, settings.lag_warn.count(), recover * settings.lag_warn.count());
    } else {
        d.status = Status::unsafe;
        d.reason =
            lag > settings.max_lag
                ? fmt::format("replication lag {:.0f} s exceeds max_lag {:.0f} s", *ch->lag,
                              settings.max_lag.count())
                : fmt::format(
                      "replication lag {:.0f} s exceeded max_lag {:.0f} s "
                      "lately; safe again under {:.0f} s",
                      *ch->lag, settings.max_lag.count(), recover * settings.max_lag.count());
    }
}

// This node's GTID positions and what it last received from its peer, in the server's own
// variable names so a reader can look them up.
std::string positions_text(const Snapshot& snap, const std::optional<Channel>& ch) {
    std::vector<std::string> parts;
    auto add = [&](const char* name, const std::optional<std::string>& value) {
        if (value) parts.push_back(fmt::format("{} {}", name, value->empty() ? "''" : *value));
    };
    add("gtid_binlog_pos", snap.gtid_binlog_pos);
    add("gtid_slave_pos", snap.gtid_slave_pos);
    add("gtid_executed", snap.gtid_executed);
    if (ch) {
        if (auto io = column(*ch->row, {"Gtid_IO_Pos"})) {
            add("peer Gtid_IO_Pos", io);
        } else if (auto set = column(*ch->row, {"Retrieved_Gtid_Set"})) {
            add("peer Retrieved_Gtid_Set", set);
        }
    }
    return fmt::format("{}", fmt::join(parts, ", "));
}

// Standby: why this node must not preempt a living master yet, or "" when it is caught up
// (issue 9: failback only once the returning node has applied everything).
std::string failback_hold_reason(const Decision& d, const std::optional<Channel>& ch,
                                 const DecisionSettings& settings, const Now& now) {
    if (d.diverged) return fmt::format("data diverged ({})", d.history.diverged_reason);
    if (d.status == Status::down || d.status == Status::unsafe || !ch) return d.reason;
    if (ch->io != IoState::yes)
        return fmt::format("not connected to its master (IO {})", ch->io_text);
    if (ch->sql_running != true) return "replication SQL thread not running";
    Seconds window = 2 * settings.slave_net_timeout + settings.interval;
    if (!d.history.last_ok) return "never seen in contact with its master";
    if (!d.history.in_contact)
        return "connected, waiting for the first event or heartbeat from its master";
    // Contact must be current, not just recent: a link cut leaves IO=Yes on a stale
    // connection for up to slave_net_timeout, with nothing arriving. With heartbeats, an
    // idle master is heard every period, a busy one more often.
    if (ch->has_heartbeats && ch->heartbeat_period)
        window = std::min(window, Seconds{*ch->heartbeat_period} + 2 * settings.interval);
    const auto contact = contact_age(d.history, now);
    if (!contact)
        return "last contact with its master recorded in the future (the clock stepped back)";
    if (*contact > window)
        return fmt::format("last in contact with its master {} ago (more than {})", age(*contact),
                           age(window));
    // Under a steady write load the relay log is rarely empty at the instant we look; a SQL
    // thread less than a second behind is caught up, and promotion still waits for every
    // received GTID (MASTER_GTID_WAIT) before the node becomes writable.
    if (ch->applied == false && !(ch->lag && *ch->lag == 0))
        return fmt::format("has not applied {}", ch->not_applied);
    if (!ch->applied) return "cannot tell whether everything received is applied";
    return "";
}

// `havip promote --force`: an unsafe verdict counts as healthy, and says whose decision that
// is. Down stays down: a person cannot make a dead server serve.
void apply_force(Decision& d) {
    if (!d.history.forced_since) return;
    const auto since = format_wall(*d.history.forced_since);
    if (d.status == Status::unsafe) {
        d.status = Status::healthy;
        d.forced = true;
        d.reason = fmt::format(
            "eligible by operator decision (havip promote --force at {}, {}); "
            "without it: {}",
            since, d.history.forced_by, d.reason);
        d.failback_hold.clear();
        d.caught_up = true;
    } else {
        d.reason += fmt::format(
            "; made eligible by operator decision (havip promote --force at "
            "{}, {}) until the next normal change of writer",
            since, d.history.forced_by);
    }
    d.alerts.push_back(fmt::format(
        "eligible by operator decision (havip promote --force at {}, {}), not by its data", since,
        d.history.forced_by));
}

}  // namespace

const char* to_string(Status status) {
    switch (status) {
        case Status::healthy:
            return "healthy";
        case Status::degraded:
            return "degraded";
        case Status::unsafe:
            return "unsafe";
        case Status::down:
            return "down";
    }
    return "?";
}

void clear_diverged(History& history) {
    history.diverged = false;
    history.diverged_since.reset();
    history.diverged_reason.clear();
}

void force_eligible(History& history, WallClock::time_point now, std::string by) {
    history.forced_since = now;
    history.forced_by = std::move(by);
}

void record_peer_term(History& history, std::optional<std::uint64_t> term, std::string error,
                      bool last_try) {
    if (!history.conflict_since) return;  // the data no longer differ: nothing to decide
    history.peer_term = term;
    history.peer_term_error = std::move(error);
    history.peer_term_given_up = last_try && !term;
}

void took_vip(History& history, std::optional<Status> last) {
    if (last != Status::healthy && last != Status::degraded) return;
    if (!history.writer) history.writer_position.clear();  // the next decision records it
    history.writer = true;
}

Decision decide(const Snapshot& snap, Role role, const History& history,
                const DecisionSettings& settings, WallClock::time_point now) {
    return decide(
        snap, role, history, settings,
        Now{now, SteadyClock::time_point{
                     std::chrono::duration_cast<SteadyClock::duration>(now.time_since_epoch())}});
}

Decision decide(const Snapshot& snap, Role role, const History& history,
                const DecisionSettings& configured, Now now) {
    DecisionSettings settings = configured;
    if (snap.slave_net_timeout && *snap.slave_net_timeout > 0)
        settings.slave_net_timeout = Seconds{*snap.slave_net_timeout};
    if (auto partial = stalled_holder(snap, role))
        return decide(*partial, role, history, configured, now);
    // A standby's replica status that does not answer: its freshness is unknown, as when the
    // server does not answer at all.
    if (snap.outcome == ProbeOutcome::ok && snap.replica_unanswered && role != Role::holder) {
        Snapshot s = snap;
        s.outcome = ProbeOutcome::timed_out;
        s.error_message = replica_unanswered_text(snap);
        return decide(s, role, history, configured, now);
    }
    if (snap.outcome != ProbeOutcome::ok) {
        auto d = decide_unreachable(snap, role, history, settings, now);
        d.caught_up = role == Role::holder;
        if (!d.caught_up) d.failback_hold = d.reason;
        apply_force(d);
        return d;
    }
    Decision d;
    d.history = history;
    d.alerts = snap.unreadable;
    std::optional<Channel> ch;
    if (!snap.replica_error) {
        if (const ReplicaRow* row = find_channel(snap.replicas, settings.connection_name)) {
            ch = read_channel(*row, snap);
        }
    }
    if (!ch) {
        d.history.in_contact = false;
        d.history.connected = false;
    }
    if (ch) update_contact(d.history, *ch, now);
    // The writer: the holder taking writes, until it hears from its peer as a standby (from
    // then on the peer may take the VIP and writes, and freshness says how current we are).
    if (role == Role::holder && snap.read_only == false) d.history.writer = true;
    if (role == Role::standby && d.history.in_contact) {
        // A normal change of writer ends an operator's promote --force.
        if (d.history.writer) {
            d.history.forced_since.reset();
            d.history.forced_by.clear();
        }
        d.history.writer = false;
        d.history.writer_position.clear();
    }
    if (d.history.writer && role != Role::standby) {
        if (auto own = own_position(snap); own && !own->empty()) d.history.writer_position = *own;
    }
    // The peer is rejoined (the channel replicates again), or this node no longer writes.
    if (!d.history.writer || d.history.in_contact) {
        d.history.peer_diverged = false;
        d.history.peer_diverged_reason.clear();
    }
    // The data differ: 1950 (gtid_strict_mode refused an out-of-order GTID) or 1062 (a row
    // already exists) mean the nodes took different writes; 1236 "GTID … not in the master's
    // binlog" that this node (typically an old master back from a crash) holds transactions
    // its master never had. Purged binlogs give 1236 too with another text; that is broken,
    // not diverged. When the GTID asked for is the master's own, the master truncated it in
    // semi-sync crash recovery and fetches it back from us: retry for a while before calling
    // that diverged.
    const bool missing = ch && ch->io_errno == 1236 &&
                         ch->io_error.find("not in the master's binlog") != std::string::npos;
    if (!missing) d.history.master_gtid_missing_since.reset();
    if (missing && !d.history.diverged && masters_own_gtid(ch->io_error, snap.server_id)) {
        if (!d.history.master_gtid_missing_since) d.history.master_gtid_missing_since = now.steady;
        if (now.steady - *d.history.master_gtid_missing_since < refetch_grace) d.restart_io = true;
    }
    const bool differ = ch && (in(ch->sql_errno, {1950, 1062}) || (missing && !d.restart_io));
    if (!differ) {
        d.history.conflict_since.reset();
        d.history.peer_term.reset();
        d.history.peer_term_error.clear();
        d.history.peer_term_given_up = false;
    } else if (!d.history.conflict_since) {
        d.history.conflict_since = now.steady;
    }
    // Which branch is newer: the one with the higher term (every promote wrote max + 1 into
    // its data). Asked of the peer's server once the data differ; until it answers (for
    // term_wait at most) neither side is latched. Unknown or equal terms: the writer mark
    // decides, as without terms.
    const Terms terms = compare_terms(d, snap, ch, differ, now);
    // Who is latched when the two nodes' data differ: the stale side only. The node with the
    // newer term is the authority; without terms, the writer that holds the VIP (or held it
    // when its peer diverged, and has not heard from it since). Its peer's extra transactions
    // make the peer the one to rejoin. A node that is not — a returning old master, whatever
    // its state file says about the writer it once was — latches.
    bool authority = d.history.writer && (role != Role::standby || d.history.peer_diverged);
    if (terms.verdict == TermVerdict::newer) {
        authority = true;
        d.history.writer = true;  // the writer of the newest term, wherever the VIP is now
    } else if (terms.verdict == TermVerdict::older) {
        authority = false;
    }
    const auto conflict = [&](std::string reason) {
        if (terms.verdict == TermVerdict::pending) return;
        if (!terms.text.empty()) reason = fmt::format("{}; {}", terms.text, reason);
        if (authority) {
            if (!d.history.peer_diverged) {
                d.history.peer_diverged = true;
                d.history.peer_diverged_reason = std::move(reason);
            }
        } else if (!d.history.diverged) {
            d.history.diverged = true;
            d.history.diverged_since = now.wall;
            d.history.diverged_reason = std::move(reason);
        }
    };
    if (ch && in(ch->sql_errno, {1950, 1062}))
        conflict(fmt::format("replication SQL {}; {}", error_text(ch->sql_errno, ch->sql_error),
                             positions_text(snap, ch)));
    if (missing && !d.restart_io)
        conflict(authority
                     ? fmt::format("the peer lacks this node's writes: replication IO {}; {}",
                                   error_text(ch->io_errno, ch->io_error), positions_text(snap, ch))
                     : fmt::format("this node has transactions its master lacks: replication IO "
                                   "{}; {}",
                                   error_text(ch->io_errno, ch->io_error),
                                   positions_text(snap, ch)));
    d.diverged = d.history.diverged;
    if (d.history.peer_diverged)
        d.alerts.push_back(fmt::format(
            "peer diverged ({}): it holds transactions this node lacks, or lacks this node's "
            "writes. This node, the writer, keeps serving; rejoin the peer from it (re-seed it, "
            "or roll back and save its extra transactions), then run `havip clear-diverged` "
            "there",
            d.history.peer_diverged_reason));
    d.positions = positions_text(snap, ch);
    if (d.restart_io)
        d.alerts.push_back(fmt::format(
            "replication IO: the master does not have a GTID of its own we asked for (1236; its "
            "crash recovery truncated it and it fetches it back from us): retrying for up to {} s",
            std::chrono::duration_cast<std::chrono::seconds>(refetch_grace).count()));
    if (role == Role::holder) {
        decide_holder(d, snap, ch, settings);
        if (terms.verdict == TermVerdict::pending)
            d.reason += "; its data differ from the peer's: reading the peer's term";
    } else {
        decide_standby(d, snap, ch, settings, now);
        if (terms.verdict == TermVerdict::pending && d.status != Status::down) {
            d.status = Status::unsafe;
            d.reason = fmt::format(
                "the two nodes' data differ; reading the peer's term to tell the stale side ({})",
                d.reason);
        }
    }
    // A write that does not commit is degraded, never down: failing over would need this
    // server fenced (read_only=1), which waits on the same lock. Once is said in the reason;
    // degraded takes write_failures_to_degrade in a row (a slow fsync is not a stall).
    if (snap.write)
        d.history.write_failures = snap.write->committed ? 0 : d.history.write_failures + 1;
    if (snap.write && !snap.write->committed &&
        d.history.write_failures < write_failures_to_degrade) {
        d.reason += fmt::format("; {} ({} of {} in a row before degraded)", write_text(*snap.write),
                                d.history.write_failures, write_failures_to_degrade);
    } else if (snap.write && !snap.write->committed) {
        const auto text = write_text(*snap.write);
        d.alerts.push_back(text);
        if (d.status == Status::healthy) {
            d.status = Status::degraded;
            d.reason = fmt::format("{}; {}", text, d.reason);
        } else {
            d.reason += "; " + text;
        }
    }
    // A node whose data diverged must not take or keep the VIP silently, even if an operator
    // skipped the failing event and replication runs again. A holder is latched only by the
    // peer's newer term: it holds the VIP on the stale branch, and the peer has the newer one.
    if (d.diverged && d.status != Status::down) {
        d.status = Status::unsafe;
        d.reason = fmt::format("data diverged ({}); {}", d.history.diverged_reason, d.reason);
    }
    if (d.diverged) {
        d.alerts.push_back(fmt::format("data diverged: {}", d.history.diverged_reason));
    }
    if (role == Role::holder) {
        d.caught_up = true;
    } else {
        d.failback_hold = failback_hold_reason(d, ch, settings, now);
        d.caught_up = d.failback_hold.empty();
        if (!d.caught_up && !d.positions.empty() && !d.diverged)
            d.failback_hold += fmt::format(" [{}]", d.positions);
    }
    apply_force(d);
    return d;
}

}  // namespace havip::checks
