// What `havip status` and keepalived's dump files show: a snapshot of the daemon's instances
// and checks in plain data (the daemon fills it on the loop thread), turned into the control
// protocol's JSON document. Pure: no clock is read here, the snapshot carries the time.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "vrrpd/core/fsm.hpp"
#include "vrrpd/core/timers.hpp"

namespace havip::vrrp {

// The control protocol's version: every request and answer carries it.
inline constexpr int control_protocol_version = 1;

using WallTime = std::chrono::system_clock::time_point;

// keepalived's vrrp_statistics, by its names, plus havip's own counters (send errors and the
// rules keepalived checks without counting) under `extra`.
struct StatsSnapshot {
    std::uint64_t advert_rcvd = 0;
    std::uint64_t advert_sent = 0;
    std::uint64_t become_master = 0;
    std::uint64_t release_master = 0;
    std::uint64_t packet_len_err = 0;
    std::uint64_t ip_ttl_err = 0;
    std::uint64_t invalid_type_rcvd = 0;
    std::uint64_t advert_interval_err = 0;
    std::uint64_t addr_list_err = 0;
    std::uint64_t invalid_authtype = 0;
    std::uint64_t authtype_mismatch = 0;
    std::uint64_t auth_failure = 0;
    std::uint64_t pri_zero_rcvd = 0;
    std::uint64_t pri_zero_sent = 0;
    std::map<std::string, std::uint64_t> extra;
};

struct CheckSnapshot {
    std::string name;
    std::string type;    // "interface", "vrrp_script", "tcp_check", "mysql_check"
    std::string status;  // ok / failed, or healthy / degraded / unsafe / down
    std::string reason;
    std::optional<WallTime> since;  // when the status last changed, when known
    // mysql_check with manage_read_only: the last promote/demote, each step and its answer.
    std::string read_only_action;
    // The last failed promote, while promotes fail in a row (empty once one succeeds).
    std::string promote_failure{};
    // mysql_check: latched diverged (cleared by `havip clear-diverged`), and eligible by an
    // operator's `havip promote --force`.
    bool diverged = false;
    bool forced = false;
    // mysql_check: the highest term in this node's data, and the peer's while the data differ.
    std::optional<std::uint64_t> term{}, peer_term{};
    // mysql_check auto_rejoin: running now or the last result ("" when none), and the counts.
    std::string rejoin{};
    std::uint64_t rejoins_started = 0, rejoins_succeeded = 0, rejoins_failed = 0;
    std::uint64_t rejoins_deferred = 0;                       // the peer was unreachable
    std::uint64_t rejoins_flashback = 0, rejoins_reseed = 0;  // succeeded, by method
    bool manage_read_only = false;  // mysql_check: promotes and demotes its server
};

struct TransitionSnapshot {
    WallTime time;
    State from = State::init;
    State to = State::init;
    std::string reason;
};

struct JitterSnapshot {
    Duration p50{0}, p99{0}, max{0};
    std::size_t samples = 0;
};

// The instance's notify hook queue: waiting or running, and how many were removed unstarted.
struct NotifySnapshot {
    std::size_t pending = 0;
    std::uint64_t superseded = 0;
    std::uint64_t dropped = 0;
};

// A VIP add or remove that failed and is being retried.
struct VipRetrySnapshot {
    std::string vip;        // "10.0.0.100/24 ifindex 3 …"
    std::string operation;  // "add" or "remove"
    unsigned failures = 0;  // in a row
    std::string error;      // the last one's
    Duration next_in{0};    // until the next attempt
};

struct VipSnapshot {
    std::string address;  // "10.0.0.100"
    int prefix_len = 32;
    std::string ifname;
};

// `havip switchover`: the running one, or the last one, with each step's time.
struct SwitchoverSnapshot {
    bool running = false;
    std::string step;    // the running step
    std::string result;  // running, switched, dry_run, refused, rolled_back, failed
    std::string summary;
    std::string target;  // "10.0.0.2:3306" once the preflight found it
    std::string by;
    WallTime started;
    struct Step {
        std::string step;
        bool ok = false;
        std::string detail;
        double ms = 0;
    };
    std::vector<Step> steps;
};

struct InstanceSnapshot {
    std::string name;
    State state = State::init;
    int vrid = 0;
    std::string interface;
    int version = 2;
    int priority = 0;  // configured
    int effective_priority = 0;
    std::vector<VipSnapshot> vips;
    std::optional<std::string> master_ip;   // the last master heard (or ourselves as MASTER)
    std::optional<std::string> sync_group;  // the vrrp_sync_group it changes state with
    std::optional<TransitionSnapshot> last_transition;
    std::vector<CheckSnapshot> checks;
    // `havip switchover`: why this BACKUP does not preempt (empty: no hold), the running or
    // last switchover, and the finished ones by result.
    std::string switchover_hold;
    std::optional<SwitchoverSnapshot> switchover;
    std::map<std::string, std::uint64_t> switchovers;
    StatsSnapshot stats;
    JitterSnapshot jitter;
    NotifySnapshot notify;
    std::vector<VipRetrySnapshot> vip_retries;
    std::uint64_t vip_add_failures = 0;     // every failed add so far
    std::uint64_t vip_remove_failures = 0;  // every failed remove so far
    // For keepalived's dump files.
    std::string source_ip;                  // adverts leave from
    std::vector<std::string> destinations;  // the multicast group, or the unicast peers
    bool unicast = false;
    Duration advert_interval{std::chrono::seconds(1)};
    bool preempt = true;
    Duration preempt_delay{0};
    bool auth_pass = false;  // v2 simple text password in use
    std::string password;
    bool track_primary = true;
    // Gratuitous ARP / NA after becoming MASTER: garp_master_delay, _repeat, _refresh and
    // _refresh_repeat.
    Duration garp_delay{std::chrono::seconds(5)};
    unsigned garp_repeat = 5;
    Duration garp_refresh{0};
    unsigned garp_refresh_repeat = 1;
    // … and after hearing a lower-priority master: garp_lower_prio_delay and _repeat.
    Duration garp_lower_prio_delay{std::chrono::seconds(5)};
    unsigned garp_lower_prio_repeat = 5;
};

struct StatusSnapshot {
    WallTime now;
    std::string daemon_version;
    int pid = 0;
    std::string router_id;
    std::vector<InstanceSnapshot> instances;
};

// RFC 3339 UTC with milliseconds: "2026-11-30T18:20:10.136Z".
std::string format_time(WallTime time);

// The `status` answer: {"version":1, "daemon":{…}, "instances":[{name, state, vrid,
// interface, priority, effective_priority, vips, master_ip, sync_group, last_transition,
// checks, stats, timing}]}.
nlohmann::json status_document(const StatusSnapshot& snapshot);

// Answers one request line of the control protocol: `{"version":1,"command":"status"}` gets
// the status document (built by `status` only then); anything else gets
// {"version":1,"error":"…"}.
nlohmann::json answer_request(std::string_view line, const std::function<StatusSnapshot()>& status);

}  // namespace havip::vrrp
