// An address as the kernel reports it (RTM_NEWADDR / RTM_DELADDR), and the choices the
// daemon makes from a list of them: the VRRP advert source for each family.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/ip/address.hpp>

#include "netlink/vip.hpp"

namespace havip::netlink {

struct AddressInfo {
    int ifindex = 0;
    boost::asio::ip::address address;  // IFA_LOCAL, or IFA_ADDRESS when there is no local
    std::uint8_t prefix_len = 0;
    Scope scope = Scope::global;
    std::uint32_t flags = 0;  // IFA_F_* (IFA_FLAGS when present, it carries the high bits)
    std::optional<std::string> label;
    std::optional<boost::asio::ip::address_v4> broadcast;
    std::optional<boost::asio::ip::address> peer;  // IFA_ADDRESS when it differs from local

    bool secondary() const;
    bool tentative() const;  // IPv6 duplicate address detection still running
    bool dad_failed() const;
    bool nodad() const;
    bool noprefixroute() const;
};

// The interface's primary IPv4 address: the first one that is not IFA_F_SECONDARY, in the
// kernel's order, of global scope if any is, else of link or site scope. VRRPv2/v3 over
// IPv4 sends adverts from it (RFC 5798 5.1.1.1).
// Addresses for which `skip` is true are passed over (the VIPs: after the node's own address
// is removed, a VIP may be the interface's only primary, and must not become an advert source).
std::optional<boost::asio::ip::address_v4> primary_ipv4(
    const std::vector<AddressInfo>& addresses, int ifindex,
    const std::function<bool(const boost::asio::ip::address&)>& skip = {});

// The interface's IPv6 link-local address, the source VRRPv3 must use (RFC 5798 5.1.2.1).
// An address whose DAD is finished is preferred over a tentative one; one whose DAD failed
// is never chosen.
std::optional<boost::asio::ip::address_v6> ipv6_link_local(
    const std::vector<AddressInfo>& addresses, int ifindex);

}  // namespace havip::netlink
