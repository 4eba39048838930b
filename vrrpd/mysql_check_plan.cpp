#include "vrrpd/mysql_check_plan.hpp"

#include <algorithm>
#include <cmath>

namespace havip::vrrp {

namespace {

using Duration = MysqlCheckPlan::Duration;

Duration steady(config::Duration d) {
    return std::chrono::duration_cast<Duration>(d);
}

unsigned whole_seconds_at_least_one(config::Duration d) {
    return static_cast<unsigned>(std::max<long long>(
        1, static_cast<long long>(std::ceil(std::chrono::duration<double>(d).count()))));
}

}  // namespace

MysqlCheckPlan resolve_mysql_check(const config::MysqlCheck& m,
                                   const checks::MysqlCredentials& option_file_credentials) {
    MysqlCheckPlan plan;
    auto& cs = plan.connect;
    if (m.socket) cs.unix_socket = *m.socket;
    if (m.host) cs.host = m.host->to_string();
    cs.port = static_cast<unsigned>(m.port);
    if (m.option_file) {
        cs.credentials = option_file_credentials;
    } else {
        cs.credentials.user = m.user.value_or("");
        cs.credentials.password = m.password.value_or("");
    }
    cs.connect_timeout_s = cs.read_timeout_s = cs.write_timeout_s =
        whole_seconds_at_least_one(m.timeout);
    cs.statement_timeout_s = std::chrono::duration<double>(m.timeout).count();

    auto& ds = plan.decision;
    ds.connection_name = m.connection;
    ds.interval = std::chrono::duration<double>(m.interval);
    if (m.max_lag) {
        ds.lag_warn = std::chrono::duration<double>(*m.max_lag);
        ds.max_lag = std::max(ds.max_lag, 4 * ds.lag_warn);
    }
    ds.manage_read_only = m.manage_read_only;
    ds.expected_master_server_id = m.peer_server_id;

    plan.interval = steady(m.interval);
    plan.timeout = steady(m.timeout);
    plan.manage_read_only = m.manage_read_only;
    plan.auto_rejoin = m.auto_rejoin;
    plan.rejoin_inventory = m.rejoin_inventory;
    plan.rejoin_admin_option_file = m.rejoin_admin_option_file;
    plan.rejoin_timeout = steady(m.rejoin_timeout);
    plan.promote.connection_name = m.connection;  // also for restart_io
    plan.local_login = cs;
    // demote's SET GLOBAL read_only=1 waits up to its lock_wait_timeout (2 s) for a
    // session's locks: the answer must come before the client gives up, or the statement
    // is left waiting on the server and takes effect later.
    plan.local_login.read_timeout_s = std::max(cs.read_timeout_s, 4U);
    plan.local_login.write_timeout_s = std::max(cs.write_timeout_s, 4U);
    plan.peer_server_id = m.peer_server_id;
    // The fence, and the read of the peer's term, log in on the peer as the check does
    // (generated setups have the same check user on both nodes). Connector/C only knows
    // whole seconds: 1 s to connect, after a 0.5 s TCP probe; 3 s to read, since
    // read_only=1 may wait 2 s for locks.
    plan.peer = cs;
    plan.peer.unix_socket.clear();
    plan.peer.connect_timeout_s = 1;
    plan.peer.read_timeout_s = plan.peer.write_timeout_s = 3;
    if (m.manage_read_only) {
        // The wait for "applied" is bounded by apply_timeout (default a few check timeouts),
        // cut into waits that end before the client's whole-second read timeout (which
        // would drop the connection).
        const double timeout_s = std::chrono::duration<double>(m.timeout).count();
        const double read_s = cs.read_timeout_s;
        plan.promote.stop_channel = false;  // master-master: see PromoteSettings
        plan.promote.record_term = true;
        plan.promote.semi_sync_master.reset();  // asked until a snapshot says
        plan.promote.apply_timeout = m.apply_timeout
                                         ? std::chrono::duration<double>(*m.apply_timeout)
                                         : std::chrono::duration<double>(5 * timeout_s);
        plan.promote.wait_slice = std::chrono::duration<double>(std::max(0.1, read_s - 0.25));
        // Connect, SHOW SLAVE STATUS and SET each within a client timeout, plus the waits
        // (one budget for both).
        const auto client = std::chrono::seconds(cs.connect_timeout_s + 2 * cs.read_timeout_s);
        // The fence: the probe, the peer's connect, read_only=1 and its position, and our
        // own server_id; a peer alive but refusing our login is tried again after each
        // pause (each attempt: the probe, connect and the handshake's read).
        auto fence = std::chrono::duration_cast<Duration>(
            std::chrono::milliseconds(500) +
            std::chrono::seconds(plan.peer.connect_timeout_s + 2 * plan.peer.read_timeout_s +
                                 cs.read_timeout_s));
        for (const auto pause : plan.promote.fence_retry_pauses)
            fence += std::chrono::duration_cast<Duration>(
                pause + std::chrono::milliseconds(500) +
                std::chrono::seconds(plan.peer.connect_timeout_s + plan.peer.read_timeout_s));
        plan.promote_deadline =
            client + fence +
            steady(std::chrono::duration_cast<config::Duration>(plan.promote.apply_timeout));
        // lock_wait_timeout=2 bounds SET GLOBAL read_only=1 on the server.
        plan.demote_deadline = client + std::chrono::seconds(2);
        // read_only=1 here, then the whole promote on the same connection.
        plan.refence_deadline = plan.promote_deadline + std::chrono::seconds(2) +
                                std::chrono::seconds(2 * cs.read_timeout_s);
    }
    return plan;
}

}  // namespace havip::vrrp
