// VRRP advertisements on the wire: VRRPv2 (RFC 3768, IPv4) and VRRPv3 (RFC 5798, updated by
// RFC 9568; IPv4 and IPv6). Bytes in, values out: no sockets, no logging, no clock.
//
// Receiving is two layers. decode_ipv4 / decode_ipv6 check what a packet says about itself
// (lengths, version, type, checksum, IP-level fields) and give an Advert; validate()
// (packet_validate.hpp) checks it against the receiving instance's configuration. Within each
// layer the rules run in keepalived's order (shared/reference/keepalived.md §4), so a packet
// breaking two rules is counted where keepalived would count it.
#pragma once

#include <array>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <chrono>
#include <cstdint>
#include <ratio>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "vrrpd/core/packet_error.hpp"
#include "vrrpd/core/timers.hpp"

namespace havip::vrrp {

inline constexpr std::uint8_t ip_protocol_vrrp = 112;  // RFC 5798 §5.1.1.4
inline constexpr std::uint8_t ip_protocol_ah = 51;     // RFC 3768 §5.3.6.2 (AH, unsupported)
inline constexpr std::uint8_t vrrp_ttl = 255;          // RFC 5798 §5.1.1.3, §5.1.2.3
inline constexpr std::uint8_t ipv4_tos_network_control = 0xc0;  // what keepalived sends
inline constexpr std::uint8_t advertisement_type = 1;           // RFC 5798 §5.2.2
inline constexpr std::size_t ipv4_header_size = 20;
inline constexpr std::size_t vrrp_header_size = 8;
inline constexpr std::size_t v2_auth_data_size = 8;  // RFC 3768 §5.3.10
inline constexpr std::size_t max_address_count = 255;

// The v3 wire unit (RFC 5798 §5.2.7); std::chrono has no centiseconds.
using Centiseconds = std::chrono::duration<std::int64_t, std::centi>;

// Advert interval limits: v2 carries whole seconds in 8 bits (RFC 3768 §5.3.7), v3 carries
// centiseconds in 12 bits (RFC 5798 §5.2.7).
inline constexpr std::chrono::seconds v2_max_interval{255};
inline constexpr Centiseconds v3_max_interval{4095};

// RFC 3768 §5.3.6: 0 = no authentication, 1 = simple text password, 2 = IP AH.
enum class AuthType : std::uint8_t { none = 0, simple_text = 1, ip_ah = 2 };
using AuthData = std::array<std::uint8_t, v2_auth_data_size>;

// A v2 password as it travels: the first 8 bytes, zero padded (keepalived truncates longer
// ones with a logged error; the config layer reports that).
AuthData make_auth_data(std::string_view password);

// The VRRP multicast groups: 224.0.0.18 (RFC 5798 §5.1.1.2) and ff02::12 (§5.1.2.2).
boost::asio::ip::address_v4 vrrp_group_v4();
boost::asio::ip::address_v6 vrrp_group_v6();

// One advertisement, as decoded from a packet or to be encoded into one.
struct Advert {
    ProtocolVersion version = ProtocolVersion::v3;
    std::uint8_t type = advertisement_type;
    std::uint8_t vrid = 0;      // Virtual Rtr ID, 1..255 in a valid configuration
    std::uint8_t priority = 0;  // 0 = the master is leaving; 255 = address owner
    // v2: Adver Int (whole seconds); v3: Max Adver Int (centiseconds).
    Centiseconds interval{100};
    AuthType auth_type = AuthType::none;  // v2 only; may hold an unknown value when decoded
    AuthData auth_data{};                 // v2 only; the password for simple_text
    std::vector<boost::asio::ip::address> addresses;  // the IPvX Address(es) field
    boost::asio::ip::address source;                  // from the IP header / recvmsg
    boost::asio::ip::address destination;
    std::uint8_t ttl = vrrp_ttl;  // TTL (IPv4) or hop limit (IPv6)
    // IPv4 Identification, kept so that a decoded packet re-encodes bit for bit; keepalived
    // counts it up per advert. 0 lets the kernel choose (IP_HDRINCL).
    std::uint16_t ip_id = 0;

    bool is_ipv6() const { return source.is_v6(); }
    friend bool operator==(const Advert&, const Advert&) = default;
};

// How the VRRPv3 checksum over IPv4 covers the pseudo-header (RFC 5798 §5.2.8 says it does).
enum class V3Ipv4Checksum : std::uint8_t {
    pseudo_header,        // RFC 5798: source and real destination
    no_pseudo_header,     // peers that checksum the VRRP message only, as in v2
    group_pseudo_header,  // keepalived before 1.3.6 on unicast: 224.0.0.18 as destination
                          // whatever the real one (its `old_unicast_checksum`)
};

struct EncodeOptions {
    V3Ipv4Checksum v3_ipv4_checksum = V3Ipv4Checksum::pseudo_header;
};

// The RFC checksum is always accepted; these switches also accept the compatible variants.
struct DecodeOptions {
    bool accept_v3_ipv4_no_pseudo_header = false;
    bool accept_v3_ipv4_group_pseudo_header = false;
};

using Bytes = std::vector<std::uint8_t>;
using EncodeResult = std::variant<Bytes, EncodeError>;
using DecodeResult = std::variant<Advert, DecodeError>;

// The VRRP message (what a raw IPPROTO_VRRP socket sends; the kernel adds the IP header),
// checksum included. v3 needs source and destination for the pseudo-header.
// How many addresses an advert carries on a link of this MTU: at most 255 (the count field),
// and no more than fit in one packet, sized as keepalived sizes it (an Ethernet header
// counted inside the MTU), so both list the same VIPs. keepalived raises the rest as
// excluded VIPs: held with the others, never advertised.
std::size_t advert_address_capacity(bool ipv6, ProtocolVersion version, std::uint32_t mtu);

EncodeResult encode_payload(const Advert& advert, const EncodeOptions& options = {});

// A whole IPv4 packet: 20-byte header (TOS 0xc0, TTL advert.ttl, protocol 112, id
// advert.ip_id, header checksum) and the VRRP message. For IP_HDRINCL, tests and traffic
// generators.
EncodeResult encode_ipv4(const Advert& advert, const EncodeOptions& options = {});

// Decodes an IPv4 packet as a raw socket returns it (IP header included).
DecodeResult decode_ipv4(std::span<const std::uint8_t> packet, const DecodeOptions& options = {});

// Decodes a VRRP message from a raw IPv6 socket (which returns the payload only); source,
// destination and hop limit come from recvmsg and its ancillary data.
DecodeResult decode_ipv6(std::span<const std::uint8_t> payload,
                         const boost::asio::ip::address_v6& source,
                         const boost::asio::ip::address_v6& destination, std::uint8_t hop_limit,
                         const DecodeOptions& options = {});

// Recomputes the IPv4 header checksum and the VRRP checksum of a (possibly deliberately
// malformed) IPv4 packet in place, so a test or traffic generator can change one field and
// still get past the checksum rules. Takes the version from the packet; fields that do not
// fit are left alone.
void refresh_checksums_ipv4(std::span<std::uint8_t> packet, const EncodeOptions& options = {});

// The same for an IPv6 VRRP payload (always checksummed with the pseudo-header).
void refresh_checksum_ipv6(std::span<std::uint8_t> payload,
                           const boost::asio::ip::address_v6& source,
                           const boost::asio::ip::address_v6& destination);

}  // namespace havip::vrrp
