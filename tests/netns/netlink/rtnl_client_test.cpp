// RtnlClient against a real kernel: VIPs added and removed as `ip` sees them, idempotence,
// and the link and address lookups the daemon makes.
#include "netlink/rtnl_client.hpp"

#include <map>

#include <fmt/format.h>

#include "tests/netns/netlink/netns_fixture.hpp"

namespace havip::netlink {
namespace {

using boost::asio::ip::make_address;
using boost::asio::ip::make_address_v4;
using testing::find_address;
using testing::ip_json;

class RtnlClientTest : public testing::NetnsTest {
  protected:
    void SetUp() override {
        NetnsTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        sh("ip link set va up");
        sh("ip link set vb up");
        auto opened = RtnlClient::open();
        ASSERT_TRUE(opened) << opened.error().message();
        client_.emplace(std::move(opened).value());
        va_ = index_of("va");
        ASSERT_GT(va_, 0);
    }

    Vip vip(const char* address, std::uint8_t prefix_len) const {
        Vip v;
        v.address = make_address(address);
        v.prefix_len = prefix_len;
        v.ifindex = va_;
        return v;
    }

    std::optional<RtnlClient> client_;
    int va_ = 0;
};

TEST_F(RtnlClientTest, adds_ipv4_vip_with_label_broadcast_and_scope_as_ip_shows_it) {
    auto v = vip("10.1.0.100", 24);
    v.label = "va:db";
    v.broadcast = make_address_v4("10.1.0.255");
    v.scope = Scope::link;
    auto added = client_->add(v);
    ASSERT_TRUE(added) << added.error().message();
    EXPECT_EQ(added.value(), Change::applied);

    const auto info = find_address("va", "10.1.0.100");
    ASSERT_FALSE(info.is_null());
    EXPECT_EQ(info.value("prefixlen", 0), 24);
    EXPECT_EQ(info.value("label", ""), "va:db");
    EXPECT_EQ(info.value("broadcast", ""), "10.1.0.255");
    EXPECT_EQ(info.value("scope", ""), "link");

    auto removed = client_->remove(v);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_EQ(removed.value(), Change::applied);
    EXPECT_TRUE(find_address("va", "10.1.0.100").is_null());
}

TEST_F(RtnlClientTest, adds_ipv6_vip_with_nodad_so_it_is_usable_at_once) {
    auto fast = vip("fd00::100", 64);
    fast.nodad = true;
    ASSERT_TRUE(client_->add(fast));
    // A VIP without nodad on a link with a carrier waits for duplicate address detection.
    ASSERT_TRUE(client_->add(vip("fd00::200", 64)));

    const auto with_nodad = find_address("va", "fd00::100");
    ASSERT_FALSE(with_nodad.is_null());
    EXPECT_TRUE(with_nodad.value("nodad", false));
    EXPECT_FALSE(with_nodad.value("tentative", false));
    const auto with_dad = find_address("va", "fd00::200");
    ASSERT_FALSE(with_dad.is_null());
    EXPECT_TRUE(with_dad.value("tentative", false));

    // The client reads the same flags back.
    auto listed = client_->addresses(va_);
    ASSERT_TRUE(listed);
    int seen = 0;
    for (const auto& a : listed.value()) {
        if (a.address == make_address("fd00::100")) {
            ++seen;
            EXPECT_TRUE(a.nodad());
            EXPECT_FALSE(a.tentative());
            EXPECT_EQ(a.prefix_len, 64);
        }
    }
    EXPECT_EQ(seen, 1);

    ASSERT_TRUE(client_->remove(fast));
    EXPECT_TRUE(find_address("va", "fd00::100").is_null());
}

TEST_F(RtnlClientTest, noprefixroute_adds_the_address_without_its_subnet_route) {
    auto v = vip("10.2.0.5", 24);
    v.noprefixroute = true;
    ASSERT_TRUE(client_->add(v));
    EXPECT_TRUE(find_address("va", "10.2.0.5").value("noprefixroute", false));
    for (const auto& route : ip_json("route show dev va")) {
        EXPECT_NE(route.value("dst", ""), "10.2.0.0/24");
    }
    // Without the flag the kernel does add the route: the check above can fail.
    ASSERT_TRUE(client_->add(vip("10.2.1.5", 24)));
    bool found = false;
    for (const auto& route : ip_json("route show dev va")) {
        found = found || route.value("dst", "") == "10.2.1.0/24";
    }
    EXPECT_TRUE(found);
}

TEST_F(RtnlClientTest, point_to_point_peer_is_sent_as_ifa_address) {
    auto v = vip("10.3.0.1", 32);
    v.peer = make_address("10.3.0.2");
    ASSERT_TRUE(client_->add(v));
    const auto info = find_address("va", "10.3.0.1");
    ASSERT_FALSE(info.is_null());
    EXPECT_EQ(info.value("address", ""), "10.3.0.2");
    auto listed = client_->addresses(va_);
    ASSERT_TRUE(listed);
    bool seen = false;
    for (const auto& a : listed.value()) {
        if (a.address == v.address) {
            seen = true;
            EXPECT_EQ(a.peer, v.peer);
        }
    }
    EXPECT_TRUE(seen);
    ASSERT_TRUE(client_->remove(v));
    EXPECT_TRUE(find_address("va", "10.3.0.1").is_null());
}

TEST_F(RtnlClientTest, adding_twice_and_removing_twice_are_already_done_not_errors) {
    for (const auto* address : {"10.4.0.9", "fd00::9"}) {
        auto v =
            vip(address, std::string_view(address).find(':') == std::string_view::npos ? 24 : 64);
        v.nodad = v.address.is_v6();
        auto first = client_->add(v);
        auto second = client_->add(v);
        ASSERT_TRUE(first) << address << ": " << first.error().message();
        ASSERT_TRUE(second) << address << ": " << second.error().message();
        EXPECT_EQ(first.value(), Change::applied) << address;
        EXPECT_EQ(second.value(), Change::already_done) << address;

        auto gone = client_->remove(v);
        auto again = client_->remove(v);
        ASSERT_TRUE(gone) << address << ": " << gone.error().message();
        ASSERT_TRUE(again) << address << ": " << again.error().message();
        EXPECT_EQ(gone.value(), Change::applied) << address;
        EXPECT_EQ(again.value(), Change::already_done) << address;
        EXPECT_TRUE(find_address("va", address).is_null()) << address;
    }
}

TEST_F(RtnlClientTest, remove_matches_an_address_whose_label_differs_from_ours) {
    // Someone re-added the VIP by hand with another label: it must still be removed.
    sh("ip addr add 10.5.0.9/24 dev va label va:other");
    auto v = vip("10.5.0.9", 24);
    v.label = "va:db";
    auto removed = client_->remove(v);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_EQ(removed.value(), Change::applied);
    EXPECT_TRUE(find_address("va", "10.5.0.9").is_null());
}

TEST_F(RtnlClientTest, remove_leaves_the_same_address_with_another_prefix_alone) {
    sh("ip addr add 10.5.1.9/16 dev va");
    auto removed = client_->remove(vip("10.5.1.9", 24));
    ASSERT_TRUE(removed);
    EXPECT_EQ(removed.value(), Change::already_done);
    EXPECT_FALSE(find_address("va", "10.5.1.9").is_null());
}

TEST_F(RtnlClientTest, removing_from_a_deleted_interface_is_already_done_adding_is_no_device) {
    // The interface went with its addresses (deleted, to be re-created by name): nothing is
    // left to remove, and adding is the caller's to defer until it is back.
    sh("ip link add vgone type veth peer name vgone2");
    auto v = vip("10.6.0.9", 24);
    v.ifindex = index_of("vgone");
    ASSERT_GT(v.ifindex, 0);
    sh("ip link del vgone");
    auto removed = client_->remove(v);
    ASSERT_TRUE(removed) << removed.error().message();
    EXPECT_EQ(removed.value(), Change::already_done);
    auto added = client_->add(v);
    ASSERT_FALSE(added);
    EXPECT_EQ(added.error(), std::errc::no_such_device);
}

TEST_F(RtnlClientTest, invalid_vips_are_refused_with_an_error_value) {
    auto v6_label = vip("fd00::1", 64);
    v6_label.label = "va:x";
    EXPECT_EQ(client_->add(v6_label).error(), std::errc::invalid_argument);
    EXPECT_EQ(client_->add(vip("10.0.0.1", 33)).error(), std::errc::invalid_argument);
    auto long_label = vip("10.0.0.1", 24);
    long_label.label = "va:sixteen-chars";
    EXPECT_EQ(client_->add(long_label).error(), std::errc::invalid_argument);
    auto mixed_peer = vip("10.0.0.1", 32);
    mixed_peer.peer = make_address("fd00::2");
    EXPECT_EQ(client_->add(mixed_peer).error(), std::errc::invalid_argument);
    // An interface index the kernel does not know: its errno, as a value.
    auto nowhere = vip("10.0.0.1", 24);
    nowhere.ifindex = 4242;
    EXPECT_EQ(client_->add(nowhere).error(), std::errc::no_such_device);
    EXPECT_TRUE(find_address("va", "10.0.0.1").is_null());
}

TEST_F(RtnlClientTest, looks_up_ifindex_state_and_mac_like_ip_link) {
    auto index = client_->ifindex("va");
    ASSERT_TRUE(index);
    EXPECT_EQ(index.value(), va_);
    EXPECT_EQ(client_->ifindex("nosuchif").error(), std::errc::no_such_device);
    EXPECT_EQ(client_->link(4242).error(), std::errc::no_such_device);

    const auto ip_link = ip_json("link show dev va")[0];
    auto mac = client_->mac(va_);
    ASSERT_TRUE(mac);
    EXPECT_EQ(
        fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", mac.value()[0], mac.value()[1],
                    mac.value()[2], mac.value()[3], mac.value()[4], mac.value()[5]),
        ip_link.value("address", ""));

    Result<LinkInfo> link = client_->link(va_);
    ASSERT_TRUE(link);
    EXPECT_EQ(link->name, "va");
    EXPECT_TRUE(link->up());
    EXPECT_TRUE(eventually([&] {
        link = client_->link(va_);
        return link && link->running() && link->operstate == OperState::up;
    }));

    // Peer down: va stays administratively up but loses its carrier.
    sh("ip link set vb down");
    EXPECT_TRUE(eventually([&] {
        link = client_->link(va_);
        return link && !link->running() && link->operstate == OperState::lower_layer_down;
    }));
    ASSERT_TRUE(link);
    EXPECT_TRUE(link->up());

    sh("ip link set va down");
    link = client_->link(va_);
    ASSERT_TRUE(link);
    EXPECT_FALSE(link->up());
}

TEST_F(RtnlClientTest, dump_links_lists_every_interface_with_its_state) {
    sh("ip link set vb down");
    std::map<std::string, LinkInfo> by_name;
    EXPECT_TRUE(eventually([&] {
        auto links = client_->dump_links();
        if (!links) return false;
        by_name.clear();
        for (const auto& link : links.value())
            by_name[link.name] = link;
        return !by_name["va"].running();
    }));
    ASSERT_EQ(by_name.size(), 3u);  // lo, va, vb: a fresh namespace has nothing else
    EXPECT_EQ(by_name["va"].ifindex, va_);
    EXPECT_TRUE(by_name["va"].up());
    EXPECT_FALSE(by_name["va"].running());
    EXPECT_FALSE(by_name["vb"].up());
    EXPECT_TRUE(by_name["lo"].up());
}

TEST_F(RtnlClientTest, finds_primary_ipv4_and_ipv6_link_local_advert_sources) {
    EXPECT_EQ(client_->primary_ipv4(va_).error(), std::errc::address_not_available);
    sh("ip addr add 10.6.0.1/24 dev va");
    sh("ip addr add 10.6.0.2/24 dev va");  // same subnet: a secondary
    sh("ip addr add 169.254.9.9/16 dev va scope link");
    auto primary = client_->primary_ipv4(va_);
    ASSERT_TRUE(primary) << primary.error().message();
    EXPECT_EQ(primary.value(), make_address_v4("10.6.0.1"));

    std::string expected;
    const auto links = ip_json("-6 addr show dev va scope link");
    ASSERT_EQ(links.size(), 1u);
    for (const auto& info : links[0]["addr_info"]) {
        expected = info.value("local", "");
    }
    ASSERT_FALSE(expected.empty());
    auto link_local = client_->ipv6_link_local(va_);
    ASSERT_TRUE(link_local) << link_local.error().message();
    EXPECT_EQ(link_local->to_string(), expected);

    // IPv6 off: no link-local, and the lookup says so instead of returning junk.
    sh("sysctl -qw net.ipv6.conf.va.disable_ipv6=1");
    EXPECT_EQ(client_->ipv6_link_local(va_).error(), std::errc::address_not_available);
}

TEST_F(RtnlClientTest, dump_lists_every_address_on_every_interface) {
    sh("ip addr add 10.7.0.1/24 dev va");
    sh("ip addr add 10.7.0.2/24 dev vb");
    auto all = client_->dump_addresses();
    ASSERT_TRUE(all);
    const int vb = index_of("vb");
    int found = 0;
    for (const auto& a : all.value()) {
        if (a.address == make_address("10.7.0.1") && a.ifindex == va_) ++found;
        if (a.address == make_address("10.7.0.2") && a.ifindex == vb) ++found;
        if (a.address == make_address("127.0.0.1")) ++found;
    }
    EXPECT_EQ(found, 3);
    auto only_va = client_->addresses(va_);
    ASSERT_TRUE(only_va);
    for (const auto& a : only_va.value())
        EXPECT_EQ(a.ifindex, va_);
}

}  // namespace
}  // namespace havip::netlink
