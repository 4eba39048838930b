// Interfaces by name (issue 16). An instance's interfaces are configured by name but run by
// ifindex; when an interface is deleted and one with the same name appears (a veth or VLAN
// re-added, a bridge rebuilt by ifupdown or NetworkManager), the kernel gives it a new
// ifindex. keepalived keeps its interfaces by name: an instance whose interface is deleted
// goes to FAULT with its socket closed, and when an interface of that name is created again
// the instance re-opens its socket there and leaves FAULT by the usual rules; a tracked
// interface or a VIP's `dev` follows its name too. This decides, from what each instance is
// bound to and what the kernel has now, which instances lose their interface and which are
// resolved again on the interfaces present now. Pure: the daemon gathers the names' current
// ifindexes and executes the plan.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace havip::vrrp {

// A configured interface name and the ifindex the running instance uses for it (0: it was
// not there when the instance was last resolved).
struct BoundInterface {
    std::string name;
    int ifindex = 0;
    bool operator==(const BoundInterface&) const = default;
};

// What one running instance is bound to.
struct InstanceInterfaces {
    BoundInterface own;                  // adverts, its socket, MAC and source address
    bool lost = false;                   // own is gone: in FAULT until it is back
    std::vector<BoundInterface> others;  // track_interface and VIP `dev` interfaces
};

// Each configured name the kernel has now, with its ifindex; a name it lacks is absent.
using PresentInterfaces = std::map<std::string, int>;

struct InterfacePlan {
    // Instances whose interface is gone, or was replaced by a new one of the same name: FAULT
    // (a MASTER releases its VIPs), adverts stop, the socket on the dead ifindex is dropped.
    // Executed before `rebind`.
    std::vector<std::size_t> lose;
    // Instances to resolve again on the interfaces present now: ifindex, MAC, source address,
    // socket and multicast membership, tracked and VIP interfaces. One that cannot be resolved
    // yet (no address on the new interface) stays as it is and is tried at the next event.
    std::vector<std::size_t> rebind;
    bool empty() const { return lose.empty() && rebind.empty(); }
};

InterfacePlan plan_interfaces(std::span<const InstanceInterfaces> instances,
                              const PresentInterfaces& present);

// Whether a link event (the interface's name and ifindex) can change a plan: it names one of
// the instances' interfaces or is one they are bound to (a rename). Other interfaces coming
// and going on a busy host (containers' veths) are not looked at.
bool concerns(std::span<const InstanceInterfaces> instances, const std::string& name, int ifindex);

// The address an instance sends its adverts from, when its interface chose it (no
// mcast_src_ip or unicast_src_ip): the interface's primary IPv4 address, or its IPv6 link-local
// one. Whether `removed` (from interface `ifindex`) is that address: then the instance is
// resolved again and sends from the interface's address now, or is in FAULT until one is
// added, as keepalived does. Sending on from a removed address, every advert fails while the
// instance stays MASTER, and the peer takes over beside it. IPv6 scope ids are not compared.
struct ChosenSource {
    int ifindex = 0;
    boost::asio::ip::address address;
};
bool chosen_source_removed(const ChosenSource& source, int ifindex,
                           const boost::asio::ip::address& removed);

}  // namespace havip::vrrp
