// A virtual IP address as the daemon asks the kernel to add or remove it: the fields of a
// keepalived `virtual_ipaddress` line that reach rtnetlink.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/asio/ip/address.hpp>

namespace havip::netlink {

// rtnetlink address scopes (linux/rtnetlink.h RT_SCOPE_*); keepalived's `scope` keyword.
enum class Scope : std::uint8_t {
    global = 0,
    site = 200,
    link = 253,
    host = 254,
    nowhere = 255,
};

struct Vip {
    boost::asio::ip::address address;
    std::uint8_t prefix_len = 32;  // keepalived's default is a host route (/32, /128)
    int ifindex = 0;
    std::optional<boost::asio::ip::address_v4> broadcast;  // IPv4 only
    std::optional<std::string> label;                      // IPv4 only, < IFNAMSIZ bytes
    Scope scope = Scope::global;
    std::optional<boost::asio::ip::address> peer;  // point-to-point: the remote end
    bool nodad = false;                            // IPv6: skip duplicate address detection
    bool noprefixroute = false;                    // no route for the prefix is created
};

// "10.0.0.1/24 ifindex 3 brd 10.0.0.255 label eth0:vip scope global", for log lines.
std::string to_string(const Vip& vip);

// The largest prefix length of the VIP's family (32 or 128).
std::uint8_t max_prefix_len(const boost::asio::ip::address& address);

}  // namespace havip::netlink
