#include "vrrpd/core/script_runs.hpp"

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using End = ScriptRuns::End;

TEST(ScriptRuns, a_run_still_going_at_the_next_interval_skips_it) {
    ScriptRuns runs;
    EXPECT_TRUE(runs.interval());
    EXPECT_TRUE(runs.running());
    EXPECT_FALSE(runs.interval()) << "never a second run beside the first";
    EXPECT_FALSE(runs.interval());
    EXPECT_EQ(runs.ended(End::failed), Outcome::failed);  // the hung one timed out
    EXPECT_FALSE(runs.running());
    EXPECT_TRUE(runs.interval());
}

TEST(ScriptRuns, exit_zero_is_ok_and_any_other_end_failed) {
    ScriptRuns runs;
    runs.interval();
    EXPECT_EQ(runs.ended(End::exited_zero), Outcome::ok);
    runs.interval();
    EXPECT_EQ(runs.ended(End::failed), Outcome::failed);
}

TEST(ScriptRuns, a_run_that_could_not_start_changes_nothing) {
    ScriptRuns runs;
    runs.interval();
    EXPECT_EQ(runs.ended(End::not_started), std::nullopt);
    EXPECT_TRUE(runs.interval()) << "the next interval runs again";
}

}  // namespace
}  // namespace havip::vrrp
