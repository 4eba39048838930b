#include "vrrpd/core/switchover.hpp"

#include <algorithm>

#include "vrrpd/core/text.hpp"

namespace havip::vrrp {

std::string_view to_string(SwitchoverStep step) {
    switch (step) {
        case SwitchoverStep::preflight:
            return "preflight";
        case SwitchoverStep::read_only:
            return "read_only";
        case SwitchoverStep::catch_up:
            return "catch_up";
        case SwitchoverStep::hand_over:
            return "hand_over";
        case SwitchoverStep::target_writable:
            return "target_writable";
        case SwitchoverStep::roll_back:
            return "roll_back";
    }
    return "?";
}

std::string_view to_string(SwitchoverResult result) {
    switch (result) {
        case SwitchoverResult::running:
            return "running";
        case SwitchoverResult::switched:
            return "switched";
        case SwitchoverResult::dry_run:
            return "dry_run";
        case SwitchoverResult::refused:
            return "refused";
        case SwitchoverResult::rolled_back:
            return "rolled_back";
        case SwitchoverResult::failed:
            return "failed";
    }
    return "?";
}

Switchover::Switchover(SwitchoverSettings settings, TimePoint now)
    : settings_{settings}, started_{now}, step_started_{now} {}

Duration Switchover::budget(TimePoint now) const {
    const auto since = now - step_started_;
    const auto own = [&](Duration bound) { return std::max(Duration{0}, bound - since); };
    switch (step_) {
        case SwitchoverStep::preflight:
            return own(settings_.preflight_bound);
        case SwitchoverStep::read_only:
        case SwitchoverStep::catch_up: {
            // Writes are refused from read_only on: the operator's timeout bounds that.
            const auto frozen_at = step_ == SwitchoverStep::read_only
                                       ? step_started_
                                       : step_started_ - records_.back().took;
            return std::max(Duration{0}, settings_.timeout - (now - frozen_at));
        }
        case SwitchoverStep::hand_over:
            return own(settings_.hand_over_bound);
        case SwitchoverStep::target_writable:
            return own(settings_.writable_bound);
        case SwitchoverStep::roll_back:
            return own(settings_.roll_back_bound);
    }
    return Duration{0};
}

void Switchover::ended(bool ok, std::string detail, TimePoint now) {
    if (finished()) return;
    records_.push_back({step_, ok, detail, now - step_started_});
    if (!ok && step_ != SwitchoverStep::roll_back)
        failure_ = text::concat(to_string(step_), ": ", detail);
    switch (step_) {
        case SwitchoverStep::preflight:
            if (!ok) return finish(SwitchoverResult::refused, now);
            if (settings_.dry_run) return finish(SwitchoverResult::dry_run, now);
            return enter(SwitchoverStep::read_only, now);
        case SwitchoverStep::read_only:
            return ok ? enter(SwitchoverStep::catch_up, now)
                      : enter(SwitchoverStep::roll_back, now);
        case SwitchoverStep::catch_up:
            return ok ? enter(SwitchoverStep::hand_over, now)
                      : enter(SwitchoverStep::roll_back, now);
        case SwitchoverStep::hand_over:
            return ok ? enter(SwitchoverStep::target_writable, now)
                      : enter(SwitchoverStep::roll_back, now);
        case SwitchoverStep::target_writable:
            if (ok) return finish(SwitchoverResult::switched, now);
            after_roll_back_ = SwitchoverResult::failed;
            return enter(SwitchoverStep::roll_back, now);
        case SwitchoverStep::roll_back:
            if (!ok) failure_ += text::concat("; and the roll-back: ", detail);
            return finish(after_roll_back_, now);
    }
}

void Switchover::enter(SwitchoverStep step, TimePoint now) {
    step_ = step;
    step_started_ = now;
}

void Switchover::finish(SwitchoverResult result, TimePoint now) {
    result_ = result;
    total_ = now - started_;
}

std::string Switchover::summary() const {
    const double s = std::chrono::duration<double>(total_).count();
    switch (result_) {
        case SwitchoverResult::running:
            return text::concat("running: ", to_string(step_));
        case SwitchoverResult::switched:
            return text::concat("switched over in ", text::fixed(s, 2), " s");
        case SwitchoverResult::dry_run:
            return "dry run: the preflight passed, nothing was changed";
        case SwitchoverResult::refused:
            return text::concat("refused, nothing was changed: ", failure_);
        case SwitchoverResult::rolled_back:
            return text::concat("rolled back after ", text::fixed(s, 2), " s: ", failure_);
        case SwitchoverResult::failed:
            return text::concat("failed after ", text::fixed(s, 2), " s: ", failure_);
    }
    return {};
}

}  // namespace havip::vrrp
