#include "netlink/address.hpp"

#include <linux/if_addr.h>

namespace havip::netlink {

bool AddressInfo::secondary() const {
    return (flags & IFA_F_SECONDARY) != 0;
}
bool AddressInfo::tentative() const {
    return (flags & IFA_F_TENTATIVE) != 0;
}
bool AddressInfo::dad_failed() const {
    return (flags & IFA_F_DADFAILED) != 0;
}
bool AddressInfo::nodad() const {
    return (flags & IFA_F_NODAD) != 0;
}
bool AddressInfo::noprefixroute() const {
    return (flags & IFA_F_NOPREFIXROUTE) != 0;
}

std::optional<boost::asio::ip::address_v4> primary_ipv4(
    const std::vector<AddressInfo>& addresses, int ifindex,
    const std::function<bool(const boost::asio::ip::address&)>& skip) {
    // The kernel lists primaries of narrower scope (link) before global ones; an advert
    // to the VRRP group should come from a global address when there is one.
    std::optional<boost::asio::ip::address_v4> narrower;
    for (const auto& a : addresses) {
        if (a.ifindex != ifindex || !a.address.is_v4() || a.secondary()) continue;
        if (skip && skip(a.address)) continue;
        if (a.scope == Scope::global) return a.address.to_v4();
        if (!narrower && a.scope != Scope::host && a.scope != Scope::nowhere) {
            narrower = a.address.to_v4();
        }
    }
    return narrower;
}

std::optional<boost::asio::ip::address_v6> ipv6_link_local(
    const std::vector<AddressInfo>& addresses, int ifindex) {
    std::optional<boost::asio::ip::address_v6> tentative;
    for (const auto& a : addresses) {
        if (a.ifindex != ifindex || !a.address.is_v6() || a.dad_failed()) continue;
        const auto v6 = a.address.to_v6();
        if (!v6.is_link_local()) continue;
        if (!a.tentative()) return v6;
        if (!tentative) tentative = v6;
    }
    return tentative;
}

}  // namespace havip::netlink
