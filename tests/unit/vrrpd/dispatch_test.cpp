// Which instances an advert is for (vrrpd/core/dispatch): unicast instances sharing a VRID on one
// interface are told apart by peer, as keepalived does.
#include <gtest/gtest.h>

#include <vector>

#include "vrrpd/core/dispatch.hpp"

namespace havip::vrrp {
namespace {

using boost::asio::ip::address;
using boost::asio::ip::make_address;
using Indexes = std::vector<std::size_t>;

const std::vector<address> peers_a{make_address("10.0.0.2")};
const std::vector<address> peers_b{make_address("10.0.0.3"), make_address("10.0.0.4")};

TEST(AdvertReceivers, a_vrid_goes_to_its_instances_only) {
    const std::vector<Receiver> r{
        {51, false, {}, {}}, {52, false, {}, {}}, {53, true, peers_a, {}}};
    EXPECT_EQ(advert_receivers(r, 52, make_address("10.0.0.9")), Indexes{1});
    EXPECT_EQ(advert_receivers(r, 53, make_address("10.0.0.9")), Indexes{2})
        << "alone on its VRID, a unicast instance takes it and its own checks decide";
    EXPECT_EQ(advert_receivers(r, 54, make_address("10.0.0.9")), Indexes{});
}

TEST(AdvertReceivers, unicast_instances_sharing_a_vrid_are_told_apart_by_peer) {
    std::vector<Receiver> r{{60, true, peers_a, {}}, {60, true, peers_b, {}}};
    EXPECT_EQ(advert_receivers(r, 60, make_address("10.0.0.2")), Indexes{0});
    EXPECT_EQ(advert_receivers(r, 60, make_address("10.0.0.4")), Indexes{1});
    EXPECT_EQ(advert_receivers(r, 60, make_address("10.0.0.9")), Indexes{}) << "nobody's peer";
    // The one that last heard the source first, as keepalived checks it first.
    r[1].last_source = make_address("10.0.0.2");
    EXPECT_EQ(advert_receivers(r, 60, make_address("10.0.0.2")), Indexes{1});
}

TEST(AdvertReceivers, ipv6_peers_match_without_scope_ids) {
    const std::vector<address> v6{make_address("fe80::2")};
    const std::vector<address> other{make_address("fe80::3")};
    const std::vector<Receiver> r{{70, true, other, {}}, {70, true, v6, {}}};
    auto scoped = make_address("fe80::2").to_v6();
    scoped.scope_id(4);
    EXPECT_EQ(advert_receivers(r, 70, address(scoped)), Indexes{1});
}

}  // namespace
}  // namespace havip::vrrp
