// Three-router elections on the virtual wire (tests/unit/vrrpd/sim_wire.hpp), 30 virtual
// seconds each, at 1 s and 10 ms adverts, v2 and v3, with and without a wire delay. Times are
// asserted to the nanosecond against the RFC 5798 formulas.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/unit/vrrpd/sim_wire.hpp"
#include "vrrpd/core/fsm.hpp"
#include "vrrpd/core/timers.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using boost::asio::ip::make_address;
using sim::Wire;

constexpr TimePoint at(Duration since_start) {
    return TimePoint{} + since_start;
}

struct Profile {
    const char* name;
    ProtocolVersion version;
    Duration interval;
    Duration delay;  // one-way wire latency
};

// v2 carries whole seconds on the wire; the 10 ms v2 profile exercises the FSM's v2 skew
// ((256 - p) / 256 s regardless of the interval), which config validation will not allow.
const Profile profiles[] = {
    {"v2_1s", ProtocolVersion::v2, 1s, 0ns},
    {"v2_1s_delay5ms", ProtocolVersion::v2, 1s, 5ms},
    {"v3_1s", ProtocolVersion::v3, 1s, 0ns},
    {"v3_1s_delay5ms", ProtocolVersion::v3, 1s, 5ms},
    {"v3_10ms", ProtocolVersion::v3, 10ms, 0ns},
    {"v3_10ms_delay1ms", ProtocolVersion::v3, 10ms, 1ms},
    {"v2_10ms", ProtocolVersion::v2, 10ms, 0ns},
    {"v2_10ms_delay1ms", ProtocolVersion::v2, 10ms, 1ms},
};

class Election : public ::testing::TestWithParam<Profile> {
  protected:
    static constexpr std::size_t a = 0;  // priority 150, 10.0.0.1
    static constexpr std::size_t b = 1;  // priority 100, 10.0.0.2
    static constexpr std::size_t c = 2;  // priority 50, 10.0.0.3
    const TimePoint end = at(30s);

    Duration interval() const { return GetParam().interval; }
    Duration delay() const { return GetParam().delay; }
    Duration skew(std::uint8_t priority) const {
        return skew_time(priority, interval(), GetParam().version);
    }
    Duration down(std::uint8_t priority) const {
        return master_down_interval(interval(), skew(priority));
    }

    RouterConfig node(std::uint8_t priority, const char* address, bool preempt = true) const {
        RouterConfig config;
        config.vrid = 51;
        config.priority = priority;
        config.version = GetParam().version;
        config.advertisement_interval = interval();
        config.preempt = preempt;
        config.primary_address = make_address(address);
        return config;
    }

    // A (150), B (100), C (50), all started at t = 0.
    void add_trio(bool a_preempts = true) {
        wire.add(node(150, "10.0.0.1", a_preempts));
        wire.add(node(100, "10.0.0.2"));
        wire.add(node(50, "10.0.0.3"));
        for (std::size_t n : {a, b, c})
            wire.start(n, at(0s));
    }

    // A moment well inside an advert interval, so an event does not coincide with an advert.
    TimePoint mid_interval(Duration t) const { return at(t) + interval() * 3 / 10; }

    Wire wire{GetParam().delay};
};

TEST_P(Election, initial_election_highest_priority_wins) {
    add_trio();
    ASSERT_TRUE(wire.run_until(end));

    const auto a_master = wire.transitions_to(a, State::master, at(0s));
    ASSERT_EQ(a_master.size(), 1u);
    // Nobody advertised before A, so it takes over when its own first down timer expires.
    EXPECT_EQ(a_master[0].at, at(down(150)));
    EXPECT_TRUE(wire.transitions_to(b, State::master, at(0s)).empty());
    EXPECT_TRUE(wire.transitions_to(c, State::master, at(0s)).empty());
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{a});
    EXPECT_EQ(wire.max_masters_since(at(0s)), 1u);
    EXPECT_EQ(wire.max_vip_holders_since(at(0s)), 1u);
    // Absolute deadlines: exactly one advert per interval from the takeover to the end.
    const auto expected = static_cast<std::size_t>((end - a_master[0].at) / interval()) + 1;
    EXPECT_EQ(wire.adverts_sent(a, 150, at(0s), end), expected);
}

TEST_P(Election, staggered_start_converges_on_highest_priority) {
    wire.add(node(150, "10.0.0.1"));
    wire.add(node(100, "10.0.0.2"));
    wire.add(node(50, "10.0.0.3"));
    wire.start(c, at(0s));
    wire.start(b, at(0s) + interval() / 2);
    wire.start(a, at(0s) + interval());
    ASSERT_TRUE(wire.run_until(end));

    // A discards the lower masters' adverts and preempts when its own timer runs out.
    const auto a_master = wire.transitions_to(a, State::master, at(0s));
    ASSERT_EQ(a_master.size(), 1u);
    EXPECT_EQ(a_master[0].at, at(0s) + interval() + down(150));
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{a});
    EXPECT_EQ(wire.max_masters_since(a_master[0].at + delay()), 1u);
    EXPECT_EQ(wire.max_vip_holders_since(a_master[0].at + delay()), 1u);
}

TEST_P(Election, master_loss_next_highest_takes_over_after_master_down_interval) {
    add_trio();
    const TimePoint crash_at = mid_interval(10s);
    wire.crash(a, crash_at);
    ASSERT_TRUE(wire.run_until(end));

    const auto last_from_a = wire.last_delivery(a, b, end);
    ASSERT_TRUE(last_from_a);
    const auto b_master = wire.transitions_to(b, State::master, crash_at);
    ASSERT_EQ(b_master.size(), 1u);
    EXPECT_EQ(b_master[0].at - last_from_a->at, down(100));
    EXPECT_EQ(b_master[0].reason, "master down timer expired");
    EXPECT_TRUE(wire.transitions_to(c, State::master, at(0s)).empty());
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{b});
    EXPECT_EQ(wire.max_masters_since(at(down(150))), 1u);
    EXPECT_EQ(wire.max_vip_holders_since(at(down(150))), 1u);
}

TEST_P(Election, priority_zero_hands_over_after_skew_time) {
    add_trio();
    const TimePoint stop_at = mid_interval(10s);
    wire.stop(a, stop_at);
    ASSERT_TRUE(wire.run_until(end));

    const auto b_master = wire.transitions_to(b, State::master, stop_at);
    ASSERT_EQ(b_master.size(), 1u);
    EXPECT_EQ(b_master[0].at, stop_at + delay() + skew(100));
    EXPECT_EQ(b_master[0].reason, "priority 0 received from 10.0.0.1");
    EXPECT_EQ(wire.adverts_sent(a, 0, stop_at, stop_at), 1u);
    EXPECT_TRUE(wire.transitions_to(c, State::master, at(0s)).empty());
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{b});
    // The VIPs are never held twice, and are held by nobody only between the two.
    EXPECT_EQ(wire.max_vip_holders_since(at(0s)), 1u);
    EXPECT_EQ(wire.max_masters_since(at(down(150))), 1u);
}

TEST_P(Election, returning_master_preempts_back) {
    add_trio();
    wire.crash(a, mid_interval(10s));
    wire.start(a, at(20s));
    ASSERT_TRUE(wire.run_until(end));

    const auto a_back = wire.transitions_to(a, State::master, at(20s));
    ASSERT_EQ(a_back.size(), 1u);
    EXPECT_EQ(a_back[0].at, at(20s) + down(150));
    const auto b_yields = wire.transitions_to(b, State::backup, at(20s));
    ASSERT_EQ(b_yields.size(), 1u);
    EXPECT_EQ(b_yields[0].at, a_back[0].at + delay());
    EXPECT_EQ(b_yields[0].reason, "preempted by higher priority 150 from 10.0.0.1");
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{a});
    // Two masters only while A's first advert is on the wire.
    EXPECT_EQ(wire.dual_master_time(at(down(150))), delay());
}

TEST_P(Election, nopreempt_returning_master_stays_backup) {
    add_trio(/*a_preempts=*/false);
    wire.crash(a, mid_interval(10s));
    wire.start(a, at(20s));
    ASSERT_TRUE(wire.run_until(end));

    EXPECT_TRUE(wire.transitions_to(a, State::master, at(20s)).empty());
    EXPECT_EQ(wire.state(a), State::backup);
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{b});
    EXPECT_EQ(wire.dual_master_time(at(down(150))), 0ns);
    EXPECT_EQ(wire.max_vip_holders_since(at(0s)), 1u);
}

TEST_P(Election, equal_priorities_resolved_by_highest_address) {
    wire.add(node(100, "10.0.0.1"));
    wire.add(node(100, "10.0.0.2"));
    wire.add(node(100, "10.0.0.3"));
    for (std::size_t n : {a, b, c})
        wire.start(n, at(0s));
    ASSERT_TRUE(wire.run_until(end));

    // Identical timers: all three claim mastership at once, and the address decides.
    for (std::size_t n : {a, b, c}) {
        const auto became = wire.transitions_to(n, State::master, at(0s));
        ASSERT_EQ(became.size(), 1u) << "node " << n;
        EXPECT_EQ(became[0].at, at(down(100)));
    }
    const auto a_yields = wire.transitions_to(a, State::backup, at(down(100)));
    ASSERT_EQ(a_yields.size(), 1u);
    EXPECT_EQ(a_yields[0].at, at(down(100)) + delay());
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{c});
    EXPECT_EQ(wire.dual_master_time(at(0s)), delay());
    EXPECT_EQ(wire.max_masters_since(at(down(100)) + delay()), 1u);
    EXPECT_EQ(wire.max_vip_holders_since(at(down(100)) + delay()), 1u);
}

TEST_P(Election, lowered_master_priority_hands_over_to_preempting_backup) {
    add_trio();
    // A health check drops A from 150 to 40 (below B's 100) at 10 s.
    const TimePoint drop_at = mid_interval(10s);
    wire.change_priority(a, 40, drop_at);
    ASSERT_TRUE(wire.run_until(end));

    // B discards A's adverts from then on and preempts one Master_Down_Interval after the last
    // one it accepted.
    const auto last_accepted = wire.last_delivery(a, b, drop_at + delay());
    ASSERT_TRUE(last_accepted);
    const auto b_master = wire.transitions_to(b, State::master, drop_at);
    ASSERT_EQ(b_master.size(), 1u);
    EXPECT_EQ(b_master[0].at, last_accepted->at + down(100));
    EXPECT_EQ(b_master[0].reason, "preempting lower priority 40 from 10.0.0.1");
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{b});
    EXPECT_EQ(wire.dual_master_time(at(down(150))), delay());
}

std::string profile_name(const ::testing::TestParamInfo<Profile>& param) {
    return param.param.name;
}

INSTANTIATE_TEST_SUITE_P(Profiles, Election, ::testing::ValuesIn(profiles), profile_name);

TEST(ElectionV3, backups_learn_a_faster_masters_interval) {
    // A advertises every 10 ms; B and C are configured for 1 s but follow A's Max Adver Int,
    // so losing A costs 3 x 10 ms + skew, not 3.6 s.
    Wire wire;
    auto config = [](std::uint8_t priority, const char* address, Duration interval) {
        RouterConfig c;
        c.priority = priority;
        c.version = ProtocolVersion::v3;
        c.advertisement_interval = interval;
        c.primary_address = make_address(address);
        return c;
    };
    const auto a = wire.add(config(150, "10.0.0.1", 10ms));
    const auto b = wire.add(config(100, "10.0.0.2", 1s));
    wire.add(config(50, "10.0.0.3", 1s));
    for (std::size_t n = 0; n < 3; ++n)
        wire.start(n, at(0s));
    wire.crash(a, at(10'003ms));
    ASSERT_TRUE(wire.run_until(at(30s)));

    const auto last = wire.last_delivery(a, b, at(30s));
    ASSERT_TRUE(last);
    const auto b_master = wire.transitions_to(b, State::master, at(10s));
    ASSERT_EQ(b_master.size(), 1u);
    const Duration learnt_down =
        master_down_interval(10ms, skew_time(100, 10ms, ProtocolVersion::v3));
    EXPECT_EQ(b_master[0].at - last->at, learnt_down);
    EXPECT_EQ(learnt_down, 36'093'750ns);
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{b});
}

TEST(ElectionV3, thirty_seconds_of_10ms_adverts_run_in_virtual_time) {
    Wire wire;
    for (const char* address : {"10.0.0.1", "10.0.0.2", "10.0.0.3"}) {
        RouterConfig c;
        c.priority = static_cast<std::uint8_t>(100 + address[7] - '0');
        c.version = ProtocolVersion::v3;
        c.advertisement_interval = 10ms;
        c.primary_address = make_address(address);
        wire.start(wire.add(c), at(0s));
    }
    ASSERT_TRUE(wire.run_until(at(30s)));
    EXPECT_EQ(wire.now(), at(30s));
    // The master (priority 103) sent about 3000 adverts, each received by two peers.
    EXPECT_GE(wire.deliveries().size(), 2u * 2990u);
    EXPECT_EQ(wire.masters(), std::vector<std::size_t>{2});
}

}  // namespace
}  // namespace havip::vrrp
