// manage_read_only for one mysql_check, decided purely (the check set runs the actions on the
// check's worker and reports back; the clock is an argument):
// - the server is to be writable while an instance tracking the check holds the VIP and no
//   switchover holds writes, read-only otherwise;
// - a promote or demote is owed while it is not as wanted, one job at a time;
// - a failed one is retried once the server answers again and, after failed promotes in a
//   row, once the back-off allows (promote_backoff.hpp); a new role is tried at once;
// - a lower-priority master heard while we are the writable holder (a partition healed) is
//   fenced again, before anything else owed and at most once a second;
// - a server found writable where it is to be read-only is demoted again.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "vrrpd/core/promote_backoff.hpp"

namespace havip::vrrp {

class ReadOnlyRole {
  public:
    using Clock = std::chrono::steady_clock;
    enum class Action { none, promote, demote, refence };

    // Whether an instance tracking the check holds the VIP now. True when the wanted role
    // changed: a failed action's wait is over, the new role is tried at once.
    bool holds_vip(bool holds);
    // `havip switchover` holds writes off (the switchover sets read_only itself, on its own
    // connection) or lets them go again; either way the role is tried at once.
    void hold_writes(bool hold);
    // A lower-priority master answered our adverts. Taken (true) unless we are not the
    // writable holder (a promote fences the peer anyway; a demote is owed), one is pending
    // already, or the last re-fence began less than a second ago.
    bool rival(const std::string& address, Clock::time_point now);

    // What to run now that no job is running: a pending re-fence, else the owed promote or
    // demote, else nothing. A re-fence the role no longer wants is dropped.
    Action owed();
    // The job began: a re-fence takes the pending rival (returned) and starts its second.
    std::optional<std::string> started(Action action, Clock::time_point now);
    // The job ended: `ok`, or failed with `failure` (the summary `havip status` shows).
    void finished(Action action, bool ok, const std::string& failure, Clock::time_point now);

    // The server answered a snapshot (`answered`) or not: a failed action waits for an answer,
    // a failed promote also for the back-off.
    void snapshot(bool answered, Clock::time_point now);
    // Someone else set read_only on the holder: promote again.
    void read_only_set_elsewhere();
    // The server answered read_only=0 while it is to be read-only (set so by hand, restarted
    // without read_only=1, an earlier daemon's promote landing late): it is writable, whatever
    // the last demote did, and is demoted again. True when that is news. Not while a
    // switchover holds writes off: its own connection is setting read_only.
    bool server_writable();

    bool wants_writable() const { return holds_vip_ && !hold_writes_; }
    // As the last action left it; nothing when unknown (counts as not writable).
    const std::optional<bool>& writable() const { return writable_; }
    bool action_failed() const { return action_failed_; }
    // Why the promote failed, while that stands: until one succeeds or the node holds the VIP
    // again (that holding's own promote is then owed).
    const std::string& promote_failure() const { return promote_failure_; }
    const PromoteBackoff& backoff() const { return backoff_; }
    bool rival_pending() const { return rival_.has_value(); }

  private:
    bool holds_vip_ = false;
    bool hold_writes_ = false;
    std::optional<bool> writable_;
    bool action_failed_ = false;
    std::string promote_failure_;
    PromoteBackoff backoff_;
    std::optional<std::string> rival_;
    std::optional<Clock::time_point> last_refence_;
};

}  // namespace havip::vrrp
