// rtnetlink requests carry every VIP field, and decoding reads back what the kernel sends.
#include "netlink/messages.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <span>
#include <vector>

namespace havip::netlink {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v4;

const nlmsghdr* header(const Request& r) {
    return static_cast<const nlmsghdr*>(static_cast<const void*>(r.data()));
}

// A request as it would come back from the kernel in a dump: same body, RTM_NEWADDR.
std::optional<AddressInfo> echo(Request r) {
    static_cast<nlmsghdr*>(static_cast<void*>(r.data()))->nlmsg_type = RTM_NEWADDR;
    return parse_address(header(r));
}

Vip ipv4_vip() {
    Vip v;
    v.address = make_address("192.0.2.10");
    v.prefix_len = 24;
    v.ifindex = 7;
    v.broadcast = make_address_v4("192.0.2.255");
    v.label = "eth0:db";
    v.scope = Scope::link;
    return v;
}

TEST(NetlinkMessages, add_request_is_an_exclusive_create_with_ack) {
    auto r = build_add_address(ipv4_vip());
    ASSERT_TRUE(r);
    const auto* nlh = header(r.value());
    EXPECT_EQ(nlh->nlmsg_type, RTM_NEWADDR);
    EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    EXPECT_EQ(nlh->nlmsg_len, r->size());
}

TEST(NetlinkMessages, add_request_carries_label_broadcast_scope_and_index) {
    auto r = build_add_address(ipv4_vip());
    ASSERT_TRUE(r);
    const auto info = echo(r.value());
    ASSERT_TRUE(info);
    EXPECT_EQ(info->address, make_address("192.0.2.10"));
    EXPECT_EQ(info->prefix_len, 24);
    EXPECT_EQ(info->ifindex, 7);
    EXPECT_EQ(info->broadcast, make_address_v4("192.0.2.255"));
    EXPECT_EQ(info->label, "eth0:db");
    EXPECT_EQ(info->scope, Scope::link);
    EXPECT_FALSE(info->peer);
    EXPECT_EQ(info->flags, 0u);
}

TEST(NetlinkMessages, ipv6_nodad_and_noprefixroute_travel_in_ifa_flags) {
    Vip v;
    v.address = make_address("2001:db8::10");
    v.prefix_len = 64;
    v.ifindex = 3;
    v.nodad = true;
    v.noprefixroute = true;
    auto r = build_add_address(v);
    ASSERT_TRUE(r);
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(header(r.value())));
    EXPECT_EQ(ifa->ifa_family, AF_INET6);
    // NOPREFIXROUTE (0x200) does not fit the 8-bit field; only IFA_FLAGS carries it.
    EXPECT_EQ(ifa->ifa_flags, IFA_F_NODAD);
    const auto info = echo(r.value());
    ASSERT_TRUE(info);
    EXPECT_TRUE(info->nodad());
    EXPECT_TRUE(info->noprefixroute());
    EXPECT_EQ(info->address, v.address);
}

TEST(NetlinkMessages, peer_goes_in_ifa_address_and_decodes_as_peer) {
    Vip v = ipv4_vip();
    v.prefix_len = 32;
    v.peer = make_address("192.0.2.11");
    auto r = build_add_address(v);
    ASSERT_TRUE(r);
    const auto info = echo(r.value());
    ASSERT_TRUE(info);
    EXPECT_EQ(info->address, make_address("192.0.2.10"));
    EXPECT_EQ(info->peer, make_address("192.0.2.11"));
}

TEST(NetlinkMessages, remove_request_omits_label_and_broadcast) {
    auto r = build_remove_address(ipv4_vip());
    ASSERT_TRUE(r);
    const auto* nlh = header(r.value());
    EXPECT_EQ(nlh->nlmsg_type, RTM_DELADDR);
    EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
    const auto info = parse_address(nlh);
    ASSERT_TRUE(info);
    EXPECT_EQ(info->address, make_address("192.0.2.10"));
    EXPECT_EQ(info->prefix_len, 24);
    EXPECT_FALSE(info->label);
    EXPECT_FALSE(info->broadcast);
}

TEST(NetlinkMessages, vips_the_kernel_would_reject_are_refused_before_sending) {
    Vip v = ipv4_vip();
    v.prefix_len = 33;
    EXPECT_EQ(build_add_address(v).error(), std::errc::invalid_argument);
    v = ipv4_vip();
    v.ifindex = 0;
    EXPECT_EQ(build_add_address(v).error(), std::errc::no_such_device);
    v = ipv4_vip();
    v.label = std::string(IFNAMSIZ, 'x');
    EXPECT_EQ(build_add_address(v).error(), std::errc::invalid_argument);
    v.label = std::string(IFNAMSIZ - 1, 'x');
    EXPECT_TRUE(build_add_address(v));
    v = ipv4_vip();
    v.address = make_address("2001:db8::1");
    v.prefix_len = 64;
    EXPECT_EQ(build_add_address(v).error(), std::errc::invalid_argument);  // brd + label
    v.broadcast.reset();
    v.label.reset();
    EXPECT_TRUE(build_add_address(v));
    v.prefix_len = 129;
    EXPECT_EQ(build_remove_address(v).error(), std::errc::invalid_argument);
}

TEST(NetlinkMessages, get_link_by_name_refuses_names_the_kernel_cannot_hold) {
    EXPECT_EQ(build_get_link(std::string_view{}).error(), std::errc::no_such_device);
    EXPECT_EQ(build_get_link(std::string(IFNAMSIZ, 'e')).error(), std::errc::no_such_device);
    auto r = build_get_link(std::string_view("eth0"));
    ASSERT_TRUE(r);
    EXPECT_EQ(header(r.value())->nlmsg_type, RTM_GETLINK);
}

TEST(NetlinkMessages, dumps_ask_for_every_entry) {
    EXPECT_EQ(header(build_dump_links())->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
    EXPECT_EQ(header(build_dump_addresses())->nlmsg_type, RTM_GETADDR);
}

Request link_message(std::uint16_t type, int ifindex, const char* name, std::uint8_t oper) {
    Request buffer(512, 0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
    nlh->nlmsg_type = type;
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_index = ifindex;
    ifi->ifi_flags = IFF_UP | IFF_BROADCAST;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
    mnl_attr_put_u8(nlh, IFLA_OPERSTATE, oper);
    mnl_attr_put_u32(nlh, IFLA_MTU, 9000);
    const std::uint8_t mac[6] = {0x02, 0, 0, 0, 0, 0x2a};
    mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
    buffer.resize(nlh->nlmsg_len);
    return buffer;
}

TEST(NetlinkMessages, link_message_decodes_name_state_mac_and_mtu) {
    const auto msg =
        link_message(RTM_NEWLINK, 5, "br0", static_cast<std::uint8_t>(OperState::dormant));
    const auto link = parse_link(header(msg));
    ASSERT_TRUE(link);
    EXPECT_EQ(link->ifindex, 5);
    EXPECT_EQ(link->name, "br0");
    EXPECT_TRUE(link->up());
    EXPECT_FALSE(link->running());
    EXPECT_EQ(link->operstate, OperState::dormant);
    EXPECT_EQ(link->mac(), (MacAddress{0x02, 0, 0, 0, 0, 0x2a}));
    EXPECT_EQ(link->mtu, 9000u);
}

TEST(NetlinkMessages, malformed_or_foreign_messages_decode_to_nothing) {
    auto msg = link_message(RTM_NEWLINK, 5, "br0", static_cast<std::uint8_t>(OperState::up));
    // Another message type is not a link.
    auto other = msg;
    static_cast<nlmsghdr*>(static_cast<void*>(other.data()))->nlmsg_type = RTM_NEWROUTE;
    EXPECT_FALSE(parse_link(header(other)));
    EXPECT_FALSE(parse_address(header(msg)));
    // Shorter than its fixed header.
    auto cut = msg;
    static_cast<nlmsghdr*>(static_cast<void*>(cut.data()))->nlmsg_len = NLMSG_HDRLEN + 4;
    EXPECT_FALSE(parse_link(header(cut)));
    // An IPv4 address attribute of IPv6 length.
    Vip v6;
    v6.address = make_address("2001:db8::1");
    v6.prefix_len = 64;
    v6.ifindex = 2;
    auto r = build_add_address(v6);
    ASSERT_TRUE(r);
    auto* ifa = static_cast<ifaddrmsg*>(
        mnl_nlmsg_get_payload(static_cast<nlmsghdr*>(static_cast<void*>(r->data()))));
    ifa->ifa_family = AF_INET;
    EXPECT_FALSE(echo(r.value()));
}

// A receive buffer whose second message claims 0xffffffff bytes (fuzz_netlink_parse found
// it): libmnl's mnl_nlmsg_ok took that for a fit and mnl_nlmsg_next stepped by 0 for ever.
// Here it ends the walk; the whole message before it is still seen.
TEST(NetlinkMessages, a_message_longer_than_the_buffer_ends_the_walk) {
    std::vector<std::uint32_t> words(16, 0);
    auto* first = reinterpret_cast<nlmsghdr*>(words.data());
    first->nlmsg_len = 16;
    first->nlmsg_type = RTM_NEWLINK;
    auto* second = reinterpret_cast<nlmsghdr*>(words.data() + 4);
    second->nlmsg_len = 0xffffffffu;
    second->nlmsg_type = 0xffff;
    const std::span<const std::uint8_t> buffer{reinterpret_cast<const std::uint8_t*>(words.data()),
                                               words.size() * 4};
    std::vector<std::uint16_t> seen;
    for_each_message(buffer, [&](const nlmsghdr* nlh) { seen.push_back(nlh->nlmsg_type); });
    EXPECT_EQ(seen, std::vector<std::uint16_t>{RTM_NEWLINK});
    // A zero length and a truncated header end it too.
    second->nlmsg_len = 0;
    seen.clear();
    for_each_message(buffer, [&](const nlmsghdr* nlh) { seen.push_back(nlh->nlmsg_type); });
    EXPECT_EQ(seen.size(), 1u);
    seen.clear();
    for_each_message(buffer.first(20),
                     [&](const nlmsghdr* nlh) { seen.push_back(nlh->nlmsg_type); });
    EXPECT_EQ(seen.size(), 1u);
}

}  // namespace
}  // namespace havip::netlink
