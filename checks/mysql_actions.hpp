// manage_read_only: the bounded steps the daemon takes on the database when this node
// becomes or stops being the VIP holder (shared/reference/mysql-health.md, "Promotion" and
// "Demotion"). Blocking; run them on the mysql_check worker (MysqlProbe::run) so the loop
// keeps its hard deadline. Each step is returned with what it did, for the log and
// `havip status`.
#pragma once

#include <chrono>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checks/gtid.hpp"
#include "checks/mysql_client.hpp"

namespace havip::checks {

struct ActionStep {
    std::string description;  // the statement or what it waited for
    bool ok = false;
    std::string detail;  // the answer or the error
    // When it ended (set where the step is recorded), so each step's time can be reported.
    std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
};

// Each step's own time, in order: from the end of the step before (`started` for the first)
// to its end. A step recorded before the one before it (clocks of two threads) counts 0.
std::vector<std::chrono::milliseconds> step_times(std::chrono::steady_clock::time_point started,
                                                  const std::vector<ActionStep>& steps);

struct ActionResult {
    bool ok = false;  // every step succeeded; on failure the node must be treated as not writable
    std::vector<ActionStep> steps;
    std::string describe() const;  // "promote: 4 steps ok" / "… failed at …"
};

struct PromoteSettings {
    std::string connection_name;  // the channel from the old primary
    // Bound of the MASTER_GTID_WAITs together (the relay log's and the fenced peer's).
    std::chrono::duration<double> apply_timeout{10.0};
    // Master-master leaves the channel running: the old primary, back as the read-only
    // standby, has nothing new to send, and with gtid_strict_mode a transaction it lost
    // stops our SQL thread with 1950 (latched as "diverged") instead of applying silently.
    // Stopping it would leave the pair one-way until an operator restarts it.
    bool stop_channel = true;
    // Longest single wait (0: apply_timeout at once). A wait must end before the client's
    // read timeout (whole seconds) or the connection is dropped with 2013.
    std::chrono::duration<double> wait_slice{0.0};
    // The pair runs semi-sync (MariaDB): its master side is on only on the writable node.
    // On a read-only standby it would make the applier wait, for the whole
    // rpl_semi_sync_master_timeout, for an acknowledgement from the master that just died
    // (log_slave_updates binlogs what it applies), and the returning node, asking for what
    // was still only in the relay log, would stop with 1236. So promote switches it on
    // after the relay log is applied and before read_only=0; demote switches it off.
    // Unknown (nullopt): asked of the server (@@rpl_semi_sync_slave_enabled, MariaDB).
    std::optional<bool> semi_sync_master = false;
    // The old primary answered but would not let us in (peer_alive): the fence tries again
    // after each of these pauses, then fails the promote rather than promote unfenced.
    std::vector<std::chrono::duration<double>> fence_retry_pauses{
        std::chrono::duration<double>{0.25}, std::chrono::duration<double>{0.5},
        std::chrono::duration<double>{1.0}};
    std::function<void(std::chrono::duration<double>)> pause;  // empty: sleep (tests record)
    // This node is the writer and its peer diverged from it (History::peer_diverged): what the
    // peer sent and holds beyond us are its extra transactions, which our SQL thread refused
    // and which will never be applied here. Neither the relay log nor the fenced peer's
    // position is waited for; the fence still sets read_only=1 there.
    bool peer_diverged = false;
    // Record the promote's term before read_only=0 (checks/term.hpp): the highest term in our
    // data plus one, as this server's row of havip.heartbeat, creating the table the first
    // time. A failure is reported in the step and does not fail the promote. The daemon turns
    // it on; off, the promote writes nothing but read_only's and semi-sync's variables.
    bool record_term = false;
    // Whether the daemon gave up on this promote (its deadline passed on the loop, which then
    // records it as failed): asked right before the writes that make the node writable
    // (semi-sync's master side, read_only=0), so a promote still running on its worker after
    // the deadline never clears read_only. Empty: never.
    std::function<bool()> cancelled;
};

// Whether a failed login on the peer proves its server alive: a server error (1045 denied,
// 1130 host not allowed, 1040 full, 1203 max_user_connections …: it answered), or 2013, lost
// in the handshake after TCP accepted (frozen or overloaded). Such a peer is never taken as
// down.
bool peer_alive(const SqlError& error);

// A session on the peer (the Master_Host:Port of our channel, an IP literal), or why none
// could be opened. Must be bounded: it runs inside the promote's hard deadline.
using PeerSession = std::variant<std::unique_ptr<SqlSession>, SqlError>;
using PeerConnector = std::function<PeerSession(const std::string& host, unsigned port)>;

// Stop fetching from the old primary (the channel's settings are kept), wait until what was
// received is applied, stop the channel, clear read_only (without stop_channel: read what was
// received, wait until it is applied, clear read_only). Stops at the first failed step: a
// node that has not applied everything must not become writable.
//
// With `connect_peer`, the old primary is fenced before read_only=0: on the peer
// `SET GLOBAL read_only=1` (its commits in flight finish first), then its binlog position is
// read and waited for here, so nothing it accepted can reach us after our own first write
// (which would take the same sequence number: 1950 on both channels). A peer that cannot be
// reached is taken to be down and promotion proceeds; one that is alive (peer_alive) but will
// not let us in after the retries (PromoteSettings::fence_retry_pauses), or answers but cannot
// be fenced, fails the promote (the caller retries): going writable next to a writable peer
// is what diverges the pair. Master_Host not an IP literal: not fenced (a name
// lookup could block), and the step says so. With stop_channel the peer is fenced but its
// position is not waited for: our IO thread is stopped and would never fetch it.
ActionResult promote(SqlSession& session, const PromoteSettings& settings,
                     const PeerConnector& connect_peer = {});

// Partition heal: a lower-priority master answered our adverts, so both of us were writable.
// read_only=1 here first (our clients stop writing into a pair about to merge), then the
// whole promote with the fence, so the rival's writes from the partition are applied here
// before we are writable again.
ActionResult refence(SqlSession& session, const PromoteSettings& settings,
                     const PeerConnector& connect_peer);

// The GTIDs to wait for after fencing a MariaDB peer whose @@gtid_binlog_pos is `peer`: its
// last GTID of every domain, except the domains whose last GTID is ours (`own_server_id`,
// echoed back through log_slave_updates): those never appear in our gtid_slave_pos, and with
// gtid_strict_mode we already have the whole domain when our transaction is its last.
MariadbGtidList fence_wait_list(const MariadbGtidList& peer, std::uint32_t own_server_id);

// True for an IPv4 or IPv6 literal (what may be connected to without a name lookup).
bool is_ip_literal(const std::string& host);

// SET SESSION lock_wait_timeout=2, SET GLOBAL read_only=1: a session holding LOCK TABLES can
// then delay us only 2 s. An open transaction's COMMIT fails with 1290 afterwards.
// With `semi_sync_master`, then SET GLOBAL rpl_semi_sync_master_enabled=OFF (see
// PromoteSettings::semi_sync_master).
ActionResult demote(SqlSession& session, std::optional<bool> semi_sync_master = false);

// The holder found read_only=1 that it did not set (decision: clear_read_only).
ActionResult clear_read_only(SqlSession& session);

// Runs `sql` and records it as a step of `result`; the rows when it worked.
std::optional<std::vector<ReplicaRow>> run_step(ActionResult& result, SqlSession& session,
                                                const std::string& sql);
// The first of `names` that the first row has.
std::optional<std::string> first_value(const std::vector<ReplicaRow>& rows,
                                       std::initializer_list<const char*> names);
// Waits until `session` has applied `gtids` (MASTER_GTID_WAIT, in slices of
// settings.wait_slice, from the budget `left` in seconds, which it lowers), recording a step per
// slice. False: not applied within the budget, the applier stopped, or the wait failed.
bool wait_gtids_applied(ActionResult& result, SqlSession& session, const std::string& gtids,
                        const PromoteSettings& settings, double& left);

// 'text' as an SQL string literal: quotes doubled, backslashes escaped (the sessions havip
// opens run without NO_BACKSLASH_ESCAPES: checks/mysql_client.cpp). Also used by bootstrap.
std::string sql_quote(const std::string& text);

}  // namespace havip::checks
