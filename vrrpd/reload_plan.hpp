// What a SIGHUP reload does with the running instances, decided purely: which the new
// configuration keeps (they keep their state, VIPs and counters and take the new settings in
// place), which it no longer has (they stop: priority 0 and their VIPs released), and which are
// new (they start from INIT). keepalived matches a running instance to a configured one by
// VRID, address family, interface, multicast-or-unicast and the group or unicast source;
// havipd also keeps the sync group, since a member changes state with its group.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace havip::vrrp {

// The identity a reload matches on.
struct RouterKey {
    std::uint8_t vrid = 0;
    bool ipv6 = false;
    int ifindex = 0;
    bool unicast = false;
    std::string sync_group;
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

}  // namespace havip::vrrp
