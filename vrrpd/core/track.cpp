#include "vrrpd/core/track.hpp"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "vrrpd/core/text.hpp"

namespace havip::vrrp {
namespace {

bool is_good(ItemState s) {
    return s == ItemState::ok || s == ItemState::degraded;
}
bool is_good(Outcome o) {
    return o == Outcome::ok || o == Outcome::degraded;
}

ItemState to_state(Outcome o) {
    switch (o) {
        case Outcome::ok:
            return ItemState::ok;
        case Outcome::degraded:
            return ItemState::degraded;
        case Outcome::failed:
            return ItemState::failed;
        case Outcome::down:
        case Outcome::gone:
            return ItemState::down;
        case Outcome::unsafe:
            return ItemState::unsafe;
    }
    return ItemState::failed;
}

std::string describe_contribution(const Contribution& c) {
    if (c.fault) return "FAULT";
    if (c.delta == 0) return "0";
    return text::signed_decimal(c.delta);
}

}  // namespace

const char* to_string(ItemState state) {
    switch (state) {
        case ItemState::ok:
            return "ok";
        case ItemState::degraded:
            return "degraded";
        case ItemState::failed:
            return "failed";
        case ItemState::down:
            return "down";
        case ItemState::unsafe:
            return "unsafe";
    }
    return "?";
}

std::string TrackChange::describe() const {
    std::string out =
        text::concat(item, ": ", to_string(from), " -> ", to_string(to), " (",
                     describe_contribution(undone), " -> ", describe_contribution(applied),
                     "), priority ", priority_before, " -> ", priority_after);
    if (fault_before != fault_after) out += fault_after ? ", FAULT" : ", out of FAULT";
    if (!reason.empty()) out += ": " + reason;
    return out;
}

Tracker::Tracker(int base_priority, std::vector<TrackSettings> items) : base_(base_priority) {
    items_.reserve(items.size());
    for (auto& s : items) {
        ItemStatus item;
        item.state = s.init_fail ? ItemState::failed : ItemState::ok;
        item.reason = s.init_fail ? "init_fail: failed until it succeeds" : "";
        item.settings = std::move(s);
        item.applied = contribution(item.settings, item.state);
        items_.push_back(std::move(item));
    }
}

Contribution Tracker::contribution(const TrackSettings& s, ItemState state) {
    bool good = is_good(state);
    if (state == ItemState::down && s.down_means_fault && !s.reverse) return {0, true};
    // A mysql_check that may be missing transactions: whatever the weight, it must not let the
    // node take the VIP because no peer outranks it. Its weight moves the priority of degraded.
    if (state == ItemState::unsafe) return {0, true};
    // keepalived: a positive weight is added while OK, a negative one subtracted while
    // failed; `reverse` swaps both, i.e. it is the opposite sign applied to the opposite state.
    bool effective_good = s.reverse ? !good : good;
    int weight = s.reverse ? -s.weight : s.weight;
    Contribution c;
    if (s.weight == 0) {
        c.fault = !effective_good;
    } else if (weight > 0 && effective_good) {
        c.delta = weight;
    } else if (weight < 0 && (!effective_good || (state == ItemState::degraded && !s.reverse))) {
        c.delta = weight;
    }
    if (state == ItemState::degraded) c.delta -= std::abs(s.lag_weight);
    return c;
}

int Tracker::effective_priority() const {
    if (base_ >= 255) return 255;  // the address owner's priority is fixed (RFC 5798 6.1)
    int p = base_;
    for (const auto& item : items_)
        p += item.applied.delta;
    return std::clamp(p, 1, 254);
}

bool Tracker::fault() const {
    return std::any_of(items_.begin(), items_.end(), [](const auto& i) { return i.applied.fault; });
}

std::vector<std::string> Tracker::fault_causes() const {
    std::vector<std::string> names;
    for (const auto& item : items_) {
        if (item.applied.fault) names.push_back(item.settings.name);
    }
    return names;
}

std::optional<std::size_t> Tracker::index_of(const std::string& name) const {
    for (std::size_t i = 0; i < items_.size(); ++i) {
        if (items_[i].settings.name == name) return i;
    }
    return std::nullopt;
}

TrackChange Tracker::apply(std::size_t index, ItemState to, std::string reason) {
    ItemStatus& item = items_[index];
    TrackChange change;
    change.item = item.settings.name;
    change.from = item.state;
    change.to = to;
    change.priority_before = effective_priority();
    change.fault_before = fault();
    change.undone = item.applied;
    item.state = to;
    item.applied = contribution(item.settings, to);
    change.applied = item.applied;
    change.priority_after = effective_priority();
    change.fault_after = fault();
    change.reason = std::move(reason);
    return change;
}

std::optional<TrackChange> Tracker::report(std::size_t index, Outcome outcome, std::string reason) {
    if (index >= items_.size()) return std::nullopt;
    ItemStatus& item = items_[index];
    item.reason = reason;
    bool good = is_good(outcome);
    if (good) {
        ++item.good_streak;
        item.bad_streak = 0;
    } else {
        ++item.bad_streak;
        item.good_streak = 0;
    }
    ItemState next = item.state;
    if (good && is_good(item.state)) {
        next = to_state(outcome);  // ok <-> degraded follows the latest result at once
    } else if (!good && !is_good(item.state)) {
        next = to_state(outcome);  // failed <-> down likewise
    } else if (good && item.good_streak >= std::max(1, item.settings.rise)) {
        next = to_state(outcome);
    } else if (!good &&
               (outcome == Outcome::gone || item.bad_streak >= std::max(1, item.settings.fall))) {
        next = to_state(outcome);
    }
    if (next == item.state) return std::nullopt;
    return apply(index, next, std::move(reason));
}

std::optional<TrackChange> Tracker::report(const std::string& name, Outcome outcome,
                                           std::string reason) {
    auto index = index_of(name);
    if (!index) return std::nullopt;
    return report(*index, outcome, std::move(reason));
}

std::optional<TrackChange> Tracker::update_settings(std::size_t index, TrackSettings settings) {
    if (index >= items_.size()) return std::nullopt;
    ItemStatus& item = items_[index];
    item.settings = std::move(settings);
    if (contribution(item.settings, item.state) == item.applied) return std::nullopt;
    return apply(index, item.state, "settings changed");
}

Tracker Tracker::reconfigured(int base_priority, std::vector<TrackSettings> items) const {
    Tracker next{base_priority, std::move(items)};
    for (auto& item : next.items_) {
        const auto before = index_of(item.settings.name);
        if (!before) continue;
        const ItemStatus& old = items_[*before];
        item.state = old.state;
        item.good_streak = old.good_streak;
        item.bad_streak = old.bad_streak;
        item.reason = old.reason;
        item.applied = contribution(item.settings, item.state);
    }
    return next;
}

}  // namespace havip::vrrp
