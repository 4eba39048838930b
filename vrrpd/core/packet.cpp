#include "vrrpd/core/packet.hpp"

#include <algorithm>
#include <optional>

#include "vrrpd/core/packet_checksum.hpp"

namespace havip::vrrp {

namespace {

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

// VRRP message layout (RFC 3768 §5.1, RFC 5798 §5.1).
constexpr std::size_t off_version_type = 0;
constexpr std::size_t off_vrid = 1;
constexpr std::size_t off_priority = 2;
constexpr std::size_t off_count = 3;
constexpr std::size_t off_v2_auth_type = 4;
constexpr std::size_t off_v2_interval = 5;
constexpr std::size_t off_v3_interval = 4;  // 4 reserved bits, then 12 bits of interval
constexpr std::size_t off_checksum = 6;
constexpr std::uint16_t v3_interval_mask = 0x0fff;

// IPv4 header layout (RFC 791 §3.1).
constexpr std::size_t off_ip_tos = 1;
constexpr std::size_t off_ip_total_length = 2;
constexpr std::size_t off_ip_id = 4;
constexpr std::size_t off_ip_ttl = 8;
constexpr std::size_t off_ip_protocol = 9;
constexpr std::size_t off_ip_checksum = 10;
constexpr std::size_t off_ip_source = 12;
constexpr std::size_t off_ip_destination = 16;

std::uint16_t read_be16(std::span<const std::uint8_t> bytes, std::size_t at) {
    return static_cast<std::uint16_t>((bytes[at] << 8) | bytes[at + 1]);
}

void write_be16(std::span<std::uint8_t> bytes, std::size_t at, std::uint16_t value) {
    bytes[at] = static_cast<std::uint8_t>(value >> 8);
    bytes[at + 1] = static_cast<std::uint8_t>(value & 0xff);
}

address_v4 read_v4(std::span<const std::uint8_t> bytes, std::size_t at) {
    address_v4::bytes_type raw{};
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), raw.size(), raw.begin());
    return address_v4{raw};
}

address_v6 read_v6(std::span<const std::uint8_t> bytes, std::size_t at) {
    address_v6::bytes_type raw{};
    std::copy_n(bytes.begin() + static_cast<std::ptrdiff_t>(at), raw.size(), raw.begin());
    return address_v6{raw};
}

void append_address(Bytes& out, const address& a) {
    if (a.is_v4()) {
        const auto raw = a.to_v4().to_bytes();
        out.insert(out.end(), raw.begin(), raw.end());
    } else {
        const auto raw = a.to_v6().to_bytes();
        out.insert(out.end(), raw.begin(), raw.end());
    }
}

std::size_t address_size(bool ipv6) {
    return ipv6 ? 16 : 4;
}

// The length a message must have for its version and address count (RFC 3768 §5.1 has
// 8 bytes of authentication data after the addresses; RFC 5798 §5.1 has none).
std::size_t expected_message_size(unsigned version, std::size_t count, bool ipv6) {
    return vrrp_header_size + count * address_size(ipv6) + (version == 2 ? v2_auth_data_size : 0);
}

// The one's-complement sum of a message and what its checksum covers: the message alone for
// v2 (RFC 3768 §5.3.8), the pseudo-header too for v3 (RFC 5798 §5.2.8).
ChecksumSum message_sum(std::span<const std::uint8_t> message, unsigned version,
                        const address& source, const address& destination,
                        V3Ipv4Checksum v3_ipv4_mode) {
    ChecksumSum sum;
    if (version == 3 && source.is_v6() && destination.is_v6()) {
        add_ipv6_pseudo_header(sum, source.to_v6(), destination.to_v6(), ip_protocol_vrrp,
                               static_cast<std::uint32_t>(message.size()));
    } else if (version == 3 && source.is_v4() && destination.is_v4()) {
        const auto length = static_cast<std::uint16_t>(message.size());
        switch (v3_ipv4_mode) {
            case V3Ipv4Checksum::pseudo_header:
                add_ipv4_pseudo_header(sum, source.to_v4(), destination.to_v4(), ip_protocol_vrrp,
                                       length);
                break;
            case V3Ipv4Checksum::group_pseudo_header:
                add_ipv4_pseudo_header(sum, source.to_v4(), vrrp_group_v4(), ip_protocol_vrrp,
                                       length);
                break;
            case V3Ipv4Checksum::no_pseudo_header:
                break;
        }
    }
    sum.add(message);
    return sum;
}

void store_checksum(std::span<std::uint8_t> message, unsigned version, const address& source,
                    const address& destination, V3Ipv4Checksum mode) {
    write_be16(message, off_checksum, 0);
    write_be16(message, off_checksum,
               message_sum(message, version, source, destination, mode).finish());
}

bool checksum_ok(std::span<const std::uint8_t> message, unsigned version, const address& source,
                 const address& destination, const DecodeOptions& options) {
    const auto ok = [&](V3Ipv4Checksum mode) {
        return message_sum(message, version, source, destination, mode).finish() == 0;
    };
    if (ok(V3Ipv4Checksum::pseudo_header)) return true;
    if (version != 3 || source.is_v6()) return false;
    return (options.accept_v3_ipv4_no_pseudo_header && ok(V3Ipv4Checksum::no_pseudo_header)) ||
           (options.accept_v3_ipv4_group_pseudo_header && ok(V3Ipv4Checksum::group_pseudo_header));
}

std::optional<EncodeError> check_encodable(const Advert& advert) {
    if (advert.type != advertisement_type) return EncodeError::invalid_type;
    const bool ipv6 = advert.source.is_v6();
    if (advert.version == ProtocolVersion::v2) {
        if (ipv6 || advert.destination.is_v6()) return EncodeError::v2_requires_ipv4;
        if (advert.auth_type != AuthType::none && advert.auth_type != AuthType::simple_text) {
            return EncodeError::unsupported_auth_type;
        }
        const auto interval = advert.interval;
        if (interval % std::chrono::seconds{1} != Centiseconds{0} ||
            interval < std::chrono::seconds{1} || interval > v2_max_interval) {
            return EncodeError::interval_out_of_range;
        }
    } else if (advert.interval < Centiseconds{1} || advert.interval > v3_max_interval) {
        return EncodeError::interval_out_of_range;
    }
    if (advert.addresses.size() > max_address_count) return EncodeError::too_many_addresses;
    if (advert.destination.is_v6() != ipv6) return EncodeError::address_family_mismatch;
    for (const auto& a : advert.addresses) {
        if (a.is_v6() != ipv6) return EncodeError::address_family_mismatch;
    }
    return std::nullopt;
}

// The IP-level facts decode_message needs, from the IPv4 header or from recvmsg.
struct IpContext {
    address source;
    address destination;
    std::uint8_t ttl = 0;
    std::uint16_t ip_id = 0;
    bool total_length_ok = true;
};

// The message rules, in keepalived's order: exact length, TTL, version, type, IP total
// length, checksum.
DecodeResult decode_message(std::span<const std::uint8_t> message, const IpContext& ip,
                            const DecodeOptions& options) {
    if (message.size() < vrrp_header_size) return DecodeError::packet_len_err;
    const unsigned version = message[off_version_type] >> 4;
    const unsigned type = message[off_version_type] & 0x0f;
    const std::size_t count = message[off_count];
    const bool ipv6 = ip.source.is_v6();
    const bool known_version = version == 2 || version == 3;
    // The length depends on the version (v2 has authentication data), so a packet whose
    // version is unknown is reported as such, not as a length error.
    if (known_version && message.size() != expected_message_size(version, count, ipv6)) {
        return DecodeError::packet_len_err;
    }
    // RFC 5798 §7.1: a multicast advert must not have crossed a router. Unicast adverts may
    // use another TTL (keepalived's unicast_ttl), so validate() decides for those.
    if (ip.destination.is_multicast() && ip.ttl != vrrp_ttl) return DecodeError::ip_ttl_err;
    if (!known_version || (version == 2 && ipv6)) return DecodeError::version_err;
    if (type != advertisement_type) return DecodeError::invalid_type_rcvd;
    if (!ip.total_length_ok) return DecodeError::packet_len_err;
    if (!checksum_ok(message, version, ip.source, ip.destination, options)) {
        return DecodeError::checksum_err;
    }

    Advert advert;
    advert.version = version == 2 ? ProtocolVersion::v2 : ProtocolVersion::v3;
    advert.type = static_cast<std::uint8_t>(type);
    advert.vrid = message[off_vrid];
    advert.priority = message[off_priority];
    if (version == 2) {
        advert.auth_type = static_cast<AuthType>(message[off_v2_auth_type]);
        advert.interval = std::chrono::seconds{message[off_v2_interval]};
        // RFC 3768 §5.3.10: without authentication the data is ignored on reception, so junk
        // there decodes like the zeros we send (found by tests/fuzz/packet_decode).
        if (advert.auth_type != AuthType::none) {
            const auto auth = message.last(v2_auth_data_size);
            std::copy(auth.begin(), auth.end(), advert.auth_data.begin());
        }
    } else {
        advert.interval = Centiseconds{read_be16(message, off_v3_interval) & v3_interval_mask};
    }
    advert.addresses.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        const std::size_t at = vrrp_header_size + i * address_size(ipv6);
        if (ipv6) {
            advert.addresses.emplace_back(read_v6(message, at));
        } else {
            advert.addresses.emplace_back(read_v4(message, at));
        }
    }
    advert.source = ip.source;
    advert.destination = ip.destination;
    advert.ttl = ip.ttl;
    advert.ip_id = ip.ip_id;
    return advert;
}

}  // namespace

AuthData make_auth_data(std::string_view password) {
    AuthData data{};
    const auto n = std::min(password.size(), data.size());
    std::copy_n(password.begin(), n, data.begin());
    return data;
}

boost::asio::ip::address_v4 vrrp_group_v4() {
    return address_v4{{224, 0, 0, 18}};
}

boost::asio::ip::address_v6 vrrp_group_v6() {
    return address_v6{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12}};
}

std::size_t advert_address_capacity(bool ipv6, ProtocolVersion version, std::uint32_t mtu) {
    constexpr std::size_t ethernet_header = 14;
    constexpr std::size_t ipv6_header = 40;
    std::size_t header = ethernet_header + vrrp_header_size;
    if (ipv6) {
        header += ipv6_header;
    } else {
        header += ipv4_header_size;
        if (version == ProtocolVersion::v2) header += v2_auth_data_size;
    }
    const std::size_t address_size = ipv6 ? 16 : 4;
    if (mtu <= header) return 0;
    return std::min(max_address_count, (mtu - header) / address_size);
}

EncodeResult encode_payload(const Advert& advert, const EncodeOptions& options) {
    if (const auto error = check_encodable(advert)) return *error;
    const bool v2 = advert.version == ProtocolVersion::v2;
    const unsigned version = v2 ? 2 : 3;

    Bytes out(vrrp_header_size);
    out[off_version_type] = static_cast<std::uint8_t>((version << 4) | advert.type);
    out[off_vrid] = advert.vrid;
    out[off_priority] = advert.priority;
    out[off_count] = static_cast<std::uint8_t>(advert.addresses.size());
    if (v2) {
        out[off_v2_auth_type] = static_cast<std::uint8_t>(advert.auth_type);
        out[off_v2_interval] = static_cast<std::uint8_t>(
            std::chrono::duration_cast<std::chrono::seconds>(advert.interval).count());
    } else {
        // The 4 reserved bits stay zero (RFC 5798 §5.2.6).
        write_be16(out, off_v3_interval, static_cast<std::uint16_t>(advert.interval.count()));
    }
    for (const auto& a : advert.addresses)
        append_address(out, a);
    if (v2) {
        // RFC 3768 §5.3.10: the password for simple text, zeros otherwise.
        if (advert.auth_type == AuthType::simple_text) {
            out.insert(out.end(), advert.auth_data.begin(), advert.auth_data.end());
        } else {
            out.insert(out.end(), v2_auth_data_size, 0);
        }
    }
    store_checksum(out, version, advert.source, advert.destination, options.v3_ipv4_checksum);
    return out;
}

EncodeResult encode_ipv4(const Advert& advert, const EncodeOptions& options) {
    if (!advert.source.is_v4() || !advert.destination.is_v4()) {
        return EncodeError::address_family_mismatch;
    }
    auto payload = encode_payload(advert, options);
    if (const auto* error = std::get_if<EncodeError>(&payload)) return *error;
    const auto& message = std::get<Bytes>(payload);

    Bytes out(ipv4_header_size);
    out[0] = 0x45;  // version 4, header length 5 words, no options
    out[off_ip_tos] = ipv4_tos_network_control;
    write_be16(out, off_ip_total_length, static_cast<std::uint16_t>(out.size() + message.size()));
    write_be16(out, off_ip_id, advert.ip_id);
    // Flags and fragment offset stay zero, as keepalived sends them.
    out[off_ip_ttl] = advert.ttl;
    out[off_ip_protocol] = ip_protocol_vrrp;
    const auto src = advert.source.to_v4().to_bytes();
    const auto dst = advert.destination.to_v4().to_bytes();
    std::copy(src.begin(), src.end(), out.begin() + off_ip_source);
    std::copy(dst.begin(), dst.end(), out.begin() + off_ip_destination);
    write_be16(out, off_ip_checksum, internet_checksum(out));
    out.insert(out.end(), message.begin(), message.end());
    return out;
}

DecodeResult decode_ipv4(std::span<const std::uint8_t> packet, const DecodeOptions& options) {
    if (packet.size() < ipv4_header_size + vrrp_header_size) return DecodeError::packet_len_err;
    if ((packet[0] >> 4) != 4) return DecodeError::ip_header_err;
    const std::size_t header_size = std::size_t{packet[0] & 0x0fu} * 4;
    if (header_size < ipv4_header_size) return DecodeError::ip_header_err;
    if (packet.size() < header_size + vrrp_header_size) return DecodeError::packet_len_err;
    // The kernel has checked this already for socket input; crafted input may not have.
    if (internet_checksum(packet.first(header_size)) != 0) return DecodeError::ip_header_err;
    // keepalived §4 rule 1: an AH packet where no AH is configured (havip never uses AH).
    if (packet[off_ip_protocol] == ip_protocol_ah) return DecodeError::authtype_mismatch;
    if (packet[off_ip_protocol] != ip_protocol_vrrp) return DecodeError::ip_protocol_err;

    IpContext ip;
    ip.source = read_v4(packet, off_ip_source);
    ip.destination = read_v4(packet, off_ip_destination);
    ip.ttl = packet[off_ip_ttl];
    ip.ip_id = read_be16(packet, off_ip_id);
    ip.total_length_ok = read_be16(packet, off_ip_total_length) == packet.size();
    return decode_message(packet.subspan(header_size), ip, options);
}

DecodeResult decode_ipv6(std::span<const std::uint8_t> payload,
                         const boost::asio::ip::address_v6& source,
                         const boost::asio::ip::address_v6& destination, std::uint8_t hop_limit,
                         const DecodeOptions& options) {
    IpContext ip;
    ip.source = source;
    ip.destination = destination;
    ip.ttl = hop_limit;
    return decode_message(payload, ip, options);
}

void refresh_checksums_ipv4(std::span<std::uint8_t> packet, const EncodeOptions& options) {
    if (packet.size() < ipv4_header_size) return;
    const std::size_t header_size = std::size_t{packet[0] & 0x0fu} * 4;
    if (header_size < ipv4_header_size || header_size > packet.size()) return;
    write_be16(packet, off_ip_checksum, 0);
    write_be16(packet, off_ip_checksum, internet_checksum(packet.first(header_size)));

    const auto message = packet.subspan(header_size);
    if (message.size() < vrrp_header_size) return;
    const address source = read_v4(packet, off_ip_source);
    const address destination = read_v4(packet, off_ip_destination);
    store_checksum(message, message[off_version_type] >> 4, source, destination,
                   options.v3_ipv4_checksum);
}

void refresh_checksum_ipv6(std::span<std::uint8_t> payload,
                           const boost::asio::ip::address_v6& source,
                           const boost::asio::ip::address_v6& destination) {
    if (payload.size() < vrrp_header_size) return;
    // Whatever the version nibble says, IPv6 adverts are checksummed as v3 (RFC 5798 §5.2.8).
    store_checksum(payload, 3, address{source}, address{destination},
                   V3Ipv4Checksum::pseudo_header);
}

}  // namespace havip::vrrp
