#include "vrrpd/core/interface_binding.hpp"

#include <algorithm>

namespace havip::vrrp {

InterfacePlan plan_interfaces(std::span<const InstanceInterfaces> instances,
                              const PresentInterfaces& present) {
    InterfacePlan plan;
    auto now = [&](const std::string& name) {
        const auto it = present.find(name);
        return it == present.end() ? 0 : it->second;
    };
    for (std::size_t i = 0; i < instances.size(); ++i) {
        const auto& in = instances[i];
        const int own = now(in.own.name);
        // A different ifindex under the same name is a new interface: the old one, with the
        // socket, the multicast membership and the VIPs on it, is gone.
        const bool gone = own == 0 || own != in.own.ifindex;
        if (!in.lost && gone) plan.lose.push_back(i);
        if (own != 0 && (in.lost || gone)) {
            plan.rebind.push_back(i);
            continue;
        }
        if (in.lost || gone) continue;
        // A tracked or VIP interface that came back under a new ifindex. One that is absent
        // now is already reported down (tracked) or has its VIP changes retried.
        const bool moved = std::any_of(in.others.begin(), in.others.end(), [&](const auto& o) {
            const int idx = now(o.name);
            return idx != 0 && idx != o.ifindex;
        });
        if (moved) plan.rebind.push_back(i);
    }
    return plan;
}

bool concerns(std::span<const InstanceInterfaces> instances, const std::string& name, int ifindex) {
    auto is = [&](const BoundInterface& b) {
        return b.name == name || (ifindex != 0 && b.ifindex == ifindex);
    };
    return std::any_of(instances.begin(), instances.end(), [&](const auto& in) {
        return is(in.own) || std::any_of(in.others.begin(), in.others.end(), is);
    });
}

bool chosen_source_removed(const ChosenSource& source, int ifindex,
                           const boost::asio::ip::address& removed) {
    if (source.ifindex != ifindex || source.address.is_v6() != removed.is_v6()) return false;
    if (removed.is_v4()) return source.address == removed;
    return source.address.to_v6().to_bytes() == removed.to_v6().to_bytes();
}

}  // namespace havip::vrrp
