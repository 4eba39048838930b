// The notify queue's policy (checks/notify.hpp merge_notify): a newer state supersedes the
// hooks of older transitions that have not started, and the waiting list is bounded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checks/notify.hpp"

namespace havip::checks {
namespace {

using ::testing::ElementsAre;

NotifyJob job(const std::string& label, std::uint64_t transition) {
    NotifyJob j{label, Command{{"/bin/true"}, {}}};
    j.transition = transition;
    return j;
}

std::vector<std::string> labels(const std::list<NotifyJob>& waiting) {
    std::vector<std::string> out;
    for (const auto& j : waiting)
        out.push_back(j.label);
    return out;
}

TEST(NotifyMerge, a_transition_into_an_empty_queue_waits_whole_and_in_order) {
    std::list<NotifyJob> waiting;
    const auto m =
        merge_notify(waiting, {job("notify_master", 1), job("notify MASTER", 1)}, std::nullopt);
    EXPECT_EQ(m.superseded, 0u);
    EXPECT_EQ(m.dropped, 0u);
    EXPECT_THAT(labels(waiting), ElementsAre("notify_master", "notify MASTER"));
}

TEST(NotifyMerge, a_newer_state_supersedes_every_waiting_hook_of_unstarted_transitions) {
    std::list<NotifyJob> waiting;
    merge_notify(waiting, {job("notify_backup", 2), job("notify BACKUP", 2)}, 1);
    const auto m = merge_notify(waiting, {job("notify_fault", 3), job("notify FAULT", 3)}, 1);
    EXPECT_EQ(m.superseded, 2u);
    EXPECT_THAT(labels(waiting), ElementsAre("notify_fault", "notify FAULT"));
}

TEST(NotifyMerge, the_rest_of_the_running_transition_still_runs) {
    // notify_master runs; its `notify` waits, then the stop arrives.
    std::list<NotifyJob> waiting{job("notify MASTER", 2)};
    const auto m = merge_notify(waiting, {job("notify_stop", 3), job("notify STOP", 3)}, 2);
    EXPECT_EQ(m.superseded, 0u);
    EXPECT_THAT(labels(waiting), ElementsAre("notify MASTER", "notify_stop", "notify STOP"));
}

TEST(NotifyMerge, flapping_never_grows_the_queue) {
    std::list<NotifyJob> waiting;
    std::size_t superseded = 0;
    for (std::uint64_t t = 2; t < 10002; ++t) {
        const bool master = t % 2 == 0;
        superseded +=
            merge_notify(waiting, {job(master ? "notify_master" : "notify_backup", t),
                                   job("notify", t)},
                         1)  // the first transition's hook runs for ever
                .superseded;
        ASSERT_LE(waiting.size(), 2u);
    }
    EXPECT_EQ(superseded, 2u * 9999u);
    EXPECT_THAT(labels(waiting), ElementsAre("notify_backup", "notify"));
}

TEST(NotifyMerge, a_transition_larger_than_the_bound_keeps_its_newest_hooks) {
    std::list<NotifyJob> waiting;
    const auto m = merge_notify(waiting, {job("a", 1), job("b", 1), job("c", 1)}, std::nullopt, 2);
    EXPECT_EQ(m.dropped, 1u);
    EXPECT_THAT(labels(waiting), ElementsAre("b", "c"));
}

}  // namespace
}  // namespace havip::checks
