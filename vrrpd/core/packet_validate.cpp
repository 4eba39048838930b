#include "vrrpd/core/packet_validate.hpp"

#include <algorithm>

namespace havip::vrrp {

namespace {

using boost::asio::ip::address;

// Addresses compared by family and bytes: an IPv6 source from recvmsg carries the
// interface's scope id, a configured one usually does not.
bool same_address(const address& a, const address& b) {
    if (a.is_v4() != b.is_v4()) return false;
    if (a.is_v4()) return a.to_v4() == b.to_v4();
    return a.to_v6().to_bytes() == b.to_v6().to_bytes();
}

bool contains(const std::vector<address>& list, const address& a) {
    return std::any_of(list.begin(), list.end(),
                       [&](const address& b) { return same_address(a, b); });
}

bool auth_type_known(AuthType type) {
    return type == AuthType::none || type == AuthType::simple_text || type == AuthType::ip_ah;
}

}  // namespace

bool passwords_equal(const AuthData& a, const AuthData& b) {
    std::uint8_t difference = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        difference |= a[i] ^ b[i];
    return difference == 0;
}

std::optional<DecodeError> validate(const Advert& advert, const ReceivePolicy& policy) {
    const bool unicast = policy.is_unicast();
    // Rule 3: TTL 255 for multicast instances (RFC 5798 §7.1).
    if (!unicast && advert.ttl != vrrp_ttl) return DecodeError::ip_ttl_err;
    // Rule 4.
    if (advert.version != policy.version) return DecodeError::version_err;
    if (advert.version == ProtocolVersion::v2) {
        // Rule 5 (RFC 3768 §7.1).
        if (!auth_type_known(advert.auth_type)) return DecodeError::invalid_authtype;
        if (advert.auth_type != policy.auth_type) return DecodeError::authtype_mismatch;
        if (advert.auth_type == AuthType::simple_text &&
            !passwords_equal(advert.auth_data, policy.password)) {
            return DecodeError::auth_failure;
        }
        // Rule 6: keepalived drops this uncounted; counting it shows the misconfiguration
        // that otherwise ends in two masters.
        if (advert.interval != policy.advert_interval) return DecodeError::advert_interval_err;
    } else if (advert.interval == Centiseconds{0}) {
        return DecodeError::advert_interval_err;
    }
    // Rule 8.
    if (advert.addresses.size() != policy.vips.size()) return DecodeError::addr_list_err;
    // Rule 11.
    if (unicast) {
        if (advert.destination.is_multicast()) return DecodeError::destination_err;
        if (policy.unicast_source && !same_address(advert.destination, *policy.unicast_source)) {
            return DecodeError::destination_err;
        }
    } else if (!same_address(advert.destination, policy.multicast_group)) {
        return DecodeError::destination_err;
    }
    // Rule 13 (RFC 5798 §7.1 "MAY verify"; keepalived does).
    for (const auto& vip : policy.vips) {
        if (!contains(advert.addresses, vip)) return DecodeError::addr_list_err;
    }
    // Rule 14.
    if (unicast && policy.check_unicast_src && !contains(policy.unicast_peers, advert.source)) {
        return DecodeError::unicast_src_err;
    }
    return std::nullopt;
}

}  // namespace havip::vrrp
