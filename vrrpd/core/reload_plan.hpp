// What a SIGHUP reload does with the running instances, decided purely: which the new
// configuration keeps (they keep their state, VIPs and counters and take the new settings in
// place), which it no longer has (they stop: priority 0 and their VIPs released), and which are
// new (they start from INIT). keepalived matches a running instance to a configured one by
// VRID, address family, interface, multicast-or-unicast and the group or unicast source
// (vrrp_exist), and so does havipd: the sync group is not part of it, so a reload that puts a
// running instance in a group, takes it out or renames the group keeps it in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace havip::vrrp {

// The identity a reload matches on.
struct RouterKey {
    std::uint8_t vrid = 0;
    bool ipv6 = false;
    int ifindex = 0;
    bool unicast = false;
    // keepalived also tells routers apart by how they address their adverts: a multicast
    // instance by its group (vrrp_mcast_group4/6), a unicast one by its source address. The
    // unicast peers are not part of it: a reload changing them keeps the instance.
    std::string addressing;

    bool operator==(const RouterKey&) const = default;
};

struct ReloadPlan {
    struct Keep {
        std::size_t running;  // index into the running instances
        std::size_t wanted;   // index into the new configuration's instances
        bool operator==(const Keep&) const = default;
    };
    std::vector<Keep> keep;          // in the new configuration's order
    std::vector<std::size_t> stop;   // running instances nothing in the new configuration matches
    std::vector<std::size_t> start;  // configured instances nothing running matches, in order
};

// Each running instance is kept for at most one configured instance (the first that matches);
// a second configured instance with the same key starts afresh.
ReloadPlan plan_reload(std::span<const RouterKey> running, std::span<const RouterKey> wanted);

// The sync groups that the plan's kept instances joined: those a kept instance is in after the
// reload and was not in before (a group formed of running instances, a renamed group, an
// existing group a running instance was added to), each once, in order of name.
// `running_groups` and `wanted_groups` are parallel to plan_reload's inputs ("" for none).
// Such a group takes its members' states as they are, with no transition (as keepalived), and
// then judges their faults as after any member's change.
std::vector<std::string> joined_sync_groups(const ReloadPlan& plan,
                                            std::span<const std::string> running_groups,
                                            std::span<const std::string> wanted_groups);

// The order a reload is carried out in, shared by the daemon (Daemon::apply_reload) and the
// simulated world (tests/sim), so the swarm runs the daemon's order, not a copy of it. Indexes
// are the plan's: `stop` names a running instance, `reconfigure` and `report_links` a kept one
// (plan.keep order), `create` and `start` a new one (plan.start order).
struct ReloadStep {
    enum class Kind {
        // From here on the daemon lists only the kept instances: a state change of one being
        // stopped or reconfigured publishes the status, which reads every listed instance.
        list_kept,
        // An instance the reload removed or made a different router: a priority-0 advert and
        // its VIPs released. Before any kept instance changes, so a VIP that moved to a kept
        // instance is off the interface before that one adds it.
        stop,
        // Every kept MASTER lets go of the VIPs the reload took from it, except those another
        // kept MASTER lists (vips_taken_over): all of them before any takes new ones.
        release_dropped,
        reconfigure,  // a kept instance takes its new settings in place: state, VIPs, counters stay
        create,       // a new instance is made (not started): the checks below see it as tracking
        // The check set, track files and track processes of the new configuration; after the
        // instances exist, since each is watched only when an instance tracks it.
        replace_checks,
        report_links,   // a kept instance hears the state of the interfaces it now tracks
        sockets,        // sockets no instance uses close; the others join the groups now named
        start,          // a new instance starts (INIT), on a socket in its group
        forget_groups,  // sync groups no instance is in any more are forgotten
        regroup,        // `group`, joined by kept instances, takes its members as they are
    };
    ReloadStep(Kind k, std::size_t i = 0, std::string g = {})
        : kind{k}, index{i}, group{std::move(g)} {}
    Kind kind;
    std::size_t index;
    std::string group;
    bool operator==(const ReloadStep&) const = default;
};

// `joined`: joined_sync_groups of the same plan.
std::vector<ReloadStep> reload_program(const ReloadPlan& plan, std::span<const std::string> joined);

// The VIPs a reload moves between kept MASTERs. Every kept MASTER first lets go of the VIPs
// (and excluded VIPs) the reload took from it, before any kept instance takes new ones; one that
// another kept MASTER lists after the reload stays on the interface for that one: removed here
// and added there, its RTM_DELADDR would reach the new owner after its add, as a VIP removed by
// someone else. Per kept instance (plan order), whether it is MASTER and the VIPs it lists after
// the reload, as keys (netlink::to_string); returned, per kept instance, the VIPs another kept
// MASTER lists.
struct KeptVips {
    bool master = false;
    std::vector<std::string> wanted;
};
std::vector<std::set<std::string>> vips_taken_over(std::span<const KeptVips> kept);

}  // namespace havip::vrrp
