// Why a received VRRP packet was dropped, or why an advert could not be encoded.
// Each DecodeError is one receive rule and one counter; the counter names are keepalived's
// (`vrrp_statistics` in its data/stats dumps) where keepalived has one, so existing
// dashboards keep their meaning, and havip's own names for the rules keepalived checks
// without counting.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace havip::vrrp {

enum class DecodeError : std::uint8_t {
    packet_len_err,       // shorter than the headers, length not matching the address
                          // count, or IPv4 total length not matching the bytes received
    ip_ttl_err,           // TTL / hop limit not 255 on a multicast advert
    invalid_type_rcvd,    // VRRP type is not 1 (ADVERTISEMENT)
    advert_interval_err,  // v2 interval differs from ours (keepalived drops it uncounted)
    addr_list_err,        // address count differs, or a configured VIP is missing
    invalid_authtype,     // v2 auth type is not 0, 1 or 2
    authtype_mismatch,    // v2 auth type differs from ours, or an AH packet
    auth_failure,         // v2 simple text password differs from ours
    version_err,          // version not 2 or 3, not the one configured, or v2 over IPv6
    checksum_err,         // VRRP checksum wrong
    ip_header_err,        // not an IPv4 header, header length below 20, bad header checksum
    ip_protocol_err,      // IPv4 protocol neither VRRP (112) nor AH (51)
    destination_err,      // destination not the configured group / unicast address
    unicast_src_err,      // source not a configured unicast peer (check_unicast_src)
};

inline constexpr std::array all_decode_errors = {
    DecodeError::packet_len_err,      DecodeError::ip_ttl_err,      DecodeError::invalid_type_rcvd,
    DecodeError::advert_interval_err, DecodeError::addr_list_err,   DecodeError::invalid_authtype,
    DecodeError::authtype_mismatch,   DecodeError::auth_failure,    DecodeError::version_err,
    DecodeError::checksum_err,        DecodeError::ip_header_err,   DecodeError::ip_protocol_err,
    DecodeError::destination_err,     DecodeError::unicast_src_err,
};

// The counter the error increments, e.g. "packet_len_err".
std::string_view counter_name(DecodeError error);

// One sentence for logs, e.g. "authentication password does not match".
std::string_view describe(DecodeError error);

enum class EncodeError : std::uint8_t {
    invalid_type,             // only type 1 (ADVERTISEMENT) exists
    interval_out_of_range,    // v2: whole seconds 1..255; v3: 1..4095 centiseconds
    too_many_addresses,       // the count field is 8 bits
    address_family_mismatch,  // source, destination and addresses not all one family,
                              // or an IPv6 advert asked for as an IPv4 packet
    v2_requires_ipv4,         // RFC 3768 defines VRRPv2 for IPv4 only
    unsupported_auth_type,    // v2 auth type other than none or simple text (no AH)
};

inline constexpr std::array all_encode_errors = {
    EncodeError::invalid_type,       EncodeError::interval_out_of_range,
    EncodeError::too_many_addresses, EncodeError::address_family_mismatch,
    EncodeError::v2_requires_ipv4,   EncodeError::unsupported_auth_type,
};

std::string_view describe(EncodeError error);

}  // namespace havip::vrrp
