#include "vrrpd/read_only_report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "vrrpd/core/promote_backoff.hpp"
#include "vrrpd/status.hpp"

namespace havip::vrrp {

const char* action_name(ReadOnlyRole::Action action) {
    switch (action) {
        case ReadOnlyRole::Action::refence:
            return "re-fence";
        case ReadOnlyRole::Action::demote:
            return "demote";
        default:
            return "promote";
    }
}

ReadOnlyReport report_read_only_action(ReadOnlyRole::Action action, checks::JobOutcome outcome,
                                       const checks::ActionResult& result,
                                       std::chrono::steady_clock::duration deadline,
                                       ReadOnlyRole& role,
                                       std::chrono::steady_clock::time_point started,
                                       std::chrono::steady_clock::time_point now,
                                       std::chrono::system_clock::time_point wall_now) {
    const char* what = action_name(action);
    const bool promote = action != ReadOnlyRole::Action::demote;
    ReadOnlyReport out;
    std::vector<std::string> answers;
    if (outcome == checks::JobOutcome::completed) {
        const auto times = checks::step_times(started, result.steps);
        for (std::size_t i = 0; i < result.steps.size(); ++i) {
            const auto& s = result.steps[i];
            const auto ms = times[i].count();
            out.steps.push_back({s.ok, ms,
                                 fmt::format("manage_read_only {}: {}: {} ({} ms)", what,
                                             s.description, s.detail, ms)});
            answers.push_back(fmt::format("{} -> {} ({} ms)", s.description, s.detail, ms));
        }
        out.ok = result.ok;
        out.summary = result.describe();
    } else if (outcome == checks::JobOutcome::timed_out) {
        out.summary = fmt::format("no answer within {:.1f} s",
                                  std::chrono::duration<double>(deadline).count());
    } else {
        out.summary = "the worker is still stuck in an earlier job";
    }
    role.finished(action, out.ok, out.summary, now);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(now - started);
    out.text = fmt::format("manage_read_only {} {} in {} ms: {}", what, out.ok ? "done" : "failed",
                           took.count(), out.summary);
    if (!out.ok && promote) {
        const auto failures = role.backoff().failures;
        const auto pause = backoff_delay(failures);
        out.text += fmt::format(
            "; next attempt not before {} ({} failed in a row, back-off {:.0f} s)",
            format_time(wall_now +
                        std::chrono::duration_cast<std::chrono::system_clock::duration>(pause)),
            failures, std::chrono::duration<double>(pause).count());
    }
    out.status =
        answers.empty() ? out.text : fmt::format("{} [{}]", out.text, fmt::join(answers, "; "));
    return out;
}

std::string read_only_job_line(ReadOnlyRole::Action action, const std::optional<std::string>& rival,
                               std::chrono::duration<double> apply_timeout) {
    if (rival)
        return fmt::format(
            "manage_read_only re-fence: lower-priority master {} answered our adverts: "
            "read_only=1, fence it, wait up to {:.1f} s for its writes, then read_only=0",
            *rival, apply_timeout.count());
    if (action == ReadOnlyRole::Action::demote)
        return "manage_read_only demote: read_only=1 (lock_wait_timeout 2)";
    return fmt::format(
        "manage_read_only promote: fencing the old primary, waiting up to {:.1f} s for its "
        "writes to be applied, then read_only=0",
        apply_timeout.count());
}

}  // namespace havip::vrrp
