#include "vrrpd/core/sync_group.hpp"

#include <algorithm>

#include "vrrpd/core/text.hpp"

namespace havip::vrrp {

std::vector<SyncOrder> plan_sync(std::string_view group, const std::vector<SyncMemberView>& members,
                                 const SyncSignal& signal) {
    std::vector<SyncOrder> out;
    auto order = [&](const SyncMemberView& m, SyncOrder::Kind kind, std::string reason) {
        out.push_back({m.name, kind, std::move(reason)});
    };
    const auto faulty =
        std::find_if(members.begin(), members.end(), [](const auto& m) { return m.own_fault; });
    if (faulty != members.end()) {
        for (const auto& m : members)
            if (!m.own_fault)
                order(m, SyncOrder::Kind::fault,
                      text::concat("sync group ", group, ": ", faulty->name, " is in FAULT"));
        return out;
    }
    for (const auto& m : members)
        if (m.state == State::fault) order(m, SyncOrder::Kind::clear_fault, "");

    using Kind = SyncSignal::Kind;
    // The group hears of a change after the member's own handling: one the member has undone
    // since (a better peer's advert displaced it first) orders nothing, the later change is
    // on its way. Acting on both would pass MASTER back and forth between the members.
    const auto signaller = std::find_if(members.begin(), members.end(),
                                        [&](const auto& m) { return m.name == signal.member; });
    if (signal.kind == Kind::changed &&
        (signal.by_group || (signaller != members.end() && signaller->state != signal.to)))
        return out;
    if (signal.kind == Kind::changed && signal.to == State::master) {
        for (const auto& m : members)
            if (m.name != signal.member && m.state == State::backup)
                order(m, SyncOrder::Kind::master,
                      text::concat("sync group ", group, ": ", signal.member, " became MASTER"));
    } else if (signal.kind == Kind::changed && signal.from == State::master &&
               signal.to == State::backup) {
        for (const auto& m : members)
            if (m.name != signal.member && m.state == State::master)
                order(m, signal.retake ? SyncOrder::Kind::retake : SyncOrder::Kind::backup,
                      signal.retake ? text::concat("sync group ", group, ": ", signal.member,
                                                   " is retaking its VIPs")
                                    : text::concat("sync group ", group, ": ", signal.member,
                                                   " became BACKUP"));
    } else if (signal.kind == Kind::wants_master) {
        const auto master = std::find_if(members.begin(), members.end(),
                                         [](const auto& m) { return m.state == State::master; });
        if (master != members.end()) {
            // The group is MASTER already (a member restarted, say): join it.
            for (const auto& m : members)
                if (m.name == signal.member && m.state == State::backup)
                    order(m, SyncOrder::Kind::master,
                          text::concat("sync group ", group, ": ", master->name, " is MASTER"));
            return out;
        }
        const bool all_want = std::all_of(members.begin(), members.end(), [](const auto& m) {
            return m.state == State::backup && m.wants_master;
        });
        if (all_want)
            for (const auto& m : members)
                order(m, SyncOrder::Kind::master,
                      text::concat("sync group ", group, ": no member hears a master"));
    }
    return out;
}

std::optional<State> group_state(const std::vector<SyncMemberView>& members) {
    if (members.empty()) return std::nullopt;
    if (std::any_of(members.begin(), members.end(),
                    [](const auto& m) { return m.state == State::fault; }))
        return State::fault;
    const State first = members.front().state;
    if (first != State::master && first != State::backup) return std::nullopt;
    if (std::all_of(members.begin(), members.end(),
                    [&](const auto& m) { return m.state == first; }))
        return first;
    return std::nullopt;
}

}  // namespace havip::vrrp
