#include "havip/generate.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <ostream>
#include <sstream>

#include <fmt/format.h>

namespace havip::cli {

namespace {

namespace fs = std::filesystem;

std::string ip(in_addr a) {
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

// "1", "0.1", "2.5": the way keepalived's grammar writes seconds.
std::string seconds_text(std::chrono::milliseconds ms) {
    if (ms.count() % 1000 == 0) return fmt::format("{}", ms.count() / 1000);
    std::string s = fmt::format("{}.{:03}", ms.count() / 1000, ms.count() % 1000);
    while (s.back() == '0')
        s.pop_back();
    return s;
}

// A fractional advert interval needs VRRPv3 (RFC 5798 §5.2.7: centiseconds); whole seconds
// stay on VRRPv2 like the HA guide's keepalived, so a mixed pair keeps working during a move.
bool needs_v3(const Database& db) {
    return db.advert_interval.count() % 1000 != 0;
}

// mysql_check's timing, the same whatever the advert interval (issue 15 item 12: 0.1 s
// adverts gave a 0.1 s bound on the server's answer, and false "down"). A killed or stopped
// server is seen at once without it (the held connection closes, the reconnect is refused);
// these bound only a frozen one: fall × interval + timeout = 1.4 s at worst, which with 1 s
// adverts and the peer's Skew_Time (under 1 s at any priority) moves the VIP within 2.4 s.
constexpr std::chrono::milliseconds check_interval{500};
// Under the interval, so a hanging probe ends before the next is due and none is skipped;
// a few in-memory queries on a held connection take milliseconds even on a loaded host.
constexpr std::chrono::milliseconds check_timeout{400};
constexpr int check_fall = 2;
// The promote's wait for the relay log to be applied (manage_read_only), also independent of
// the advert interval and of the check's timeout (issue 15 item 12: 0.1 s adverts once gave
// 0.5 s). A standby takes the VIP while degraded, up to the unsafe bound of max(30 s,
// 4 × max_lag) behind; applying that backlog can take about as long, and failing the promote
// sooner leaves the VIP on a read-only node that is the only one left to serve.
constexpr int generated_max_lag_s = 5;
constexpr int unsafe_lag_s = std::max(30, 4 * generated_max_lag_s);  // checks/ and vrrpd/
constexpr int apply_timeout_s = unsafe_lag_s;

const DatabaseNode* peer_of(const Database& db, std::size_t i) {
    if (db.nodes.size() != 2) return nullptr;
    return &db.nodes[1 - i];
}

// The server_id mariadb_cnf gives `node`: its place in the inventory, from 1.
std::size_t peer_server_id(const Database& db, const DatabaseNode& node) {
    return static_cast<std::size_t>(&node - db.nodes.data()) + 1;
}

std::string header(const Inventory& inv, const DatabaseNode& node, const std::string& what,
                   const std::string& comment) {
    return fmt::format("{} havip generate: {} for {} ({}), cluster {}, {} layout.\n", comment, what,
                       node.name, ip(node.address), inv.cluster, to_string(inv.topology));
}

std::string mariadb_cnf(const Inventory& inv, std::size_t i) {
    const Database& db = inv.database;
    const DatabaseNode& node = db.nodes[i];
    const bool single = inv.topology == Topology::four_node;
    std::string s = header(inv, node, "MariaDB settings", "#");
    s += "# Install as /etc/mysql/mariadb.conf.d/60-havip.cnf (read after Debian's 50-server.cnf,\n"
         "# so these values win), then restart mariadb. Every option name was checked against\n"
         "# `mariadbd --help --verbose` of MariaDB 10.11.\n"
         "[mariadbd]\n";
    s += fmt::format(
        "# Replication identity: unique per server. One GTID domain for both servers, so that\n"
        "# gtid_strict_mode turns a dual write or a lost transaction into error 1950 on both\n"
        "# nodes instead of silent divergence.\n"
        "server_id = {}\n"
        "gtid_domain_id = 0\n"
        "gtid_strict_mode = ON\n",
        i + 1);
    s += fmt::format(
        "# Either server may take writes over time (master-master): interleave AUTO_INCREMENT\n"
        "# values so rows inserted on the two sides never collide{}.\n"
        "auto_increment_increment = 2\n"
        "auto_increment_offset = {}\n",
        single ? " (kept on one node so a second can be added without renumbering)" : "", i + 1);
    s +=
        "# Binary log in row images, including changes replicated from the peer: the peer\n"
        "# replicates from this log, and a promoted standby must have every change in its own.\n"
        "log_bin = mysql-bin\n"
        "binlog_format = ROW\n"
        "# Every column before and after each change: what `havip rejoin` needs to roll a\n"
        "# diverged node's extra transactions back (mariadb-binlog --flashback) instead of\n"
        "# copying the whole database from the peer.\n"
        "binlog_row_image = FULL\n"
        "log_slave_updates = ON\n"
        "# Binary logs are kept 7 days: a node that was away longer cannot catch up from its\n"
        "# peer (error 1236) and must be seeded again. Raise it to the longest outage to survive.\n"
        "binlog_expire_logs_seconds = 604800\n"
        "# Durability: a commit acknowledged to a client is on disk in the binlog and InnoDB log.\n"
        "sync_binlog = 1\n"
        "innodb_flush_log_at_trx_commit = 1\n"
        "# The relay log does not depend on the host name, and after a crash it is fetched again\n"
        "# from the peer instead of trusting a half-written one.\n"
        "relay_log = mysql-relay-bin\n"
        "relay_log_recovery = ON\n"
        "# A silent peer is noticed within 10 s (heartbeats every 5 s); havip's check uses this\n"
        "# to judge whether a standby whose peer vanished is still current.\n"
        "slave_net_timeout = 10\n";
    if (single) {
        s += "# One database node (4-node layout): nothing manages read_only, so it is writable.\n"
             "read_only = OFF\n";
    } else {
        s += "# Both servers start read-only; havipd (or keepalived's notify_master) clears\n"
             "# read_only on the VIP holder only, after it has applied what it received.\n"
             "read_only = ON\n";
    }
    s += fmt::format(
        "# Listen on every address: clients come through the VIP, which moves between nodes, and\n"
        "# the peer replicates from the node address (Debian's default 127.0.0.1 blocks both).\n"
        "bind_address = 0.0.0.0\n"
        "port = {}\n"
        "# Grants are by IP address (repl@'10.x'): no DNS lookup on connect, which can block.\n"
        "skip_name_resolve = ON\n"
        "# 0 is clamped to 1 by 10.11, and one aborted handshake would then lock the peer out\n"
        "# until FLUSH HOSTS: use a value that is never reached.\n"
        "max_connect_errors = 1000000\n",
        db.port);
    if (db.replication == ReplicationMode::semi_sync && !single) {
        s += fmt::format(
            "# Semi-synchronous replication (database.replication: semi-sync; built into 10.11,\n"
            "# no plugin to load). A commit returns to the client only once the standby has it\n"
            "# in its relay log. AFTER_SYNC waits after the binlog write and before the InnoDB\n"
            "# commit, so no client ever sees a transaction the standby lacks. Trade-off: one\n"
            "# network round trip per commit; after {} ms without an acknowledgement (standby\n"
            "# down or slow) the master falls back to asynchronous replication and keeps\n"
            "# serving, and writes made in that window can be lost on a failover. The slave side\n"
            "# is on for both servers; the master side only where the VIP is: havipd (or the\n"
            "# keepalived notify hooks) switches it on with read_only=0 and off with\n"
            "# read_only=1. On a read-only standby it would make the applier wait for an\n"
            "# acknowledgement from a master that just died, for the whole timeout.\n"
            "rpl_semi_sync_master_enabled = OFF\n"
            "rpl_semi_sync_slave_enabled = ON\n"
            "rpl_semi_sync_master_wait_point = AFTER_SYNC\n"
            "rpl_semi_sync_master_timeout = {}\n"
            "# A master that crashed may hold binlogged transactions the standby never\n"
            "# acknowledged (no client was told OK for them). A server that starts after a crash\n"
            "# always starts as the standby (read_only, the VIP has moved on), so its crash\n"
            "# recovery truncates them from the binlog (MDEV-21117) instead of committing them\n"
            "# and coming back diverged. One the standby did receive is fetched back from it.\n"
            "# MariaDB 10.11.9 or later; an older server refuses to start with this line:\n"
            "# remove it there, and reseed a node that comes back diverged (error 1950).\n"
            "init_rpl_role = SLAVE\n",
            db.semi_sync_timeout.count(), db.semi_sync_timeout.count());
    }
    return s;
}

std::string monitor_cnf(const Inventory& inv, std::size_t i, const Passwords& pw) {
    const Database& db = inv.database;
    std::string s = header(inv, db.nodes[i], "monitor account", "#");
    s += fmt::format(
        "# Install as {} (owner root, mode 0600: havipd refuses a file others can read).\n"
        "# Read by havipd's mysql_check, `havip check mysql` and the keepalived notify commands.\n"
        "[client]\n"
        "user = {}\n"
        "password = {}\n"
        "socket = {}\n",
        monitor_cnf_path, db.monitor.name, pw.monitor, mysql_socket_path);
    return s;
}

std::string users_sql(const Inventory& inv, std::size_t i, const Passwords& pw) {
    const Database& db = inv.database;
    std::string s = header(inv, db.nodes[i], "database accounts", "--");
    s += "-- Run as root on this node (`mariadb < users.sql`); it can be run again. Not written\n"
         "-- to the binary log: each node creates its own accounts, so replication never carries\n"
         "-- a CREATE USER the peer already has (its SQL thread would stop with error 1396).\n"
         "SET SESSION sql_log_bin = 0;\n";
    const std::string m = fmt::format("'{}'@'localhost'", db.monitor.name);
    s += fmt::format(
        "-- havipd's check, over the unix socket: replica status, binlog positions, the extra\n"
        "-- connection past max_connections, and what promotion and demotion do (stop the\n"
        "-- channel from the old master, set read_only). BINLOG ADMIN: its write probe commits\n"
        "-- in a session with sql_log_bin=0 (havip.probe is never replicated).\n"
        "CREATE USER IF NOT EXISTS {0} IDENTIFIED BY '{1}';\n"
        "ALTER USER {0} IDENTIFIED BY '{1}';\n"
        "GRANT SLAVE MONITOR, BINLOG MONITOR, PROCESS, CONNECTION ADMIN, READ_ONLY ADMIN, "
        "REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN ON *.* TO {0};\n"
        "-- Each promote records its term in havip.heartbeat (creating it the first time), so\n"
        "-- of two diverged copies the newer one is known (README, Data safety); on the VIP\n"
        "-- holder the check commits a row of havip.probe each interval (creating it too).\n"
        "GRANT SELECT, INSERT, UPDATE, CREATE ON havip.* TO {0};\n",
        m, pw.monitor);
    if (const DatabaseNode* peer = peer_of(db, i)) {
        s += fmt::format(
            "-- The peer's havipd, promoting itself, fences this node: read_only=1 before it\n"
            "-- becomes writable (it logs in from its own address with the same account).\n"
            "CREATE USER IF NOT EXISTS {0} IDENTIFIED BY '{1}';\n"
            "ALTER USER {0} IDENTIFIED BY '{1}';\n"
            "-- A switchover from the peer reads this node's channel before it moves the VIP.\n"
            "GRANT READ_ONLY ADMIN, SLAVE MONITOR ON *.* TO {0};\n"
            "-- … and reads this node's term when the two copies differ.\n"
            "GRANT SELECT ON havip.* TO {0};\n",
            fmt::format("'{}'@'{}'", db.monitor.name, ip(peer->address)), pw.monitor);
        const std::string r = fmt::format("'{}'@'{}'", db.replication_user.name, ip(peer->address));
        s += fmt::format(
            "-- {2} replicates from this node with this account (by address: skip_name_resolve).\n"
            "CREATE USER IF NOT EXISTS {0} IDENTIFIED BY '{1}';\n"
            "ALTER USER {0} IDENTIFIED BY '{1}';\n"
            "GRANT REPLICATION SLAVE ON *.* TO {0};\n",
            r, pw.replication, peer->name);
    }
    s += "SET SESSION sql_log_bin = 1;\n";
    return s;
}

std::string sysctl_conf(const Inventory& inv, std::size_t i) {
    std::string s = header(inv, inv.database.nodes[i], "kernel settings", "#");
    s += "# Install as /etc/sysctl.d/60-havip.conf and load with `sysctl --system`.\n"
         "#\n"
         "# Lets a program bind to the database VIP while this node does not hold it, so a\n"
         "# service configured with the VIP as its address (a proxy, or bind_address=VIP) starts\n"
         "# on the standby too. The generated MariaDB listens on 0.0.0.0 and does not need it;\n"
         "# the HA guide sets it and it is harmless.\n"
         "net.ipv4.ip_nonlocal_bind = 1\n"
         "#\n"
         "# net.ipv4.ip_forward is deliberately not set: VRRP and a VIP served by a local process\n"
         "# route nothing, and forwarding would make the node a router. Leave whatever value the\n"
         "# platform's host agent sets on nodes that run it.\n";
    return s;
}

struct VrrpParts {
    std::string global;    // lines inside global_defs
    std::string instance;  // the whole vrrp_instance block
};

VrrpParts vrrp_parts(const Inventory& inv, std::size_t i, const std::string& check_name,
                     const std::string& notify) {
    const Database& db = inv.database;
    const DatabaseNode& node = db.nodes[i];
    const DatabaseNode* peer = peer_of(db, i);
    VrrpParts p;
    p.global = fmt::format(
        "    router_id {}-{}\n"
        "    # Gratuitous ARP when this node takes the VIP: 5 at once and 5 more after 5 s\n"
        "    # (keepalived's defaults), then 5 every 60 s, so switches and cloud virtual switches\n"
        "    # that missed the burst learn where the VIP is.\n"
        "    vrrp_garp_master_delay 5\n"
        "    vrrp_garp_master_repeat 5\n"
        "    vrrp_garp_master_refresh 60\n",
        inv.cluster, node.name);
    if (needs_v3(db)) {
        p.global +=
            "    # A fractional advert_int needs VRRPv3 (RFC 5798: centiseconds); both nodes\n"
            "    # must use the same version.\n"
            "    vrrp_version 3\n";
    }
    p.instance = fmt::format(
        "vrrp_instance DB_VIP {{\n"
        "    # Both nodes start as BACKUP; the election (priority {0} here, {1} on {2}) decides.\n"
        "    state BACKUP\n"
        "    # {3}\n"
        "    interface {4}\n"
        "    virtual_router_id {5}\n"
        "    priority {0}\n"
        "    advert_int {6}\n"
        "    # nopreempt is deliberately not set: the higher-priority node takes the VIP back\n"
        "    # once its check is healthy again, and the check keeps it from doing so before it\n"
        "    # has caught up with its peer (a standby whose replication is broken or lagging is\n"
        "    # not healthy).\n"
        "    # No authentication block: VRRPv2's PASS travels in clear text on the segment and\n"
        "    # stops nothing but a misconfigured neighbour; a unique virtual_router_id does that.\n"
        "    track_script {{\n"
        "        {7}\n"
        "    }}\n"
        "{8}"
        "    virtual_ipaddress {{\n"
        "        {9}/{10} dev {4}\n"
        "    }}\n"
        "}}\n",
        *node.priority, peer ? fmt::format("{}", *peer->priority) : "-",
        peer ? peer->name : "the peer",
        node.interface == "br0"
            ? "br0: the platform's host agent moves the node's address onto this bridge."
            : "The interface holding the node's address on the database segment\n"
              "    # (br0 instead on nodes that run the platform's host agent).",
        node.interface, db.vrid, seconds_text(db.advert_interval), check_name, notify,
        ip(db.vip.address), db.vip.prefix);
    return p;
}

// While this node's replication lags (degraded), its priority must fall below the peer's, or
// the higher-priority node would take the VIP back before it has caught up.
int lag_weight(const Database& db, std::size_t i) {
    const DatabaseNode* peer = peer_of(db, i);
    const int own = static_cast<int>(*db.nodes[i].priority);
    const int other = peer ? static_cast<int>(*peer->priority) : own;
    return -std::min(253, std::max(0, own - other) + 10);
}

std::string havipd_conf(const Inventory& inv, std::size_t i) {
    const Database& db = inv.database;
    auto parts = vrrp_parts(inv, i, "chk_mysql", "");
    // RFC 5798 §6.1: Skew_Time = ((256 - Priority) × Master_Adver_Interval) / 256, the peer's.
    const DatabaseNode* peer = peer_of(db, i);
    const double advert = std::chrono::duration<double>(db.advert_interval).count();
    const double skew = (256 - static_cast<int>(peer ? *peer->priority : 0)) * advert / 256;
    const double frozen = check_fall * std::chrono::duration<double>(check_interval).count() +
                          std::chrono::duration<double>(check_timeout).count();
    std::string s = header(inv, db.nodes[i], "havipd configuration", "#");
    s += "# Install as /etc/keepalived/keepalived.conf (havipd's default path) and check it with\n"
         "# `havipd -t`. keepalived.conf beside it is the same setup for a plain keepalived.\n";
    s += "global_defs {\n" + parts.global + "}\n\n";
    s += fmt::format(
        "# The database check: one persistent connection over the unix socket. It judges this\n"
        "# node's fitness to hold the VIP from liveness, read_only and replication state; a\n"
        "# standby whose replication is broken, or whose peer vanished too long ago to know it is\n"
        "# current, is unsafe and will not take the VIP.\n"
        "mysql_check chk_mysql {{\n"
        "    socket {}\n"
        "    option_file {}\n"
        "    # How fast a failure here moves the VIP to {}:\n"
        "    # - mysqld killed, crashed or stopped: the kernel closes its sockets, the check\n"
        "    #   sees its held connection close at once and the reconnect to the unix socket\n"
        "    #   is refused. That is certain, so it is down without waiting for `fall`: the\n"
        "    #   VIP moves after the peer's Skew_Time ({:.2f} s).\n"
        "    # - mysqld frozen (SIGSTOP, hung disk) still accepts connections; only the\n"
        "    #   timeout notices, and one timeout may be a busy moment, so it takes `fall` in a\n"
        "    #   row: at worst {} x {} s + {} s = {:.1f} s, plus Skew_Time: {:.1f} s.\n"
        "    # The timeout stays under the interval (a hanging probe ends before the next),\n"
        "    # and neither follows advert_int: a shorter bound fails on a busy moment.\n"
        "    interval {}\n"
        "    timeout {}\n"
        "    rise 2\n"
        "    fall {}\n"
        "    # weight 0: an unfit database puts the instance in FAULT (a master sends priority 0,\n"
        "    # so the peer takes over after its skew time).\n"
        "    weight 0\n"
        "    # Replication more than {} s behind is degraded and lowers the priority below the\n"
        "    # peer's, so a node that is catching up never takes the VIP back; far behind\n"
        "    # (over {} s) is unsafe.\n"
        "    max_lag {}\n"
        "    lag_weight {}\n"
        "    # The servers start with read_only=ON: havipd clears it on the new master once the\n"
        "    # relay log is applied, and sets it again when leaving MASTER.\n"
        "    manage_read_only on\n"
        "    # How long that promote waits for the relay log to be applied. A degraded standby\n"
        "    # still takes the VIP when its peer fails, up to {} s behind, and applying that\n"
        "    # backlog takes about as long: a shorter wait would fail the promote of the only\n"
        "    # node left to serve. With nothing to apply it returns at once. Like interval and\n"
        "    # timeout, it does not follow advert_int.\n"
        "    apply_timeout {}\n"
        "{}"
        "}}\n\n",
        mysql_socket_path, monitor_cnf_path, peer ? peer->name : "the peer", skew, check_fall,
        seconds_text(check_interval), seconds_text(check_timeout), frozen, frozen + skew,
        seconds_text(check_interval), seconds_text(check_timeout), check_fall, generated_max_lag_s,
        unsafe_lag_s, generated_max_lag_s, lag_weight(db, i), unsafe_lag_s, apply_timeout_s,
        peer ? fmt::format("    # This node replicates from {} (server_id {}, mariadb.cnf): a "
                           "channel from any\n"
                           "    # other server is the wrong master, unsafe however current it "
                           "looks.\n"
                           "    peer_server_id {}\n",
                           peer->name, peer_server_id(db, *peer), peer_server_id(db, *peer))
             : std::string{});
    s += parts.instance;
    return s;
}

std::string keepalived_conf(const Inventory& inv, std::size_t i) {
    const Database& db = inv.database;
    const std::string client =
        fmt::format("/usr/bin/mariadb --defaults-file={} -e", monitor_cnf_path);
    // Semi-sync's master side moves with the VIP, as havipd's manage_read_only moves it.
    const bool semi = db.replication == ReplicationMode::semi_sync;
    const std::string on = semi ? "SET GLOBAL rpl_semi_sync_master_enabled=ON; " : "";
    const std::string off = semi ? "; SET GLOBAL rpl_semi_sync_master_enabled=OFF" : "";
    const std::string notify = fmt::format(
        "    # keepalived cannot gate the promotion on the relay log being applied the way\n"
        "    # havipd's manage_read_only does: it only flips read_only.\n"
        "    notify_master \"{0} '{1}SET GLOBAL read_only=0'\"\n"
        "    notify_backup \"{0} 'SET SESSION lock_wait_timeout=2; SET GLOBAL read_only=1{2}'\"\n"
        "    notify_fault \"{0} 'SET SESSION lock_wait_timeout=2; SET GLOBAL read_only=1{2}'\"\n"
        "    notify_stop \"{0} 'SET SESSION lock_wait_timeout=2; SET GLOBAL read_only=1{2}'\"\n",
        client, on, off);
    auto parts = vrrp_parts(inv, i, "chk_mysql", notify);
    std::string s = header(inv, db.nodes[i], "keepalived configuration", "#");
    s += "# For a node that keeps plain keepalived instead of havipd: install as\n"
         "# /etc/keepalived/keepalived.conf and check it with `keepalived -t`. It needs havip\n"
         "# installed (the check) and /var/lib/havip (the check's history).\n";
    s += "global_defs {\n" + parts.global +
         "    # Scripts run as root, and keepalived refuses any that a non-root user could\n"
         "    # replace (a disabled track script would leave the VIP with no check at all).\n"
         "    script_user root\n"
         "    enable_script_security\n"
         "}\n\n";
    s += fmt::format(
        "# havip's replication-aware check as a one-shot command (exit 0 healthy, 1 not), in\n"
        "# place of the HA guide's `echo | nc 127.0.0.1 3306`. --vip makes it judge this node\n"
        "# as the VIP holder when the VIP is here; --state keeps the history it needs to judge a\n"
        "# standby whose peer is gone.\n"
        "vrrp_script chk_mysql {{\n"
        "    script \"{} check mysql --option-file {} --socket {} --vip {} "
        "--state /var/lib/havip/chk_mysql.state --timeout 0.8{}\"\n"
        "    interval 1\n"
        "    # Backstop only: the check stops itself after 0.8 s.\n"
        "    timeout 2\n"
        "    rise 2\n"
        "    fall 2\n"
        "    # weight 0: not healthy (down, unsafe, or more than 5 s behind) is FAULT. keepalived\n"
        "    # cannot lower the priority for lag only, so a lagging standby does not take over.\n"
        "    weight 0\n"
        "}}\n\n",
        havip_bin_path, monitor_cnf_path, mysql_socket_path, ip(db.vip.address),
        peer_of(db, i) ? fmt::format(" --peer-server-id {}", peer_server_id(db, *peer_of(db, i)))
                       : std::string{});
    s += parts.instance;
    return s;
}

std::string checklist(const Inventory& inv) {
    const Database& db = inv.database;
    const bool single = inv.topology == Topology::four_node;
    std::string s = fmt::format("# HA setup checklist: cluster {}, {} layout\n\n", inv.cluster,
                                to_string(inv.topology));
    s += "Generated by `havip generate`. Do the steps in order; every value is filled in.\n\n";
    for (const auto& w : inv.warnings)
        s += fmt::format("> **WARNING:** {}\n\n", w);

    s += "## Nodes\n\n| node | address | interface | priority |\n| --- | --- | --- | --- |\n";
    for (const auto& n : db.nodes) {
        s += fmt::format("| {} | {} | {} | {} |\n", n.name, ip(n.address), n.interface,
                         single ? "-" : fmt::format("{}", *n.priority));
    }
    if (!single) {
        s += fmt::format(
            "\nDatabase VIP {}/{}, virtual_router_id {}, advert interval {} s "
            "(VRRPv{}).\n",
            ip(db.vip.address), db.vip.prefix, db.vrid, seconds_text(db.advert_interval),
            needs_v3(db) ? 3 : 2);
    }

    int step = 0;
    auto section = [&](const std::string& title) {
        s += fmt::format("\n## {}. {}\n\n", ++step, title);
    };

    section("Network and host preparation");
    if (!single) {
        s += fmt::format(
            "- Reserve the database VIP {} in your IP plan (on the platform: add it to the\n"
            "  reserved IPs), so no machine is ever given it.\n",
            ip(db.vip.address));
        s += "- On cloud VMs, turn off the source/destination check of every database node,\n"
             "  or its traffic to and from the VIP is dropped: in the web console, or on the\n"
             "  First Node `climc server-modify-src-check --src-mac-check off <server>`.\n"
             "- Allow VRRP between the database nodes: IP protocol 112 to 224.0.0.18 (security\n"
             "  groups, host firewalls).\n";
        for (const auto& n : db.nodes) {
            s += fmt::format(
                "- {}: the VIP goes on `{}`, the interface that holds {}.{}\n", n.name, n.interface,
                ip(n.address),
                n.interface == "br0"
                    ? " It is br0 because the platform's host agent moves the address onto that "
                      "bridge."
                    : " If this node runs the platform's host agent, the address moves to br0: "
                      "set the node's `interface: br0` in the inventory and generate again.");
        }
    }
    s += "- SELinux (RHEL-family hosts): the HA guide turns it off (`setenforce 0` and\n"
         "  `SELINUX=disabled` in /etc/selinux/config, then reboot). Debian uses AppArmor and\n"
         "  needs nothing.\n"
         "- Install on each database node: `apt-get install mariadb-server` and havip (havipd,\n"
         "  havip).\n";

    section("Files on each database node");
    s += "| generated file | install as | mode |\n| --- | --- | --- |\n"
         "| `NODE/mariadb.cnf` | `/etc/mysql/mariadb.conf.d/60-havip.cnf` | 0644 |\n"
         "";
    if (!single) {
        s += fmt::format(
            "| `NODE/users.sql` | run with `mariadb < users.sql`, then delete | 0600 |\n"
            "| `NODE/monitor.cnf` | `{}` (owner root) | 0600 |\n"
            "| `NODE/sysctl.conf` | `/etc/sysctl.d/60-havip.conf` | 0644 |\n"
            "| `NODE/havipd.conf` | `/etc/keepalived/keepalived.conf` | 0644 |\n"
            "| `NODE/keepalived.conf` | only instead of havipd.conf, for plain keepalived | 0644 "
            "|\n",
            monitor_cnf_path);
    }
    s += "\nThe passwords are in `secrets/` here (reused on the next `havip generate`); keep "
         "that directory safe.\n\n";
    if (!single) {
        s += "For havipd's automatic rejoin of a stale node (`auto_rejoin`, README Operations), "
             "put on each\nnode the inventory as `/etc/havip/inventory.yaml` with `secrets/` "
             "beside it and the admin\noption file given to `havip bootstrap` as "
             "`/etc/havip/admin.cnf` (mode 0600); without them a\nlatched node waits for "
             "`havip rejoin` by hand.\n\n";
    }
    for (const auto& n : db.nodes) {
        s += fmt::format("- {}: copy `{}/` to {}, install the files, then\n", n.name, n.name,
                         ip(n.address));
        if (!single) {
            s += "  `mkdir -p /etc/havip /var/lib/havip && chmod 700 /etc/havip`, "
                 "`sysctl --system`,\n";
        }
        s += "  `systemctl restart mariadb`.\n";
    }

    if (single) {
        section("Accounts");
        s += "No replication or monitor account is needed on one node. Binary logs stay on (the\n"
             "generated settings do), so a second node can be added later by moving to the\n"
             "5-node layout.\n";
    } else {
        section("Replication (master-master, GTID)");
        const auto& a = db.nodes[0];
        const auto& b = db.nodes[1];
        s += fmt::format(
            "1. Seed {1} from {0} and point each server at the other: `havip bootstrap INVENTORY\n"
            "   --admin-option-file FILE --secrets <this directory>/secrets` does it (dump of {0}\n"
            "   loaded on {1}, then CHANGE MASTER TO ... MASTER_USE_GTID both ways; --dry-run\n"
            "   shows each statement).\n"
            "2. Then run `mariadb < users.sql` on each node (again is harmless): it creates\n"
            "   `{2}`@localhost, `{2}`@<peer address> (only READ_ONLY ADMIN: the peer's fence)\n"
            "   and `{3}`@<peer address> with the generated passwords.\n"
            "3. By hand instead: on {1}: `CHANGE MASTER TO MASTER_HOST='{4}', MASTER_PORT={6},\n"
            "   MASTER_USER='{3}', MASTER_PASSWORD=<secrets/{3}.password>,\n"
            "   MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE;` and on {0} the\n"
            "   same towards {5} with MASTER_USE_GTID=current_pos.\n"
            "4. On both: `SHOW SLAVE STATUS\\G` shows `Slave_IO_Running: Yes` and\n"
            "   `Slave_SQL_Running: Yes`.\n",
            a.name, b.name, db.monitor.name, db.replication_user.name, ip(a.address), ip(b.address),
            db.port);
        if (db.replication == ReplicationMode::semi_sync) {
            s += fmt::format(
                "\nSemi-synchronous replication is on (AFTER_SYNC, fallback to asynchronous after "
                "{} ms without an acknowledgement): every acknowledged commit is on the standby "
                "as long as the standby answers within that time, at one network round trip per "
                "commit.\n",
                db.semi_sync_timeout.count());
        }

        section("VRRP");
        s += fmt::format(
            "- `systemctl enable --now havipd` on both nodes (or keepalived with\n"
            "  keepalived.conf). Start {0} first: with priority {1} it takes the VIP, clears\n"
            "  read_only and becomes the master.\n"
            "- `havip status` on each node: {0} MASTER, the other BACKUP, checks healthy.\n"
            "- `ip -br addr show {2}` on {0} lists {3}.\n",
            db.nodes[0].name, *db.nodes[0].priority, db.nodes[0].interface, ip(db.vip.address));
    }

    section("Platform installer (First Node, High Availability Config)");
    const std::string mysql_host =
        single ? ip(db.nodes[0].address) + " (the database node's own address)"
               : ip(db.vip.address) + " (the database VIP)";
    s += fmt::format(
        "| field | value |\n| --- | --- |\n"
        "| High Availability VIP | {} |\n"
        "| Controlplane IPs | {} |\n"
        "| Install MySQL on Current host | unchecked |\n"
        "| MySQL Host IP | {} |\n"
        "| MySQL Port Number | {} |\n"
        "| MySQL Username | root, or an account you create with all privileges, granted from "
        "each control-plane address (grants are by IP: skip_name_resolve) |\n"
        "| MySQL Password | that account's password |\n",
        inv.platform.vip ? ip(*inv.platform.vip) : "(platform.vip is not in the inventory)",
        [&] {
            std::string list;
            for (const auto& c : inv.platform.controlplane)
                list += (list.empty() ? "" : " ") + ip(c);
            return list.empty() ? std::string("(platform.controlplane is not in the inventory)")
                                : list;
        }(),
        mysql_host, db.port);

    if (!single) {
        section("Failover test");
        s += fmt::format(
            "- `systemctl stop mariadb` on {0}: within a few seconds {1} holds {2} and is\n"
            "  writable; start mariadb again and {0} takes the VIP back once it has caught up.\n",
            db.nodes[0].name, db.nodes[1].name, ip(db.vip.address));
    }
    return s;
}

}  // namespace

bool usable_password(const std::string& password) {
    if (password.empty() || password.size() > 64) return false;
    for (unsigned char c : password) {
        if (c <= ' ' || c >= 0x7f || c == '\'' || c == '"' || c == '\\' || c == '#' || c == ';' ||
            c == '`')
            return false;
    }
    return true;
}

std::vector<GeneratedFile> generate_files(const Inventory& inv, const Passwords& pw) {
    std::vector<GeneratedFile> files;
    const auto secret = fs::perms(0600);
    const bool single = inv.topology == Topology::four_node;
    for (std::size_t i = 0; i < inv.database.nodes.size(); ++i) {
        const fs::path dir = inv.database.nodes[i].name;
        files.push_back({dir / "mariadb.cnf", mariadb_cnf(inv, i)});
        if (single) continue;
        files.push_back({dir / "users.sql", users_sql(inv, i, pw), secret});
        files.push_back({dir / "havipd.conf", havipd_conf(inv, i)});
        files.push_back({dir / "keepalived.conf", keepalived_conf(inv, i)});
        files.push_back({dir / "sysctl.conf", sysctl_conf(inv, i)});
        files.push_back({dir / "monitor.cnf", monitor_cnf(inv, i, pw), secret});
    }
    files.push_back({"CHECKLIST.md", checklist(inv)});
    return files;
}

std::string write_file_atomically(const fs::path& path, const std::string& content,
                                  fs::perms mode) {
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) return fmt::format("{}: {}", path.parent_path().string(), ec.message());
    std::string tmp = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
    int fd = ::mkstemp(tmp.data());
    if (fd < 0) return fmt::format("{}: {}", tmp, std::strerror(errno));
    auto fail = [&](const std::string& what) {
        const std::string msg =
            fmt::format("{}: {}: {}", path.string(), what, std::strerror(errno));
        ::close(fd);
        ::unlink(tmp.c_str());
        return msg;
    };
    // The mode is set before any content is written, so a secret is never readable by others.
    if (::fchmod(fd, static_cast<mode_t>(mode)) != 0) return fail("chmod");
    std::size_t done = 0;
    while (done < content.size()) {
        ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return fail("fsync");
    if (::close(fd) != 0) {
        ::unlink(tmp.c_str());
        return fmt::format("{}: close: {}", path.string(), std::strerror(errno));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const std::string msg = fmt::format("{}: rename: {}", path.string(), std::strerror(errno));
        ::unlink(tmp.c_str());
        return msg;
    }
    return "";
}

namespace {

std::variant<std::string, std::string> random_password() {
    static constexpr char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    constexpr unsigned n = sizeof alphabet - 1;  // 62
    std::ifstream urandom("/dev/urandom", std::ios::binary);
    if (!urandom)
        return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                      "/dev/urandom: cannot open");
    std::string out;
    while (out.size() < 24) {
        char c = 0;
        if (!urandom.get(c)) {
            return std::variant<std::string, std::string>(std::in_place_index<1>,
                                                          "/dev/urandom: cannot read");
        }
        const auto byte = static_cast<unsigned char>(c);
        // Rejection sampling: 248 = 4 * 62, so every character is equally likely.
        if (byte < 4 * n) out += alphabet[byte % n];
    }
    return std::variant<std::string, std::string>(std::in_place_index<0>, out);
}

// The password in `file` (first line), or an error naming the file.
std::variant<std::string, std::string> read_password(const fs::path& file) {
    std::ifstream in(file);
    if (!in) {
        return std::variant<std::string, std::string>(
            std::in_place_index<1>,
            fmt::format("{}: cannot read: {}", file.string(), std::strerror(errno)));
    }
    std::string line;
    std::getline(in, line);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
        line.pop_back();
    if (!usable_password(line)) {
        return std::variant<std::string, std::string>(
            std::in_place_index<1>,
            fmt::format("{}: the first line must be a password of 1-64 printable characters "
                        "without quotes, backslash, white space, '#', ';' or '`'",
                        file.string()));
    }
    return std::variant<std::string, std::string>(std::in_place_index<0>, line);
}

std::variant<std::string, std::string> password_for(const DatabaseUser& user,
                                                    const fs::path& out_dir) {
    if (user.password_file) return read_password(*user.password_file);
    // secrets/<user>.password is also where `havip bootstrap --secrets DIR` looks.
    const fs::path file = out_dir / "secrets" / (user.name + ".password");
    std::error_code ec;
    if (fs::exists(file, ec)) return read_password(file);
    auto fresh = random_password();
    if (fresh.index() == 1) return fresh;
    fs::create_directories(file.parent_path(), ec);
    fs::permissions(file.parent_path(), fs::perms(0700), ec);
    if (auto e = write_file_atomically(file, std::get<0>(fresh) + "\n", fs::perms(0600));
        !e.empty()) {
        return std::variant<std::string, std::string>(std::in_place_index<1>, e);
    }
    return fresh;
}

}  // namespace

std::variant<Passwords, std::string> obtain_passwords(const Inventory& inv,
                                                      const fs::path& out_dir) {
    Passwords pw;
    auto m = password_for(inv.database.monitor, out_dir);
    if (m.index() == 1) return std::get<1>(m);
    pw.monitor = std::get<0>(m);
    auto r = password_for(inv.database.replication_user, out_dir);
    if (r.index() == 1) return std::get<1>(r);
    pw.replication = std::get<0>(r);
    return pw;
}

int run_generate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    constexpr const char* usage =
        "Usage: havip generate INVENTORY -o DIR\n"
        "Validates the inventory (YAML) and writes each database node's files to DIR/NODE/\n"
        "(mariadb.cnf, havipd.conf, keepalived.conf, sysctl.conf, monitor.cnf, users.sql) and\n"
        "DIR/CHECKLIST.md. Passwords are kept in DIR/secrets/ and reused.\n";
    std::string inventory_path, out_dir;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "-h" || a == "--help") {
            out << usage;
            return 0;
        }
        if (a == "-o" || a == "--output") {
            if (i + 1 >= args.size()) {
                err << "havip generate: " << a << " needs a directory\n" << usage;
                return 64;
            }
            out_dir = args[++i];
        } else if (!a.empty() && a[0] == '-') {
            err << "havip generate: unknown option " << a << "\n" << usage;
            return 64;
        } else if (inventory_path.empty()) {
            inventory_path = a;
        } else {
            err << "havip generate: one inventory only (" << a << ")\n" << usage;
            return 64;
        }
    }
    if (inventory_path.empty() || out_dir.empty()) {
        err << usage;
        return 64;
    }
    auto loaded = load_inventory(inventory_path);
    if (auto* e = std::get_if<InventoryErrors>(&loaded)) {
        for (const auto& m : e->messages)
            err << m << '\n';
        err << fmt::format("havip generate: {} error{} in the inventory; nothing written\n",
                           e->messages.size(), e->messages.size() == 1 ? "" : "s");
        return 1;
    }
    const Inventory& inv = std::get<Inventory>(loaded);
    for (const auto& w : inv.warnings) {
        err << "\n*** WARNING ***************************************************************\n"
            << "*** " << w << "\n"
            << "***************************************************************************\n\n";
    }
    // One database node has no accounts to create: no secrets either.
    std::variant<Passwords, std::string> passwords = Passwords{};
    if (inv.topology != Topology::four_node) passwords = obtain_passwords(inv, out_dir);
    if (auto* e = std::get_if<std::string>(&passwords)) {
        err << "havip generate: " << *e << '\n';
        return 1;
    }
    for (const auto& f : generate_files(inv, std::get<Passwords>(passwords))) {
        const fs::path path = fs::path(out_dir) / f.path;
        if (auto e = write_file_atomically(path, f.content, f.mode); !e.empty()) {
            err << "havip generate: " << e << '\n';
            return 1;
        }
        out << path.string() << '\n';
    }
    return 0;
}

}  // namespace havip::cli
