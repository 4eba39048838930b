// The priority/fault accounting a vrrp_instance applies to what it tracks (keepalived
// semantics, shared/reference/keepalived.md sections 2-3). Pure: results go in, the effective
// priority, the FAULT verdict and a record of what changed come out. An instance's decision,
// so it lives in the core; checks/ only reports Outcomes into it.
//
// Like OpenBSD carp's demotion counter, the tracker remembers exactly what each item
// contributed when its state last changed, and undoes exactly that when it changes back,
// so a reload that edits a weight can never leave a stray adjustment behind.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace havip::vrrp {

// The verdict of one run of a check. Scripts and tcp_check give ok/failed; mysql_check maps
// healthy→ok, degraded→degraded, unsafe→unsafe, down→down, and a down that proves the server
// gone (checks/mysql_failure.hpp) → gone: the item is down at once, without waiting for `fall`.
// unsafe and down mean FAULT whatever the weight; a negative weight is subtracted while failed
// or degraded.
enum class Outcome { ok, degraded, failed, down, gone, unsafe };

// The state an item is in after rise/fall filtering.
enum class ItemState { ok, degraded, failed, down, unsafe };
const char* to_string(ItemState state);

struct TrackSettings {
    std::string name;
    int weight = 0;        // -253..253; 0: failure puts the instance in FAULT
    bool reverse = false;  // success counts as failure and the weight's sign flips
    int rise = 1;          // consecutive good results needed to leave the failed state
    int fall = 1;          // consecutive bad results needed to enter it
    bool init_fail = false;
    int lag_weight = 0;  // subtracted (as |lag_weight|) while a mysql_check is degraded
    // A `down` result means FAULT whatever the weight: a database that does not answer must
    // not hold the VIP (decision table: "connect/query fails `fall` times → FAULT").
    bool down_means_fault = true;
};

// What one item does to the instance right now.
struct Contribution {
    int delta = 0;       // added to the base priority
    bool fault = false;  // puts the instance in FAULT
    bool operator==(const Contribution&) const = default;
};

struct ItemStatus {
    TrackSettings settings;
    ItemState state = ItemState::ok;
    int good_streak = 0;   // consecutive ok/degraded results
    int bad_streak = 0;    // consecutive failed/down results
    std::string reason;    // the last result's reason
    Contribution applied;  // what the tracker applied for this item, undone on the next change
};

// One change of an item's state and what it did to the instance: for logs and `havip status`.
struct TrackChange {
    std::string item;
    ItemState from = ItemState::ok;
    ItemState to = ItemState::ok;
    Contribution undone;   // the item's previous contribution, removed
    Contribution applied;  // its new contribution
    int priority_before = 0;
    int priority_after = 0;
    bool fault_before = false;
    bool fault_after = false;
    std::string reason;
    std::string describe() const;
};

class Tracker {
  public:
    // base_priority 1..255; 255 (address owner) is never adjusted.
    Tracker(int base_priority, std::vector<TrackSettings> items);

    // Feeds one result for item `index`. Returns the change when the item's state changed
    // (after rise/fall), nothing while a streak is still counting.
    std::optional<TrackChange> report(std::size_t index, Outcome outcome, std::string reason);
    // The same by name; nullopt also for an unknown name.
    std::optional<TrackChange> report(const std::string& name, Outcome outcome, std::string reason);

    // Reload: replaces an item's settings (weight, reverse…), keeping its state and streaks,
    // and re-applies its contribution under the new settings.
    std::optional<TrackChange> update_settings(std::size_t index, TrackSettings settings);
    // Reload of a running instance: a tracker for the new base priority and items, in which
    // every item tracked before (by name) keeps its state, streaks and reason, its
    // contribution recomputed under its new settings; a new item starts as the constructor
    // starts it. Nothing is lost between the two: a failed check stays failed.
    Tracker reconfigured(int base_priority, std::vector<TrackSettings> items) const;

    int base_priority() const { return base_; }
    // base + Σ applied deltas, clamped to 1..254; 255 stays 255.
    int effective_priority() const;
    bool fault() const;
    // The names of the items holding the instance in FAULT, for "FAULT because …".
    std::vector<std::string> fault_causes() const;
    const std::vector<ItemStatus>& items() const { return items_; }
    std::optional<std::size_t> index_of(const std::string& name) const;

    // The contribution an item in `state` makes under `settings` (keepalived's rules).
    static Contribution contribution(const TrackSettings& settings, ItemState state);

  private:
    TrackChange apply(std::size_t index, ItemState to, std::string reason);

    int base_;
    std::vector<ItemStatus> items_;
};

}  // namespace havip::vrrp
