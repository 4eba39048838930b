// Every receive rule, one mutation of a valid keepalived packet each (table-driven), and the
// order in which rules are checked when a packet breaks more than one.
#include <gtest/gtest.h>

#include <functional>
#include <set>
#include <string>

#include "tests/unit/vrrpd/packet_test_support.hpp"

namespace havip::vrrp {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v6;
using test::Fixture;
using test::load_fixture;

// Offsets into an IPv4 fixture (20-byte header, then the VRRP message).
constexpr std::size_t ip_total_length = 2;
constexpr std::size_t ip_ttl = 8;
constexpr std::size_t ip_protocol = 9;
constexpr std::size_t ip_checksum = 10;
constexpr std::size_t ip_destination = 16;
constexpr std::size_t vrrp = 20;

ReceivePolicy v2_policy() { return test::v2_pass_policy(); }

ReceivePolicy v3_ipv4_policy() {
    ReceivePolicy policy;
    policy.version = ProtocolVersion::v3;
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

// The unicast variant of the v2 instance: peer 192.168.77.1 (the fixture's source) sends
// to us at 192.168.77.2.
ReceivePolicy v2_unicast_policy() {
    auto policy = v2_policy();
    policy.unicast_peers = {make_address("192.168.77.1")};
    policy.unicast_source = make_address("192.168.77.2");
    policy.check_unicast_src = true;
    return policy;
}

void set_ip_destination(Fixture& f, std::array<std::uint8_t, 4> dst) {
    std::copy(dst.begin(), dst.end(), f.bytes.begin() + ip_destination);
}

void set_total_length(Fixture& f) {
    f.bytes[ip_total_length] = static_cast<std::uint8_t>(f.bytes.size() >> 8);
    f.bytes[ip_total_length + 1] = static_cast<std::uint8_t>(f.bytes.size() & 0xff);
}

// Decode, then validate: the daemon's receive path.
std::optional<DecodeError> receive(const Fixture& fixture, const ReceivePolicy& policy,
                                   const DecodeOptions& options = {}) {
    const auto result = test::decode_fixture(fixture, options);
    if (const auto* error = std::get_if<DecodeError>(&result)) return *error;
    return validate(std::get<Advert>(result), policy);
}

struct RuleCase {
    std::string name;
    const char* fixture;
    std::function<void(Fixture&)> mutate;
    bool refresh_checksums;  // recompute IP and VRRP checksums after the mutation
    std::function<ReceivePolicy()> policy;
    DecodeError expected;
};

ReceivePolicy own_policy(const std::string& fixture) {
    if (fixture.rfind("v2_", 0) == 0) return v2_policy();
    if (fixture.rfind("v3_ipv4", 0) == 0) return v3_ipv4_policy();
    return v3_ipv6_policy();
}

void PrintTo(const RuleCase& c, std::ostream* os) {
    *os << c.name;
}

const std::vector<RuleCase>& rule_cases() {
    static const std::vector<RuleCase> cases = {
        {"short_packet", "v2_pass_advert.hex", [](Fixture& f) { f.bytes.resize(27); }, false,
         v2_policy, DecodeError::packet_len_err},
        {"count_claims_more_addresses_than_sent", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes[vrrp + 3] = 3; }, true, v2_policy, DecodeError::packet_len_err},
        {"trailing_byte_after_auth_data", "v2_pass_advert.hex",
         [](Fixture& f) {
             f.bytes.push_back(0);
             set_total_length(f);
         },
         true, v2_policy, DecodeError::packet_len_err},
        {"ip_total_length_not_bytes_received", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes[ip_total_length + 1] += 4; }, true, v2_policy,
         DecodeError::packet_len_err},
        {"ipv6_payload_cut_mid_address", "v3_ipv6_advert.hex",
         [](Fixture& f) { f.bytes.resize(20); }, false, v3_ipv6_policy,
         DecodeError::packet_len_err},
        {"multicast_ttl_below_255", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[ip_ttl] = 254; },
         true, v2_policy, DecodeError::ip_ttl_err},
        {"multicast_hop_limit_below_255", "v3_ipv6_advert.hex", [](Fixture& f) { f.hop_limit = 1; },
         false, v3_ipv6_policy, DecodeError::ip_ttl_err},
        {"unicast_ttl_64_at_multicast_instance", "v2_pass_advert.hex",
         [](Fixture& f) {
             f.bytes[ip_ttl] = 64;
             set_ip_destination(f, {192, 168, 77, 2});
         },
         true, v2_policy, DecodeError::ip_ttl_err},
        {"version_4", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[vrrp] = 0x41; }, true,
         v2_policy, DecodeError::version_err},
        {"v3_advert_at_v2_instance", "v3_ipv4_advert.hex", [](Fixture&) {}, false, v2_policy,
         DecodeError::version_err},
        {"v2_over_ipv6", "v3_ipv6_advert.hex",
         [](Fixture& f) {
             f.bytes[0] = 0x21;
             f.bytes.insert(f.bytes.end(), 8, 0);  // v2 carries 8 bytes of auth data
             refresh_checksum_ipv6(f.bytes, f.source, f.destination);
         },
         false, v3_ipv6_policy, DecodeError::version_err},
        {"type_2", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[vrrp] = 0x22; }, true, v2_policy,
         DecodeError::invalid_type_rcvd},
        {"v2_checksum_flipped", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[vrrp + 7] ^= 1; },
         false, v2_policy, DecodeError::checksum_err},
        {"v3_ipv4_checksum_flipped", "v3_ipv4_advert.hex",
         [](Fixture& f) { f.bytes[vrrp + 6] ^= 0x80; }, false, v3_ipv4_policy,
         DecodeError::checksum_err},
        {"v3_ipv4_checksum_without_pseudo_header_by_default", "v3_ipv4_advert.hex",
         [](Fixture& f) { refresh_checksums_ipv4(f.bytes, {V3Ipv4Checksum::no_pseudo_header}); },
         false, v3_ipv4_policy, DecodeError::checksum_err},
        {"ipv6_source_not_the_one_checksummed", "v3_ipv6_advert.hex",
         [](Fixture& f) { f.source = make_address_v6("fe80::1"); }, false, v3_ipv6_policy,
         DecodeError::checksum_err},
        {"ip_version_6_in_ipv4_header", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[0] = 0x65; },
         true, v2_policy, DecodeError::ip_header_err},
        {"ip_header_length_below_20", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[0] = 0x44; },
         true, v2_policy, DecodeError::ip_header_err},
        {"ip_header_checksum_wrong", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes[ip_checksum] ^= 0xff; }, false, v2_policy,
         DecodeError::ip_header_err},
        {"ip_protocol_udp", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[ip_protocol] = 17; },
         true, v2_policy, DecodeError::ip_protocol_err},
        {"ip_protocol_ah", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[ip_protocol] = 51; },
         true, v2_policy, DecodeError::authtype_mismatch},
        {"auth_type_3", "v2_pass_advert.hex", [](Fixture& f) { f.bytes[vrrp + 4] = 3; }, true,
         v2_policy, DecodeError::invalid_authtype},
        {"auth_none_at_pass_instance", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes[vrrp + 4] = 0; }, true, v2_policy,
         DecodeError::authtype_mismatch},
        {"auth_pass_at_none_instance", "v2_pass_advert.hex", [](Fixture&) {}, false,
         [] {
             auto policy = v2_policy();
             policy.auth_type = AuthType::none;
             return policy;
         },
         DecodeError::authtype_mismatch},
        {"password_last_byte_differs", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes.back() = 'x'; }, true, v2_policy, DecodeError::auth_failure},
        {"password_first_byte_differs", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes[f.bytes.size() - 8] = 'S'; }, true, v2_policy,
         DecodeError::auth_failure},
        {"v2_interval_2s_at_1s_instance", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes[vrrp + 5] = 2; }, true, v2_policy,
         DecodeError::advert_interval_err},
        {"v3_interval_zero", "v3_ipv4_advert.hex",
         [](Fixture& f) {
             f.bytes[vrrp + 4] = 0;
             f.bytes[vrrp + 5] = 0;
         },
         true, v3_ipv4_policy, DecodeError::advert_interval_err},
        {"one_vip_more_configured", "v2_pass_advert.hex", [](Fixture&) {}, false,
         [] {
             auto policy = v2_policy();
             policy.vips.push_back(make_address("10.0.0.102"));
             return policy;
         },
         DecodeError::addr_list_err},
        {"configured_vip_missing", "v2_pass_advert.hex",
         [](Fixture& f) { f.bytes[vrrp + 8 + 7] = 102; }, true, v2_policy,
         DecodeError::addr_list_err},
        {"ipv6_vip_missing", "v3_ipv6_advert.hex",
         [](Fixture& f) {
             f.bytes[8 + 15] = 0x01;
             refresh_checksum_ipv6(f.bytes, f.source, f.destination);
         },
         false, v3_ipv6_policy, DecodeError::addr_list_err},
        {"other_multicast_group", "v2_pass_advert.hex",
         [](Fixture& f) {
             set_ip_destination(f, {224, 0, 0, 19});
         },
         true, v2_policy, DecodeError::destination_err},
        {"multicast_advert_at_unicast_instance", "v2_pass_advert.hex", [](Fixture&) {}, false,
         v2_unicast_policy, DecodeError::destination_err},
        {"unicast_advert_to_another_address", "v2_pass_advert.hex",
         [](Fixture& f) {
             set_ip_destination(f, {192, 168, 77, 3});
         },
         true, v2_unicast_policy, DecodeError::destination_err},
        {"unicast_source_not_a_peer", "v2_pass_advert.hex",
         [](Fixture& f) {
             set_ip_destination(f, {192, 168, 77, 2});
         },
         true,
         [] {
             auto policy = v2_unicast_policy();
             policy.unicast_peers = {make_address("192.168.77.3")};
             return policy;
         },
         DecodeError::unicast_src_err},
    };
    return cases;
}

class PacketRule : public ::testing::TestWithParam<RuleCase> {};

TEST_P(PacketRule, one_mutation_of_a_valid_packet_breaks_exactly_its_rule) {
    const auto& c = GetParam();
    auto fixture = load_fixture(c.fixture);
    // The unmutated packet is accepted under its own config, so the error below comes from
    // the case's change to the packet or to the config.
    ASSERT_EQ(receive(fixture, own_policy(c.fixture)), std::nullopt);
    c.mutate(fixture);
    if (c.refresh_checksums) refresh_checksums_ipv4(fixture.bytes);
    EXPECT_EQ(receive(fixture, c.policy()), c.expected);
}

INSTANTIATE_TEST_SUITE_P(Rules, PacketRule, ::testing::ValuesIn(rule_cases()),
                         [](const auto& param_info) { return param_info.param.name; });

TEST(PacketRules, every_decode_error_is_reached_by_a_crafted_packet) {
    std::set<DecodeError> reached;
    for (const auto& c : rule_cases())
        reached.insert(c.expected);
    for (const auto error : all_decode_errors) {
        EXPECT_TRUE(reached.count(error)) << counter_name(error) << " has no case";
    }
}

TEST(PacketRules, the_earlier_rule_wins_when_two_are_broken) {
    auto fixture = load_fixture("v2_pass_advert.hex");
    fixture.bytes[ip_ttl] = 254;  // rule 3
    fixture.bytes[vrrp] = 0x22;   // rule 7
    refresh_checksums_ipv4(fixture.bytes);
    EXPECT_EQ(receive(fixture, v2_policy()), DecodeError::ip_ttl_err);

    fixture = load_fixture("v2_pass_advert.hex");
    fixture.bytes.back() = 'x';   // rule 5, password
    fixture.bytes[vrrp + 5] = 3;  // rule 6, interval
    refresh_checksums_ipv4(fixture.bytes);
    EXPECT_EQ(receive(fixture, v2_policy()), DecodeError::auth_failure);

    fixture = load_fixture("v2_pass_advert.hex");
    fixture.bytes[vrrp] = 0x22;    // rule 7, type
    fixture.bytes[vrrp + 7] ^= 1;  // rule 10, checksum
    EXPECT_EQ(receive(fixture, v2_policy()), DecodeError::invalid_type_rcvd);
}

TEST(PacketRules, unicast_instance_accepts_any_ttl_from_a_listed_peer) {
    auto fixture = load_fixture("v2_pass_advert.hex");
    fixture.bytes[ip_ttl] = 64;
    set_ip_destination(fixture, {192, 168, 77, 2});
    refresh_checksums_ipv4(fixture.bytes);
    EXPECT_EQ(receive(fixture, v2_unicast_policy()), std::nullopt);
}

TEST(PacketRules, unlisted_unicast_source_is_accepted_without_check_unicast_src) {
    auto fixture = load_fixture("v2_pass_advert.hex");
    set_ip_destination(fixture, {192, 168, 77, 2});
    refresh_checksums_ipv4(fixture.bytes);
    auto policy = v2_unicast_policy();
    policy.unicast_peers = {make_address("192.168.77.3")};
    policy.check_unicast_src = false;
    EXPECT_EQ(receive(fixture, policy), std::nullopt);
}

TEST(PacketRules, vips_may_come_in_any_order) {
    auto policy = v2_policy();
    std::swap(policy.vips[0], policy.vips[1]);
    EXPECT_EQ(receive(load_fixture("v2_pass_advert.hex"), policy), std::nullopt);
}

TEST(PacketRules, ipv6_peer_matches_whatever_its_scope_id) {
    auto fixture = load_fixture("v3_ipv6_advert.hex");
    fixture.source.scope_id(7);  // recvmsg reports the interface index
    auto policy = v3_ipv6_policy();
    policy.unicast_peers = {make_address("fe80::68:76ff:fe70:6b01")};
    policy.check_unicast_src = true;
    policy.unicast_source = make_address("fe80::2");
    fixture.destination = make_address_v6("fe80::2");
    refresh_checksum_ipv6(fixture.bytes, fixture.source, fixture.destination);
    EXPECT_EQ(receive(fixture, policy), std::nullopt);
}

TEST(PacketRules, v3_interval_is_not_compared_with_ours) {
    // RFC 5798 §6.4.2: a v3 backup learns the master's interval instead of rejecting it.
    auto policy = v3_ipv4_policy();
    policy.advert_interval = std::chrono::seconds{1};
    EXPECT_EQ(receive(load_fixture("v3_ipv4_advert.hex"), policy), std::nullopt);
}

TEST(PacketRules, keepalived_counter_names_are_exact) {
    EXPECT_EQ(counter_name(DecodeError::packet_len_err), "packet_len_err");
    EXPECT_EQ(counter_name(DecodeError::ip_ttl_err), "ip_ttl_err");
    EXPECT_EQ(counter_name(DecodeError::invalid_type_rcvd), "invalid_type_rcvd");
    EXPECT_EQ(counter_name(DecodeError::advert_interval_err), "advert_interval_err");
    EXPECT_EQ(counter_name(DecodeError::addr_list_err), "addr_list_err");
    EXPECT_EQ(counter_name(DecodeError::invalid_authtype), "invalid_authtype");
    EXPECT_EQ(counter_name(DecodeError::authtype_mismatch), "authtype_mismatch");
    EXPECT_EQ(counter_name(DecodeError::auth_failure), "auth_failure");
    EXPECT_EQ(counter_name(DecodeError::version_err), "version_err");
    EXPECT_EQ(counter_name(DecodeError::checksum_err), "checksum_err");
}

TEST(PacketRules, every_error_has_its_own_counter_and_sentence) {
    std::set<std::string_view> names;
    std::set<std::string_view> sentences;
    for (const auto error : all_decode_errors) {
        names.insert(counter_name(error));
        sentences.insert(describe(error));
        EXPECT_FALSE(describe(error).empty());
    }
    EXPECT_EQ(names.size(), all_decode_errors.size());
    EXPECT_EQ(sentences.size(), all_decode_errors.size());
    std::set<std::string_view> encode_sentences;
    for (const auto error : all_encode_errors)
        encode_sentences.insert(describe(error));
    EXPECT_EQ(encode_sentences.size(), all_encode_errors.size());
}

}  // namespace
}  // namespace havip::vrrp
