// Config -> settings for one mysql_check: the logins (the check's, the switchover's on this
// server, the fence's on the peer), the decision's settings, manage_read_only's promote and the
// deadlines of its jobs, all derived from the configured timeout. Pure: the option file is read
// by the caller (CheckSet::start), which passes its credentials in.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "checks/mysql_decision.hpp"
#include "config/model.hpp"

namespace havip::vrrp {

struct MysqlCheckPlan {
    using Duration = std::chrono::steady_clock::duration;

    // The check's own login; timeouts are the check's timeout in whole seconds (at least 1).
    checks::ConnectSettings connect;
    checks::DecisionSettings decision;
    Duration interval{};
    Duration timeout{};  // each snapshot's deadline on the loop
    bool manage_read_only = false;
    // connection_name always (restart_io uses it); the rest only with manage_read_only.
    checks::PromoteSettings promote;
    // `havip switchover`'s login on this server: the check's, read/write timeouts >= 4 s since
    // read_only=1 may wait 2 s for locks (lock_wait_timeout).
    checks::ConnectSettings local_login;
    // The fence's and the term reader's login on the peer: the check's, over TCP, 1 s to
    // connect, 3 s to read and write.
    checks::ConnectSettings peer;
    std::optional<std::uint32_t> peer_server_id;
    // The hard deadlines of manage_read_only's jobs on the check's worker; zero without it.
    Duration promote_deadline{};
    Duration demote_deadline{};
    Duration refence_deadline{};
    // auto_rejoin
    bool auto_rejoin = false;
    std::string rejoin_inventory;
    std::string rejoin_admin_option_file;
    Duration rejoin_timeout{};
};

// The plan for `check`. `option_file_credentials`: what its option_file holds, used when it
// names one; otherwise the check's own user and password are.
MysqlCheckPlan resolve_mysql_check(const config::MysqlCheck& check,
                                   const checks::MysqlCredentials& option_file_credentials);

}  // namespace havip::vrrp
