#include "tests/sim/swarm.hpp"

#include <algorithm>
#include <random>

namespace havip::sim {

using namespace std::chrono_literals;

namespace {

class Draw {
  public:
    explicit Draw(std::uint64_t seed) : rng_{seed} {}
    std::uint64_t below(std::uint64_t n) { return rng_() % n; }
    bool chance(int percent) { return static_cast<int>(below(100)) < percent; }
    template <class T, std::size_t N>
    T pick(const T (&values)[N]) {
        return values[below(N)];
    }

  private:
    std::mt19937_64 rng_;
};

constexpr std::uint8_t priorities[] = {50, 100, 150, 200, 254};

// keepalived's advice for sync groups: the members of a group on one node share a priority
// and preempt mode and track nothing with a weight (keepalived ignores the weights), or two
// groups preferring different nodes for different members would pass the VIPs back and forth.
void edit_node(Draw& d, NodeConf& conf, bool owner_allowed) {
    const std::uint8_t priority =
        owner_allowed && d.chance(10) ? std::uint8_t{255} : d.pick(priorities);
    const bool preempt = d.chance(80);
    const Duration delay =
        d.chance(70) ? 0s
                     : Duration{std::chrono::milliseconds{500 * static_cast<int>(1 + d.below(6))}};
    // VRRPv3 backups learn the master's interval: the nodes need not agree on it.
    if (conf.version == vrrp::ProtocolVersion::v3 && d.chance(15))
        conf.interval = d.chance(50) ? Duration{100ms} : Duration{1s};
    if (d.chance(30)) {
        conf.script.rise = static_cast<int>(1 + d.below(3));
        conf.script.fall = static_cast<int>(1 + d.below(3));
        conf.script.timeout = d.pick({Duration{500ms}, Duration{1s}, Duration{2s}});
    }
    for (auto& i : conf.instances) {
        if (!i.group.empty()) {
            i.priority = priority;
            i.preempt = preempt;
            i.preempt_delay = delay;
            i.check_weight = 0;
            continue;
        }
        i.priority = d.pick(priorities);
        i.preempt = d.chance(80);
        i.preempt_delay = d.chance(70) ? 0s : delay;
        i.check_weight = d.pick({0, -60, 20});
    }
}

// One instance or two, grouped or not: the same for every node.
std::vector<InstanceConf> draw_structure(Draw& d) {
    std::vector<InstanceConf> out{InstanceConf{}};
    out[0].vrid = 1;
    if (d.chance(60)) {
        out.push_back(InstanceConf{});
        out[1].vrid = 2;
        if (d.chance(50)) out[0].group = out[1].group = "G";
    }
    if (d.chance(15)) std::reverse(out.begin(), out.end());  // configuration order
    return out;
}

}  // namespace

Schedule draw_schedule(std::uint64_t seed) {
    Draw d{seed ^ 0x9e3779b97f4a7c15ULL};
    Schedule s;
    const std::size_t nodes = d.chance(50) ? 3 : 2;
    NodeConf base;
    base.version = d.chance(50) ? vrrp::ProtocolVersion::v2 : vrrp::ProtocolVersion::v3;
    base.interval =
        base.version == vrrp::ProtocolVersion::v3 && d.chance(50) ? Duration{100ms} : Duration{1s};
    base.instances = draw_structure(d);
    const std::size_t owner = d.below(nodes);  // the one node that may be an address owner
    for (std::size_t n = 0; n < nodes; ++n) {
        NodeConf conf = base;
        edit_node(d, conf, n == owner);
        s.nodes.push_back(conf);
    }
    std::vector<NodeConf> current = s.nodes;

    const Duration chaos =
        30 * std::max_element(s.nodes.begin(), s.nodes.end(), [](const auto& x, const auto& y) {
                 return x.interval < y.interval;
             })->interval;
    const std::size_t count = 3 + d.below(40);
    std::vector<Duration> times;
    Duration last_fleet = -1h;
    for (std::size_t k = 0; k < count; ++k)
        times.push_back(Duration{static_cast<Duration::rep>(d.below(chaos.count()))});
    std::sort(times.begin(), times.end());
    using K = Step::Kind;
    constexpr K kinds[] = {K::kill,      K::stop,   K::start,      K::start,       K::partition,
                           K::partition, K::heal,   K::loss,       K::check,       K::check,
                           K::check,     K::hold,   K::switchover, K::vip_removed, K::link_down,
                           K::link_up,   K::reload, K::reload,     K::script};
    constexpr K database_kinds[] = {K::db_down, K::db_up,       K::db_freeze,
                                    K::db_thaw, K::db_refusing, K::db_refusing};
    s.manage_read_only = d.chance(50);
    for (const Duration at : times) {
        Step step;
        step.at = at;
        step.kind = s.manage_read_only && d.chance(10) ? d.pick(database_kinds) : d.pick(kinds);
        step.a = d.below(nodes);
        step.b = (step.a + 1 + d.below(nodes - 1)) % nodes;
        step.vrid = static_cast<std::uint8_t>(1 + d.below(2));
        switch (step.kind) {
            case K::loss:
                step.value = d.chance(30) ? 0 : static_cast<int>(10 + d.below(50));
                break;
            case K::check:
            case K::hold:
            case K::db_refusing:
                step.value = d.chance(50) ? 1 : 0;
                break;
            case K::script:
                step.value = static_cast<int>(
                    d.pick({Step::Script::exits_0, Step::Script::exits_0, Step::Script::exits_1,
                            Step::Script::hangs, Step::Script::cannot_start}));
                break;
            case K::reload:
                // A change of structure reaches every node, one after the other within a
                // second, and never overlaps the previous one.
                if (d.chance(25) && at >= last_fleet + 1s) {
                    last_fleet = at;
                    step.kind = K::reload_all;
                    const auto structure = draw_structure(d);
                    for (std::size_t n = 0; n < nodes; ++n) {
                        NodeConf& conf = current[n];
                        conf.instances = structure;
                        edit_node(d, conf, n == owner);
                        step.fleet.push_back(
                            {std::chrono::milliseconds{static_cast<long>(d.below(1000))}, conf});
                    }
                    break;
                }
                edit_node(d, current[step.a], step.a == owner);
                step.conf = current[step.a];
                break;
            default:
                break;
        }
        s.steps.push_back(step);
    }
    std::stable_sort(s.steps.begin(), s.steps.end(),
                     [](const Step& x, const Step& y) { return x.at < y.at; });

    // The end of the disturbances: the network whole, every interface back, every node up.
    s.whole_at = chaos + Duration{std::chrono::milliseconds{1000}};
    for (const Step& last : s.steps)
        s.whole_at = std::max(s.whole_at, last.at + 1s);
    auto at_whole = [&](K kind, std::size_t node) {
        Step step;
        step.at = s.whole_at;
        step.kind = kind;
        step.a = node;
        s.steps.push_back(step);
    };
    at_whole(K::heal, 0);
    at_whole(K::loss, 0);
    for (std::size_t n = 0; n < nodes; ++n) {
        at_whole(K::link_up, n);
        at_whole(K::start, n);
        if (s.manage_read_only) {
            at_whole(K::db_thaw, n);
            at_whole(K::db_refusing, n);  // value 0: takes them again
            at_whole(K::db_up, n);
        }
    }
    s.longest_interval = base.interval;
    for (const auto& conf : s.nodes)
        s.longest_interval = std::max(s.longest_interval, conf.interval);
    for (const Step& step : s.steps) {
        if (step.kind == K::reload)
            s.longest_interval = std::max(s.longest_interval, step.conf.interval);
        for (const auto& each : step.fleet)
            s.longest_interval = std::max(s.longest_interval, each.conf.interval);
    }
    // Long enough for a restarted node to wait out its Master_Down_Interval, a preempt_delay
    // (3 s at most) to run out and the election to settle.
    // Before that, a failing vrrp_script may still be counting its `fall` runs (from the whole
    // world's restarts: World::settled), and its instances leave MASTER only then. A node may
    // end with any configuration the schedule gives it (a fleet's reload lands after a later
    // one of its own).
    Duration scripts{0};
    auto count_script = [&](const NodeConf& conf) {
        scripts = std::max(scripts, (conf.script.fall + 1) * (conf.script.timeout + 1s));
    };
    for (const auto& conf : s.nodes)
        count_script(conf);
    for (const Step& step : s.steps) {
        if (step.kind == K::reload) count_script(step.conf);
        for (const auto& each : step.fleet)
            count_script(each.conf);
    }
    s.end = s.whole_at + scripts + 4 * longest_down_interval(s) + 3s + 2 * s.longest_interval;
    return s;
}

Verdict run_schedule(const Schedule& schedule, std::uint64_t seed) {
    World world{schedule, seed};
    Verdict v;
    v.broken = world.run();
    v.trace = world.trace();
    return v;
}

namespace {

// A broken rule without its figures (times, counts, node numbers): what a shrunk schedule must
// still break.
std::string rule_of(const std::string& broken) {
    std::string out;
    for (char c : broken)
        if (c < '0' || c > '9') out += c;
    return out;
}

}  // namespace

Schedule shrink(Schedule schedule, std::uint64_t seed) {
    const auto first = run_schedule(schedule, seed).broken;
    if (!first) return schedule;
    const std::string rule = rule_of(*first);
    bool dropped = true;
    while (dropped) {
        dropped = false;
        for (std::size_t k = 0; k < schedule.steps.size(); ++k) {
            if (schedule.steps[k].at >= schedule.whole_at) break;  // the making whole stays
            Schedule fewer = schedule;
            fewer.steps.erase(fewer.steps.begin() + static_cast<std::ptrdiff_t>(k));
            const auto broken = run_schedule(fewer, seed).broken;
            if (broken && rule_of(*broken) == rule) {
                schedule = std::move(fewer);
                dropped = true;
                --k;
            }
        }
    }
    return schedule;
}

}  // namespace havip::sim
