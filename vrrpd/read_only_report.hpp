// How a manage_read_only job (promote, demote, re-fence) ended, as the check set logs it and
// `havip status` shows it: a line per step with its time, the closing line (with the promote
// back-off after a failure) and the status text. Pure: the clocks are arguments; the role
// learns the result here, before the back-off is read.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_probe.hpp"
#include "vrrpd/core/read_only_role.hpp"

namespace havip::vrrp {

struct ReadOnlyReport {
    struct Step {
        bool ok = false;
        long long ms = 0;  // since the previous step ended (checks::step_times)
        std::string line;  // "manage_read_only promote: SET GLOBAL read_only=0: ok (0 ms)"
    };
    std::vector<Step> steps;  // only when the job completed: the worker is done with them
    bool ok = false;
    std::string summary;  // the result, or why there is none ("no answer within 2.0 s")
    std::string text;     // "manage_read_only promote done in 63 ms: 9 steps ok"
    std::string status;   // `text [step -> answer (ms); …]`, for `havip status`
};

// `started` and `now`: when the job was given to the worker and when it ended (steady);
// `wall_now` dates the next attempt after a failed promote.
ReadOnlyReport report_read_only_action(ReadOnlyRole::Action action, checks::JobOutcome outcome,
                                       const checks::ActionResult& result,
                                       std::chrono::steady_clock::duration deadline,
                                       ReadOnlyRole& role,
                                       std::chrono::steady_clock::time_point started,
                                       std::chrono::steady_clock::time_point now,
                                       std::chrono::system_clock::time_point wall_now);

// "promote", "demote" or "re-fence".
const char* action_name(ReadOnlyRole::Action action);

// The line a job is logged with as it starts: `rival`, the lower-priority master a re-fence
// answers (ReadOnlyRole::started); `apply_timeout`, how long a promote waits for the old
// primary's writes.
std::string read_only_job_line(ReadOnlyRole::Action action, const std::optional<std::string>& rival,
                               std::chrono::duration<double> apply_timeout);

}  // namespace havip::vrrp
