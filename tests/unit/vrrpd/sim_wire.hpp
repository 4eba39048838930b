// A virtual-time VRRP network for tests: N Routers on one multicast wire, a priority queue of
// timer and delivery events, no sockets and no real clock. Thirty virtual seconds of 10 ms
// adverts run in milliseconds of wall time.
//
// The wire executes every Action as the daemon would: SendAdvert reaches every other live
// router after `delay`; ArmTimer schedules the fired event (a re-arm or cancel makes the
// earlier wait stale, as Asio's operation_aborted does); VIP actions track who holds the VIPs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "vrrpd/core/fsm.hpp"

namespace havip::vrrp::sim {

struct Transition {
    TimePoint at;
    std::size_t node = 0;
    State from = State::init;
    State to = State::init;
    std::string reason;
};

struct Delivery {
    TimePoint at;
    std::size_t from = 0;
    std::size_t to = 0;
    std::uint8_t priority = 0;
};

// What the wire looked like at the end of one instant (all events at one time processed).
struct Snapshot {
    TimePoint at;
    std::size_t masters = 0;
    std::size_t vip_holders = 0;
};

class Wire {
  public:
    explicit Wire(Duration delay = Duration{0}) : delay_(delay) {}

    // Adds a router (not started yet); returns its index.
    std::size_t add(RouterConfig config);

    // Scheduled operations, applied in time order with the protocol's own events.
    void start(std::size_t node, TimePoint at);  // a fresh Router gets Startup
    void crash(std::size_t node, TimePoint at);  // silent death: no advert, timers gone
    void stop(std::size_t node, TimePoint at);   // graceful Shutdown
    void change_priority(std::size_t node, std::uint8_t priority, TimePoint at);

    // Processes every event up to and including `end`. False if the event budget ran out
    // (a livelock in the protocol would otherwise hang the test).
    bool run_until(TimePoint end, std::size_t event_budget = 10'000'000);

    TimePoint now() const { return now_; }
    bool alive(std::size_t node) const { return nodes_.at(node).router.has_value(); }
    State state(std::size_t node) const;
    const Router& router(std::size_t node) const { return *nodes_.at(node).router; }
    std::vector<std::size_t> masters() const;

    const std::vector<Transition>& transitions() const { return transitions_; }
    const std::vector<Delivery>& deliveries() const { return deliveries_; }
    const std::vector<Snapshot>& snapshots() const { return snapshots_; }

    // The largest number of masters (or VIP holders) at the end of any instant in
    // [from, now], counting the situation already in force at `from`.
    std::size_t max_masters_since(TimePoint from) const;
    std::size_t max_vip_holders_since(TimePoint from) const;
    // Total virtual time in [from, now] during which more than one router was MASTER.
    Duration dual_master_time(TimePoint from) const;

    // Transitions of `node` into `to` at or after `from`.
    std::vector<Transition> transitions_to(std::size_t node, State to, TimePoint from) const;
    // Last advert `to` received from `from` strictly before `before`.
    std::optional<Delivery> last_delivery(std::size_t from, std::size_t to, TimePoint before) const;
    // Adverts a node sent with a given priority in [from, until].
    std::size_t adverts_sent(std::size_t node, std::uint8_t priority, TimePoint from,
                             TimePoint until) const;

  private:
    struct Node {
        RouterConfig config;
        std::optional<Router> router;
        std::uint64_t generation[2] = {0, 0};  // per TimerId: a newer arm/cancel wins
        bool holds_vips = false;
    };
    struct Sent {
        TimePoint at;
        std::size_t node;
        std::uint8_t priority;
    };
    struct Scheduled {
        TimePoint at;
        std::uint64_t seq;  // FIFO among events of the same instant
        std::function<void()> run;
        bool operator>(const Scheduled& other) const {
            return at != other.at ? at > other.at : seq > other.seq;
        }
    };

    void schedule(TimePoint at, std::function<void()> run);
    void deliver(std::size_t node, const Event& event);
    void execute(std::size_t node, const Actions& actions);
    void snapshot();
    std::size_t max_since(TimePoint from, std::size_t Snapshot::*field) const;

    Duration delay_;
    TimePoint now_{};
    std::uint64_t next_seq_ = 0;
    std::vector<Node> nodes_;
    std::priority_queue<Scheduled, std::vector<Scheduled>, std::greater<>> queue_;
    std::vector<Transition> transitions_;
    std::vector<Delivery> deliveries_;
    std::vector<Sent> sent_;
    std::vector<Snapshot> snapshots_;
};

}  // namespace havip::vrrp::sim
