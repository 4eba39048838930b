#include "tests/unit/vrrpd/sim_wire.hpp"

#include <algorithm>
#include <utility>

#include "vrrpd/core/overloaded.hpp"

namespace havip::vrrp::sim {

std::size_t Wire::add(RouterConfig config) {
    nodes_.push_back(Node{std::move(config), std::nullopt, {0, 0}, false});
    return nodes_.size() - 1;
}

void Wire::start(std::size_t node, TimePoint at) {
    schedule(at, [this, node] {
        Node& n = nodes_.at(node);
        n.router.emplace(n.config);
        deliver(node, Startup{});
    });
}

void Wire::crash(std::size_t node, TimePoint at) {
    schedule(at, [this, node] {
        Node& n = nodes_.at(node);
        if (!n.router) return;
        if (n.router->state() != State::init) {
            transitions_.push_back({now_, node, n.router->state(), State::init, "crashed"});
        }
        n.router.reset();
        ++n.generation[0];
        ++n.generation[1];
        n.holds_vips = false;  // the machine is gone, and its addresses with it
    });
}

void Wire::stop(std::size_t node, TimePoint at) {
    schedule(at, [this, node] {
        deliver(node, Shutdown{});
        nodes_.at(node).router.reset();
    });
}

void Wire::change_priority(std::size_t node, std::uint8_t priority, TimePoint at) {
    schedule(at, [this, node, priority] { deliver(node, PriorityChanged{priority}); });
}

bool Wire::run_until(TimePoint end, std::size_t event_budget) {
    while (!queue_.empty() && queue_.top().at <= end) {
        const TimePoint instant = queue_.top().at;
        now_ = instant;
        // Everything due at this instant, including what it schedules for the same instant
        // (adverts on a zero-delay wire), before the wire is looked at.
        while (!queue_.empty() && queue_.top().at == instant) {
            if (event_budget-- == 0) return false;
            Scheduled next = queue_.top();
            queue_.pop();
            next.run();
        }
        snapshot();
    }
    now_ = end;
    return true;
}

State Wire::state(std::size_t node) const {
    const Node& n = nodes_.at(node);
    return n.router ? n.router->state() : State::init;
}

std::vector<std::size_t> Wire::masters() const {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < nodes_.size(); ++i) {
        if (state(i) == State::master) out.push_back(i);
    }
    return out;
}

std::size_t Wire::max_masters_since(TimePoint from) const {
    return max_since(from, &Snapshot::masters);
}

std::size_t Wire::max_vip_holders_since(TimePoint from) const {
    return max_since(from, &Snapshot::vip_holders);
}

Duration Wire::dual_master_time(TimePoint from) const {
    Duration total{0};
    std::size_t in_force = 0;  // masters at `from`
    TimePoint since = from;
    for (const auto& s : snapshots_) {
        if (s.at <= from) {
            in_force = s.masters;
            continue;
        }
        if (in_force > 1) total += s.at - since;
        in_force = s.masters;
        since = s.at;
    }
    if (in_force > 1 && now_ > since) total += now_ - since;
    return total;
}

std::size_t Wire::max_since(TimePoint from, std::size_t Snapshot::*field) const {
    std::size_t worst = 0;
    // The snapshot in force at `from` is the last one taken at or before it.
    auto first = std::upper_bound(snapshots_.begin(), snapshots_.end(), from,
                                  [](TimePoint t, const Snapshot& s) { return t < s.at; });
    if (first != snapshots_.begin()) --first;
    for (auto it = first; it != snapshots_.end(); ++it)
        worst = std::max(worst, (*it).*field);
    return worst;
}

std::vector<Transition> Wire::transitions_to(std::size_t node, State to, TimePoint from) const {
    std::vector<Transition> out;
    for (const auto& t : transitions_) {
        if (t.node == node && t.to == to && t.at >= from) out.push_back(t);
    }
    return out;
}

std::optional<Delivery> Wire::last_delivery(std::size_t from, std::size_t to,
                                            TimePoint before) const {
    std::optional<Delivery> last;
    for (const auto& d : deliveries_) {
        if (d.from == from && d.to == to && d.at < before) last = d;
    }
    return last;
}

std::size_t Wire::adverts_sent(std::size_t node, std::uint8_t priority, TimePoint from,
                               TimePoint until) const {
    return static_cast<std::size_t>(std::count_if(sent_.begin(), sent_.end(), [&](const Sent& s) {
        return s.node == node && s.priority == priority && s.at >= from && s.at <= until;
    }));
}

void Wire::schedule(TimePoint at, std::function<void()> run) {
    queue_.push(Scheduled{at, next_seq_++, std::move(run)});
}

void Wire::deliver(std::size_t node, const Event& event) {
    Node& n = nodes_.at(node);
    if (!n.router) return;
    execute(node, n.router->handle(event, now_));
}

void Wire::execute(std::size_t node, const Actions& actions) {
    Node& self = nodes_.at(node);
    for (const auto& action : actions) {
        std::visit(
            Overloaded{
                [&](const SendAdvert& a) {
                    sent_.push_back({now_, node, a.priority});
                    const AdvertReceived advert{a.priority, self.config.advertisement_interval,
                                                self.config.primary_address};
                    for (std::size_t peer = 0; peer < nodes_.size(); ++peer) {
                        if (peer == node) continue;
                        schedule(now_ + delay_, [this, node, peer, advert] {
                            if (!nodes_.at(peer).router) return;  // nobody listening
                            deliveries_.push_back({now_, node, peer, advert.priority});
                            deliver(peer, advert);
                        });
                    }
                },
                [&](const ArmTimer& a) {
                    const auto slot = static_cast<std::size_t>(a.which);
                    const std::uint64_t generation = ++self.generation[slot];
                    schedule(a.deadline, [this, node, slot, generation, which = a.which] {
                        if (nodes_.at(node).generation[slot] != generation) return;  // stale
                        if (which == TimerId::master_down) {
                            deliver(node, MasterDownTimerFired{});
                        } else {
                            deliver(node, AdverTimerFired{});
                        }
                    });
                },
                [&](const CancelTimer& a) { ++self.generation[static_cast<std::size_t>(a.which)]; },
                [&](const AddVips&) { self.holds_vips = true; },
                [&](const RemoveVips&) { self.holds_vips = false; }, [&](const Announce&) {},
                [&](const StateChanged& a) {
                    transitions_.push_back({now_, node, a.from, a.to, a.reason});
                },
                [&](const SyncWantsMaster&) {},  // the simulated routers are in no group
                [&](const RivalMaster&) {},      // no database behind the simulated VIPs
            },
            action);
    }
}

void Wire::snapshot() {
    Snapshot s{now_, masters().size(), 0};
    for (const auto& n : nodes_)
        s.vip_holders += n.holds_vips ? 1 : 0;
    if (snapshots_.empty() || snapshots_.back().masters != s.masters ||
        snapshots_.back().vip_holders != s.vip_holders) {
        snapshots_.push_back(s);
    }
}

}  // namespace havip::vrrp::sim
