#include "tests/sim/world.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/ip/address_v4.hpp>
#include <utility>

#include "vrrpd/core/overloaded.hpp"
#include "vrrpd/core/timers.hpp"

namespace havip::sim {

using namespace std::chrono_literals;
using vrrp::Actions;
using vrrp::InstanceCore;
using vrrp::SyncSignal;

namespace {

std::string instance_name(std::uint8_t vrid) {
    return fmt::format("VI_{}", vrid);
}

boost::asio::ip::address node_address(std::size_t n) {
    return boost::asio::ip::address_v4{static_cast<std::uint32_t>(0x0a000001 + n)};
}

constexpr auto probe_deadline = 1s;  // a snapshot's, in this world
constexpr auto job_deadline = 3s;    // a promote's or demote's

std::string ms(Duration d) {
    return fmt::format("{}ms", std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// What an instance tracks: its check ("chk": the mysql_check behind VI_1 with
// manage_read_only, else a check the schedule flips) and the node's vrrp_script.
std::vector<vrrp::TrackSettings> tracked(const NodeConf& node, const InstanceConf& conf) {
    vrrp::TrackSettings check;
    check.name = "chk";
    check.weight = conf.check_weight;
    vrrp::TrackSettings script;
    script.name = "script";
    script.weight = conf.check_weight;
    script.rise = node.script.rise;
    script.fall = node.script.fall;
    return {check, script};
}

std::vector<vrrp::TrackSettings> tracked(const InstanceCore& core) {
    std::vector<vrrp::TrackSettings> out;
    for (const auto& item : core.tracker().items())
        out.push_back(item.settings);
    return out;
}

}  // namespace

Duration longest_down_interval(const Schedule& schedule) {
    const Duration interval = schedule.longest_interval;
    return vrrp::master_down_interval(interval,
                                      vrrp::skew_time(1, interval, schedule.nodes.front().version));
}

std::string describe(const Step& s) {
    const std::string at = ms(s.at);
    switch (s.kind) {
        case Step::Kind::kill:
            return fmt::format("{} kill node {}", at, s.a);
        case Step::Kind::stop:
            return fmt::format("{} stop node {}", at, s.a);
        case Step::Kind::start:
            return fmt::format("{} start node {}", at, s.a);
        case Step::Kind::partition:
            return fmt::format("{} partition {} | {}", at, s.a, s.b);
        case Step::Kind::heal:
            return fmt::format("{} heal", at);
        case Step::Kind::loss:
            return fmt::format("{} loss {}%", at, s.value);
        case Step::Kind::check:
            return fmt::format("{} node {} VI_{} check {}", at, s.a, s.vrid,
                               s.value ? "ok" : "failed");
        case Step::Kind::hold:
            return fmt::format("{} node {} VI_{} failback hold {}", at, s.a, s.vrid,
                               s.value ? "on" : "off");
        case Step::Kind::switchover:
            return fmt::format("{} node {} VI_{} switchover", at, s.a, s.vrid);
        case Step::Kind::vip_removed:
            return fmt::format("{} node {} VI_{} VIP removed by someone else", at, s.a, s.vrid);
        case Step::Kind::link_down:
            return fmt::format("{} node {} interface deleted", at, s.a);
        case Step::Kind::link_up:
            return fmt::format("{} node {} interface re-created", at, s.a);
        case Step::Kind::db_down:
            return fmt::format("{} node {} MariaDB dies", at, s.a);
        case Step::Kind::db_up:
            return fmt::format("{} node {} MariaDB starts (read-only)", at, s.a);
        case Step::Kind::db_freeze:
            return fmt::format("{} node {} MariaDB freezes (answers nothing)", at, s.a);
        case Step::Kind::db_thaw:
            return fmt::format("{} node {} MariaDB answers again", at, s.a);
        case Step::Kind::db_refusing:
            return fmt::format("{} node {} MariaDB {} read_only and fence statements", at, s.a,
                               s.value ? "refuses" : "takes");
        case Step::Kind::script: {
            constexpr const char* what[] = {"exits 0", "exits 1", "hangs",
                                            "cannot be started (fork fails)"};
            return fmt::format("{} node {} vrrp_script {}", at, s.a,
                               what[static_cast<std::size_t>(s.value) % 4]);
        }
        case Step::Kind::reload_all: {
            std::string out = fmt::format("{} every node reloads:", at);
            for (std::size_t n = 0; n < s.fleet.size(); ++n) {
                Step each = s;
                each.kind = Step::Kind::reload;
                each.at = s.at + s.fleet[n].after;
                each.a = n;
                each.conf = s.fleet[n].conf;
                out += "\n    " + describe(each);
            }
            return out;
        }
        case Step::Kind::reload: {
            std::string out = fmt::format(
                "{} node {} reload (adverts every {}; script rise {} fall {} timeout {}):", at, s.a,
                ms(s.conf.interval), s.conf.script.rise, s.conf.script.fall,
                ms(s.conf.script.timeout));
            for (const auto& i : s.conf.instances)
                out += fmt::format(" [VI_{} prio {}{}{}{}{}]", i.vrid, i.priority,
                                   i.preempt ? "" : " nopreempt",
                                   i.preempt_delay > 0ns ? " delay " + ms(i.preempt_delay) : "",
                                   i.group.empty() ? "" : " group " + i.group,
                                   i.check_weight ? fmt::format(" weight {}", i.check_weight) : "");
            return out;
        }
    }
    return at;
}

std::string describe(const Schedule& schedule) {
    std::string out;
    for (std::size_t n = 0; n < schedule.nodes.size(); ++n) {
        Step initial;
        initial.kind = Step::Kind::reload;
        initial.a = n;
        initial.conf = schedule.nodes[n];
        out += fmt::format("  config {}\n", describe(initial).substr(4));
    }
    out +=
        fmt::format("  VRRPv{}{}\n", static_cast<int>(schedule.nodes.front().version),
                    schedule.manage_read_only ? ", MariaDB behind VI_1 with manage_read_only" : "");
    for (const auto& s : schedule.steps)
        out += "  " + describe(s) + "\n";
    out += fmt::format("  {} the network is whole from here; end at {}\n", ms(schedule.whole_at),
                       ms(schedule.end));
    return out;
}

struct World::Instance {
    InstanceConf conf;
    std::unique_ptr<InstanceCore> core;
    std::uint64_t epoch = 0;               // tells a re-created instance's timers from the old
    std::uint64_t generation[2] = {0, 0};  // per TimerId: a newer arm or cancel wins
    bool handed_over = false;              // a switchover's BACKUP keeps its VIPs for two adverts
};

struct World::Node {
    NodeConf conf;
    bool running = false;
    bool link_lost = false;
    bool start_pending = false;   // asked to start while its interface was gone
    bool reload_pending = false;  // asked to reload (`file`) while its interface was gone
    NodeConf file;                // the configuration file as it is now
    std::vector<std::unique_ptr<Instance>> instances;
    std::map<std::uint8_t, bool> vip_on;    // the interface's addresses, by VRID
    std::map<std::uint8_t, bool> check_ok;  // what the check would say now
    std::map<std::uint8_t, bool> held;      // what the failback check would say now
    // Schedule::manage_read_only: the node's MariaDB server, and the check set's side of it.
    struct Database {
        bool alive = true;
        bool writable = false;
        bool frozen = false;  // alive, answering nothing: probes and jobs wait for their deadline
        bool refusing = false;  // answers probes, fails every manage_read_only job
        bool answers() const { return alive && !frozen; }
        std::vector<std::function<void()>> waiting;  // statements sent while frozen
    } db;
    vrrp::ReadOnlyRole role;
    bool job_running = false;
    Step::Script script = Step::Script::exits_0;  // what its vrrp_script does when run
    vrrp::ScriptRuns script_runs;
    TimePoint script_since{};  // doing what it does, under the running check set
    std::uint64_t checks_epoch = 0;                 // a restarted daemon's check set is a new one
    std::optional<TimePoint> writable_alone_since;  // writable without holding VI_1
    std::optional<TimePoint> read_only_holder_since;  // holding VI_1 on a read-only server
};

World::World(const Schedule& schedule, std::uint64_t seed) : schedule_{schedule}, rng_{seed} {
    for (const auto& conf : schedule_.nodes) {
        auto node = std::make_unique<Node>();
        node->conf = node->file = conf;
        nodes_.push_back(std::move(node));
    }
    apart_.assign(nodes_.size(), std::vector<bool>(nodes_.size(), false));
    delay_ = std::chrono::milliseconds{seed % 3 == 0 ? 0 : seed % 3 == 1 ? 1 : 5};
}

World::~World() = default;

void World::schedule(TimePoint at, std::function<void()> run) {
    queue_.push(Event{at, seq_++, std::move(run)});
}

std::optional<std::string> World::run() {
    for (std::size_t n = 0; n < nodes_.size(); ++n)
        schedule(TimePoint{} + Duration{0}, [this, n] { start_node(n); });
    for (const auto& step : schedule_.steps)
        schedule(TimePoint{} + step.at, [this, step] { apply(step); });
    const TimePoint end = TimePoint{} + schedule_.end;
    std::size_t budget = 5'000'000;
    try {
        while (!queue_.empty() && queue_.top().at <= end) {
            const TimePoint instant = queue_.top().at;
            now_ = instant;
            while (!queue_.empty() && queue_.top().at == instant) {
                if (budget-- == 0) return "the event budget ran out (a livelock?) at " + where();
                Event e = queue_.top();
                queue_.pop();
                e.run();
                if (broken_) return broken_;
            }
            if (auto broken = after_instant()) return broken;
        }
        now_ = end;
        return settled();
    } catch (const std::exception& e) {
        return fmt::format("exception at {}: {}", where(), e.what());
    }
}

Duration World::latency() {
    // A segment with latency also has jitter (up to 2 ms), so adverts from different nodes
    // arrive in either order.
    if (delay_ == Duration{0}) return delay_;
    return delay_ + Duration{static_cast<Duration::rep>(rng_() % 2'000'000)};
}

std::string World::where() const {
    return ms(now_ - TimePoint{});
}

World::Instance* World::find(std::size_t n, std::uint8_t vrid) {
    for (auto& i : nodes_[n]->instances)
        if (i->conf.vrid == vrid) return i.get();
    return nullptr;
}

std::vector<InstanceCore*> World::members(std::size_t n, const std::string& group) {
    std::vector<InstanceCore*> out;
    for (auto& i : nodes_[n]->instances)
        if (i->core->sync_group() == group) out.push_back(i->core.get());
    return out;
}

std::unique_ptr<World::Instance> World::make_instance(std::size_t n, const NodeConf& node,
                                                      const InstanceConf& conf) {
    auto instance = std::make_unique<Instance>();
    instance->conf = conf;
    instance->epoch = ++epochs_;
    vrrp::RouterConfig router;
    router.vrid = conf.vrid;
    router.priority = conf.priority;
    router.version = node.version;
    router.advertisement_interval = node.interval;
    router.preempt = conf.preempt;
    router.preempt_delay = conf.preempt_delay;
    router.primary_address = node_address(n);
    router.sync_group = !conf.group.empty();
    Instance* self = instance.get();
    InstanceCore::Outputs out{
        [this, n, self](const Actions& actions) { execute(n, *self, actions); },
        [this, n, self](const SyncSignal& signal) {
            // The daemon posts the group's turn: after the member's own handling.
            schedule(now_, [this, n, group = self->core->sync_group(), signal] {
                sync(n, group, signal);
            });
        },
        {}};
    instance->core = std::make_unique<InstanceCore>(instance_name(conf.vrid), router,
                                                    tracked(node, conf), conf.group, out);
    return instance;
}

void World::execute(std::size_t n, Instance& self, const Actions& actions) {
    Node& node = *nodes_[n];
    const std::uint8_t vrid = self.conf.vrid;
    for (const auto& action : actions) {
        std::visit(
            Overloaded{
                [&](const vrrp::SendAdvert& a) {
                    if (node.link_lost) return;  // no interface to send on
                    for (std::size_t to = 0; to < nodes_.size(); ++to) {
                        if (to == n || apart_[n][to]) continue;
                        if (loss_percent_ > 0 && static_cast<int>(rng_() % 100) < loss_percent_)
                            continue;
                        schedule(now_ + latency(), [this, n, to, vrid, p = a.priority,
                                                    interval = node.conf.interval] {
                            deliver(n, to, vrid, p, interval);
                        });
                    }
                },
                [&](const vrrp::ArmTimer& a) {
                    const auto slot = static_cast<std::size_t>(a.which);
                    const std::uint64_t generation = ++self.generation[slot];
                    schedule(a.deadline, [this, n, vrid, slot, generation, epoch = self.epoch,
                                          which = a.which] {
                        Instance* i = find(n, vrid);
                        if (!i || i->epoch != epoch || i->generation[slot] != generation) return;
                        if (which == vrrp::TimerId::master_down)
                            i->core->handle(vrrp::MasterDownTimerFired{}, now_);
                        else
                            i->core->handle(vrrp::AdverTimerFired{}, now_);
                    });
                },
                [&](const vrrp::CancelTimer& a) {
                    ++self.generation[static_cast<std::size_t>(a.which)];
                },
                [&](const vrrp::AddVips&) {
                    if (!node.link_lost) node.vip_on[vrid] = true;
                },
                [&](const vrrp::RemoveVips&) {
                    node.vip_on[vrid] = false;
                    self.handed_over = false;
                },
                [&](const vrrp::StateChanged& a) {
                    if (a.to != State::backup) self.handed_over = false;
                    trace_.push_back(fmt::format("{} node {} VI_{}: {} -> {} ({})", where(), n,
                                                 vrid, to_string(a.from), to_string(a.to),
                                                 a.reason));
                    holders_changed(n);  // the daemon's on_state_change
                },
                [&](const vrrp::Announce&) {},
                [&](const vrrp::SyncWantsMaster&) {},
                [&](const vrrp::RivalMaster& a) {
                    if (vrid != 1 || !schedule_.manage_read_only) return;
                    if (node.role.rival(a.source.to_string(), now_)) run_owed(n);
                },
            },
            action);
    }
}

void World::deliver(std::size_t from, std::size_t to, std::uint8_t vrid, std::uint8_t priority,
                    Duration interval) {
    Node& node = *nodes_[to];
    if (!node.running || node.link_lost || apart_[from][to]) return;
    Instance* i = find(to, vrid);
    if (!i) return;
    // keepalived ignores everything in INIT and FAULT (Instance::receive).
    const State s = i->core->state();
    if (s == State::init || s == State::fault) return;
    i->core->handle(vrrp::AdvertReceived{priority, interval, node_address(from)}, now_);
}

void World::sync(std::size_t n, const std::string& group, const SyncSignal& signal) {
    if (!nodes_[n]->running) return;
    vrrp::route_sync(group, members(n, group), signal, now_);
}

void World::regroup(std::size_t n, const std::string& group) {
    const auto cores = members(n, group);
    if (cores.empty()) return;
    const auto first = cores.front()->sync_view();
    sync(n, group, {first.name, SyncSignal::Kind::changed, first.state, first.state});
}

void World::start_node(std::size_t n) {
    Node& node = *nodes_[n];
    if (node.running) return;
    if (node.link_lost) {
        node.start_pending = true;
        return;
    }
    node.running = true;
    node.reload_pending = false;
    node.conf = node.file;
    for (auto& [vrid, on] : node.vip_on)
        on = false;  // remove_stale_vips
    for (const auto& conf : node.conf.instances)
        node.instances.push_back(make_instance(n, node.conf, conf));
    for (auto& i : node.instances)
        first_results(n, *i);
    start_checks(n);  // as the daemon: its check set before its instances start
    for (std::size_t k = 0; k < node.instances.size(); ++k)
        node.instances[k]->core->start(now_);
}

void World::first_results(std::size_t n, Instance& i) {
    Node& node = *nodes_[n];
    const auto vrid = i.conf.vrid;
    if (!node.check_ok.try_emplace(vrid, true).first->second)
        i.core->report("chk", vrrp::Outcome::failed, "check failed", now_);
    if (!node.db.alive) i.core->report("chk", vrrp::Outcome::down, "refused", now_);
    if (node.held[vrid]) i.core->failback_hold("chk", "not caught up", now_);
}

void World::stop_node(std::size_t n, bool graceful) {
    Node& node = *nodes_[n];
    node.start_pending = false;
    if (!node.running) return;
    if (graceful)
        for (auto& i : node.instances)
            i->core->handle(vrrp::Shutdown{}, now_);
    node.instances.clear();
    node.running = false;
}

void World::reload(std::size_t n, const NodeConf& conf) {
    Node& node = *nodes_[n];
    node.file = conf;
    if (!node.running) return;  // it starts with the file as it is then
    if (node.link_lost) {
        node.reload_pending = true;
        return;
    }
    node.reload_pending = false;
    // As Daemon::apply_reload: match, then run the reload program (vrrpd/core/reload_plan).
    auto key = [](const InstanceConf& c) {
        return vrrp::RouterKey{c.vrid, false, 1, false, "224.0.0.18"};
    };
    std::vector<vrrp::RouterKey> running_keys, wanted_keys;
    std::vector<std::string> running_groups, wanted_groups;
    for (const auto& i : node.instances) {
        running_keys.push_back(key(i->conf));
        running_groups.push_back(i->core->sync_group());
    }
    for (const auto& c : conf.instances) {
        wanted_keys.push_back(key(c));
        wanted_groups.push_back(c.group);
    }
    const auto plan = vrrp::plan_reload(running_keys, wanted_keys);
    const auto joined = vrrp::joined_sync_groups(plan, running_groups, wanted_groups);
    std::vector<std::unique_ptr<Instance>> old = std::move(node.instances);
    node.instances.clear();
    node.conf = conf;
    const std::size_t first_new = plan.keep.size();
    // The daemon's program; the steps about sockets, VIP lists and tracked interfaces have
    // nothing to act on here.
    for (const auto& step : vrrp::reload_program(plan, joined)) {
        using Kind = vrrp::ReloadStep::Kind;
        switch (step.kind) {
            case Kind::list_kept:
                for (const auto& k : plan.keep)
                    node.instances.push_back(std::move(old[k.running]));
                break;
            case Kind::stop:
                old[step.index]->core->handle(vrrp::Shutdown{}, now_);
                old[step.index].reset();
                break;
            case Kind::reconfigure: {
                Instance& i = *node.instances[step.index];
                const InstanceConf& c = conf.instances[plan.keep[step.index].wanted];
                i.conf = c;
                vrrp::RouterConfig router = i.core->router().config();
                router.advertisement_interval = conf.interval;
                router.priority = c.priority;
                router.preempt = c.preempt;
                router.preempt_delay = c.preempt_delay;
                router.sync_group = !c.group.empty();
                i.core->reconfigure(router, tracked(conf, c), c.group, now_);
                break;
            }
            case Kind::create:
                node.instances.push_back(
                    make_instance(n, conf, conf.instances[plan.start[step.index]]));
                first_results(n, *node.instances.back());
                break;
            case Kind::replace_checks:
                start_checks(n);
                break;
            case Kind::start:
                node.instances[first_new + step.index]->core->start(now_);
                break;
            case Kind::regroup:
                regroup(n, step.group);
                break;
            case Kind::release_dropped:
            case Kind::report_links:
            case Kind::sockets:
            case Kind::forget_groups:
                break;
        }
    }
}

void World::apply(const Step& s) {
    Node& node = *nodes_[s.a];
    Instance* instance = s.vrid ? (node.running ? find(s.a, s.vrid) : nullptr) : nullptr;
    switch (s.kind) {
        case Step::Kind::kill:
            stop_node(s.a, false);
            break;
        case Step::Kind::stop:
            stop_node(s.a, true);
            break;
        case Step::Kind::start:
            start_node(s.a);
            break;
        case Step::Kind::partition:
            apart_[s.a][s.b] = apart_[s.b][s.a] = true;
            break;
        case Step::Kind::heal:
            for (auto& row : apart_)
                std::fill(row.begin(), row.end(), false);
            break;
        case Step::Kind::loss:
            loss_percent_ = s.value;
            break;
        case Step::Kind::check:
            node.check_ok[s.vrid] = s.value != 0;
            if (instance)
                instance->core->report("chk", s.value ? vrrp::Outcome::ok : vrrp::Outcome::failed,
                                       s.value ? "check ok" : "check failed", now_);
            break;
        case Step::Kind::hold:
            node.held[s.vrid] = s.value != 0;
            if (instance)
                instance->core->failback_hold("chk", s.value ? "not caught up" : "", now_);
            break;
        case Step::Kind::switchover:
            if (!instance || instance->core->state() != State::master) break;
            instance->core->switchover_hold("switchover", now_);
            instance->handed_over = true;
            instance->core->handle(vrrp::HandOver{"switchover"}, now_);
            break;
        case Step::Kind::vip_removed:
            if (!node.vip_on[s.vrid]) break;
            node.vip_on[s.vrid] = false;
            if (instance && instance->core->state() == State::master)
                instance->core->handle(vrrp::VipsLostExternally{}, now_);
            break;
        case Step::Kind::link_down:
            if (node.link_lost) break;
            node.link_lost = true;  // its addresses and its socket go with it
            for (auto& [vrid, on] : node.vip_on)
                on = false;
            for (auto& i : node.instances)
                i->core->lose_interface("interface eth0 deleted", now_);
            break;
        case Step::Kind::link_up: {
            if (!node.link_lost) break;
            node.link_lost = false;
            for (auto& i : node.instances)
                i->core->rebind(i->core->router().config(), tracked(*i->core),
                                i->core->sync_group(), now_);
            if (std::exchange(node.start_pending, false)) start_node(s.a);
            if (node.reload_pending) reload(s.a, node.file);
            break;
        }
        case Step::Kind::reload:
            reload(s.a, s.conf);
            break;
        case Step::Kind::db_down:
        case Step::Kind::db_up: {
            const bool up = s.kind == Step::Kind::db_up;
            if (node.db.alive == up) break;
            for (auto& wake : std::exchange(node.db.waiting, {}))
                wake();  // their connections drop
            node.db.alive = up;
            node.db.writable = node.db.frozen = false;  // it starts read-only
            for (auto& i : node.instances) {
                const bool ok = up && node.check_ok.try_emplace(i->conf.vrid, true).first->second;
                i->core->report("chk",
                                ok   ? vrrp::Outcome::ok
                                : up ? vrrp::Outcome::failed
                                     : vrrp::Outcome::down,
                                up ? "server answers" : "connection refused", now_);
            }
            break;
        }
        case Step::Kind::script:
            node.script = static_cast<Step::Script>(s.value);
            node.script_since = now_;
            break;
        case Step::Kind::db_freeze:
            if (node.db.alive) node.db.frozen = true;
            break;
        case Step::Kind::db_refusing:
            node.db.refusing = s.value != 0;
            break;
        case Step::Kind::db_thaw:
            node.db.frozen = false;
            for (auto& wake : std::exchange(node.db.waiting, {}))
                wake();
            break;
        case Step::Kind::reload_all:
            for (std::size_t n = 0; n < s.fleet.size(); ++n)
                schedule(now_ + s.fleet[n].after,
                         [this, n, conf = s.fleet[n].conf] { reload(n, conf); });
            break;
    }
}

bool World::holds_vip(std::size_t n) const {
    const Node& node = *nodes_[n];
    if (!node.running) return false;
    for (const auto& i : node.instances)
        if (i->conf.vrid == 1) return i->core->state() == State::master;
    return false;
}

bool World::reachable(std::size_t from, std::size_t to) const {
    return !apart_[from][to] && !nodes_[from]->link_lost && !nodes_[to]->link_lost;
}

void World::start_checks(std::size_t n) {
    Node& node = *nodes_[n];
    const auto epoch = ++node.checks_epoch;
    // The check set's ScriptRunner: a run at once, then every second.
    node.script_runs = {};
    node.script_since = now_;
    script_interval(n, epoch);
    if (!schedule_.manage_read_only) return;
    node.role = {};
    node.job_running = false;
    node.role.holds_vip(holds_vip(n));
    schedule(now_, [this, n, epoch] { poll(n, epoch); });
}

void World::script_interval(std::size_t n, std::uint64_t epoch) {
    Node& node = *nodes_[n];
    if (!node.running || node.checks_epoch != epoch) return;
    schedule(now_ + 1s, [this, n, epoch] { script_interval(n, epoch); });
    if (!node.script_runs.interval()) return;  // the last run is still going: skipped
    using End = vrrp::ScriptRuns::End;
    const Step::Script script = node.script;
    const Duration took = script == Step::Script::hangs          ? node.conf.script.timeout
                          : script == Step::Script::cannot_start ? 0ms
                                                                 : 5ms;
    const End end = script == Step::Script::exits_0        ? End::exited_zero
                    : script == Step::Script::cannot_start ? End::not_started
                                                           : End::failed;  // also the timeout
    schedule(now_ + took, [this, n, epoch, end] {
        Node& ran = *nodes_[n];
        if (!ran.running || ran.checks_epoch != epoch) return;  // its daemon or check set is gone
        const auto outcome = ran.script_runs.ended(end);
        if (!outcome) return;
        for (auto& i : ran.instances)
            i->core->report("script", *outcome, *outcome == vrrp::Outcome::ok ? "exit 0" : "failed",
                            now_);
    });
}

void World::on_server(std::size_t n, Duration takes, Duration deadline,
                      std::function<void()> done) {
    Node& node = *nodes_[n];
    if (!node.db.frozen) {
        schedule(now_ + takes, std::move(done));
        return;
    }
    auto once = [ran = std::make_shared<bool>(false), done = std::move(done)] {
        if (!std::exchange(*ran, true)) done();
    };
    schedule(now_ + deadline, once);
    node.db.waiting.push_back([this, takes, once] { schedule(now_ + takes, once); });
}

void World::poll(std::size_t n, std::uint64_t epoch) {
    Node& node = *nodes_[n];
    if (!node.running || node.checks_epoch != epoch) return;
    schedule(now_ + 1s, [this, n, epoch] { poll(n, epoch); });
    node.role.holds_vip(holds_vip(n));
    run_owed(n);
    if (node.job_running) return;
    // A snapshot: the server answers or not; a frozen one only at the probe's deadline.
    node.job_running = true;
    on_server(n, 5ms, probe_deadline, [this, n, epoch] {
        Node& answered = *nodes_[n];
        if (answered.checks_epoch != epoch) return;
        answered.job_running = false;
        const bool answers = answered.db.answers();
        answered.role.snapshot(answers, now_);
        // The holder found read_only=1 it did not set (a peer's fence in a brief dual master):
        // promoted again at once (checks::decide's clear_read_only).
        if (holds_vip(n) && answered.role.writable() == true && answers && !answered.db.writable)
            answered.role.read_only_set_elsewhere();
        if (answers && answered.db.writable) answered.role.server_writable();
        // What the check tells its instances: down with the server; unsafe while a promote
        // that failed leaves the holder read-only; else the check's own verdict.
        const bool stuck = holds_vip(n) && answered.role.writable() != true &&
                           !answered.role.promote_failure().empty();
        for (auto& i : answered.instances) {
            const bool ok = answered.check_ok.try_emplace(i->conf.vrid, true).first->second;
            i->core->report("chk",
                            !answers ? vrrp::Outcome::down
                            : stuck  ? vrrp::Outcome::unsafe
                            : ok     ? vrrp::Outcome::ok
                                     : vrrp::Outcome::failed,
                            "snapshot", now_);
        }
        run_owed(n);  // as CheckSet::take_mysql_snapshot: what the snapshot found, at once
    });
}

void World::holders_changed(std::size_t n) {
    if (!schedule_.manage_read_only || !nodes_[n]->running) return;
    if (nodes_[n]->role.holds_vip(holds_vip(n))) run_owed(n);
}

void World::run_owed(std::size_t n) {
    Node& node = *nodes_[n];
    if (node.job_running) return;
    if (const auto action = node.role.owed(); action != vrrp::ReadOnlyRole::Action::none)
        run_job(n, action);
}

void World::run_job(std::size_t n, vrrp::ReadOnlyRole::Action action) {
    using Action = vrrp::ReadOnlyRole::Action;
    Node& starting = *nodes_[n];
    starting.job_running = true;
    starting.role.started(action, now_);
    const auto epoch = starting.checks_epoch;
    on_server(n, action == Action::demote ? 10ms : 30ms, job_deadline, [this, n, action, epoch] {
        Node& node = *nodes_[n];
        // What the job sent reaches the servers even if the daemon died meanwhile. A promote
        // whose fence a peer refuses (it answers, so it may be writable) does not go on
        // unfenced (checks::promote).
        bool fence_refused = false;
        for (std::size_t m = 0; m < nodes_.size(); ++m)
            fence_refused =
                fence_refused || (m != n && action != Action::demote && reachable(n, m) &&
                                  nodes_[m]->db.answers() && nodes_[m]->db.refusing);
        const bool ok = node.db.answers() && !node.db.refusing && !fence_refused;
        if (ok && action == Action::demote) node.db.writable = false;
        if (ok && action != Action::demote) {
            // The fence: read_only=1 on every peer whose server answers; one that does not is
            // taken as down (checks::promote).
            for (std::size_t m = 0; m < nodes_.size(); ++m)
                if (m != n && reachable(n, m) && nodes_[m]->db.answers())
                    nodes_[m]->db.writable = false;
            node.db.writable = true;
        }
        if (node.checks_epoch != epoch) return;
        node.job_running = false;
        node.role.finished(action, ok,
                           ok                 ? ""
                           : fence_refused    ? "fence: error 1205, not promoting unfenced"
                           : node.db.refusing ? "error 1205: lock wait timeout"
                                              : "connection refused",
                           now_);
        // Holding the VIP on a server that stays read-only helps nobody (CheckSet).
        if (!ok && action != Action::demote)
            for (auto& i : node.instances)
                i->core->report("chk", vrrp::Outcome::unsafe, "cannot become writable", now_);
        run_owed(n);
    });
}

std::optional<std::string> World::after_instant() {
    std::map<std::uint8_t, int> masters;
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
        const Node& node = *nodes_[n];
        if (!node.running) continue;
        for (const auto& [vrid, on] : node.vip_on) {
            if (!on) continue;
            const Instance* i = nullptr;
            for (const auto& x : node.instances)
                if (x->conf.vrid == vrid) i = x.get();
            if (!i)
                return fmt::format("{}: node {} holds the VIP of VI_{}, which it does not run",
                                   where(), n, vrid);
            const State s = i->core->state();
            if (s != State::master && !(s == State::backup && i->handed_over))
                return fmt::format("{}: node {} holds the VIP of VI_{} in {}", where(), n, vrid,
                                   to_string(s));
        }
        for (const auto& i : node.instances) {
            if (i->core->state() != State::master) continue;
            ++masters[i->conf.vrid];
            const auto vip = node.vip_on.find(i->conf.vrid);
            if (!node.link_lost && (vip == node.vip_on.end() || !vip->second))
                return fmt::format("{}: node {} VI_{} is MASTER without its VIP", where(), n,
                                   i->conf.vrid);
        }
    }
    const TimePoint whole = TimePoint{} + schedule_.whole_at;
    if (schedule_.manage_read_only)
        for (std::size_t n = 0; n < nodes_.size(); ++n) {
            Node& node = *nodes_[n];
            if (holds_vip(n) && node.db.answers() && !node.db.writable) {
                if (!node.read_only_holder_since) node.read_only_holder_since = now_;
            } else {
                node.read_only_holder_since.reset();
            }
            // A frozen server takes no writes: it counts from when it answers again; one that
            // refuses read_only=1 from when it takes it.
            if (!node.db.writable || holds_vip(n) || node.db.frozen || node.db.refusing) {
                node.writable_alone_since.reset();
                continue;
            }
            if (!node.writable_alone_since) node.writable_alone_since = now_;
            // Once the network is whole and every daemon runs: a demote (or a peer's fence)
            // within a poll of the check and its jobs.
            const TimePoint since = std::max(*node.writable_alone_since, whole);
            if (now_ - since > 1100ms)
                return fmt::format("{}: node {}'s database is writable for {} without VI_1",
                                   where(), n, ms(now_ - since));
        }
    if (now_ < whole) return std::nullopt;
    // Once the network is whole, two masters hear each other within an advert interval and
    // the lower steps down: never longer than a Master_Down_Interval.
    const Duration bound = longest_down_interval(schedule_) + delay_ + 2ms;
    for (std::uint8_t vrid = 1; vrid <= 2; ++vrid) {
        if (masters[vrid] < 2) {
            dual_since_.erase(vrid);
            continue;
        }
        const TimePoint since = std::max(dual_since_.try_emplace(vrid, now_).first->second, whole);
        if (now_ - since > bound)
            return fmt::format(
                "{}: two masters for VI_{} for {} after the network is whole "
                "(bound {})",
                where(), vrid, ms(now_ - since), ms(bound));
    }
    return std::nullopt;
}

std::optional<std::string> World::settled() {
    for (std::uint8_t vrid = 1; vrid <= 2; ++vrid) {
        int masters = 0, eligible = 0;
        for (std::size_t n = 0; n < nodes_.size(); ++n) {
            const Node& node = *nodes_[n];
            if (!node.running) continue;
            for (const auto& i : node.instances) {
                if (i->conf.vrid != vrid) continue;
                if (!i->core->in_fault()) ++eligible;
                if (i->core->state() == State::master) ++masters;
            }
        }
        if (eligible > 0 && masters != 1)
            return fmt::format(
                "{}: VI_{} has {} masters with {} eligible node(s), the network "
                "whole since {}",
                where(), vrid, masters, eligible, ms(schedule_.whole_at));
    }
    // The holder becomes writable within two polls: a peer's fence in a brief dual master
    // (both promote, each fences the other) is seen at the next snapshot and undone at the poll
    // after it (seed 216199139: equal priorities, MASTER for 5 ms on both).
    const TimePoint whole = TimePoint{} + schedule_.whole_at;
    for (std::size_t n = 0; schedule_.manage_read_only && n < nodes_.size(); ++n)
        if (const auto& since = nodes_[n]->read_only_holder_since;
            since && now_ - std::max(*since, whole) > 2100ms)
            return fmt::format("{}: node {} holds VI_1 and its database is read-only for {}",
                               where(), n, ms(now_ - std::max(*since, whole)));
    // A vrrp_script that fails or hangs has put every instance that tracks it without a weight
    // in FAULT after `fall` runs: one a second, or one every other second while each run hangs
    // past the next interval.
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
        const Node& node = *nodes_[n];
        const auto& script = node.conf.script;
        if (!node.running || node.link_lost ||
            (node.script != Step::Script::exits_1 && node.script != Step::Script::hangs) ||
            now_ - node.script_since <= (script.fall + 1) * (script.timeout + 1s))
            continue;
        for (const auto& i : node.instances)
            if (i->conf.check_weight == 0 && !i->core->in_fault())
                return fmt::format("{}: node {} VI_{} is {} while its vrrp_script fails", where(),
                                   n, i->conf.vrid, to_string(i->core->state()));
    }
    for (std::size_t n = 0; n < nodes_.size(); ++n) {
        const Node& node = *nodes_[n];
        std::map<std::string, State> group_state;
        for (const auto& i : node.instances) {
            const auto& g = i->core->sync_group();
            if (g.empty()) continue;
            auto [it, first] = group_state.try_emplace(g, i->core->state());
            if (!first && it->second != i->core->state())
                return fmt::format("{}: node {} sync group {} has members in {} and {}", where(), n,
                                   g, to_string(it->second), to_string(i->core->state()));
        }
    }
    return std::nullopt;
}

}  // namespace havip::sim
