// The swarm: random schedules for the simulated world (tests/sim/world.hpp), each drawn from
// its seed alone, so a failing one is rerun from the seed it prints; and a failing schedule cut
// down to the steps it still fails with (the minimal replay a report shows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/sim/world.hpp"

namespace havip::sim {

// Two or three nodes, one or two instances (sometimes a sync group of both), VRRPv2 or v3 at
// 1 s or 100 ms adverts, then 3 to 42 random steps (kills, restarts, partitions, loss, check
// flaps, vrrp_scripts that fail, hang or cannot be started, failback holds, switchovers, VIPs
// removed, interfaces deleted and re-created, reloads with random edits, and with MariaDB
// servers: deaths, restarts, freezes) and, at the end, the network made whole with every node
// running.
Schedule draw_schedule(std::uint64_t seed);

struct Verdict {
    std::optional<std::string> broken;  // the first rule broken, or nothing
    std::vector<std::string> trace;     // the state changes, in order
};

Verdict run_schedule(const Schedule& schedule, std::uint64_t seed);

// Drops steps one at a time, keeping each drop after which the schedule still breaks the same
// rule, until no single step can go.
Schedule shrink(Schedule schedule, std::uint64_t seed);

}  // namespace havip::sim
