// RivalMaster: a MASTER that hears a master it outranks (a partition healed with both sides
// MASTER) stays MASTER, answers it (RFC 9568 §6.4.3) and tells the caller who the rival is, so
// manage_read_only can fence it before the two databases merge. Fake clock as in
// fsm_test_support.hpp: v2, 1 s adverts, priority 100 at 10.0.0.5.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>

#include "tests/unit/vrrpd/fsm_test_support.hpp"
#include "vrrpd/core/fsm.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;

using fsm_test::advert;
using fsm_test::at;
using fsm_test::lines;
using fsm_test::make_config;

Router master(std::uint8_t priority = 100) {
    Router router(make_config(priority));
    router.handle(Startup{}, at(0s));
    router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
    EXPECT_EQ(router.state(), State::master);
    return router;
}

std::optional<RivalMaster> rival_in(const Actions& actions) {
    for (const auto& a : actions)
        if (const auto* r = std::get_if<RivalMaster>(&a)) return *r;
    return std::nullopt;
}

TEST(FsmRivalMaster, master_names_a_lower_priority_master_it_answers) {
    Router router = master();
    const auto actions = router.handle(advert(50, "10.0.0.9"), at(4s));
    const auto rival = rival_in(actions);
    ASSERT_TRUE(rival);
    EXPECT_EQ(rival->source, make_address("10.0.0.9"));
    EXPECT_EQ(rival->priority, 50);
    EXPECT_EQ(router.state(), State::master);
    // After our answer: the wire first, the reconciliation (which may block on a database)
    // after it.
    EXPECT_EQ(lines(actions).back(), "rival master 10.0.0.9 priority 50");
    // The announcement is the one for a lower-priority master (garp_lower_prio_*).
    const auto announce = std::find_if(actions.begin(), actions.end(), [](const Action& a) {
        return std::holds_alternative<Announce>(a);
    });
    ASSERT_NE(announce, actions.end());
    EXPECT_TRUE(std::get<Announce>(*announce).lower_priority);
}

TEST(FsmRivalMaster, equal_priority_master_we_outrank_by_address_is_a_rival) {
    Router router = master();
    const auto rival = rival_in(router.handle(advert(100, "10.0.0.4"), at(4s)));
    ASSERT_TRUE(rival);
    EXPECT_EQ(rival->source, make_address("10.0.0.4"));
    EXPECT_EQ(router.state(), State::master);
}

TEST(FsmRivalMaster, a_master_that_outranks_us_is_followed_not_named_a_rival) {
    Router higher = master();
    EXPECT_FALSE(rival_in(higher.handle(advert(200, "10.0.0.1"), at(4s))));
    EXPECT_EQ(higher.state(), State::backup);
    Router tie = master();
    EXPECT_FALSE(rival_in(tie.handle(advert(100, "10.0.0.9"), at(4s))));
    EXPECT_EQ(tie.state(), State::backup);
}

TEST(FsmRivalMaster, a_leaving_master_and_our_own_looped_advert_are_no_rivals) {
    Router router = master();
    EXPECT_FALSE(rival_in(router.handle(advert(0, "10.0.0.9"), at(4s))));
    EXPECT_FALSE(rival_in(router.handle(advert(100, "10.0.0.5"), at(4'100'000'000ns))));
    EXPECT_EQ(router.state(), State::master);
}

// IPv6: the received source carries the interface's scope id, our primary address may carry
// none. The comparison is of the addresses (RFC 5798 §6.4.3), so our own advert is still ours
// and a peer's equal-priority advert is judged by its address alone.
TEST(FsmRivalMaster, ipv6_sources_are_compared_without_their_scope_ids) {
    auto config = make_config(100, ProtocolVersion::v3);
    config.primary_address = make_address("fe80::5");
    auto v6_master = [&] {
        Router router(config);
        router.handle(Startup{}, at(0s));
        router.handle(MasterDownTimerFired{}, at(3'609'375'000ns));
        EXPECT_EQ(router.state(), State::master);
        return router;
    };
    const auto scoped = [](const char* text) {
        auto a = make_address(text).to_v6();
        a.scope_id(7);
        return boost::asio::ip::address(a);
    };
    Router own = v6_master();
    auto looped = advert(100);
    looped.source = scoped("fe80::5");
    EXPECT_FALSE(rival_in(own.handle(looped, at(4s))));
    EXPECT_EQ(own.state(), State::master) << "demoted by its own advert";

    Router lower = v6_master();
    auto peer = advert(100);
    peer.source = scoped("fe80::4");
    EXPECT_TRUE(rival_in(lower.handle(peer, at(4s))));
    EXPECT_EQ(lower.state(), State::master);
}

TEST(FsmRivalMaster, a_backup_hearing_a_lower_master_names_no_rival) {
    // A preempting backup discards the advert and takes over when its timer expires; the
    // promote that follows fences the old master, so no rival is reported here.
    Router router(make_config(100));
    router.handle(Startup{}, at(0s));
    ASSERT_EQ(router.state(), State::backup);
    EXPECT_FALSE(rival_in(router.handle(advert(50, "10.0.0.9"), at(1s))));
}

TEST(FsmRivalMaster, every_advert_of_a_rival_that_does_not_yield_is_reported) {
    // The FSM keeps no memory of rivals: limiting how often the database is re-fenced is the
    // caller's (at most once a second per check).
    Router router = master();
    int reported = 0;
    for (int i = 0; i < 3; ++i)
        if (rival_in(router.handle(advert(50, "10.0.0.9"), at(4s + i * 100ms)))) ++reported;
    EXPECT_EQ(reported, 3);
}

}  // namespace
}  // namespace havip::vrrp
