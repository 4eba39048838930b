#include "vrrpd/core/instance_core.hpp"

#include <utility>

#include "vrrpd/core/text.hpp"

namespace havip::vrrp {

InstanceCore::InstanceCore(std::string name, const RouterConfig& config,
                           std::vector<TrackSettings> tracks, std::string sync_group,
                           Outputs outputs)
    : name_{std::move(name)},
      group_{std::move(sync_group)},
      out_{std::move(outputs)},
      router_{config},
      tracker_{config.priority, std::move(tracks)} {}

void InstanceCore::start(TimePoint now) {
    if (tracker_.fault())
        handle(FaultRaised{text::join(tracker_.fault_causes(), ", ")}, now);
    else if (sync_fault_)
        handle(FaultRaised{*sync_fault_}, now);
    if (tracker_.effective_priority() != router_.config().priority)
        handle(PriorityChanged{effective_priority()}, now);
    handle(Startup{}, now);
}

void InstanceCore::handle(const Event& event, TimePoint now) {
    const Actions actions = router_.handle(event, now);
    // Master again (the peer failed, or a switchover moved the VIP back): the hold has done
    // its work. Ended before the actions run, so what they save says so.
    bool hold_done = false;
    for (const auto& a : actions)
        if (const auto* c = std::get_if<StateChanged>(&a); c && c->to == State::master)
            hold_done = switchover_hold_.has_value();
    if (hold_done) switchover_hold_.reset();
    out_.apply(actions);
    if (hold_done) {
        handle(PreemptHold{preempt_held()}, now);
        if (out_.note)
            out_.note({false, "switchover hold ended: this node is MASTER again", {}, {}});
    }
    for (const auto& a : actions) {
        if (const auto* c = std::get_if<StateChanged>(&a))
            tell_group(
                {name_, SyncSignal::Kind::changed, c->from, c->to, c->retake, in_group_order_});
        else if (std::holds_alternative<SyncWantsMaster>(a))
            tell_group({name_, SyncSignal::Kind::wants_master});
    }
}

void InstanceCore::reconfigure(const RouterConfig& config, std::vector<TrackSettings> tracks,
                               std::string sync_group, TimePoint now) {
    // A FAULT the old sync group imposed is not the new one's (nor an ungrouped instance's):
    // the new group says again, from its members as they are.
    if (sync_group != group_) sync_fault_.reset();
    group_ = std::move(sync_group);
    tracker_ = tracker_.reconfigured(config.priority, std::move(tracks));
    const bool was_held = preempt_held();
    std::erase_if(failback_holds_, [&](const auto& h) { return !tracker_.index_of(h.first); });
    if (was_held && !preempt_held()) handle(PreemptHold{false}, now);
    handle(Reconfigure{config, effective_priority()}, now);
    const State s = router_.state();
    if (s != State::init && in_fault() && s != State::fault) {
        handle(FaultRaised{fault_reason()}, now);
    } else if (s == State::fault && !in_fault()) {
        handle(FaultCleared{}, now);
    }
}

bool InstanceCore::lose_interface(std::string reason, TimePoint now) {
    if (interface_lost_) return false;
    const bool was_in_fault = in_fault();
    const bool was_own_fault = own_fault();
    interface_lost_ = reason;
    if (router_.state() != State::init && !was_in_fault) handle(FaultRaised{reason}, now);
    if (!was_own_fault) unchanged_state_to_group();
    return true;
}

void InstanceCore::rebind(const RouterConfig& config, std::vector<TrackSettings> tracks,
                          std::string sync_group, TimePoint now) {
    const bool was_own_fault = own_fault();
    interface_lost_.reset();
    reconfigure(config, std::move(tracks), std::move(sync_group), now);
    if (was_own_fault != own_fault()) unchanged_state_to_group();
}

std::string InstanceCore::fault_reason() const {
    if (interface_lost_) return *interface_lost_;
    if (tracker_.fault()) return text::join(tracker_.fault_causes(), ", ");
    return sync_fault_.value_or("");
}

void InstanceCore::report(std::size_t index, Outcome outcome, std::string reason, TimePoint now) {
    track_changed(tracker_.report(index, outcome, std::move(reason)), now);
}

void InstanceCore::report(const std::string& name, Outcome outcome, std::string reason,
                          TimePoint now) {
    track_changed(tracker_.report(name, outcome, std::move(reason)), now);
}

void InstanceCore::update_track(std::size_t index, const TrackSettings& item, TimePoint now) {
    track_changed(tracker_.update_settings(index, item), now);
}

void InstanceCore::track_changed(const std::optional<TrackChange>& change, TimePoint now) {
    if (!change) return;
    if (out_.note)
        out_.note({change->fault_after || change->priority_after < change->priority_before,
                   change->describe(), change->item, change->reason});
    if (router_.state() == State::init) return;  // start() applies the tracker's verdict
    if (change->fault_after && !change->fault_before) {
        handle(FaultRaised{text::concat(change->item, " (", change->reason, ")")}, now);
    } else if (!change->fault_after && change->fault_before && !in_fault()) {
        handle(PriorityChanged{effective_priority()}, now);
        handle(FaultCleared{}, now);
    }
    if (change->priority_after != change->priority_before)
        handle(PriorityChanged{effective_priority()}, now);
    // The group judges by whose fault it is (sync_view): tell it even when the state stays
    // FAULT because the group's fault was already in force.
    if (change->fault_after != change->fault_before) unchanged_state_to_group();
}

bool InstanceCore::failback_hold(const std::string& name, const std::string& reason,
                                 TimePoint now) {
    if (!tracker_.index_of(name)) return false;
    const bool was_held = preempt_held();
    if (reason.empty())
        failback_holds_.erase(name);
    else
        failback_holds_[name] = reason;
    if (preempt_held() == was_held) return false;
    handle(PreemptHold{preempt_held()}, now);
    return true;
}

bool InstanceCore::switchover_hold(const std::string& hold, TimePoint now) {
    const bool was_held = preempt_held();
    const bool had = switchover_hold_.has_value();
    if (hold.empty())
        switchover_hold_.reset();
    else
        switchover_hold_ = hold;
    if (preempt_held() != was_held) handle(PreemptHold{preempt_held()}, now);
    return had != switchover_hold_.has_value();
}

void InstanceCore::sync_order(const SyncOrder& order, TimePoint now) {
    const auto carry_out = [&](const Event& event) {
        in_group_order_ = true;
        handle(event, now);
        in_group_order_ = false;
    };
    switch (order.kind) {
        case SyncOrder::Kind::master:
            carry_out(SyncMaster{order.reason});
            break;
        case SyncOrder::Kind::backup:
            carry_out(SyncBackup{order.reason});
            break;
        case SyncOrder::Kind::retake:
            carry_out(SyncRetake{order.reason});
            break;
        case SyncOrder::Kind::fault:
            if (sync_fault_) return;  // a repeat
            sync_fault_ = order.reason;
            if (router_.state() != State::init && !own_fault())
                handle(FaultRaised{order.reason}, now);
            break;
        case SyncOrder::Kind::clear_fault:
            if (!sync_fault_) return;
            sync_fault_.reset();
            if (router_.state() != State::init && !own_fault()) {
                handle(PriorityChanged{effective_priority()}, now);
                handle(FaultCleared{}, now);
            }
            break;
    }
}

SyncMemberView InstanceCore::sync_view() const {
    return {name_, router_.state(), router_.wants_master(), own_fault()};
}

void InstanceCore::tell_group(const SyncSignal& signal) {
    if (out_.sync && !group_.empty()) out_.sync(signal);
}

std::optional<State> route_sync(std::string_view group, const std::vector<InstanceCore*>& members,
                                const SyncSignal& signal, TimePoint now) {
    auto views = [&] {
        std::vector<SyncMemberView> out;
        for (const auto* m : members)
            out.push_back(m->sync_view());
        return out;
    };
    if (members.empty()) return std::nullopt;
    for (const auto& order : plan_sync(group, views(), signal))
        for (auto* m : members)
            if (m->name() == order.member) m->sync_order(order, now);
    return group_state(views());
}

}  // namespace havip::vrrp
