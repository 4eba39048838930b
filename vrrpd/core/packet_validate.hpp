// The receive rules that need the receiving instance's configuration (the second layer after
// decode_ipv4 / decode_ipv6), in keepalived's order (shared/reference/keepalived.md §4).
// The caller has already picked the instance by VRID and drops everything while the
// instance is in INIT or FAULT.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <chrono>
#include <optional>
#include <vector>

#include "vrrpd/core/packet.hpp"
#include "vrrpd/core/packet_error.hpp"

namespace havip::vrrp {

struct ReceivePolicy {
    ProtocolVersion version = ProtocolVersion::v2;
    // v2 only (RFC 3768 §5.3.6): the configured type and the zero-padded password.
    AuthType auth_type = AuthType::none;
    AuthData password{};
    // v2 adverts must carry exactly our interval (RFC 3768 §7.1); v3 backups learn the
    // master's instead (RFC 5798 §6.4.2), so only v2 compares it.
    Centiseconds advert_interval{100};
    // The configured virtual_ipaddress list: the advert must carry as many, and each one.
    std::vector<boost::asio::ip::address> vips;
    // Multicast (no unicast peers): destination must be this group and the TTL 255.
    boost::asio::ip::address multicast_group{vrrp_group_v4()};
    // Unicast (unicast_peer): any TTL (unicast_ttl); destination must be unicast, and our
    // unicast_src_ip when set.
    std::vector<boost::asio::ip::address> unicast_peers;
    std::optional<boost::asio::ip::address> unicast_source;
    // check_unicast_src: the source must be one of unicast_peers.
    bool check_unicast_src = false;

    bool is_unicast() const { return !unicast_peers.empty(); }
};

// nullopt when the advert is acceptable to the instance, otherwise the rule it breaks.
// v3 adverts with a zero interval are rejected as advert_interval_err: learning it would
// make the master-down interval the skew time alone (keepalived does not check this).
std::optional<DecodeError> validate(const Advert& advert, const ReceivePolicy& policy);

// Both 8-byte passwords compared without an early exit, so the time taken does not tell
// an attacker how many leading bytes were right.
bool passwords_equal(const AuthData& a, const AuthData& b);

}  // namespace havip::vrrp
