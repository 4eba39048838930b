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

// Seeds that once broke a rule, each run on every build (the random ones differ per run).
TEST(SwarmSeeds, every_seed_that_once_broke_a_rule_passes) {
    const std::uint64_t seeds[] = {
        216199139,  // a brief dual master: each promote fenced the other's server
        794164056,  // a reload's promote landing after the new check set's first snapshot
    };
    for (const auto seed : seeds)
        EXPECT_FALSE(run_schedule(draw_schedule(seed), seed).broken) << report(seed);
}

}  // namespace
}  // namespace havip::sim
