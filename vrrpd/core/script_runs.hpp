// keepalived's vrrp_script, run by run, decided purely; the daemon's ScriptRunner
// (checks/script) follows it and so does the simulated world (tests/sim). At each interval a run
// starts unless the previous one is still going: that interval is skipped, never a second run
// beside the first. A run that ended counts ok when it exited 0, failed otherwise (a non-zero
// exit, a signal, the timeout). A run the daemon could not start (fork failed, no /dev/null)
// says nothing of what the script checks: as keepalived, it is lost and the item's state stays
// as it was; counting it a failure would fault both nodes of a pair under the same shortage.
#pragma once

#include <optional>

#include "vrrpd/core/track.hpp"

namespace havip::vrrp {

class ScriptRuns {
  public:
    enum class End { exited_zero, failed, not_started };

    // The interval came: true when a run starts, false when it is skipped.
    bool interval();
    // The run ended: what the tracker is told, or nothing (it never started).
    std::optional<Outcome> ended(End end);
    bool running() const { return running_; }

  private:
    bool running_ = false;
};

}  // namespace havip::vrrp
