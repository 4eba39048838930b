// Which addresses a MASTER takes back when someone else removes them (`ip addr del` by an
// operator or another tool), decided purely: keepalived 2.2.7's address_is_ours answers the
// removal of any VIP or excluded VIP (virtual_ipaddress_excluded) of a MASTER on the interface
// it was added to, except those marked `no_track`, which are left as they are.
#pragma once

#include <span>

#include <boost/asio/ip/address.hpp>

namespace havip::vrrp {

// An address on an interface, as a netlink RTM_DELADDR reports it.
struct HeldAddress {
    int ifindex = 0;
    boost::asio::ip::address address;

    bool operator==(const HeldAddress&) const = default;
};

// Whether the removal of `removed` is one the instance answers: it is among `held` (its VIPs
// and excluded VIPs) and not among `untracked` (those marked no_track).
bool answers_removal(std::span<const HeldAddress> held, std::span<const HeldAddress> untracked,
                     const HeldAddress& removed);

}  // namespace havip::vrrp
