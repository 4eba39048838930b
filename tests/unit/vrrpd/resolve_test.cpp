// vrrpd/resolve: each vrrp_instance's settings from the configuration and a fake host (eth0 and
// eth1, their MACs and addresses), without root.
#include "vrrpd/resolve.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include <linux/if_addr.h>

#include "config/load.hpp"

namespace havip::vrrp {
namespace {

using boost::asio::ip::make_address;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct Interface {
    int ifindex;
    std::optional<std::string> ipv4;
    std::optional<std::string> link_local;
    std::uint32_t mtu = 1500;
};

class FakeHost : public netlink::LinkQuery, public netlink::AddressControl {
  public:
    std::map<std::string, Interface> interfaces{
        {"eth0", {2, "10.0.0.5", "fe80::5"}},
        {"eth1", {3, "10.1.0.5", std::nullopt}},
    };

    const Interface* by_index(int ifindex) const {
        for (const auto& [name, i] : interfaces)
            if (i.ifindex == ifindex) return &i;
        return nullptr;
    }
    netlink::Result<int> ifindex(std::string_view name) override {
        const auto it = interfaces.find(std::string{name});
        if (it == interfaces.end()) return std::errc::no_such_device;
        return it->second.ifindex;
    }
    netlink::Result<netlink::LinkInfo> link(int ifindex) override {
        for (const auto& [name, i] : interfaces)
            if (i.ifindex == ifindex) {
                netlink::LinkInfo l;
                l.ifindex = ifindex;
                l.name = name;
                l.mtu = i.mtu;
                return l;
            }
        return std::errc::no_such_device;
    }
    netlink::Result<std::vector<netlink::LinkInfo>> dump_links() override {
        return std::vector<netlink::LinkInfo>{};
    }
    netlink::Result<netlink::MacAddress> mac(int ifindex) override {
        if (!by_index(ifindex)) return std::errc::no_such_device;
        return netlink::MacAddress{2, 0, 0, 0, 0, static_cast<std::uint8_t>(ifindex)};
    }
    netlink::Result<boost::asio::ip::address_v4> primary_ipv4(int ifindex) override {
        const auto* i = by_index(ifindex);
        if (!i || !i->ipv4) return std::errc::address_not_available;
        return make_address(*i->ipv4).to_v4();
    }
    netlink::Result<boost::asio::ip::address_v6> ipv6_link_local(int ifindex) override {
        const auto* i = by_index(ifindex);
        if (!i || !i->link_local) return std::errc::address_not_available;
        return make_address(*i->link_local).to_v6();
    }
    netlink::Result<netlink::Change> add(const netlink::Vip&) override {
        return netlink::Change::applied;
    }
    netlink::Result<netlink::Change> remove(const netlink::Vip&) override {
        return netlink::Change::applied;
    }
    // Per interface, in the kernel's order: IPv4 addresses of global scope, primary unless
    // listed in `secondaries`.
    std::map<int, std::vector<std::string>> primaries;
    std::map<int, std::vector<std::string>> secondaries;
    netlink::Result<std::vector<netlink::AddressInfo>> addresses(int ifindex) override {
        std::vector<netlink::AddressInfo> out;
        for (const auto* list : {&primaries[ifindex], &secondaries[ifindex]})
            for (const auto& text : *list) {
                netlink::AddressInfo a;
                a.ifindex = ifindex;
                a.address = make_address(text);
                if (list == &secondaries[ifindex]) a.flags = IFA_F_SECONDARY;
                out.push_back(a);
            }
        return out;
    }
    netlink::Result<std::vector<netlink::AddressInfo>> dump_addresses() override {
        std::vector<netlink::AddressInfo> out;
        for (const auto& [name, i] : interfaces)
            if (i.ipv4) {
                netlink::AddressInfo a;
                a.ifindex = i.ifindex;
                a.address = make_address(*i.ipv4);
                out.push_back(a);
            }
        return out;
    }
};

config::Config load(const std::string& text) {
    config::LoadOptions options;
    options.check_scripts = false;
    auto loaded = config::load_string(text, "keepalived.conf", options);
    EXPECT_TRUE(loaded.ok());
    for (const auto& d : loaded.diagnostics)
        if (d.severity == config::Severity::error) ADD_FAILURE() << config::format(d);
    return *loaded.config;
}

std::string instance(const std::string& name, int vrid, const std::string& extra = "") {
    return "vrrp_instance " + name + " {\n    interface eth0\n    virtual_router_id " +
           std::to_string(vrid) + "\n    priority 100\n    virtual_ipaddress {\n        10.0.0." +
           std::to_string(100 + vrid) + "/24\n    }\n" + extra + "}\n";
}

Resolution resolve(FakeHost& fake, const config::Config& config, std::string_view only = {}) {
    std::set<int> forwarding{3};
    ResolveHost host{fake, fake,
                     [forwarding](int ifindex) { return forwarding.count(ifindex) > 0; }};
    return resolve_instances(config, host, only);
}

TEST(Resolve, an_instance_sends_from_its_interfaces_address_and_tracks_the_interface) {
    FakeHost fake;
    const auto r = resolve(fake, load(instance("VI_1", 51)));
    ASSERT_TRUE(r.ok);
    EXPECT_THAT(r.notes, IsEmpty());
    ASSERT_EQ(r.settings.size(), 1u);
    const auto& s = r.settings.front();
    EXPECT_EQ(s.ifindex, 2);
    EXPECT_EQ(s.router.vrid, 51);
    EXPECT_EQ(s.router.primary_address, make_address("10.0.0.5"));
    EXPECT_TRUE(s.source_chosen);
    EXPECT_EQ(s.destinations, std::vector{make_address("224.0.0.18")});
    ASSERT_EQ(s.tracks.size(), 1u);
    EXPECT_EQ(s.tracks.front().name, "interface eth0");
    EXPECT_EQ(s.tracks.front().weight, 0);
    EXPECT_EQ(s.tracked_ifindexes, std::vector{2});
    EXPECT_EQ(s.mac, (netlink::MacAddress{2, 0, 0, 0, 0, 2}));
}

TEST(Resolve, a_configured_source_is_not_the_interfaces_choice) {
    FakeHost fake;
    const auto r = resolve(fake, load(instance("VI_1", 51, "    mcast_src_ip 10.0.0.9\n")));
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.settings.front().router.primary_address, make_address("10.0.0.9"));
    EXPECT_FALSE(r.settings.front().source_chosen);
}

// keepalived's mcast_dst_ip: this instance's adverts go to its own group; the others keep
// vrrp_mcast_group4.
TEST(Resolve, mcast_dst_ip_is_the_instances_group) {
    FakeHost fake;
    const auto r = resolve(
        fake, load(instance("VI_1", 51, "    mcast_dst_ip 224.0.0.19\n") + instance("VI_2", 52)));
    ASSERT_TRUE(r.ok);
    ASSERT_EQ(r.settings.size(), 2u);
    EXPECT_EQ(r.settings[0].policy.multicast_group, make_address("224.0.0.19"));
    EXPECT_EQ(r.settings[0].destinations, std::vector{make_address("224.0.0.19")});
    EXPECT_EQ(r.settings[1].policy.multicast_group, make_address("224.0.0.18"));
}

// The node's own address removed, a VIP in another subnet is the interface's first primary:
// adverts leave from the node's other address rather than from a VIP.
TEST(Resolve, a_vip_is_no_advert_source_while_the_interface_has_another_address) {
    FakeHost fake;
    fake.interfaces["eth0"].ipv4 = "10.0.0.151";  // what the kernel lists first
    fake.primaries[2] = {"10.0.0.151", "10.2.0.5"};
    const auto r = resolve(fake, load(instance("VI_1", 51)));
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.settings.front().router.primary_address, make_address("10.2.0.5"));
    // promote_secondaries made the VIP the primary of the node's subnet, and the node's new
    // address came after it.
    fake.primaries[2] = {"10.0.0.151"};
    fake.secondaries[2] = {"10.0.0.6"};
    const auto promoted = resolve(fake, load(instance("VI_1", 51)));
    ASSERT_TRUE(promoted.ok);
    EXPECT_EQ(promoted.settings.front().router.primary_address, make_address("10.0.0.6"));
    fake.secondaries[2].clear();
    const auto only_vip = resolve(fake, load(instance("VI_1", 51)));
    ASSERT_TRUE(only_vip.ok);
    EXPECT_EQ(only_vip.settings.front().router.primary_address, make_address("10.0.0.151"))
        << "with nothing else, as before";
}

TEST(Resolve, a_missing_interface_is_an_error_at_its_line) {
    FakeHost fake;
    const auto config = load(instance("VI_1", 51));
    fake.interfaces.erase("eth0");
    const auto r = resolve(fake, config);
    EXPECT_FALSE(r.ok);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes.front().kind, ResolveNote::Kind::error);
    EXPECT_EQ(r.notes.front().message,
              "keepalived.conf:2:15: vrrp_instance VI_1: interface eth0 not found");
}

TEST(Resolve, following_an_interface_back_a_missing_address_is_waited_for) {
    FakeHost fake;
    const auto config = load(instance("VI_1", 51) + instance("VI_2", 52));
    fake.interfaces["eth0"].ipv4.reset();
    const auto r = resolve(fake, config, "VI_2");
    EXPECT_FALSE(r.ok);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes.front().kind, ResolveNote::Kind::waiting);
    EXPECT_EQ(r.notes.front().message,
              "vrrp_instance VI_2: eth0 has no IPv4 address to send adverts from (FAULT until it "
              "is there)");
}

TEST(Resolve, an_ipv6_instance_sends_from_the_link_local_address_and_announces_with_forwarding) {
    FakeHost fake;
    const auto r = resolve(fake, load("vrrp_instance VI_6 {\n    interface eth0\n"
                                      "    virtual_router_id 60\n    priority 100\n"
                                      "    version 3\n    virtual_ipaddress {\n"
                                      "        fd00::60/64\n    }\n"
                                      "    virtual_ipaddress_excluded {\n"
                                      "        10.1.0.60/24 dev eth1\n    }\n}\n"));
    ASSERT_TRUE(r.ok);
    const auto& s = r.settings.front();
    EXPECT_TRUE(s.ipv6);
    EXPECT_EQ(s.router.primary_address, make_address("fe80::5"));
    EXPECT_EQ(s.destinations, std::vector{make_address("ff02::12")});
    // The excluded IPv4 VIP is raised with the others, not advertised, and announced on eth1.
    ASSERT_EQ(s.excluded_vips.size(), 1u);
    EXPECT_EQ(s.excluded_vips.front().ifindex, 3);
    EXPECT_TRUE(s.announce_links.at(3).ipv6_forwarding);
    EXPECT_FALSE(s.announce_links.at(2).ipv6_forwarding);
    EXPECT_EQ(s.other_interfaces, (std::vector<BoundInterface>{{"eth1", 3}}));
}

TEST(Resolve, more_vips_than_an_advert_holds_are_excluded_with_a_warning) {
    FakeHost fake;
    std::string vips;
    for (int i = 1; i <= 300; ++i)
        vips += fmt::format("        10.0.{}.{}/16\n", 1 + i / 250, i % 250);
    const auto r = resolve(fake, load("vrrp_instance VI_1 {\n    interface eth0\n"
                                      "    virtual_router_id 51\n    priority 100\n"
                                      "    virtual_ipaddress {\n" +
                                      vips + "    }\n}\n"));
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.settings.front().vips.size(), 255u);
    EXPECT_EQ(r.settings.front().excluded_vips.size(), 45u);
    ASSERT_EQ(r.notes.size(), 1u);
    EXPECT_EQ(r.notes.front().kind, ResolveNote::Kind::warning);
    EXPECT_THAT(r.notes.front().message, HasSubstr("the other 45 are held but not advertised"));
}

TEST(Resolve, a_sync_groups_tracked_items_fault_every_member_whatever_their_weight) {
    FakeHost fake;
    const auto r =
        resolve(fake, load("vrrp_script chk {\n    script \"/bin/true\"\n    weight -20\n}\n" +
                           instance("VI_1", 51, "    track_script {\n        chk\n    }\n") +
                           instance("VI_2", 52) +
                           "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n"
                           "    track_script {\n        chk\n    }\n    track_interface {\n"
                           "        eth1\n    }\n}\n"));
    ASSERT_TRUE(r.ok) << (r.notes.empty() ? "" : r.notes.front().message);
    for (const auto& s : r.settings) {
        EXPECT_EQ(s.sync_group, "G");
        EXPECT_TRUE(s.router.sync_group);
        std::vector<std::pair<std::string, int>> tracks;
        for (const auto& t : s.tracks)
            tracks.emplace_back(t.name, t.weight);
        EXPECT_THAT(tracks, ElementsAre(std::pair<std::string, int>{"interface eth0", 0},
                                        std::pair<std::string, int>{"interface eth1", 0},
                                        std::pair<std::string, int>{"chk", 0}))
            << s.name;
    }
}

// keepalived ignores a track_interface naming the instance's own interface, also with
// dont_track_primary: the own interface is then not tracked at all.
TEST(Resolve, dont_track_primary_with_the_own_interface_in_track_interface_tracks_no_interface) {
    FakeHost fake;
    const auto r = resolve(fake, load(instance("VI_1", 51,
                                               "    dont_track_primary\n    track_interface {\n"
                                               "        eth0 weight -20\n        eth1\n    }\n")));
    ASSERT_TRUE(r.ok) << (r.notes.empty() ? "" : r.notes.front().message);
    std::vector<std::string> tracks;
    for (const auto& t : r.settings.front().tracks)
        tracks.push_back(t.name);
    EXPECT_THAT(tracks, ElementsAre("interface eth1"));
}

}  // namespace
}  // namespace havip::vrrp
