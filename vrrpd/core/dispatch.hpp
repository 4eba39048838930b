// Which instances an advert that decoded is for, among those on the socket it came in on.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/ip/address.hpp>

namespace havip::vrrp {

// What the choice needs of one instance on the socket.
struct Receiver {
    std::uint8_t vrid = 0;
    bool unicast = false;
    std::span<const boost::asio::ip::address> peers;      // unicast_peer
    std::optional<boost::asio::ip::address> last_source;  // of the last advert it took
};

// The indexes of the receivers for an advert of `vrid` from `source`. Multicast instances
// take every advert of their VRID (one per VRID and interface: the configuration refuses
// more). Unicast instances may share a VRID on one interface, told apart by peer as keepalived
// does: the one that last heard `source`, else the first whose peers include it, else none
// (dropped). A unicast instance alone on its VRID takes every advert of it, and its own
// checks (check_unicast_src) decide.
std::vector<std::size_t> advert_receivers(std::span<const Receiver> receivers, std::uint8_t vrid,
                                          const boost::asio::ip::address& source);

}  // namespace havip::vrrp
