// The swarm (issue 16): thousands of random schedules run against havipd's decisions in the
// simulated world, each checked after every instant. A failing seed is cut down to a minimal
// replay and printed with the command that reruns it.
//
//   HAVIP_SWARM_SCHEDULES=N  schedules in all, split over the shards (default 40000)
//   HAVIP_SWARM_FIRST=S      the first seed (default: drawn, and printed)
//   HAVIP_SWARM_SEED=S       only this seed, with its schedule and state changes printed
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <utility>

#include "tests/sim/swarm.hpp"

namespace havip::sim {
namespace {

constexpr std::uint64_t shards = 4;

std::optional<std::uint64_t> env_number(const char* name) {
    const char* text = std::getenv(name);
    if (!text || !*text) return std::nullopt;
    return std::strtoull(text, nullptr, 10);
}

std::string report(std::uint64_t seed) {
    const Schedule full = draw_schedule(seed);
    const Schedule minimal = shrink(full, seed);
    const Verdict v = run_schedule(minimal, seed);
    std::string out = fmt::format(
        "seed {} breaks a rule: {}\nrerun: HAVIP_SWARM_SEED={} build/tests/sim_swarm\n"
        "minimal replay ({} of {} steps):\n{}",
        seed, run_schedule(full, seed).broken.value_or("none"), seed, minimal.steps.size(),
        full.steps.size(), describe(minimal));
    const std::size_t from = v.trace.size() > 40 ? v.trace.size() - 40 : 0;
    out += fmt::format("which breaks: {}\nits last state changes:\n", v.broken.value_or("none"));
    for (std::size_t k = from; k < v.trace.size(); ++k)
        out += "  " + v.trace[k] + "\n";
    return out;
}

class Swarm : public testing::TestWithParam<std::uint64_t> {};

TEST_P(Swarm, every_schedule_keeps_one_master_and_the_vips_where_the_states_say) {
    if (auto seed = env_number("HAVIP_SWARM_SEED")) {
        if (GetParam() != 0) GTEST_SKIP() << "HAVIP_SWARM_SEED runs in shard 0";
        const Schedule s = draw_schedule(*seed);
        const Verdict v = run_schedule(s, *seed);
        std::string trace;
        for (const auto& line : v.trace)
            trace += "  " + line + "\n";
        std::printf("seed %llu:\n%sstate changes:\n%s", static_cast<unsigned long long>(*seed),
                    describe(s).c_str(), trace.c_str());
        EXPECT_FALSE(v.broken) << report(*seed);
        return;
    }
    const std::uint64_t total = env_number("HAVIP_SWARM_SCHEDULES").value_or(40'000);
    static const std::uint64_t first =
        env_number("HAVIP_SWARM_FIRST").value_or(std::random_device{}() % 1'000'000'000ULL);
    std::printf("seeds %llu.. (HAVIP_SWARM_FIRST), shard %llu of %llu\n",
                static_cast<unsigned long long>(first), static_cast<unsigned long long>(GetParam()),
                static_cast<unsigned long long>(shards));
    const auto started = std::chrono::steady_clock::now();
    std::uint64_t ran = 0;
    for (std::uint64_t k = GetParam(); k < total; k += shards) {
        const std::uint64_t seed = first + k;
        ++ran;
        if (run_schedule(draw_schedule(seed), seed).broken) {
            ADD_FAILURE() << report(seed);
            return;
        }
    }
    const auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started);
    std::printf("%llu schedules in %.1f s\n", static_cast<unsigned long long>(ran), took.count());
}

INSTANTIATE_TEST_SUITE_P(Shard, Swarm, testing::Range<std::uint64_t>(0, shards));

// Schedules that once broke a rule, as their minimal replays: the drawing of schedules from
// seeds changes as the world grows, these stay.
using namespace std::chrono_literals;
using K = Step::Kind;

Step step(Duration at, K kind, std::size_t a = 0, std::uint8_t vrid = 0) {
    Step s;
    s.at = at;
    s.kind = kind;
    s.a = a;
    s.vrid = vrid;
    return s;
}

InstanceConf instance(std::uint8_t vrid, std::uint8_t priority, bool preempt = true,
                      std::string group = "", int weight = 0) {
    InstanceConf i;
    i.vrid = vrid;
    i.priority = priority;
    i.preempt = preempt;
    i.group = std::move(group);
    i.check_weight = weight;
    return i;
}

// The network made whole at `whole`, every node up and its server answering.
void make_whole(Schedule& s, Duration whole, Duration end, Duration longest_interval) {
    s.whole_at = whole;
    s.steps.push_back(step(whole, K::heal));
    s.steps.push_back(step(whole, K::loss));
    for (std::size_t n = 0; n < s.nodes.size(); ++n)
        for (K kind : {K::link_up, K::start, K::db_thaw, K::db_up})
            s.steps.push_back(step(whole, kind, n));
    s.longest_interval = longest_interval;
    s.end = end;
}

// A reload's promote landed after the new check set's first snapshot: the standby stayed
// writable for two check intervals.
Schedule a_promote_landing_after_a_reload() {
    auto node = [](std::uint8_t priority, bool preempt, bool vi_2_first) {
        NodeConf conf;
        conf.version = vrrp::ProtocolVersion::v3;
        conf.interval = 100ms;
        conf.instances = {instance(1, priority, preempt, "G"), instance(2, priority, preempt, "G")};
        if (vi_2_first) std::swap(conf.instances[0], conf.instances[1]);
        return conf;
    };
    Schedule s;
    s.manage_read_only = true;
    s.nodes = {node(50, true, false), node(50, true, false), node(200, true, false)};
    Step owner = step(133ms, K::reload, 2);
    owner.conf = node(255, false, false);
    Step lower = step(2136ms, K::reload, 2);
    lower.conf = node(150, true, true);
    s.steps = {owner, step(236ms, K::link_down, 2), lower, step(2311ms, K::check, 1, 2),
               step(2598ms, K::check, 2, 2)};
    make_whole(s, 4000ms, 24984ms, 100ms);
    return s;
}

// A promote that failed on a frozen server made every later takeover unsafe at its first
// snapshot, before that holding's own promote ran: the node gave VI_1 up every five seconds.
Schedule a_promote_failure_outliving_its_holding() {
    NodeConf a;
    a.instances = {instance(2, 50), instance(1, 100, true, "", 20)};
    NodeConf b;
    b.script = {3, 2, 500ms};
    b.instances = {instance(2, 100, false), instance(1, 254, false)};
    Schedule s;
    s.manage_read_only = true;
    s.nodes = {a, b};
    Step partition = step(2182ms, K::partition, 0);
    partition.b = 1;
    Step reload = step(3936ms, K::reload, 0);
    reload.conf = a;
    reload.conf.instances = {instance(2, 150), instance(1, 50, true, "", -60)};
    s.steps = {partition, step(2263ms, K::db_freeze, 0), reload, step(4259ms, K::check, 1, 1),
               step(9622ms, K::check, 0, 1)};
    make_whole(s, 31000ms, 51984ms, 1s);
    return s;
}

// The group took both members to MASTER; the peer (higher priority, answering every advert at
// once on a segment without delay) displaced one before the group heard of the other's ordered
// change, which took it back to MASTER: an endless exchange within one instant.
Schedule a_group_order_undoing_a_newer_change() {
    auto node = [](Duration interval, std::vector<InstanceConf> instances) {
        NodeConf conf;
        conf.version = vrrp::ProtocolVersion::v3;
        conf.interval = interval;
        conf.instances = std::move(instances);
        return conf;
    };
    Schedule s;
    s.nodes = {node(1s, {instance(1, 50, true, "", 20), instance(2, 100, true, "", 20)}),
               node(100ms, {instance(1, 100, true, "", -60), instance(2, 50, false)})};
    s.nodes[1].instances[1].preempt_delay = 1s;
    InstanceConf low = instance(2, 50, true, "G");
    low.preempt_delay = 2500ms;
    Step a = step(703ms, K::reload, 0);
    a.conf = node(1s, {low, low});
    a.conf.instances[1].vrid = 1;
    Step b = step(853ms, K::reload, 1);
    b.conf = node(100ms, {instance(2, 200, false, "G"), instance(1, 200, false, "G")});
    Step partition = step(8081ms, K::partition, 0);
    partition.b = 1;
    s.steps = {a, b, partition, step(8396ms, K::heal)};
    make_whole(s, 31000ms, 51984ms, 1s);
    return s;
}

// A promote begun on a frozen server failed after the node had let go of the VIP; its failure
// held back the demote the node then owed, and its server, writable from before the freeze,
// stayed writable once it answered again.
Schedule a_failed_promote_holding_back_the_demote() {
    auto node = [](std::uint8_t priority, bool preempt, Duration delay = 0s) {
        NodeConf conf;
        conf.version = vrrp::ProtocolVersion::v3;
        for (std::uint8_t vrid : {1, 2}) {
            InstanceConf i = instance(vrid, priority, preempt, "G");
            i.preempt_delay = delay;
            conf.instances.push_back(i);
        }
        return conf;
    };
    Schedule s;
    s.manage_read_only = true;
    s.nodes = {node(254, true), node(100, true, 2s), node(50, false)};
    Step owner = step(17248ms, K::reload, 0);
    owner.conf = node(255, true);
    Step higher = step(21389ms, K::reload, 1);
    higher.conf = node(200, true);
    higher.conf.script = {2, 1, 500ms};
    Step ok = step(27741ms, K::check, 0, 1);
    ok.value = 1;
    s.steps = {step(4316ms, K::db_freeze, 0), owner, higher, ok, step(29723ms, K::check, 0, 1)};
    make_whole(s, 31000ms, 51984ms, 1s);
    return s;
}

TEST(SwarmRegressions, every_schedule_that_once_broke_a_rule_passes) {
    const std::pair<std::uint64_t, Schedule> found[] = {
        {794164056, a_promote_landing_after_a_reload()},
        {9052840, a_promote_failure_outliving_its_holding()},
        {11167561, a_failed_promote_holding_back_the_demote()},
        {11107452, a_group_order_undoing_a_newer_change()},
    };
    for (const auto& [seed, schedule] : found) {
        const Verdict v = run_schedule(schedule, seed);
        EXPECT_FALSE(v.broken) << "seed " << seed << ": " << v.broken.value_or("") << "\n"
                               << describe(schedule);
    }
}

}  // namespace
}  // namespace havip::sim
