// The typed configuration havipd runs: keepalived's VRRP keywords plus havip's native check
// blocks. Plain values, already validated, defaults filled in; each item keeps the source
// location of its keyword (and of the values later diagnostics point at).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "config/diagnostic.hpp"

namespace havip::config {

// Fractional seconds from the file ("interval 0.5"), exact to the microsecond.
using Duration = std::chrono::microseconds;
using IpAddress = boost::asio::ip::address;

enum class InitialState { backup, master };
enum class AuthType { none, pass };
enum class Family { ipv4, ipv6 };

// The uid and gid a user name (and group name) stood for when the configuration was loaded.
struct RunIds {
    uid_t uid = 0;
    gid_t gid = 0;
};

// A `script` or `notify*` command: the string as written and its words.
struct Command {
    std::string raw;
    std::vector<std::string> argv;
    std::optional<std::string> user;  // `notify_x "cmd" USER [GROUP]`, `user` in vrrp_script
    std::optional<std::string> group;
    SourceLocation where;  // the command string
    // Filled in by validation (keepalived's script_user and enable_script_security rules): who
    // runs it (no run_user: the daemon's own user, root), and why it must never run.
    std::optional<std::string> run_user;
    std::optional<std::string> run_group;
    // What run_user and run_group name, looked up while loading (off the daemon's loop: a
    // lookup may wait seconds on LDAP or sssd), so running the command never looks up a name.
    // Set whenever run_user is and the command may run (scripts checked, not refused).
    std::optional<RunIds> run_ids;
    // run_user or run_group named no one when it was looked up. keepalived drops such a
    // command; the daemon refuses to run it and says so (a notify hook fails the start or the
    // reload, a vrrp_script counts as failed).
    bool ids_unknown = false;
    std::optional<std::string> refused;
};

// Why a command with run_user has no run_ids: "unknown user 'NAME'" (or "… or group 'G'"), as
// the daemon says when it refuses to run it.
std::string unknown_ids(const Command& command);

// An address and TCP port to listen on: `127.0.0.1:9650`, `[::1]:9650`.
struct ListenAddress {
    IpAddress address;
    std::uint16_t port = 0;
    SourceLocation where;  // the value
};

struct GlobalDefs {
    std::optional<std::string> router_id;
    std::optional<std::string> script_user;
    std::optional<std::string> script_group;
    bool enable_script_security = false;
    Duration vrrp_garp_master_delay = std::chrono::seconds(5);  // 0 = no second burst
    int vrrp_garp_master_repeat = 5;
    int vrrp_down_timer_adverts = 3;       // each instance's down_timer_adverts unless it sets one
    Duration vrrp_garp_master_refresh{0};  // 0 = off
    int vrrp_garp_master_refresh_repeat = 1;
    Duration vrrp_garp_interval{0};  // between gratuitous ARPs of one burst
    Duration vrrp_gna_interval{0};   // between unsolicited NAs of one burst
    // A master that hears a lower-priority advert announces its VIPs again: this many frames
    // per VIP, twice `delay` apart (0: once). Unset: vrrp_garp_master_repeat and _delay.
    std::optional<int> vrrp_garp_lower_prio_repeat;
    std::optional<Duration> vrrp_garp_lower_prio_delay;
    int vrrp_version = 2;
    std::optional<IpAddress> vrrp_mcast_group4;  // default 224.0.0.18
    std::optional<IpAddress> vrrp_mcast_group6;  // default ff02::12
    // SCHED_RR priority of the event loop; havipd's default is 1 (keepalived's: normal
    // scheduling), 0 asks for normal scheduling.
    std::optional<int> vrrp_rt_priority;
    bool vrrp_no_swap = false;
    Duration vrrp_startup_delay{0};
    bool reload_check_config = false;
    // havip: the Prometheus /metrics listener (`havip_metrics_listen`); off when absent.
    std::optional<ListenAddress> metrics_listen;
    // havip: a group whose members may use the control socket besides root
    // (`havip_control_group NAME`); root only when absent.
    std::optional<std::string> control_group;
    SourceLocation control_group_where;
    SourceLocation where;  // the (last) global_defs keyword
};

// `track_script { NAME [weight W [reverse]] }` and the like; no weight = the check's own.
struct TrackRef {
    std::string name;
    std::optional<int> weight;
    bool reverse = false;
    SourceLocation where;
};

struct TrackInterface {
    std::string name;
    int weight = 0;  // 0 = FAULT while down
    bool reverse = false;
    SourceLocation where;
};

// vrrp_script NAME { … }
struct VrrpScript {
    std::string name;
    Command script;
    Duration interval = std::chrono::seconds(1);
    Duration timeout{0};  // 0 = the interval (filled in)
    int weight = 0;       // 0 = a failure puts the instance in FAULT
    bool weight_reverse = false;
    int rise = 1;
    int fall = 1;
    std::optional<std::string> user;
    std::optional<std::string> group;
    bool init_fail = false;
    SourceLocation where;
};

// mysql_check NAME { … } (havip native): see shared/reference/mysql-health.md.
struct MysqlCheck {
    std::string name;
    std::optional<std::string> socket;
    std::optional<IpAddress> host;
    int port = 3306;
    std::optional<std::string> option_file;
    std::optional<std::string> user;
    std::optional<std::string> password;
    Duration interval = std::chrono::seconds(1);
    Duration timeout{0};  // filled in: the interval when not given
    int rise = 1;
    int fall = 1;
    int weight = 0;
    std::optional<Duration> max_lag;
    int lag_weight = 0;
    std::string connection;  // MariaDB multi-source connection name
    bool manage_read_only = false;
    // manage_read_only's promote: how long it waits for the relay log (and the fenced peer's
    // last writes) to be applied before read_only=0. Unset: 5 × timeout.
    std::optional<Duration> apply_timeout;
    // The peer's server_id: a channel replicating from another server (a wrong CHANGE MASTER,
    // a third server) is "replicating from the wrong master", unsafe, however current it is.
    // `havip generate` writes it. Unset: not compared.
    std::optional<std::uint32_t> peer_server_id;
    // Automatic rejoin (issue 15): when this node is latched diverged as the stale side, havipd
    // runs `havip rejoin` with bootstrap's credentials (the inventory and the admin option file,
    // where `havip generate`'s checklist puts them) as a child process, with a deadline and a
    // back-off after a failure. Off: the latch waits for an operator.
    bool auto_rejoin = true;
    std::string rejoin_inventory = "/etc/havip/inventory.yaml";
    std::string rejoin_admin_option_file = "/etc/havip/admin.cnf";
    Duration rejoin_timeout = std::chrono::seconds(3600);
    SourceLocation where;
};

// tcp_check NAME { … } (havip native): the `echo | nc HOST PORT` probe without a fork.
struct TcpCheck {
    std::string name;
    IpAddress host;
    int port = 0;
    Duration interval = std::chrono::seconds(1);
    Duration timeout{0};  // filled in: the interval when not given
    int rise = 1;
    int fall = 1;
    int weight = 0;
    SourceLocation where;
};

// vrrp_track_file NAME { file PATH; weight W [reverse]; init_file [VALUE] [overwrite] }
struct TrackFile {
    std::string name;
    std::string file;
    int weight = 1;
    bool weight_reverse = false;
    std::optional<int> init_file;  // value written at start-up when set
    bool init_overwrite = false;
    SourceLocation where;
};

// vrrp_track_process NAME { process PROC [PARAMS…]; param_match; full_command; weight W
// [reverse]; quorum N; quorum_max N; delay / terminate_delay / fork_delay S }
enum class ParamMatch { initial, partial };  // unset: the arguments exactly
struct TrackProcess {
    std::string name;
    std::string process;              // matched against comm, or argv[0] (full_command/params)
    std::vector<std::string> params;  // argv[1…]
    // `param_match` without params: the process has no arguments.
    std::optional<ParamMatch> param_match;
    bool full_command = false;
    int weight = 1;  // keepalived's default for track_process
    bool weight_reverse = false;
    int quorum = 1;
    std::optional<int> quorum_max;
    Duration terminate_delay{0};
    Duration fork_delay{0};
    SourceLocation where;
};

// One line of virtual_ipaddress.
struct VirtualAddress {
    IpAddress address;
    int prefix_length = 32;  // 32 / 128 when not written
    std::optional<IpAddress> broadcast;
    std::string dev;  // filled in with the instance's interface when not written
    std::string scope = "global";
    std::optional<std::string> label;
    std::optional<IpAddress> peer;
    // keepalived adds IPv6 VIPs without duplicate address detection (RFC 5798 §8.3.2: the
    // master owns the address; DAD would leave it "tentative", or "dadfailed" after a split
    // brain); "-nodad" is its word for keeping DAD on.
    bool dad = false;
    bool noprefixroute = false;
    bool no_track = false;
    SourceLocation where;      // the address
    SourceLocation dev_where;  // the `dev` value, when written

    // Whether the kernel should skip DAD for this address (IFA_F_NODAD).
    bool nodad() const { return address.is_v6() && !dad; }
};

struct Notify {
    std::optional<Command> master;
    std::optional<Command> backup;
    std::optional<Command> fault;
    std::optional<Command> stop;
    std::optional<Command> any;  // `notify`: gets TYPE NAME STATE PRIORITY appended
};

struct VrrpInstance {
    std::string name;
    InitialState state = InitialState::backup;  // as keepalived starts it (see validate)
    std::string interface;                      // empty only for unicast with unicast_src_ip
    int virtual_router_id = 0;
    int priority = 100;
    Duration advert_int = std::chrono::seconds(1);  // v2: whole seconds; v3: 10 ms steps
    int version = 2;
    Family family = Family::ipv4;
    bool nopreempt = false;
    Duration preempt_delay{0};
    AuthType auth_type = AuthType::none;
    std::string auth_pass;  // at most 8 bytes
    std::vector<VirtualAddress> virtual_addresses;
    std::vector<VirtualAddress> excluded_addresses;
    std::vector<TrackInterface> track_interfaces;
    bool dont_track_primary = false;
    std::vector<TrackRef> track_scripts;
    std::vector<TrackRef> track_files;
    std::vector<TrackRef> track_processes;
    std::optional<IpAddress> unicast_src_ip;
    std::vector<IpAddress> unicast_peers;
    int unicast_ttl = 255;
    bool check_unicast_src = false;
    // keepalived before 1.3.6 checksummed unicast VRRPv3 IPv4 adverts over the multicast
    // group's pseudo-header. automatic: switch to that form on hearing it (keepalived's
    // default); never: do not; always (`old_unicast_checksum` alone): send it from the start.
    enum class OldUnicastChecksum { automatic, never, always };
    OldUnicastChecksum old_unicast_checksum = OldUnicastChecksum::automatic;
    std::optional<IpAddress> mcast_src_ip;
    // The multicast group this instance's adverts go to, instead of global_defs'
    // vrrp_mcast_group4/6 (IPv4 multicast, or IPv6 link-local multicast).
    std::optional<IpAddress> mcast_dst_ip;
    Notify notify;
    Duration garp_master_delay = std::chrono::seconds(5);
    int garp_master_repeat = 5;
    Duration garp_master_refresh{0};
    int garp_master_refresh_repeat = 1;
    // Unset: global_defs' vrrp_garp_lower_prio_repeat / _delay (0 repeat: no announcement).
    std::optional<int> garp_lower_prio_repeat;
    std::optional<Duration> garp_lower_prio_delay;
    int down_timer_adverts = 3;
    bool accept = true;  // keepalived accepts traffic to the VIP unless vrrp_strict/no_accept

    bool unicast() const { return !unicast_peers.empty(); }

    // Where the values later checks talk about were written (line 0 = not written).
    struct Where {
        SourceLocation name;
        SourceLocation state;
        SourceLocation interface;
        SourceLocation virtual_router_id;
        SourceLocation priority;
        SourceLocation advert_int;
        SourceLocation version;
        SourceLocation nopreempt;
        SourceLocation preempt_delay;
        SourceLocation authentication;
        SourceLocation auth_pass;
        SourceLocation garp_master_delay;
        SourceLocation garp_master_repeat;
        SourceLocation garp_master_refresh;
        SourceLocation garp_master_refresh_repeat;
        SourceLocation unicast_src_ip;
        SourceLocation mcast_dst_ip;
        SourceLocation down_timer_adverts;
    } where;
};

struct SyncGroup {
    std::string name;
    std::vector<std::string> instances;
    std::vector<SourceLocation> instance_where;  // parallel to `instances`
    std::vector<TrackRef> track_scripts;
    std::vector<TrackInterface> track_interfaces;
    std::vector<TrackRef> track_files;
    std::vector<TrackRef> track_processes;
    Notify notify;
    SourceLocation where;
};

struct Config {
    GlobalDefs global;
    std::vector<VrrpScript> scripts;
    std::vector<MysqlCheck> mysql_checks;
    std::vector<TcpCheck> tcp_checks;
    std::vector<TrackFile> track_files;
    std::vector<TrackProcess> track_processes;
    std::vector<VrrpInstance> instances;
    std::vector<SyncGroup> sync_groups;

    const VrrpScript* find_script(std::string_view name) const;
    const MysqlCheck* find_mysql_check(std::string_view name) const;
    const TcpCheck* find_tcp_check(std::string_view name) const;
    const TrackFile* find_track_file(std::string_view name) const;
    const TrackProcess* find_track_process(std::string_view name) const;
    // The vrrp_sync_group naming this vrrp_instance, if any.
    const SyncGroup* find_sync_group_of(std::string_view instance) const;
    const VrrpInstance* find_instance(std::string_view name) const;
    // Whether NAME is a vrrp_script, mysql_check or tcp_check (one namespace).
    bool has_check(std::string_view name) const;
};

}  // namespace havip::config
