#include "vrrpd/core/fsm.hpp"

#include <algorithm>
#include <utility>

#include "vrrpd/core/overloaded.hpp"
#include "vrrpd/core/text.hpp"

namespace havip::vrrp {

namespace {

// RFC 5798 §6.4.3's address comparison: the addresses as numbers, never their IPv6 scope ids
// (asio's operator< orders by scope id too, and a received link-local source carries the
// interface's while our own primary address may carry none: our own looped advert would then
// "outrank" us).
int compare_addresses(const boost::asio::ip::address& a, const boost::asio::ip::address& b) {
    if (a.is_v4() != b.is_v4()) return a.is_v4() ? -1 : 1;
    if (a.is_v4()) {
        const auto x = a.to_v4().to_uint(), y = b.to_v4().to_uint();
        return x < y ? -1 : (x > y ? 1 : 0);
    }
    const auto x = a.to_v6().to_bytes(), y = b.to_v6().to_bytes();
    return x < y ? -1 : (x > y ? 1 : 0);
}

}  // namespace

std::string_view to_string(State state) {
    switch (state) {
        case State::init:
            return "INIT";
        case State::backup:
            return "BACKUP";
        case State::master:
            return "MASTER";
        case State::fault:
            return "FAULT";
    }
    return "UNKNOWN";
}

std::string_view to_string(TimerId which) {
    switch (which) {
        case TimerId::master_down:
            return "master_down";
        case TimerId::adver:
            return "adver";
    }
    return "unknown";
}

std::string describe(const Action& action) {
    return std::visit(
        Overloaded{
            [](const SendAdvert& a) { return text::concat("send advert priority ", a.priority); },
            [](const ArmTimer& a) {
                return text::concat("arm ", to_string(a.which), " at ",
                                    format_seconds(a.deadline.time_since_epoch()));
            },
            [](const CancelTimer& a) { return text::concat("cancel ", to_string(a.which)); },
            [](const AddVips&) { return std::string{"add VIPs"}; },
            [](const RemoveVips&) { return std::string{"remove VIPs"}; },
            [](const Announce&) { return std::string{"announce"}; },
            [](const StateChanged& a) {
                return text::concat("state ", to_string(a.from), " -> ", to_string(a.to), " (",
                                    a.reason, ")");
            },
            [](const SyncWantsMaster&) { return std::string{"sync group: wants MASTER"}; },
            [](const RivalMaster& a) {
                return text::concat("rival master ", a.source.to_string(), " priority ",
                                    a.priority);
            },
        },
        action);
}

Router::Router(RouterConfig config) : config_(std::move(config)) {
    vars_.priority = config_.priority;
    vars_.advertisement_interval = config_.advertisement_interval;
    vars_.master_adver_interval = config_.advertisement_interval;
    vars_.preempt_mode = config_.preempt;
    recompute_intervals();
}

Actions Router::handle(const Event& event, TimePoint now) {
    Actions out;
    std::visit(Overloaded{
                   [&](const Startup&) { on_startup(now, out); },
                   [&](const Shutdown&) { on_shutdown(out); },
                   [&](const AdvertReceived& e) { on_advert(e, now, out); },
                   [&](const MasterDownTimerFired&) { on_master_down_fired(now, out); },
                   [&](const AdverTimerFired&) { on_adver_fired(now, out); },
                   [&](const PriorityChanged& e) { on_priority_changed(e, now, out); },
                   [&](const FaultRaised& e) { on_fault_raised(e, out); },
                   [&](const FaultCleared&) { on_fault_cleared(now, out); },
                   [&](const VipsLostExternally&) { on_vips_lost(now, out); },
                   [&](const PreemptHold& e) { preempt_held_ = e.held; },
                   [&](const SyncMaster& e) {
                       if (state_ == State::backup) become_master(e.reason, now, out);
                   },
                   [&](const SyncBackup& e) {
                       if (state_ != State::master) return;
                       out.emplace_back(SendAdvert{0});
                       become_backup(e.reason, now, out);
                   },
                   [&](const SyncRetake& e) { retake_after_skew(e.reason, now, out); },
                   [&](const HandOver& e) {
                       if (state_ != State::master) return;
                       out.emplace_back(SendAdvert{0});
                       become_backup(e.reason, now, out, true);
                   },
                   [&](const Reconfigure& e) { on_reconfigure(e, now, out); },
               },
               event);
    return out;
}

std::optional<TimePoint> Router::deadline(TimerId which) const {
    return which == TimerId::master_down ? master_down_deadline_ : adver_deadline_;
}

// ---- Events -------------------------------------------------------------------------------

void Router::on_startup(TimePoint now, Actions& out) {
    if (state_ != State::init) return;
    if (fault_) {
        change_state(State::fault, "fault: " + *fault_, out);
        return;
    }
    start_up("startup", now, out);
}

void Router::on_shutdown(Actions& out) {
    if (state_ == State::init) return;
    const bool was_master = state_ == State::master;
    change_state(State::init, "shutdown", out);
    cancel_all(out);
    if (was_master) {
        // RFC 5798 §6.4.3 "Shutdown": priority 0 lets a backup take over after Skew_Time.
        out.emplace_back(SendAdvert{0});
        out.emplace_back(RemoveVips{});
    }
    master_address_.reset();
}

void Router::on_advert(const AdvertReceived& advert, TimePoint now, Actions& out) {
    // INIT and FAULT listen to nothing (keepalived.md §4).
    if (state_ == State::backup) {
        on_advert_backup(advert, now, out);
    } else if (state_ == State::master) {
        on_advert_master(advert, now, out);
    }
}

// RFC 5798 §6.4.2, "If an ADVERTISEMENT is received", plus keepalived's preempt_delay.
void Router::on_advert_backup(const AdvertReceived& advert, TimePoint now, Actions& out) {
    if (vips_kept_ > 0 && advert.priority > 0 && --vips_kept_ == 0) {
        // The new master has spoken twice: its gratuitous ARP / NA moved the clients an
        // advert interval ago.
        out.emplace_back(RemoveVips{});
    }
    if (advert.priority == 0) {
        // The master is leaving: take over after Skew_Time, not a whole Master_Down_Interval.
        down_timer_reason_ = text::concat("priority 0 received from ", advert.source.to_string());
        arm(TimerId::master_down, now + vars_.skew_time, out);
        return;
    }
    if (vars_.preempt_mode && advert.priority < vars_.priority &&
        config_.preempt_delay.count() > 0 && !preempt_until_) {
        // keepalived opens the preempt_delay window at the first lower-priority advert when
        // start-up did not (we were master, then displaced).
        preempt_until_ = now + config_.preempt_delay;
    }
    // The hold acts like nopreempt for as long as it lasts; when it ends, the next lower
    // advert is discarded and the running Master_Down_Timer lets us take over.
    const bool accept = !vars_.preempt_mode || advert.priority >= vars_.priority ||
                        preempt_delay_running(now) || preempt_held_;
    if (!accept) {
        // Discarded: our Master_Down_Timer keeps running and we preempt when it expires.
        down_timer_reason_ = text::concat("preempting lower priority ", advert.priority, " from ",
                                          advert.source.to_string());
        return;
    }
    // keepalived stops the preempt_delay window while a master at or above our priority
    // speaks, so the next lower master opens a whole new one.
    if (advert.priority >= vars_.priority) preempt_until_.reset();
    if (config_.version == ProtocolVersion::v3 && advert.max_adver_int.count() > 0) {
        // RFC 5798 §6.4.2: Set Master_Adver_Interval to Max Advertise Interval.
        vars_.master_adver_interval = advert.max_adver_int;
        recompute_intervals();
    }
    master_address_ = advert.source;
    down_timer_reason_ = "master down timer expired";
    arm(TimerId::master_down, now + vars_.master_down_interval, out);
}

// RFC 5798 §6.4.3 with RFC 9568's answer to a lower-priority master.
void Router::on_advert_master(const AdvertReceived& advert, TimePoint now, Actions& out) {
    if (advert.priority == 0) {
        // A backup-to-be is leaving the master role: assert ours at once.
        out.emplace_back(SendAdvert{vars_.priority});
        arm(TimerId::adver, now + vars_.advertisement_interval, out);
        return;
    }
    const bool higher = advert.priority > vars_.priority;
    // The address tie-break is only between two masters, which is where we are.
    const bool tie_won_by_peer = advert.priority == vars_.priority &&
                                 compare_addresses(advert.source, config_.primary_address) > 0;
    if (higher || tie_won_by_peer) {
        std::string reason = higher
                                 ? text::concat("preempted by higher priority ", advert.priority,
                                                " from ", advert.source.to_string())
                                 : text::concat("preempted by equal priority ", advert.priority,
                                                " from higher address ", advert.source.to_string());
        if (config_.version == ProtocolVersion::v3 && advert.max_adver_int.count() > 0) {
            vars_.master_adver_interval = advert.max_adver_int;
            recompute_intervals();
        }
        // No priority-0 advert here: the new master is already advertising.
        become_backup(std::move(reason), now, out);
        master_address_ = advert.source;
        return;
    }
    if (advert.priority == vars_.priority &&
        compare_addresses(advert.source, config_.primary_address) == 0) {
        return;  // our own advert looped back; nothing to answer
    }
    // RFC 9568 §6.4.3: a lower-priority master (or an equal one we outrank by address) must
    // hear from us now, and the switches must relearn where the virtual MAC lives (keepalived
    // also re-sends its GARPs here). Both of us were MASTER: the caller reconciles the rest.
    out.emplace_back(SendAdvert{vars_.priority});
    out.emplace_back(Announce{.lower_priority = true});
    out.emplace_back(RivalMaster{advert.source, advert.priority});
}

void Router::on_master_down_fired(TimePoint now, Actions& out) {
    if (state_ != State::backup || !due(TimerId::master_down, now)) return;
    master_down_deadline_.reset();
    if (config_.sync_group) {
        // The group decides; an advert heard meanwhile re-arms the timer and withdraws this.
        wants_master_ = true;
        out.emplace_back(SyncWantsMaster{});
        return;
    }
    become_master(down_timer_reason_, now, out);
}

void Router::on_adver_fired(TimePoint now, Actions& out) {
    if (state_ != State::master || !due(TimerId::adver, now)) return;
    out.emplace_back(SendAdvert{vars_.priority});
    // Absolute deadlines: the next one is the previous one plus the interval, so the adverts
    // do not drift by the caller's wake-up latency. After a stall longer than an interval the
    // missed slots are skipped rather than sent in a burst.
    const Duration interval = vars_.advertisement_interval;
    TimePoint next = *adver_deadline_ + interval;
    if (next <= now) next += ((now - next) / interval + 1) * interval;
    arm(TimerId::adver, next, out);
}

void Router::on_priority_changed(const PriorityChanged& change, TimePoint now, Actions& out) {
    // The owner's 255 never changes; 0 is not a priority (a fault is reported as FaultRaised).
    if (is_owner() || change.effective_priority == 0 || change.effective_priority == vars_.priority)
        return;
    vars_.priority = change.effective_priority;
    const Duration old_down_interval = vars_.master_down_interval;
    recompute_intervals();
    // A master's next advert carries the new priority. A backup's running Master_Down_Timer
    // moves by the change in Skew_Time, as keepalived does, so a node whose priority rose
    // takes over as early as its new skew says and one whose priority fell waits longer.
    if (state_ == State::backup && master_down_deadline_) {
        const TimePoint shifted =
            *master_down_deadline_ + (vars_.master_down_interval - old_down_interval);
        arm(TimerId::master_down, std::max(shifted, now), out);
    }
}

void Router::on_reconfigure(const Reconfigure& change, TimePoint now, Actions& out) {
    // A member taken out of its sync group whose down timer had expired was waiting for the
    // group only: alone now, it takes over as the timer said.
    const bool left_waiting = config_.sync_group && !change.config.sync_group && wants_master_;
    config_ = change.config;
    vars_.priority = is_owner() ? owner_priority : change.effective_priority;
    vars_.advertisement_interval = config_.advertisement_interval;
    // A v3 backup keeps the Master_Adver_Interval it learnt from the master's adverts.
    if (state_ != State::backup || config_.version == ProtocolVersion::v2)
        vars_.master_adver_interval = config_.advertisement_interval;
    vars_.preempt_mode = config_.preempt;
    recompute_intervals();
    // A shorter interval must not wait for the old, longer one to run out. A backup's timer
    // is re-armed with the new Master_Down_Interval by the master's next advert.
    if (state_ == State::master && adver_deadline_ &&
        *adver_deadline_ > now + vars_.advertisement_interval)
        arm(TimerId::adver, now + vars_.advertisement_interval, out);
    if (left_waiting && state_ == State::backup) become_master(down_timer_reason_, now, out);
}

void Router::on_fault_raised(const FaultRaised& fault, Actions& out) {
    fault_ = fault.reason;
    if (state_ != State::backup && state_ != State::master) return;
    const bool was_master = state_ == State::master;
    change_state(State::fault, "fault: " + fault.reason, out);
    cancel_all(out);
    if (was_master) {
        // Priority 0 lets the peer take over after its Skew_Time instead of three adverts.
        out.emplace_back(SendAdvert{0});
        out.emplace_back(RemoveVips{});
    }
    master_address_.reset();
}

void Router::on_fault_cleared(TimePoint now, Actions& out) {
    fault_.reset();
    if (state_ != State::fault) return;
    start_up("fault cleared", now, out);
}

void Router::on_vips_lost(TimePoint now, Actions& out) {
    retake_after_skew("VIPs removed externally", now, out);
}

void Router::retake_after_skew(std::string reason, TimePoint now, Actions& out) {
    if (state_ != State::master) return;
    // keepalived's answer: step down with priority 0 and retake after Skew_Time, re-adding
    // every VIP, so the address comes back and the peers are told. A peer arms its own
    // Skew_Time on the priority 0; ours is shorter when we outrank it, so it never takes over.
    change_state(State::backup, std::move(reason), out, true);
    cancel(TimerId::adver, out);
    out.emplace_back(SendAdvert{0});
    out.emplace_back(RemoveVips{});
    master_address_.reset();
    down_timer_reason_ = "retaking VIPs after skew time";
    arm(TimerId::master_down, now + vars_.skew_time, out);
}

// ---- Transitions --------------------------------------------------------------------------

// RFC 5798 §6.4.1: the owner becomes master at once, everyone else listens first.
void Router::start_up(std::string reason, TimePoint now, Actions& out) {
    vars_.master_adver_interval = vars_.advertisement_interval;
    recompute_intervals();
    if (is_owner()) {
        become_master(reason + ": address owner (priority 255)", now, out);
        return;
    }
    // keepalived starts preempt_delay when the backup starts.
    preempt_until_.reset();
    if (config_.preempt_delay.count() > 0) preempt_until_ = now + config_.preempt_delay;
    become_backup(std::move(reason), now, out);
}

void Router::become_master(std::string reason, TimePoint now, Actions& out) {
    change_state(State::master, std::move(reason), out);
    cancel(TimerId::master_down, out);
    // The gratuitous ARP / NA before the advert: a master handing over (HandOver) keeps the
    // VIPs until it hears this advert, so the clients have moved by the time it lets go.
    out.emplace_back(AddVips{});
    out.emplace_back(Announce{});
    out.emplace_back(SendAdvert{vars_.priority});
    arm(TimerId::adver, now + vars_.advertisement_interval, out);
    master_address_ = config_.primary_address;
    preempt_until_.reset();
}

void Router::become_backup(std::string reason, TimePoint now, Actions& out, bool keep_vips) {
    const bool was_master = state_ == State::master;
    change_state(State::backup, std::move(reason), out);
    cancel(TimerId::adver, out);
    if (was_master && !keep_vips) out.emplace_back(RemoveVips{});
    vips_kept_ = was_master && keep_vips ? 2 : 0;
    if (was_master) preempt_until_.reset();  // restarts at the next lower-priority advert
    master_address_.reset();
    down_timer_reason_ = "master down timer expired";
    arm(TimerId::master_down, now + vars_.master_down_interval, out);
}

void Router::change_state(State to, std::string reason, Actions& out, bool retake) {
    out.emplace_back(StateChanged{state_, to, std::move(reason), retake});
    state_ = to;
    wants_master_ = false;
    if (vips_kept_ > 0 && to != State::backup) {
        // Leaving BACKUP with the VIPs of a hand-over still here: MASTER keeps them.
        vips_kept_ = 0;
        if (to != State::master) out.emplace_back(RemoveVips{});
    }
}

// ---- Timers -------------------------------------------------------------------------------

void Router::arm(TimerId which, TimePoint deadline, Actions& out) {
    (which == TimerId::master_down ? master_down_deadline_ : adver_deadline_) = deadline;
    if (which == TimerId::master_down) wants_master_ = false;
    out.emplace_back(ArmTimer{which, deadline});
}

void Router::cancel(TimerId which, Actions& out) {
    auto& slot = which == TimerId::master_down ? master_down_deadline_ : adver_deadline_;
    if (!slot) return;
    slot.reset();
    out.emplace_back(CancelTimer{which});
}

void Router::cancel_all(Actions& out) {
    cancel(TimerId::master_down, out);
    cancel(TimerId::adver, out);
}

bool Router::due(TimerId which, TimePoint now) const {
    const auto deadline_at = deadline(which);
    return deadline_at && now >= *deadline_at;
}

void Router::recompute_intervals() {
    vars_.skew_time = skew_time(vars_.priority, vars_.master_adver_interval, config_.version);
    vars_.master_down_interval = master_down_interval(vars_.master_adver_interval, vars_.skew_time,
                                                      config_.down_timer_adverts);
}

bool Router::preempt_delay_running(TimePoint now) const {
    return preempt_until_ && now < *preempt_until_;
}

}  // namespace havip::vrrp
