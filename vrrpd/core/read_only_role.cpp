#include "vrrpd/core/read_only_role.hpp"

#include <utility>

namespace havip::vrrp {

bool ReadOnlyRole::holds_vip(bool holds) {
    const bool before = wants_writable();
    holds_vip_ = holds;
    if (wants_writable() == before) return false;
    action_failed_ = false;  // a new role deserves an attempt at once
    // A new holding is judged by its own promote, not by one that failed in an earlier one (the
    // back-off still counts that; `havip status` keeps the check set's record of it).
    if (wants_writable()) promote_failure_.clear();
    return true;
}

void ReadOnlyRole::hold_writes(bool hold) {
    hold_writes_ = hold;
    if (hold) writable_ = false;
    action_failed_ = false;
}

bool ReadOnlyRole::rival(const std::string& address, Clock::time_point now) {
    if (!wants_writable() || writable_ != true || rival_) return false;
    if (last_refence_ && now - *last_refence_ < std::chrono::seconds(1)) return false;
    rival_ = address;
    return true;
}

ReadOnlyRole::Action ReadOnlyRole::owed() {
    if (rival_) {
        if (wants_writable() && writable_ == true) return Action::refence;
        rival_.reset();  // the role changed meanwhile
    }
    if (writable_ == wants_writable() || action_failed_) return Action::none;
    return wants_writable() ? Action::promote : Action::demote;
}

std::optional<std::string> ReadOnlyRole::started(Action action, Clock::time_point now) {
    if (action != Action::refence) return std::nullopt;
    last_refence_ = now;
    return std::exchange(rival_, std::nullopt);
}

void ReadOnlyRole::finished(Action action, bool ok, const std::string& failure,
                            Clock::time_point now) {
    // The second counts from the end: a rival that never yields gets one re-fence a second at
    // most, not one after the other. Adverts heard meanwhile are dropped; a rival still there
    // advertises again.
    if (action == Action::refence) {
        last_refence_ = now;
        rival_.reset();
    }
    const bool promote = action != Action::demote;  // a re-fence ends writable too
    if (ok) {
        writable_ = promote;
        action_failed_ = false;
        if (promote) {
            promote_failure_.clear();
            promote_succeeded(backoff_);
        }
        return;
    }
    writable_.reset();  // unknown: not writable as far as we know
    // Only a failure of what the node still owes waits; one of a role it has left since (a
    // promote that failed after it let go of the VIP) holds back nothing.
    action_failed_ = promote == wants_writable();
    if (promote) {
        promote_failure_ = failure;
        promote_failed(backoff_, now);
    }
}

void ReadOnlyRole::snapshot(bool answered, Clock::time_point now) {
    // The back-off paces promotes; a failed demote waits only for the server to answer.
    action_failed_ =
        action_failed_ && (!answered || (wants_writable() && !backoff_hold(backoff_, now).empty()));
}

void ReadOnlyRole::read_only_set_elsewhere() {
    writable_.reset();
    action_failed_ = false;
}

bool ReadOnlyRole::server_writable() {
    // A switchover's own connection is setting read_only=1: it is on its way.
    if (hold_writes_ || wants_writable() || writable_ == true) return false;
    writable_ = true;
    return true;
}

}  // namespace havip::vrrp
