// A simulated world for havipd's decisions: two or three nodes on one segment, each running
// the instances of its configuration as the daemon runs them — one vrrp::InstanceCore per
// vrrp_instance (the Router, its tracked check and script, holds, the group's and the
// interface's faults), sync groups routed by vrrp::route_sync, SIGHUP reloads run by
// vrrp::reload_program, vrrp_script runs decided by vrrp::ScriptRuns — under one virtual clock,
// with no socket, no netlink and no real process.
//
// The segment carries each advert to every other running node after a delay, unless the
// pair is partitioned or the advert is lost. A node's "interface" holds the VIPs its instances
// added; a killed daemon leaves them there, and its restart removes them (remove_stale_vips).
//
// What the world does to the nodes is a Schedule: steps at virtual times (tests/sim/swarm.hpp
// draws them from a seed). After every instant the world checks what must always hold, and
// Check() what must hold once the network is whole again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "vrrpd/core/instance_core.hpp"
#include "vrrpd/core/read_only_role.hpp"
#include "vrrpd/core/reload_plan.hpp"
#include "vrrpd/core/script_runs.hpp"

namespace havip::sim {

using vrrp::Duration;
using vrrp::State;
using vrrp::TimePoint;

// One vrrp_instance of a node's configuration.
struct InstanceConf {
    std::uint8_t vrid = 1;
    std::uint8_t priority = 100;
    bool preempt = true;
    Duration preempt_delay{0};
    std::string group;     // vrrp_sync_group, "" for none
    int check_weight = 0;  // the tracked check's weight; 0: its failure means FAULT
    bool operator==(const InstanceConf&) const = default;
};

// The node's vrrp_script, run every second (vrrpd/core/script_runs) and tracked by every
// instance with the instance's check_weight.
struct ScriptConf {
    int rise = 1;
    int fall = 1;
    Duration timeout = std::chrono::seconds{1};  // longer than the interval: intervals skipped
    bool operator==(const ScriptConf&) const = default;
};

// A node's keepalived.conf, as far as the decisions see it.
struct NodeConf {
    vrrp::ProtocolVersion version = vrrp::ProtocolVersion::v2;
    Duration interval = std::chrono::seconds{1};
    ScriptConf script;
    std::vector<InstanceConf> instances;
    bool operator==(const NodeConf&) const = default;
};

// What the world does at one moment.
struct Step {
    enum class Kind {
        kill,         // SIGKILL: the daemon is gone, its VIPs stay on the interface
        stop,         // SIGTERM: priority 0, VIPs released
        start,        // the daemon starts (a running one is left alone)
        partition,    // node a and node b stop hearing each other
        heal,         // every partition ends
        loss,         // the segment loses `value` percent of adverts (0: none)
        check,        // node a's check on instance `vrid` reports ok (value 1) or failed (0)
        hold,         // node a's instance `vrid`: failback hold on (value 1) or off (0)
        switchover,   // node a's instance `vrid`: `havip switchover` (if MASTER)
        vip_removed,  // someone removes node a's VIP of instance `vrid`
        link_down,    // node a's interface is deleted: every instance FAULT
        link_up,      // ... and re-created under its name: resolved again
        reload,       // node a reloads with `conf`
        reload_all,   // a change reaching every node: node n reloads with fleet[n], after
                      // fleet[n].after
        db_down,      // node a's MariaDB server dies (its check says down)
        db_up,        // ... and starts again, read-only
        db_freeze,    // node a's MariaDB server stops answering (a stalled disk, SIGSTOP)
        db_thaw,      // ... and answers again, as it was (writable if it was)
        db_refusing,  // node a's server answers probes but refuses manage_read_only's
                      // statements (value 1: a lock wait timeout, the fence's login refused;
                      // 0: no longer)
        script,       // node a's vrrp_script from now on: `value` a Script
    };
    // What the node's vrrp_script does when run.
    enum class Script { exits_0, exits_1, hangs, cannot_start };
    Duration at{0};  // since the schedule's start
    Kind kind = Kind::heal;
    std::size_t a = 0, b = 0;
    std::uint8_t vrid = 0;
    int value = 0;
    NodeConf conf;  // reload
    struct Reload {
        Duration after{0};
        NodeConf conf;
    };
    std::vector<Reload> fleet;  // reload_all, one per node
};

std::string describe(const Step& step);

struct Schedule {
    std::vector<NodeConf> nodes;  // each node's configuration at start
    std::vector<Step> steps;      // in time order
    Duration whole_at{0};  // from here on nothing disturbs the world: every check is enforced
    Duration end{0};
    Duration longest_interval{0};  // of every configuration the schedule gives a node
    // Each node runs a MariaDB server behind VI_1 with manage_read_only: its mysql_check
    // (tracked by VI_1) makes it writable while VI_1 is MASTER there, fencing the others.
    bool manage_read_only = false;
};

// The longest a master can stay unheard by a backup in `schedule`: Master_Down_Interval at the
// longest advert interval and the lowest priority.
Duration longest_down_interval(const Schedule& schedule);

std::string describe(const Schedule& schedule);

class World {
  public:
    World(const Schedule& schedule, std::uint64_t seed);
    ~World();
    World(const World&) = delete;
    World& operator=(const World&) = delete;

    // Runs the schedule to its end. Returns the first broken rule, or nothing.
    std::optional<std::string> run();

    // The trace of state changes, for a failing seed's report.
    const std::vector<std::string>& trace() const { return trace_; }

  private:
    struct Node;
    struct Instance;

    void schedule(TimePoint at, std::function<void()> run);
    void apply(const Step& step);
    void start_node(std::size_t n);
    void stop_node(std::size_t n, bool graceful);
    void reload(std::size_t n, const NodeConf& conf);
    std::unique_ptr<Instance> make_instance(std::size_t n, const NodeConf& node,
                                            const InstanceConf& conf);
    void execute(std::size_t n, Instance& instance, const vrrp::Actions& actions);
    void deliver(std::size_t from, std::size_t to, std::uint8_t vrid, std::uint8_t priority,
                 Duration interval);
    void sync(std::size_t n, const std::string& group, const vrrp::SyncSignal& signal);
    void regroup(std::size_t n, const std::string& group);
    std::vector<vrrp::InstanceCore*> members(std::size_t n, const std::string& group);
    Instance* find(std::size_t n, std::uint8_t vrid);
    // What must hold after every instant; once the network is whole also the election.
    std::optional<std::string> after_instant();
    std::optional<std::string> settled();
    std::string where() const;
    Duration latency();  // of one advert on the segment

    // manage_read_only, as the check set runs it (vrrpd/core/read_only_role): polled every second,
    // told of every state change and of rival masters, one job at a time on its worker.
    // What a starting instance's tracker hears first: the check, the server, the failback.
    void first_results(std::size_t n, Instance& instance);
    bool holds_vip(std::size_t n) const;
    void start_checks(std::size_t n);
    // Runs `done` when a statement sent to node n's server now returns: after `takes`, or, on
    // a frozen server, once it answers again or dies (after `takes` more), or at `deadline`.
    void on_server(std::size_t n, Duration takes, Duration deadline, std::function<void()> done);
    void script_interval(std::size_t n, std::uint64_t epoch);
    void poll(std::size_t n, std::uint64_t epoch);
    void holders_changed(std::size_t n);
    void run_owed(std::size_t n);
    void run_job(std::size_t n, vrrp::ReadOnlyRole::Action action);
    bool reachable(std::size_t from, std::size_t to) const;

    Schedule schedule_;
    std::mt19937_64 rng_;
    TimePoint now_{};
    std::uint64_t seq_ = 0;
    std::uint64_t epochs_ = 0;  // instances made
    struct Event {
        TimePoint at;
        std::uint64_t seq;
        std::function<void()> run;
        bool operator>(const Event& o) const { return at != o.at ? at > o.at : seq > o.seq; }
    };
    std::priority_queue<Event, std::vector<Event>, std::greater<>> queue_;
    std::vector<std::unique_ptr<Node>> nodes_;
    std::vector<std::vector<bool>> apart_;  // partitioned pairs
    int loss_percent_ = 0;
    Duration delay_{0};
    // Per VRID, since when more than one node has been MASTER (while the network is whole).
    std::map<std::uint8_t, TimePoint> dual_since_;
    std::vector<std::string> trace_;
    std::optional<std::string> broken_;
};

}  // namespace havip::sim
