// Golden vectors captured from keepalived 2.2.7 (tests/fixtures/packets/README.md): havip
// must read what keepalived sends and send bit for bit what keepalived would.
#include <gtest/gtest.h>

#include "tests/unit/vrrpd/packet_test_support.hpp"

namespace havip::vrrp {
namespace {

using boost::asio::ip::make_address;
using test::decode_fixture;
using test::expect_advert;
using test::expect_bytes;
using test::load_fixture;
using test::v2_pass_policy;

// The receiving side of each fixture's keepalived config.
ReceivePolicy v3_ipv4_policy() {
    ReceivePolicy policy;
    policy.version = ProtocolVersion::v3;
    policy.advert_interval = Centiseconds{10};
    policy.vips = {make_address("10.0.0.100")};
    return policy;
}

ReceivePolicy v3_ipv6_policy() {
    ReceivePolicy policy;
    policy.version = ProtocolVersion::v3;
    policy.vips = {make_address("fd00::100")};
    policy.multicast_group = vrrp_group_v6();
    return policy;
}

TEST(PacketGolden, keepalived_v2_pass_advert_decodes_to_its_config) {
    const auto advert = expect_advert(decode_fixture(load_fixture("v2_pass_advert.hex")));
    EXPECT_EQ(advert.version, ProtocolVersion::v2);
    EXPECT_EQ(advert.type, 1);
    EXPECT_EQ(advert.vrid, 51);
    EXPECT_EQ(advert.priority, 150);
    EXPECT_EQ(advert.interval, std::chrono::seconds{1});
    EXPECT_EQ(advert.auth_type, AuthType::simple_text);
    EXPECT_EQ(advert.auth_data, make_auth_data("secret"));
    ASSERT_EQ(advert.addresses.size(), 2u);
    EXPECT_EQ(advert.addresses[0], make_address("10.0.0.100"));
    EXPECT_EQ(advert.addresses[1], make_address("10.0.0.101"));
    EXPECT_EQ(advert.source, make_address("192.168.77.1"));
    EXPECT_EQ(advert.destination, make_address("224.0.0.18"));
    EXPECT_EQ(advert.ttl, 255);
    EXPECT_EQ(advert.ip_id, 1);
    EXPECT_EQ(validate(advert, v2_pass_policy()), std::nullopt);
}

TEST(PacketGolden, keepalived_v2_sigterm_advert_has_priority_zero) {
    const auto advert = expect_advert(decode_fixture(load_fixture("v2_pass_priority0.hex")));
    EXPECT_EQ(advert.version, ProtocolVersion::v2);
    EXPECT_EQ(advert.vrid, 51);
    EXPECT_EQ(advert.priority, 0);
    EXPECT_EQ(advert.auth_data, make_auth_data("secret"));
    EXPECT_EQ(advert.addresses.size(), 2u);
    EXPECT_EQ(validate(advert, v2_pass_policy()), std::nullopt);
}

TEST(PacketGolden, keepalived_v3_ipv4_advert_decodes_with_pseudo_header_checksum) {
    // Default options: only the RFC 5798 checksum (with the pseudo-header) is accepted.
    const auto advert = expect_advert(decode_fixture(load_fixture("v3_ipv4_advert.hex")));
    EXPECT_EQ(advert.version, ProtocolVersion::v3);
    EXPECT_EQ(advert.vrid, 52);
    EXPECT_EQ(advert.priority, 120);
    EXPECT_EQ(advert.interval, Centiseconds{10});
    ASSERT_EQ(advert.addresses.size(), 1u);
    EXPECT_EQ(advert.addresses[0], make_address("10.0.0.100"));
    EXPECT_EQ(advert.source, make_address("192.168.77.1"));
    EXPECT_EQ(advert.destination, make_address("224.0.0.18"));
    EXPECT_EQ(validate(advert, v3_ipv4_policy()), std::nullopt);
}

TEST(PacketGolden, keepalived_v3_ipv4_sigterm_advert_has_priority_zero) {
    const auto advert = expect_advert(decode_fixture(load_fixture("v3_ipv4_priority0.hex")));
    EXPECT_EQ(advert.vrid, 52);
    EXPECT_EQ(advert.priority, 0);
    EXPECT_EQ(advert.interval, Centiseconds{10});
    EXPECT_EQ(validate(advert, v3_ipv4_policy()), std::nullopt);
}

TEST(PacketGolden, keepalived_v3_ipv6_advert_decodes_from_link_local_source) {
    const auto fixture = load_fixture("v3_ipv6_advert.hex");
    ASSERT_TRUE(fixture.ipv6);
    const auto advert = expect_advert(decode_fixture(fixture));
    EXPECT_EQ(advert.version, ProtocolVersion::v3);
    EXPECT_EQ(advert.vrid, 53);
    EXPECT_EQ(advert.priority, 200);
    EXPECT_EQ(advert.interval, std::chrono::seconds{1});
    ASSERT_EQ(advert.addresses.size(), 1u);
    EXPECT_EQ(advert.addresses[0], make_address("fd00::100"));
    EXPECT_EQ(advert.source, make_address("fe80::68:76ff:fe70:6b01"));
    EXPECT_TRUE(advert.source.to_v6().is_link_local());
    EXPECT_EQ(advert.destination, make_address("ff02::12"));
    EXPECT_EQ(advert.ttl, 255);
    EXPECT_EQ(validate(advert, v3_ipv6_policy()), std::nullopt);
}

TEST(PacketGolden, keepalived_v3_ipv6_sigterm_advert_has_priority_zero) {
    const auto advert = expect_advert(decode_fixture(load_fixture("v3_ipv6_priority0.hex")));
    EXPECT_EQ(advert.vrid, 53);
    EXPECT_EQ(advert.priority, 0);
    EXPECT_EQ(validate(advert, v3_ipv6_policy()), std::nullopt);
}

class PacketGoldenReencode : public ::testing::TestWithParam<const char*> {};

// Decoding then encoding gives keepalived's bytes exactly, checksums included: the same
// layout, padding, reserved bits and checksum arithmetic.
TEST_P(PacketGoldenReencode, encoding_the_decoded_advert_gives_keepalived_bytes) {
    const auto fixture = load_fixture(GetParam());
    ASSERT_FALSE(fixture.bytes.empty());
    const auto advert = expect_advert(decode_fixture(fixture));
    if (fixture.ipv6) {
        EXPECT_EQ(expect_bytes(encode_payload(advert)), fixture.bytes);
    } else {
        EXPECT_EQ(expect_bytes(encode_ipv4(advert)), fixture.bytes);
        // What a raw socket without IP_HDRINCL would send: the same minus the IP header.
        const Bytes payload(fixture.bytes.begin() + ipv4_header_size, fixture.bytes.end());
        EXPECT_EQ(expect_bytes(encode_payload(advert)), payload);
    }
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PacketGoldenReencode,
                         ::testing::Values("v2_pass_advert.hex", "v2_pass_priority0.hex",
                                           "v3_ipv4_advert.hex", "v3_ipv4_priority0.hex",
                                           "v3_ipv6_advert.hex", "v3_ipv6_priority0.hex"));

// An advert built from the config (not from a decode) encodes to keepalived's bytes.
TEST(PacketGolden, advert_built_from_config_matches_keepalived_v2_bytes) {
    Advert advert;
    advert.version = ProtocolVersion::v2;
    advert.vrid = 51;
    advert.priority = 150;
    advert.interval = std::chrono::seconds{1};
    advert.auth_type = AuthType::simple_text;
    advert.auth_data = make_auth_data("secret");
    advert.addresses = {make_address("10.0.0.100"), make_address("10.0.0.101")};
    advert.source = make_address("192.168.77.1");
    advert.destination = vrrp_group_v4();
    advert.ip_id = 1;
    EXPECT_EQ(expect_bytes(encode_ipv4(advert)), load_fixture("v2_pass_advert.hex").bytes);
}

TEST(PacketGolden, advert_built_from_config_matches_keepalived_v3_ipv6_bytes) {
    Advert advert;
    advert.version = ProtocolVersion::v3;
    advert.vrid = 53;
    advert.priority = 200;
    advert.interval = std::chrono::seconds{1};
    advert.addresses = {make_address("fd00::100")};
    advert.source = make_address("fe80::68:76ff:fe70:6b01");
    advert.destination = vrrp_group_v6();
    EXPECT_EQ(expect_bytes(encode_payload(advert)), load_fixture("v3_ipv6_advert.hex").bytes);
}

}  // namespace
}  // namespace havip::vrrp
