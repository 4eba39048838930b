// The decisions of one running vrrp_instance, with no I/O and no clock: its Router and what
// feeds it — the tracker (its tracked items' priority and faults), the FAULT its sync group
// imposes, an interface that went away, and what holds its preemption (checks not caught up,
// a switchover). The daemon's Instance executes what it decides; the swarm simulator
// (tests/sim) runs the same code under a virtual clock.
//
// Every input takes the time. The Router's actions go to Outputs::apply batch by batch, as
// they are decided and before anything decided after them; then each state change, and each
// wish for MASTER, is told to the sync group (Outputs::sync, only for a member of one).
// Outputs::note carries what a decision is worth a log line for.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vrrpd/core/fsm.hpp"
#include "vrrpd/core/sync_group.hpp"
#include "vrrpd/core/track.hpp"

namespace havip::vrrp {

struct CoreNote {
    bool warning = false;
    std::string message;
    std::string check;   // the tracked item it is about, if any
    std::string reason;  // HAVIP_REASON
};

class InstanceCore {
  public:
    struct Outputs {
        std::function<void(const Actions&)> apply;
        std::function<void(const SyncSignal&)> sync;
        std::function<void(const CoreNote&)> note;
    };

    InstanceCore(std::string name, const RouterConfig& config, std::vector<TrackSettings> tracks,
                 std::string sync_group, Outputs outputs);

    // Enters BACKUP (MASTER as address owner, FAULT when a tracked item or the group says so).
    // Tracked items that start failed count before the first state is chosen, so a broken
    // node never advertises.
    void start(TimePoint now);
    // An event for the Router as it is: adverts, timers, Shutdown, VipsLostExternally,
    // HandOver.
    void handle(const Event& event, TimePoint now);

    // A reload changed the settings (or the interfaces were resolved again): the Router keeps
    // its state and takes `config`; the tracker keeps what its items last said; a failback
    // hold by a check no longer tracked ends; the group's FAULT goes with the old group; FAULT
    // is entered or left as the new settings say.
    void reconfigure(const RouterConfig& config, std::vector<TrackSettings> tracks,
                     std::string sync_group, TimePoint now);
    // The instance's interface is gone: FAULT with `reason` until rebind(). False when it was
    // already gone.
    bool lose_interface(std::string reason, TimePoint now);
    // An interface of that name is back, resolved again: as reconfigure(), and it is not lost.
    void rebind(const RouterConfig& config, std::vector<TrackSettings> tracks,
                std::string sync_group, TimePoint now);

    // A tracked item's result, by index or by name (nothing for an unknown name).
    void report(std::size_t index, Outcome outcome, std::string reason, TimePoint now);
    void report(const std::string& name, Outcome outcome, std::string reason, TimePoint now);
    // A tracked item's settings changed (a track_file's weight follows the file's value).
    void update_track(std::size_t index, const TrackSettings& item, TimePoint now);

    // A tracked check says its database is not caught up (`reason`) or is again (empty).
    // True when preemption went from held to free or back.
    bool failback_hold(const std::string& name, const std::string& reason, TimePoint now);
    // Sets or ends (empty) the switchover hold. True when it started or ended. It also ends
    // when the Router next becomes MASTER.
    bool switchover_hold(const std::string& hold, TimePoint now);

    // What the sync group decided for this member (plan_sync).
    void sync_order(const SyncOrder& order, TimePoint now);
    SyncMemberView sync_view() const;

    const std::string& name() const { return name_; }
    const std::string& sync_group() const { return group_; }
    const Router& router() const { return router_; }
    State state() const { return router_.state(); }
    const Tracker& tracker() const { return tracker_; }
    const std::optional<std::string>& switchover_hold() const { return switchover_hold_; }
    bool preempt_held() const { return !failback_holds_.empty() || switchover_hold_; }
    bool interface_is_lost() const { return interface_lost_.has_value(); }
    // Faults of the instance's own (its tracked items, its interface gone), not its group's.
    bool own_fault() const { return tracker_.fault() || interface_lost_.has_value(); }
    bool in_fault() const { return own_fault() || sync_fault_.has_value(); }
    std::string fault_reason() const;

  private:
    void track_changed(const std::optional<TrackChange>& change, TimePoint now);
    void tell_group(const SyncSignal& signal);
    void unchanged_state_to_group() {
        tell_group({name_, SyncSignal::Kind::changed, state(), state()});
    }
    std::uint8_t effective_priority() const {
        return static_cast<std::uint8_t>(tracker_.effective_priority());
    }

    std::string name_;
    std::string group_;
    Outputs out_;
    Router router_;
    Tracker tracker_;
    // failback_hold: the objecting checks and their reasons.
    std::map<std::string, std::string> failback_holds_;
    std::optional<std::string> switchover_hold_;
    std::optional<std::string> sync_fault_;      // the group's FAULT imposed on this member
    bool in_group_order_ = false;  // carrying out a master, backup or retake order (by_group)
    std::optional<std::string> interface_lost_;  // why: the instance's interface is gone
};

// Executes plan_sync for one group after `signal`: every order goes to its member (which may
// tell the group again: Outputs::sync defers that, never calls back in). Returns the group's
// state afterwards (group_state), for its notify hooks.
std::optional<State> route_sync(std::string_view group, const std::vector<InstanceCore*>& members,
                                const SyncSignal& signal, TimePoint now);

}  // namespace havip::vrrp
