// Which address a VRRP advert is sent from, chosen from the kernel's address list.
#include "netlink/address.hpp"

#include <linux/if_addr.h>

#include <gtest/gtest.h>

namespace havip::netlink {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v4;
using boost::asio::ip::make_address_v6;

AddressInfo addr(int ifindex, const char* address, std::uint32_t flags = 0,
                 Scope scope = Scope::global) {
    AddressInfo a;
    a.ifindex = ifindex;
    a.address = make_address(address);
    a.flags = flags;
    a.scope = scope;
    return a;
}

TEST(AddressSelection, primary_ipv4_skips_secondaries_and_other_interfaces) {
    const std::vector<AddressInfo> list{
        addr(2, "10.0.0.1"),
        addr(3, "192.0.2.9", IFA_F_SECONDARY),
        addr(3, "192.0.2.1"),
        addr(3, "192.0.2.2"),
    };
    EXPECT_EQ(primary_ipv4(list, 3), make_address_v4("192.0.2.1"));
    EXPECT_EQ(primary_ipv4(list, 2), make_address_v4("10.0.0.1"));
    EXPECT_FALSE(primary_ipv4(list, 4));
}

TEST(AddressSelection, primary_ipv4_prefers_global_scope_over_link_scope) {
    const std::vector<AddressInfo> list{
        addr(3, "169.254.1.1", 0, Scope::link),
        addr(3, "192.0.2.1"),
    };
    EXPECT_EQ(primary_ipv4(list, 3), make_address_v4("192.0.2.1"));
    // With nothing global, the link-scope address is still better than none.
    EXPECT_EQ(primary_ipv4({list[0]}, 3), make_address_v4("169.254.1.1"));
    EXPECT_FALSE(primary_ipv4({addr(3, "127.0.0.9", 0, Scope::host)}, 3));
}

TEST(AddressSelection, primary_ipv4_ignores_ipv6) {
    EXPECT_FALSE(primary_ipv4({addr(3, "2001:db8::1")}, 3));
}

TEST(AddressSelection, ipv6_link_local_prefers_an_address_whose_dad_finished) {
    const std::vector<AddressInfo> list{
        addr(3, "2001:db8::1"),
        addr(3, "fe80::1", IFA_F_TENTATIVE, Scope::link),
        addr(3, "fe80::2", 0, Scope::link),
    };
    EXPECT_EQ(ipv6_link_local(list, 3), make_address_v6("fe80::2"));
    // Only a tentative one: it is what the interface will use, so return it.
    EXPECT_EQ(ipv6_link_local({list[0], list[1]}, 3), make_address_v6("fe80::1"));
}

TEST(AddressSelection, ipv6_link_local_never_returns_a_failed_or_global_address) {
    const std::vector<AddressInfo> list{
        addr(3, "fe80::1", IFA_F_DADFAILED | IFA_F_TENTATIVE, Scope::link),
        addr(3, "2001:db8::1"),
        addr(4, "fe80::4", 0, Scope::link),
    };
    EXPECT_FALSE(ipv6_link_local(list, 3));
    EXPECT_EQ(ipv6_link_local(list, 4), make_address_v6("fe80::4"));
}

TEST(AddressSelection, flag_accessors_read_ifa_flags) {
    const auto a = addr(1, "fe80::1", IFA_F_NODAD | IFA_F_NOPREFIXROUTE, Scope::link);
    EXPECT_TRUE(a.nodad());
    EXPECT_TRUE(a.noprefixroute());
    EXPECT_FALSE(a.tentative());
    EXPECT_FALSE(a.secondary());
}

TEST(AddressSelection, vip_to_string_names_every_set_field) {
    Vip v;
    v.address = make_address("10.0.0.5");
    v.prefix_len = 24;
    v.ifindex = 3;
    v.broadcast = make_address_v4("10.0.0.255");
    v.label = "eth0:db";
    EXPECT_EQ(to_string(v), "10.0.0.5/24 ifindex 3 brd 10.0.0.255 label eth0:db scope global");
    Vip v6;
    v6.address = make_address("fd00::1");
    v6.prefix_len = 64;
    v6.ifindex = 2;
    v6.nodad = true;
    EXPECT_EQ(to_string(v6), "fd00::1/64 ifindex 2 scope global nodad");
}

}  // namespace
}  // namespace havip::netlink
