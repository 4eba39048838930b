// How a manage_read_only job's end is reported (vrrpd/read_only_report): the step lines with
// their times, the closing line with the promote back-off, the status text, and the role told.
#include "vrrpd/read_only_report.hpp"

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using Action = ReadOnlyRole::Action;
const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
// 2026-12-07T21:00:00Z
const auto wall = std::chrono::system_clock::time_point{} + 1796677200s;

checks::ActionResult steps(
    std::initializer_list<std::tuple<const char*, bool, const char*, std::chrono::milliseconds>>
        list) {
    checks::ActionResult r;
    r.ok = true;
    for (const auto& [description, ok, detail, at] : list) {
        r.steps.push_back({description, ok, detail, t0 + at});
        r.ok = r.ok && ok;
    }
    return r;
}

TEST(ReadOnlyReport, a_completed_promote_logs_each_step_with_its_own_time) {
    ReadOnlyRole role;
    role.holds_vip(true);
    const auto result = steps(
        {{"SHOW SLAVE STATUS", true, "ok", 1ms}, {"SET GLOBAL read_only=0", true, "ok", 63ms}});
    const auto r = report_read_only_action(Action::promote, checks::JobOutcome::completed, result,
                                           40s, role, t0, t0 + 63ms, wall);
    ASSERT_EQ(r.steps.size(), 2u);
    EXPECT_EQ(r.steps[0].line, "manage_read_only promote: SHOW SLAVE STATUS: ok (1 ms)");
    EXPECT_EQ(r.steps[1].line, "manage_read_only promote: SET GLOBAL read_only=0: ok (62 ms)");
    EXPECT_EQ(r.steps[1].ms, 62);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.summary, "2 steps ok");
    EXPECT_EQ(r.text, "manage_read_only promote done in 63 ms: 2 steps ok");
    EXPECT_EQ(r.status,
              "manage_read_only promote done in 63 ms: 2 steps ok [SHOW SLAVE STATUS -> ok (1 ms); "
              "SET GLOBAL read_only=0 -> ok (62 ms)]");
    EXPECT_EQ(role.writable(), true);
}

TEST(ReadOnlyReport, a_failed_promote_says_when_it_is_tried_again) {
    ReadOnlyRole role;
    role.holds_vip(true);
    const auto result = steps({{"connect", false, "error 2002", 0ms}});
    auto r = report_read_only_action(Action::promote, checks::JobOutcome::completed, result, 40s,
                                     role, t0, t0 + 5ms, wall);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.text,
              "manage_read_only promote failed in 5 ms: failed at `connect`: error 2002; next "
              "attempt not before 2026-12-07T21:00:01.000Z (1 failed in a row, back-off 1 s)");
    EXPECT_EQ(role.backoff().failures, 1u);
    r = report_read_only_action(Action::promote, checks::JobOutcome::timed_out, result, 40750ms,
                                role, t0, t0 + 40750ms, wall);
    EXPECT_TRUE(r.steps.empty());
    EXPECT_EQ(r.summary, "no answer within 40.8 s");
    EXPECT_EQ(r.status, r.text);
    EXPECT_NE(r.text.find("(2 failed in a row, back-off 2 s)"), std::string::npos) << r.text;
}

TEST(ReadOnlyReport, a_failed_demote_has_no_back_off_and_a_busy_worker_is_named) {
    ReadOnlyRole role;
    const checks::ActionResult untouched;  // the worker may still hold it: never read
    const auto r = report_read_only_action(Action::demote, checks::JobOutcome::busy, untouched, 8s,
                                           role, t0, t0 + 1ms, wall);
    EXPECT_EQ(
        r.text,
        "manage_read_only demote failed in 1 ms: the worker is still stuck in an earlier job");
    EXPECT_EQ(role.backoff().failures, 0u);
    EXPECT_EQ(action_name(Action::refence), std::string{"re-fence"});
}

TEST(ReadOnlyReport, each_job_starts_with_a_line_saying_what_it_will_do) {
    EXPECT_EQ(read_only_job_line(Action::promote, std::nullopt, 10.0s),
              "manage_read_only promote: fencing the old primary, waiting up to 10.0 s for its "
              "writes to be applied, then read_only=0");
    EXPECT_EQ(read_only_job_line(Action::demote, std::nullopt, 10.0s),
              "manage_read_only demote: read_only=1 (lock_wait_timeout 2)");
    EXPECT_EQ(read_only_job_line(Action::refence, std::string{"10.0.0.2"}, 2.5s),
              "manage_read_only re-fence: lower-priority master 10.0.0.2 answered our adverts: "
              "read_only=1, fence it, wait up to 2.5 s for its writes, then read_only=0");
}

}  // namespace
}  // namespace havip::vrrp
