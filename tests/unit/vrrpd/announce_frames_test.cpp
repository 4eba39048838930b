// Gratuitous ARP and unsolicited NA frames, byte for byte. The golden frames were captured
// with tcpdump from keepalived 2.2.7 (Debian 12) taking over 10.99.0.100 and fd00::100 on a
// veth whose MAC was 76:a8:9b:27:33:18.
#include "vrrpd/core/announce.hpp"

#include <cstdint>
#include <map>
#include <vector>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using boost::asio::ip::make_address_v4;
using boost::asio::ip::make_address_v6;

constexpr MacAddress captured_mac{0x76, 0xa8, 0x9b, 0x27, 0x33, 0x18};

const std::vector<std::uint8_t> keepalived_garp{
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x76, 0xa8, 0x9b, 0x27, 0x33, 0x18, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x76, 0xa8, 0x9b, 0x27, 0x33, 0x18,
    0x0a, 0x63, 0x00, 0x64, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0a, 0x63, 0x00, 0x64,
};

const std::vector<std::uint8_t> keepalived_na{
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x76, 0xa8, 0x9b, 0x27, 0x33, 0x18, 0x86, 0xdd, 0x60,
    0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x15, 0xb6, 0x20, 0x00,
    0x00, 0x00, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x02, 0x01, 0x76, 0xa8, 0x9b, 0x27, 0x33, 0x18,
};

// The RFC 1071 Internet checksum written out independently of vrrpd/core/announce: the sum of
// the pseudo-header and the ICMPv6 message as 16-bit words, folded, complemented.
std::uint16_t reference_checksum(const std::vector<std::uint8_t>& frame) {
    std::vector<std::uint8_t> pseudo(frame.begin() + 22, frame.begin() + 54);  // src, dst
    const std::size_t icmp_len = frame.size() - 54;
    pseudo.insert(pseudo.end(), {0, 0, static_cast<std::uint8_t>(icmp_len >> 8),
                                 static_cast<std::uint8_t>(icmp_len & 0xff), 0, 0, 0, 58});
    pseudo.insert(pseudo.end(), frame.begin() + 54, frame.end());
    pseudo[40 + 2] = 0;  // the checksum field counts as zero when computing
    pseudo[40 + 3] = 0;
    if (pseudo.size() % 2 != 0) pseudo.push_back(0);
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < pseudo.size(); i += 2)
        sum += (pseudo[i] << 8) + pseudo[i + 1];
    while (sum > 0xffff)
        sum = (sum >> 16) + (sum & 0xffff);
    return static_cast<std::uint16_t>(~sum);
}

std::uint16_t checksum_in(const std::vector<std::uint8_t>& frame) {
    return static_cast<std::uint16_t>(frame[56] << 8 | frame[57]);
}

TEST(AnnounceFrames, garp_is_byte_identical_to_keepalived_capture) {
    const auto frame = gratuitous_arp(captured_mac, make_address_v4("10.99.0.100"));
    EXPECT_EQ(frame.size(), garp_frame_size);
    EXPECT_EQ(frame, keepalived_garp);
}

TEST(AnnounceFrames, garp_with_zero_target_hardware_differs_only_in_that_field) {
    const auto frame =
        gratuitous_arp(captured_mac, make_address_v4("10.99.0.100"), ArpTargetHardware::zero);
    auto expected = keepalived_garp;
    for (std::size_t i = 32; i < 38; ++i)
        expected[i] = 0;
    EXPECT_EQ(frame, expected);
}

TEST(AnnounceFrames, garp_sender_and_target_protocol_address_are_the_vip) {
    const MacAddress mac{0x02, 0x00, 0x5e, 0x10, 0x20, 0x30};
    const auto frame = gratuitous_arp(mac, make_address_v4("192.168.7.201"));
    const std::vector<std::uint8_t> vip{192, 168, 7, 201};
    EXPECT_EQ(std::vector<std::uint8_t>(frame.begin() + 28, frame.begin() + 32), vip);  // SPA
    EXPECT_EQ(std::vector<std::uint8_t>(frame.begin() + 38, frame.begin() + 42), vip);  // TPA
    EXPECT_EQ(std::vector<std::uint8_t>(frame.begin() + 6, frame.begin() + 12),
              std::vector<std::uint8_t>(mac.begin(), mac.end()));  // Ethernet source
    EXPECT_EQ(std::vector<std::uint8_t>(frame.begin() + 22, frame.begin() + 28),
              std::vector<std::uint8_t>(mac.begin(), mac.end()));  // sender hardware
    EXPECT_EQ(frame[20], 0x00);
    EXPECT_EQ(frame[21], 0x01);  // opcode request, not reply
}

TEST(AnnounceFrames, na_is_byte_identical_to_keepalived_capture) {
    const auto frame = unsolicited_na(captured_mac, make_address_v6("fd00::100"));
    EXPECT_EQ(frame.size(), na_frame_size);
    EXPECT_EQ(frame, keepalived_na);
}

TEST(AnnounceFrames, na_checksum_matches_an_independent_computation) {
    const MacAddress macs[] = {
        captured_mac, {0x02, 0, 0, 0, 0, 1}, {0xfe, 0xff, 0xff, 0xff, 0xff, 0xff}};
    const char* vips[] = {"fd00::100", "2001:db8::1", "fe80::1:2:3:4", "2001:db8:ffff::ffff"};
    for (const auto& mac : macs) {
        for (const char* vip : vips) {
            for (bool router : {false, true}) {
                const auto frame = unsolicited_na(mac, make_address_v6(vip), router);
                EXPECT_EQ(checksum_in(frame), reference_checksum(frame)) << vip;
            }
        }
    }
}

TEST(AnnounceFrames, icmpv6_checksum_of_a_correct_message_is_zero) {
    const auto frame = unsolicited_na(captured_mac, make_address_v6("2001:db8::42"));
    const std::span<const std::uint8_t> icmp(frame.data() + 54, frame.size() - 54);
    EXPECT_EQ(icmpv6_checksum(make_address_v6("2001:db8::42"), make_address_v6("ff02::1"), icmp),
              0);
    // The same message claimed from another source no longer sums to zero.
    EXPECT_NE(icmpv6_checksum(make_address_v6("2001:db8::43"), make_address_v6("ff02::1"), icmp),
              0);
}

TEST(AnnounceFrames, na_router_flag_sets_r_and_keeps_override_without_solicited) {
    const auto plain = unsolicited_na(captured_mac, make_address_v6("fd00::100"), false);
    const auto router = unsolicited_na(captured_mac, make_address_v6("fd00::100"), true);
    EXPECT_EQ(plain[58], 0x20);   // O only
    EXPECT_EQ(router[58], 0xa0);  // R and O, never S in an unsolicited advert
    EXPECT_NE(checksum_in(plain), checksum_in(router));
}

TEST(AnnounceFrames, na_goes_to_all_nodes_with_hop_limit_255_and_target_lladdr_option) {
    const MacAddress mac{0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
    const auto frame = unsolicited_na(mac, make_address_v6("2001:db8::7"));
    EXPECT_EQ(std::vector<std::uint8_t>(frame.begin(), frame.begin() + 6),
              (std::vector<std::uint8_t>{0x33, 0x33, 0, 0, 0, 1}));
    EXPECT_EQ(frame[21], 255);  // hop limit
    EXPECT_EQ(frame[20], 58);   // next header ICMPv6
    EXPECT_EQ(frame[54], 136);  // Neighbor Advertisement
    const auto target = make_address_v6("2001:db8::7").to_bytes();
    EXPECT_TRUE(std::equal(target.begin(), target.end(), frame.begin() + 62));
    EXPECT_TRUE(std::equal(target.begin(), target.end(), frame.begin() + 22));  // source
    EXPECT_EQ(frame[78], 2);  // option: target link-layer address
    EXPECT_EQ(frame[79], 1);  // 8 bytes
    EXPECT_TRUE(std::equal(mac.begin(), mac.end(), frame.begin() + 80));
}

// Issue 16: excluded VIPs, VIPs of the other family and VIPs on another interface were never
// announced, or were announced with the instance's MAC; and an NA never had the Router flag
// on a forwarding node.
TEST(AnnounceFrames, each_address_is_announced_on_its_own_link_with_that_links_mac) {
    constexpr MacAddress eth0{0x02, 0, 0, 0, 0, 0x01};
    constexpr MacAddress eth1{0x02, 0, 0, 0, 0, 0x02};
    const std::map<int, AnnounceLink> links{{2, {eth0, false}}, {3, {eth1, true}}};
    const std::vector<AnnouncedAddress> addresses{
        {boost::asio::ip::make_address("10.0.0.100"), 2},
        {boost::asio::ip::make_address("fd00::100"), 2},   // the other family
        {boost::asio::ip::make_address("10.1.0.100"), 3},  // dev eth1
        {boost::asio::ip::make_address("fd01::100"), 3},   // dev eth1, which forwards
        {boost::asio::ip::make_address("10.2.0.100"), 9},  // an interface nobody opened
    };
    const auto frames = announce_frames(addresses, links);
    ASSERT_EQ(frames.size(), 4u);
    EXPECT_EQ(frames[0].ifindex, 2);
    EXPECT_EQ(frames[0].bytes, gratuitous_arp(eth0, make_address_v4("10.0.0.100")));
    EXPECT_EQ(frames[1].ifindex, 2);
    EXPECT_EQ(frames[1].bytes, unsolicited_na(eth0, make_address_v6("fd00::100"), false));
    EXPECT_EQ(frames[2].ifindex, 3);
    EXPECT_EQ(frames[2].bytes, gratuitous_arp(eth1, make_address_v4("10.1.0.100")));
    EXPECT_EQ(frames[3].ifindex, 3);
    EXPECT_EQ(frames[3].bytes, unsolicited_na(eth1, make_address_v6("fd01::100"), true));
}

}  // namespace
}  // namespace havip::vrrp
