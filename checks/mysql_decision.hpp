// The mysql_check decision table (shared/reference/mysql-health.md, "Decision table for the
// 2-node VIP") as a pure function: what the server answered this interval, this node's role,
// the remembered history and the settings go in; a status with a reason a person understands
// and the updated history come out. No I/O, no clock: `now` is an argument.
//
// The question answered is "how fit is this node to hold the VIP", never "is replication
// healthy": the holder's priority is never lowered because of its inbound channel.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace havip::checks {

// Wall-clock time: the history is persisted across restarts, so steady_clock cannot be used.
using WallClock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

// The two clocks a decision reads: the wall clock for what is persisted across restarts, the
// monotonic one for ages measured within a run, which an NTP step must not move.
struct Now {
    WallClock::time_point wall;
    SteadyClock::time_point steady;
};

// One row of SHOW ALL SLAVES STATUS / SHOW REPLICA STATUS, looked up by column name because
// the order changes between versions. A NULL is an empty optional; a missing column is absent.
using ReplicaRow = std::map<std::string, std::optional<std::string>>;

enum class ProbeOutcome {
    ok,              // connected and the variables query answered
    connect_failed,  // error_code says why (2002/2003/2013 …, or 1040/1203: alive but full)
    query_failed,    // connected, the variables query failed
    timed_out,       // the hard deadline on the loop expired first
};

// The steps of one snapshot, in order. A job whose hard deadline passed records the step it
// was in, so the decision tells a hung write or replica status on the holder (degraded) from
// a server that does not answer at all (down).
enum class ProbeStep { connect, variables, write, replica_status, term, semi_sync, done };

// The write probe (writable nodes only): one unlogged row in havip.probe committed per
// interval, within its own bound (see README, Data safety).
struct WriteProbe {
    bool committed = false;
    // Not committed: the server's error, or 0 when no answer came within bound_s (the
    // statement was then killed) or before the job's deadline.
    unsigned error_code = 0;
    std::string error_message;
    double bound_s = 0;
    std::string waiting_for;  // the session's state in the processlist while it waited
};

// How the check reaches its server: which failures are definitive depends on it.
enum class Transport {
    unix_socket,   // socket PATH
    tcp_loopback,  // host 127.0.0.0/8 or ::1: the server is on this machine
    tcp_remote,    // any other host: a network lies between
};

// What the server answered this interval.
struct Snapshot {
    ProbeOutcome outcome = ProbeOutcome::ok;
    unsigned error_code = 0;  // client or server error number (mysql_errno)
    std::string error_message;
    Transport transport = Transport::unix_socket;
    // connect_failed with 2002/2003: the errno of a plain connect() to the same address made
    // right after, since Connector/C reports a refused TCP connect as EINPROGRESS. 0 when it
    // was not asked or the connect succeeded. See mysql_failure.hpp.
    int connect_errno = 0;
    // The connection held from an earlier interval was found closed (2006/2013) and a
    // reconnect was tried at once; outcome and error are that reconnect's.
    bool held_connection_lost = false;

    // SELECT @@read_only, @@server_id, @@gtid_binlog_pos, @@gtid_slave_pos,
    // @@gtid_current_pos (MariaDB) or @@gtid_executed (MySQL) (checks/mysql_reply.hpp).
    std::optional<bool> read_only;
    std::optional<std::uint32_t> server_id;
    std::optional<std::string> gtid_binlog_pos;
    std::optional<std::string> gtid_slave_pos;
    std::optional<std::string> gtid_current_pos;
    std::optional<std::string> gtid_executed;

    // The replica status rows; replica_error is set when the statement itself failed (1227
    // without SLAVE MONITOR), which is different from "no channel".
    std::vector<ReplicaRow> replicas;
    std::optional<unsigned> replica_error;
    std::string replica_error_message;
    // The replica status statement did not answer within this many seconds (its own bound,
    // shorter than the job's deadline): a channel's locks are held (an operator's STOP SLAVE
    // waiting for the SQL thread, a relay log on a full disk). `replica_waiting_for`: its
    // state in the processlist, when known.
    std::optional<double> replica_unanswered;
    std::string replica_waiting_for;

    // nullopt: not tried (read_only=1, or the job ended before it).
    std::optional<WriteProbe> write;
    // outcome timed_out: the step the job was in when its deadline passed (what comes before it
    // is filled in). A finished snapshot says done.
    ProbeStep step = ProbeStep::done;

    // SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync%' when the server has the plugin.
    std::map<std::string, std::string> semi_sync;
    // @@rpl_semi_sync_slave_enabled (MariaDB): the pair runs semi-sync, so manage_read_only
    // also moves semi-sync's master side with the VIP (PromoteSettings::semi_sync_master).
    std::optional<bool> semi_sync_slave_enabled;

    // SELECT @@slave_net_timeout: the server's own, which bounds how long a hung master keeps
    // IO=Yes and so what "fresh" means. Overrides DecisionSettings::slave_net_timeout.
    std::optional<double> slave_net_timeout;

    // Values the server answered that are not of their type (a server_id that is no number),
    // each read as unknown and said here ("@@server_id 'abc' is not a number …"): the decision
    // makes them alerts.
    std::vector<std::string> unreadable;

    // The highest term in this node's data (SELECT MAX(term) FROM havip.heartbeat; 0 for an
    // empty table), read every interval for `havip status`, and used only while the inbound
    // channel shows the two nodes' data differ. Each promote writes max + 1 there before
    // read_only=0, and the row replicates with the data, so the newer of two branches is the
    // one with the higher term. nullopt: unreadable (no table yet, no grant): the decision
    // then falls back to the writer mark.
    std::optional<std::uint64_t> term;
};

// Holds the VIP (MASTER) or not; promoting: holds it, but manage_read_only's promote has not
// made the server writable yet, so it is judged as a standby (not as the writer it is becoming).
enum class Role { holder, standby, promoting };

// What the check remembers between intervals; persisted by mysql_history.
// Failed write probes in a row that make the holder degraded (History::write_failures).
inline constexpr unsigned write_failures_to_degrade = 3;

struct History {
    // Last time the inbound channel was seen in contact: IO=Yes, SQL=Yes and the received
    // position or the heartbeat counter advanced.
    std::optional<WallClock::time_point> last_ok;
    // The same instant on the monotonic clock, when it was seen in this run: ages are measured
    // from it, not from the wall clock. Not persisted: after a restart only last_ok is known.
    std::optional<SteadyClock::time_point> last_ok_steady;
    std::string last_received;                     // Gtid_IO_Pos / Retrieved_Gtid_Set / file:pos
    std::optional<std::uint64_t> last_heartbeats;  // Slave_received_heartbeats
    // Latched on SQL error 1950 (gtid_strict_mode out-of-order) or 1062 (duplicate key):
    // the two nodes' data differ, which replication resuming does not undo. Cleared only by
    // an operator (clear_diverged).
    bool diverged = false;
    std::optional<WallClock::time_point> diverged_since;
    std::string diverged_reason;
    // The channel advanced (a heartbeat or a GTID) since it was last seen down, connecting
    // or unreachable: a reconnect alone proves nothing was missed. Persisted with
    // `connected`: a one-shot `havip check mysql` knows only what the previous run saved.
    bool in_contact = false;
    // The previous observation saw the channel running (IO and SQL): advances are measured
    // from it (last_received, last_heartbeats). Persisted, with the time it was made.
    bool connected = false;
    // When that previous observation was made, on the wall clock (persisted) and, when it
    // was made in this run, on the monotonic clock (not persisted). An advance seen against
    // an observation known only from the state file (a one-shot run, the first interval
    // after a restart) happened at some moment since observed_at: contact is dated then,
    // the earliest it can have been.
    std::optional<WallClock::time_point> observed_at;
    std::optional<SteadyClock::time_point> observed_steady;
    // The holder found read_only=1 and asked for it to be cleared; seeing it again means
    // clearing did not stick.
    bool read_only_reapplied = false;
    // The lag crossed lag_warn / max_lag and has not yet fallen under 80 % of it (hysteresis;
    // not persisted).
    bool lag_over_warn = false;
    bool lag_over_max = false;
    // Write probes in a row that did not commit (persisted: on the keepalived route each run
    // is a new process): one slow fsync under load is not a holder that cannot take writes;
    // write_failures_to_degrade of them are.
    unsigned write_failures = 0;
    // Since when the master has refused us (1236) a GTID of its own that it no longer has:
    // its semi-sync crash recovery truncated it, and it fetches it back from us (MDEV-21117).
    // Not persisted.
    std::optional<SteadyClock::time_point> master_gtid_missing_since;
    // This node is the writer: it held writes as the VIP holder (read_only=0), or took the VIP
    // while eligible (took_vip), and has not heard from its peer as a standby since. With the
    // peer gone it stays eligible alone, across restarts of havipd or mysqld, while its data
    // still holds writer_position: nobody else can have taken writes it lacks (see README,
    // "Data safety"). Persisted.
    bool writer = false;
    // This node's gtid_binlog_pos (MySQL: gtid_executed) when last seen as the writer.
    std::string writer_position;
    // This node is the writer and its peer diverged: the peer's transactions that this node
    // lacks stopped the inbound channel (1950, 1062, or 1236). Only the stale side is
    // latched: the writer keeps serving, stays eligible alone (across restarts, while its data
    // holds writer_position), and says the peer needs a rejoin. Cleared when the channel
    // replicates again (the peer was rejoined) or this node stops being the writer. Persisted.
    bool peer_diverged = false;
    std::string peer_diverged_reason;
    // An operator made this node eligible (`havip promote --force`): an *unsafe* verdict —
    // stale, diverged, never in contact — counts as healthy, the reason saying so, until the
    // next normal change of writer (this node, having been the writer, hears from its peer as a
    // standby). Persisted: a person's decision survives a restart, and so does its record.
    std::optional<WallClock::time_point> forced_since;
    std::string forced_by;  // "uid 0, pid 4242"
    // Terms (see Snapshot::term). Since when the channel has shown the data differ, and the
    // peer's highest term read from its server during that time (record_peer_term), or why it
    // could not be. Not persisted: asked again after a restart.
    std::optional<SteadyClock::time_point> conflict_since;
    std::optional<std::uint64_t> peer_term;
    std::string peer_term_error;
    bool peer_term_given_up = false;  // no term will come: the writer mark decides at once
};

// Where the peer's term is read: the Master_Host:Master_Port of the inbound channel.
struct PeerAddress {
    std::string host;  // an IP literal
    unsigned port = 3306;
    bool operator==(const PeerAddress&) const = default;
};

// The peer answered its highest term (`term`), or could not be asked (`error`). `last_try`:
// nobody will ask again (a one-shot `havip check mysql`), so without a term the writer mark
// decides now rather than after the wait.
void record_peer_term(History& history, std::optional<std::uint64_t> term, std::string error,
                      bool last_try = false);

// The operator's way out of the latch (`havip clear-diverged`): forgets that the data diverged.
// If the channel still fails the same way the next decision latches again.
void clear_diverged(History& history);
// `havip promote --force`: this node is eligible by decision of a person (see History).
void force_eligible(History& history, WallClock::time_point now, std::string by);

struct DecisionSettings {
    std::string connection_name;  // MariaDB Connection_name / MySQL Channel_Name ("" default)
    std::chrono::duration<double> interval{1.0};
    // The server's, for "fresh"; used only until a snapshot carries the server's value.
    std::chrono::duration<double> slave_net_timeout{60.0};
    std::chrono::duration<double> lag_warn{5.0};             // above: degraded
    std::chrono::duration<double> max_lag{30.0};             // above: unsafe to take the VIP
    std::optional<std::uint32_t> expected_master_server_id;  // "wrong master" when different
    bool manage_read_only = false;                           // we may clear read_only on the holder
    bool expect_semi_sync = false;  // alert when the holder's semi-sync falls back to async
};

enum class Status { healthy, degraded, unsafe, down };
const char* to_string(Status status);

// The node became the VIP holder, and `last` is its check's verdict at that moment. Eligible
// (healthy or degraded): it is the writer from now on (History::writer), so a promote that
// outlasts the freshness window, or a restart before it ends, does not make it unsafe.
void took_vip(History& history, std::optional<Status> last);

struct Decision {
    Status status = Status::down;
    std::string reason;               // one line, quoted in logs and `havip status`
    std::vector<std::string> alerts;  // healthy-but-look-at-this conditions
    bool diverged = false;            // the latch, after this interval
    bool peer_gone = false;           // inbound channel lost its master, SQL thread fine
    std::optional<bool> applied;      // everything received is executed (unknown if empty)
    std::optional<double> lag_seconds;
    bool clear_read_only = false;  // ask the daemon to SET GLOBAL read_only=0 once
    // Ask the daemon to START SLAVE IO_THREAD: the master is fetching back, from us, a GTID
    // of its own it truncated, and MariaDB does not retry its 1236 by itself.
    bool restart_io = false;
    // Standby only: whether this node has everything its peer sent and is still receiving:
    // IO and SQL running, in contact recently, all received applied, not diverged. A node
    // that is not caught up must not preempt a living master (failback); while that is so,
    // failback_hold says why, with the GTID positions. Always true for the holder.
    bool caught_up = false;
    std::string failback_hold;
    // "binlog 0-1-7, applied 0-2-9, received 0-2-10": this node's GTID positions and the
    // peer's as last received (Gtid_IO_Pos), for reasons and logs. Empty when unknown.
    std::string positions;
    // The verdict was unsafe and counts as healthy by an operator's `havip promote --force`.
    bool forced = false;
    // The data differ and this node's term is known: read the peer's from its server there
    // (the daemon does, off the probe's deadline, and records it with record_peer_term).
    std::optional<PeerAddress> ask_peer_term;
    History history;  // to store and pass to the next decision
};

Decision decide(const Snapshot& snapshot, Role role, const History& history,
                const DecisionSettings& settings, Now now);
// One-shot runs (`havip check mysql`) and tests: the monotonic clock follows the wall clock.
Decision decide(const Snapshot& snapshot, Role role, const History& history,
                const DecisionSettings& settings, WallClock::time_point now);

}  // namespace havip::checks
