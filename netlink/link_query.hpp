// What the daemon needs to know about interfaces: their index, state and hardware address,
// and the source addresses of its adverts. Behind an interface so vrrpd/ can use a fake.
#pragma once

#include <string_view>
#include <vector>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

#include "netlink/link.hpp"
#include "netlink/result.hpp"

namespace havip::netlink {

class LinkQuery {
  public:
    virtual ~LinkQuery() = default;

    // ENODEV when no interface has that name.
    virtual Result<int> ifindex(std::string_view name) = 0;
    // ENODEV when the index is unknown.
    virtual Result<LinkInfo> link(int ifindex) = 0;
    // Every interface (after a monitor Resync).
    virtual Result<std::vector<LinkInfo>> dump_links() = 0;
    // The Ethernet address GARP and NA frames carry; EAFNOSUPPORT for a non-Ethernet link.
    virtual Result<MacAddress> mac(int ifindex) = 0;
    // The VRRP advert sources; EADDRNOTAVAIL when the interface has none.
    virtual Result<boost::asio::ip::address_v4> primary_ipv4(int ifindex) = 0;
    virtual Result<boost::asio::ip::address_v6> ipv6_link_local(int ifindex) = 0;
};

}  // namespace havip::netlink
