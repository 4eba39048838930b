#include "vrrpd/core/packet_error.hpp"

namespace havip::vrrp {

std::string_view counter_name(DecodeError error) {
    switch (error) {
        case DecodeError::packet_len_err:
            return "packet_len_err";
        case DecodeError::ip_ttl_err:
            return "ip_ttl_err";
        case DecodeError::invalid_type_rcvd:
            return "invalid_type_rcvd";
        case DecodeError::advert_interval_err:
            return "advert_interval_err";
        case DecodeError::addr_list_err:
            return "addr_list_err";
        case DecodeError::invalid_authtype:
            return "invalid_authtype";
        case DecodeError::authtype_mismatch:
            return "authtype_mismatch";
        case DecodeError::auth_failure:
            return "auth_failure";
        case DecodeError::version_err:
            return "version_err";
        case DecodeError::checksum_err:
            return "checksum_err";
        case DecodeError::ip_header_err:
            return "ip_header_err";
        case DecodeError::ip_protocol_err:
            return "ip_protocol_err";
        case DecodeError::destination_err:
            return "destination_err";
        case DecodeError::unicast_src_err:
            return "unicast_src_err";
    }
    return "unknown_err";
}

std::string_view describe(DecodeError error) {
    switch (error) {
        case DecodeError::packet_len_err:
            return "packet length does not match its headers and address count";
        case DecodeError::ip_ttl_err:
            return "TTL or hop limit is not 255 on a multicast advert (sent from off-link?)";
        case DecodeError::invalid_type_rcvd:
            return "VRRP packet type is not ADVERTISEMENT (1)";
        case DecodeError::advert_interval_err:
            return "VRRPv2 advert interval differs from ours (misconfigured peer)";
        case DecodeError::addr_list_err:
            return "virtual address list differs from ours (count or a missing VIP)";
        case DecodeError::invalid_authtype:
            return "VRRPv2 authentication type is unknown";
        case DecodeError::authtype_mismatch:
            return "VRRPv2 authentication type differs from ours (or an IPsec AH packet)";
        case DecodeError::auth_failure:
            return "VRRPv2 authentication password does not match";
        case DecodeError::version_err:
            return "VRRP version is not the one configured (or VRRPv2 over IPv6)";
        case DecodeError::checksum_err:
            return "VRRP checksum is wrong";
        case DecodeError::ip_header_err:
            return "IPv4 header is malformed or its checksum wrong";
        case DecodeError::ip_protocol_err:
            return "IP protocol is not VRRP (112)";
        case DecodeError::destination_err:
            return "destination address is not the configured multicast group or unicast "
                   "address";
        case DecodeError::unicast_src_err:
            return "source address is not a configured unicast peer";
    }
    return "unknown decode error";
}

std::string_view describe(EncodeError error) {
    switch (error) {
        case EncodeError::invalid_type:
            return "only ADVERTISEMENT (type 1) can be encoded";
        case EncodeError::interval_out_of_range:
            return "advert interval out of range (v2: 1..255 whole seconds, v3: 10 ms..40.95 s "
                   "in 10 ms steps)";
        case EncodeError::too_many_addresses:
            return "more than 255 virtual addresses";
        case EncodeError::address_family_mismatch:
            return "source, destination and virtual addresses are not all of one family";
        case EncodeError::v2_requires_ipv4:
            return "VRRPv2 is defined for IPv4 only";
        case EncodeError::unsupported_auth_type:
            return "VRRPv2 authentication type must be none or simple text";
    }
    return "unknown encode error";
}

}  // namespace havip::vrrp
