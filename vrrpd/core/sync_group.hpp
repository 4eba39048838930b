// vrrp_sync_group (keepalived's): the instances of a group change state together, so that,
// say, a database VIP and the gateway VIP of its replication network are always on the same
// node. What the group does after one member's change is decided here, purely:
// - a member in FAULT of its own (a tracked item) puts every other member in FAULT, until no
//   member has a fault of its own;
// - a member that became MASTER takes the BACKUP members with it;
// - a member that left MASTER for BACKUP (a better peer) takes the MASTER members with it;
// - a member that left MASTER to take back a VIP someone else removed (it retakes after its
//   Skew_Time) has the MASTER members do the same, so the group returns to MASTER here
//   together, before a peer's skew runs out: keepalived 2.2.7's set_vrrp_backup;
// - a member whose Master_Down_Timer expired only wants MASTER (vrrpd/core/fsm.hpp, sync_group):
//   the group goes MASTER when every member is BACKUP and wants it, i.e. no member hears a
//   master any more. One member still hearing its master keeps the whole group BACKUP.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vrrpd/core/fsm.hpp"

namespace havip::vrrp {

struct SyncMemberView {
    std::string name;
    State state = State::init;
    bool wants_master = false;
    bool own_fault = false;  // a fault of its own tracked items, not one the group imposed
};

// What happened to one member.
struct SyncSignal {
    enum class Kind { changed, wants_master };
    std::string member;
    Kind kind = Kind::changed;
    State from = State::init;  // for `changed`
    State to = State::init;
    bool retake = false;  // MASTER -> BACKUP to take the VIPs back (StateChanged::retake)
    // The change carried out a group order (master, backup, retake): the group planned it
    // with every member as they were, so it orders nothing more. Acting on it after a member
    // changed again on its own (a better peer's advert displaced it) would undo that newer
    // change: with a peer answering every advert at once, MASTER passed back and forth
    // between the members without end.
    bool by_group = false;
};

struct SyncOrder {
    enum class Kind { master, backup, retake, fault, clear_fault };
    std::string member;
    Kind kind = Kind::master;
    std::string reason;  // for the member's log and status: "sync group G: VI_2 became MASTER"

    bool operator==(const SyncOrder&) const = default;
};

// The orders for the other members after `signal`, given every member as it is now. A change
// its member has undone since orders nothing (its later change is signalled too), nor does one
// the group ordered (SyncSignal::by_group).
// clear_fault and fault orders are repeated while they hold: the member ignores a repeat.
std::vector<SyncOrder> plan_sync(std::string_view group, const std::vector<SyncMemberView>& members,
                                 const SyncSignal& signal);

// The group's own state, for its notify scripts: MASTER or BACKUP when every member is,
// FAULT when any member is; nothing while the members are between states.
std::optional<State> group_state(const std::vector<SyncMemberView>& members);

}  // namespace havip::vrrp
