// manage_read_only: the bounded steps the daemon takes on the database when this node
// becomes or stops being the VIP holder (shared/reference/mysql-health.md, "Promotion" and
// "Demotion"). Blocking; run them on the mysql_check worker (MysqlProbe::run) so the loop
// keeps its hard deadline. Each step is returned with what it did, for the log and
// `havip status`.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "checks/mysql_client.hpp"

namespace havip::checks {

struct ActionStep {
    std::string description;  // the statement or what it waited for
    bool ok = false;
    std::string detail;  // the answer or the error
};

struct ActionResult {
    bool ok = false;  // every step succeeded; on failure the node must be treated as not writable
    std::vector<ActionStep> steps;
    std::string describe() const;  // "promote: 4 steps ok" / "… failed at …"
};

struct PromoteSettings {
    std::string connection_name;                        // the channel from the old primary
    std::chrono::duration<double> apply_timeout{10.0};  // MASTER_GTID_WAIT bound
    // Master-master leaves the channel running: the old primary, back as the read-only
    // standby, has nothing new to send, and with gtid_strict_mode a transaction it lost
    // stops our SQL thread with 1950 (latched as "diverged") instead of applying silently.
    // Stopping it would leave the pair one-way until an operator restarts it.
    bool stop_channel = true;
    // Longest single wait (0: apply_timeout at once). A wait must end before the client's
    // read timeout (whole seconds) or the connection is dropped with 2013.
    std::chrono::duration<double> wait_slice{0.0};
};

// Stop fetching from the old primary (the channel's settings are kept), wait until what was
// received is applied, stop the channel, clear read_only (without stop_channel: read what was
// received, wait until it is applied, clear read_only). Stops at the first failed step: a
// node that has not applied everything must not become writable.
ActionResult promote(SqlSession& session, const PromoteSettings& settings);

// SET SESSION lock_wait_timeout=2, SET GLOBAL read_only=1: a session holding LOCK TABLES can
// then delay us only 2 s. An open transaction's COMMIT fails with 1290 afterwards.
ActionResult demote(SqlSession& session);

// The holder found read_only=1 that it did not set (decision: clear_read_only).
ActionResult clear_read_only(SqlSession& session);

// Statement text, exposed for tests: `STOP SLAVE 'name' IO_THREAD` etc.
std::string sql_quote(const std::string& text);

}  // namespace havip::checks
