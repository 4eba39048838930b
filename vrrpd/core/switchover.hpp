// `havip switchover`: the sequence of a planned move of the VIP from this node (the MASTER) to
// its peer, as a pure state machine. The daemon runs each step (the database steps on a worker,
// checks/switchover) and tells it how the step ended; it answers with the next step, its time
// budget, and at the end the result. Nothing here reads a clock or touches a socket.
//
//   preflight -> read_only -> catch_up -> hand_over -> target_writable -> done
//
// A failed preflight refuses (nothing changed). A failure after it rolls back: the switchover
// hold ends and this node may be writable again; with the VIP still here (or back after our own
// Master_Down_Interval when nobody took it) the old master serves as before.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vrrpd/core/timers.hpp"

namespace havip::vrrp {

enum class SwitchoverStep {
    preflight,        // the target answers, is read-only and caught up; this node replicates
    read_only,        // read_only=1 here: no new write commits anywhere
    catch_up,         // the target applies this node's final position
    hand_over,        // priority 0 and BACKUP here; the target takes the VIP
    target_writable,  // the target's havipd cleared read_only there
    roll_back,        // after a failure: the hold ends, this node may be writable again
};
std::string_view to_string(SwitchoverStep step);

enum class SwitchoverResult {
    running,
    switched,     // the VIP is on the target and the target is writable
    dry_run,      // preflight passed; nothing done
    refused,      // preflight failed; nothing done
    rolled_back,  // a step failed; the VIP and the writer are where they were
    failed,       // the target took the VIP but did not become writable; the hold was ended
};
std::string_view to_string(SwitchoverResult result);

struct SwitchoverRecord {
    SwitchoverStep step = SwitchoverStep::preflight;
    bool ok = false;
    std::string detail;
    Duration took{0};
};

struct SwitchoverSettings {
    // Bound of read_only and catch_up together: how long writes may be refused before the
    // switchover gives up and rolls back (`havip switchover --timeout`).
    Duration timeout{std::chrono::seconds(30)};
    Duration preflight_bound{std::chrono::seconds(8)};
    // Until the target is heard as MASTER: its Skew_Time and a few adverts; nobody taking
    // over is seen as our own Master_Down_Timer making us MASTER again.
    Duration hand_over_bound{std::chrono::seconds(5)};
    Duration writable_bound{std::chrono::seconds(15)};
    Duration roll_back_bound{std::chrono::seconds(20)};
    bool dry_run = false;
};

class Switchover {
  public:
    Switchover(SwitchoverSettings settings, TimePoint now);

    // The step to run now (meaningless once finished()).
    SwitchoverStep step() const { return step_; }
    // The running step's budget from `now`: its own bound, and for read_only and catch_up no
    // later than the whole switchover's deadline.
    Duration budget(TimePoint now) const;
    // The running step ended. `detail`: what it did or why it failed.
    void ended(bool ok, std::string detail, TimePoint now);

    bool finished() const { return result_ != SwitchoverResult::running; }
    SwitchoverResult result() const { return result_; }
    // One line: "switched over in 1.4 s" / "rolled back: catch_up: …".
    std::string summary() const;
    const std::vector<SwitchoverRecord>& records() const { return records_; }
    TimePoint started() const { return started_; }
    TimePoint step_started() const { return step_started_; }

  private:
    void enter(SwitchoverStep step, TimePoint now);
    void finish(SwitchoverResult result, TimePoint now);

    SwitchoverSettings settings_;
    TimePoint started_;
    TimePoint step_started_;
    SwitchoverStep step_ = SwitchoverStep::preflight;
    SwitchoverResult result_ = SwitchoverResult::running;
    SwitchoverResult after_roll_back_ = SwitchoverResult::rolled_back;
    std::string failure_;  // the step that failed and why
    Duration total_{0};
    std::vector<SwitchoverRecord> records_;
};

}  // namespace havip::vrrp
