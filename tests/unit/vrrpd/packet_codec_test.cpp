// Encoder limits, round trips for v2/v3 over IPv4/IPv6, checksum coverage and the
// compatibility switches, and robustness against truncated input.
#include <gtest/gtest.h>

#include "tests/unit/vrrpd/packet_test_support.hpp"
#include "vrrpd/core/packet_checksum.hpp"

namespace havip::vrrp {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v6;
using test::expect_advert;
using test::expect_bytes;
using test::load_fixture;

Advert v2_advert() {
    Advert advert;
    advert.version = ProtocolVersion::v2;
    advert.vrid = 99;
    advert.priority = 100;
    advert.interval = std::chrono::seconds{1};
    advert.auth_type = AuthType::simple_text;
    advert.auth_data = make_auth_data("dbpass");
    advert.addresses = {make_address("192.0.2.10")};
    advert.source = make_address("192.0.2.1");
    advert.destination = vrrp_group_v4();
    advert.ip_id = 42;
    return advert;
}

Advert v3_ipv4_advert() {
    Advert advert;
    advert.version = ProtocolVersion::v3;
    advert.vrid = 7;
    advert.priority = 254;
    advert.interval = Centiseconds{5};
    advert.addresses = {make_address("192.0.2.10"), make_address("192.0.2.11")};
    advert.source = make_address("192.0.2.1");
    advert.destination = vrrp_group_v4();
    return advert;
}

Advert v3_ipv6_advert() {
    Advert advert;
    advert.version = ProtocolVersion::v3;
    advert.vrid = 200;
    advert.priority = 1;
    advert.interval = Centiseconds{4095};
    advert.addresses = {make_address("fe80::1"), make_address("2001:db8::10")};
    advert.source = make_address("fe80::2");
    advert.destination = vrrp_group_v6();
    return advert;
}

DecodeResult decode_v6(const Bytes& payload, const Advert& advert) {
    return decode_ipv6(payload, advert.source.to_v6(), advert.destination.to_v6(), advert.ttl);
}

EncodeError expect_encode_error(const EncodeResult& result) {
    if (const auto* error = std::get_if<EncodeError>(&result)) return *error;
    ADD_FAILURE() << "encoded although it should not";
    return EncodeError::invalid_type;
}

TEST(PacketCodec, v2_ipv4_round_trips_through_a_whole_packet) {
    const auto advert = v2_advert();
    EXPECT_EQ(expect_advert(decode_ipv4(expect_bytes(encode_ipv4(advert)))), advert);
}

TEST(PacketCodec, v2_without_authentication_sends_zero_auth_data) {
    auto advert = v2_advert();
    advert.auth_type = AuthType::none;  // auth_data is ignored for type none
    const auto bytes = expect_bytes(encode_ipv4(advert));
    const Bytes tail(bytes.end() - 8, bytes.end());
    EXPECT_EQ(tail, Bytes(8, 0));
    const auto decoded = expect_advert(decode_ipv4(bytes));
    EXPECT_EQ(decoded.auth_type, AuthType::none);
    EXPECT_EQ(decoded.auth_data, AuthData{});
}

TEST(PacketCodec, v3_ipv4_round_trips_through_a_whole_packet) {
    const auto advert = v3_ipv4_advert();
    EXPECT_EQ(expect_advert(decode_ipv4(expect_bytes(encode_ipv4(advert)))), advert);
}

TEST(PacketCodec, v3_ipv6_round_trips_through_the_payload) {
    const auto advert = v3_ipv6_advert();
    EXPECT_EQ(expect_advert(decode_v6(expect_bytes(encode_payload(advert)), advert)), advert);
}

TEST(PacketCodec, v2_is_not_encoded_or_decoded_over_ipv6) {
    auto advert = v3_ipv6_advert();
    advert.version = ProtocolVersion::v2;
    advert.interval = std::chrono::seconds{1};
    EXPECT_EQ(expect_encode_error(encode_payload(advert)), EncodeError::v2_requires_ipv4);
}

TEST(PacketCodec, ipv6_advert_is_not_encoded_as_an_ipv4_packet) {
    EXPECT_EQ(expect_encode_error(encode_ipv4(v3_ipv6_advert())),
              EncodeError::address_family_mismatch);
}

TEST(PacketCodec, v3_interval_limits_are_1_to_4095_centiseconds) {
    auto advert = v3_ipv4_advert();
    advert.interval = Centiseconds{0};
    EXPECT_EQ(expect_encode_error(encode_payload(advert)), EncodeError::interval_out_of_range);
    advert.interval = Centiseconds{4096};
    EXPECT_EQ(expect_encode_error(encode_payload(advert)), EncodeError::interval_out_of_range);
    for (const auto ok : {Centiseconds{1}, Centiseconds{4095}}) {
        advert.interval = ok;
        EXPECT_EQ(expect_advert(decode_ipv4(expect_bytes(encode_ipv4(advert)))).interval, ok);
    }
}

TEST(PacketCodec, v2_interval_is_whole_seconds_1_to_255) {
    auto advert = v2_advert();
    for (const auto bad : {Centiseconds{0}, Centiseconds{150}, Centiseconds{25600}}) {
        advert.interval = bad;
        EXPECT_EQ(expect_encode_error(encode_ipv4(advert)), EncodeError::interval_out_of_range)
            << bad.count() << " cs";
    }
    advert.interval = std::chrono::seconds{255};
    EXPECT_EQ(expect_advert(decode_ipv4(expect_bytes(encode_ipv4(advert)))).interval,
              std::chrono::seconds{255});
}

TEST(PacketCodec, v3_reserved_bits_are_sent_as_zero_and_ignored_on_receipt) {
    const auto advert = v3_ipv4_advert();
    auto bytes = expect_bytes(encode_ipv4(advert));
    EXPECT_EQ(bytes[ipv4_header_size + 4] & 0xf0, 0);
    bytes[ipv4_header_size + 4] |= 0xf0;  // RFC 5798 §5.2.6: ignored on reception
    refresh_checksums_ipv4(bytes);
    EXPECT_EQ(expect_advert(decode_ipv4(bytes)).interval, advert.interval);
}

TEST(PacketCodec, address_count_is_limited_to_255) {
    auto advert = v3_ipv4_advert();
    advert.addresses.assign(255, make_address("192.0.2.10"));
    const auto decoded = expect_advert(decode_ipv4(expect_bytes(encode_ipv4(advert))));
    EXPECT_EQ(decoded.addresses.size(), 255u);
    advert.addresses.push_back(make_address("192.0.2.11"));
    EXPECT_EQ(expect_encode_error(encode_ipv4(advert)), EncodeError::too_many_addresses);
}

TEST(PacketCodec, mixed_address_families_are_not_encoded) {
    auto advert = v3_ipv4_advert();
    advert.addresses.push_back(make_address("2001:db8::1"));
    EXPECT_EQ(expect_encode_error(encode_payload(advert)), EncodeError::address_family_mismatch);
    advert = v3_ipv4_advert();
    advert.destination = vrrp_group_v6();
    EXPECT_EQ(expect_encode_error(encode_payload(advert)), EncodeError::address_family_mismatch);
}

TEST(PacketCodec, only_advertisements_with_supported_auth_are_encoded) {
    auto advert = v2_advert();
    advert.type = 2;
    EXPECT_EQ(expect_encode_error(encode_ipv4(advert)), EncodeError::invalid_type);
    advert = v2_advert();
    advert.auth_type = AuthType::ip_ah;
    EXPECT_EQ(expect_encode_error(encode_ipv4(advert)), EncodeError::unsupported_auth_type);
}

TEST(PacketCodec, ipv4_header_is_what_keepalived_sends) {
    auto advert = v2_advert();
    const auto bytes = expect_bytes(encode_ipv4(advert));
    ASSERT_EQ(bytes.size(), 20u + 8u + 4u + 8u);
    EXPECT_EQ(bytes[0], 0x45);
    EXPECT_EQ(bytes[1], 0xc0);  // TOS: network control
    EXPECT_EQ((bytes[2] << 8) | bytes[3], static_cast<int>(bytes.size()));
    EXPECT_EQ((bytes[4] << 8) | bytes[5], 42);  // ip_id
    EXPECT_EQ(bytes[8], 255);                   // TTL
    EXPECT_EQ(bytes[9], 112);                   // protocol VRRP
    EXPECT_EQ(internet_checksum(std::span{bytes}.first(20)), 0);
}

// RFC 8200 §8.1 pseudo-header, summed here word by word as an independent reference.
std::uint16_t reference_ipv6_checksum(const Bytes& payload, const Advert& advert) {
    std::uint32_t sum = 0;
    const auto add_bytes = [&sum](const auto& bytes) {
        for (std::size_t i = 0; i < bytes.size(); i += 2) {
            const unsigned low = i + 1 < bytes.size() ? bytes[i + 1] : 0;
            sum += (static_cast<unsigned>(bytes[i]) << 8) | low;
        }
    };
    add_bytes(advert.source.to_v6().to_bytes());
    add_bytes(advert.destination.to_v6().to_bytes());
    sum += static_cast<std::uint32_t>(payload.size());  // 32-bit length, < 65536 here
    sum += 112;                                         // zeros, next header
    Bytes zeroed = payload;
    zeroed[6] = zeroed[7] = 0;
    add_bytes(zeroed);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

TEST(PacketCodec, ipv6_checksum_covers_the_pseudo_header) {
    const auto advert = v3_ipv6_advert();
    const auto payload = expect_bytes(encode_payload(advert));
    EXPECT_EQ((payload[6] << 8) | payload[7], reference_ipv6_checksum(payload, advert));

    // A different source or destination in the pseudo-header breaks it.
    EXPECT_EQ(decode_ipv6(payload, make_address_v6("fe80::3"), vrrp_group_v6(), 255),
              DecodeResult{DecodeError::checksum_err});
    EXPECT_EQ(decode_ipv6(payload, advert.source.to_v6(), make_address_v6("ff02::1"), 255),
              DecodeResult{DecodeError::checksum_err});
}

TEST(PacketCodec, keepalived_ipv6_checksum_matches_the_reference_sum) {
    const auto fixture = load_fixture("v3_ipv6_advert.hex");
    Advert where;
    where.source = fixture.source;
    where.destination = fixture.destination;
    EXPECT_EQ((fixture.bytes[6] << 8) | fixture.bytes[7],
              reference_ipv6_checksum(fixture.bytes, where));
}

TEST(PacketCodec, v2_checksum_does_not_cover_the_ip_addresses) {
    auto bytes = expect_bytes(encode_ipv4(v2_advert()));
    bytes[15] = 99;  // another source; only the IP header checksum needs fixing
    bytes[10] = bytes[11] = 0;
    const auto ip_sum = internet_checksum(std::span{bytes}.first(20));
    bytes[10] = static_cast<std::uint8_t>(ip_sum >> 8);
    bytes[11] = static_cast<std::uint8_t>(ip_sum & 0xff);
    EXPECT_EQ(expect_advert(decode_ipv4(bytes)).source, make_address("192.0.2.99"));
}

TEST(PacketCodec, v3_ipv4_checksum_without_pseudo_header_accepted_only_when_configured) {
    const auto bytes =
        expect_bytes(encode_ipv4(v3_ipv4_advert(), {V3Ipv4Checksum::no_pseudo_header}));
    EXPECT_EQ(decode_ipv4(bytes), DecodeResult{DecodeError::checksum_err});
    DecodeOptions compat;
    compat.accept_v3_ipv4_no_pseudo_header = true;
    EXPECT_EQ(expect_advert(decode_ipv4(bytes, compat)), v3_ipv4_advert());
    // The VRRP part alone sums to zero: the same arithmetic as a v2 checksum.
    EXPECT_EQ(internet_checksum(std::span{bytes}.subspan(20)), 0);
}

TEST(PacketCodec, v3_unicast_checksum_over_the_group_accepted_only_when_configured) {
    auto advert = v3_ipv4_advert();
    advert.destination = make_address("192.0.2.2");  // unicast peer
    const auto bytes = expect_bytes(encode_ipv4(advert, {V3Ipv4Checksum::group_pseudo_header}));
    EXPECT_EQ(decode_ipv4(bytes), DecodeResult{DecodeError::checksum_err});
    DecodeOptions compat;
    compat.accept_v3_ipv4_group_pseudo_header = true;
    EXPECT_EQ(expect_advert(decode_ipv4(bytes, compat)), advert);
    // The other switch does not open this door.
    DecodeOptions other;
    other.accept_v3_ipv4_no_pseudo_header = true;
    EXPECT_EQ(decode_ipv4(bytes, other), DecodeResult{DecodeError::checksum_err});
}

TEST(PacketCodec, rfc_checksum_is_accepted_with_compatibility_switches_on) {
    DecodeOptions compat;
    compat.accept_v3_ipv4_no_pseudo_header = true;
    compat.accept_v3_ipv4_group_pseudo_header = true;
    EXPECT_EQ(expect_advert(decode_ipv4(load_fixture("v3_ipv4_advert.hex").bytes, compat)).vrid,
              52);
}

class PacketTruncation : public ::testing::TestWithParam<const char*> {};

// Every prefix of a valid packet is a length error: nothing reads past the end, and
// nothing short is mistaken for an advert. (Run under the ASan build for the first half.)
TEST_P(PacketTruncation, every_truncated_length_is_a_packet_length_error) {
    const auto fixture = load_fixture(GetParam());
    for (std::size_t n = 0; n < fixture.bytes.size(); ++n) {
        const std::vector<std::uint8_t> cut(fixture.bytes.begin(),
                                            fixture.bytes.begin() + static_cast<long>(n));
        const auto result = fixture.ipv6
                                ? decode_ipv6(cut, fixture.source, fixture.destination, 255)
                                : decode_ipv4(cut);
        EXPECT_EQ(result, DecodeResult{DecodeError::packet_len_err}) << n << " bytes";
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PacketTruncation,
                         ::testing::Values("v2_pass_advert.hex", "v3_ipv4_advert.hex",
                                           "v3_ipv6_advert.hex"));

TEST(PacketCodec, password_is_truncated_to_8_bytes_and_zero_padded) {
    EXPECT_EQ(make_auth_data("secret"), (AuthData{'s', 'e', 'c', 'r', 'e', 't', 0, 0}));
    EXPECT_EQ(make_auth_data("0123456789"), (AuthData{'0', '1', '2', '3', '4', '5', '6', '7'}));
    EXPECT_EQ(make_auth_data(""), AuthData{});
}

TEST(PacketCodec, passwords_equal_only_when_all_8_bytes_match) {
    const auto a = make_auth_data("secret");
    EXPECT_TRUE(passwords_equal(a, make_auth_data("secret")));
    for (std::size_t i = 0; i < a.size(); ++i) {
        auto b = a;
        b[i] ^= 0x20;
        EXPECT_FALSE(passwords_equal(a, b)) << "byte " << i;
    }
    // Only the first 8 bytes travel, so a longer password equals its prefix.
    EXPECT_TRUE(passwords_equal(make_auth_data("secretXYZ"), make_auth_data("secretXY")));
}

TEST(PacketCodec, vrrp_groups_are_the_iana_addresses) {
    EXPECT_EQ(vrrp_group_v4(), boost::asio::ip::make_address_v4("224.0.0.18"));
    EXPECT_EQ(vrrp_group_v6(), make_address_v6("ff02::12"));
}

TEST(PacketCodec, advert_address_capacity_is_what_keepalived_fits_in_one_packet) {
    // IPv4 is bounded by the 8-bit count, IPv6 by the MTU: 89 addresses on 1500 bytes.
    EXPECT_EQ(advert_address_capacity(false, ProtocolVersion::v2, 1500), 255u);
    EXPECT_EQ(advert_address_capacity(false, ProtocolVersion::v3, 1500), 255u);
    EXPECT_EQ(advert_address_capacity(true, ProtocolVersion::v3, 1500), 89u);
    EXPECT_EQ(advert_address_capacity(true, ProtocolVersion::v3, 9000), 255u);
    EXPECT_EQ(advert_address_capacity(false, ProtocolVersion::v2, 68), 4u);
    EXPECT_EQ(advert_address_capacity(false, ProtocolVersion::v3, 68), 6u);
    EXPECT_EQ(advert_address_capacity(true, ProtocolVersion::v3, 40), 0u);
}

}  // namespace
}  // namespace havip::vrrp
