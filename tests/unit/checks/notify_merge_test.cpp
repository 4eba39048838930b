// The notify queue's policy (checks/notify.hpp merge_notify): a newer state supersedes the
// hooks of older states that have not started, and the waiting list is bounded.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checks/notify.hpp"

namespace havip::checks {
namespace {

using ::testing::ElementsAre;

NotifyJob job(const std::string& label) {
    return NotifyJob{label, Command{{"/bin/true"}, {}}};
}

std::vector<std::string> labels(const std::list<NotifyJob>& waiting) {
    std::vector<std::string> out;
    for (const auto& j : waiting)
        out.push_back(j.label);
    return out;
}

TEST(NotifyMerge, a_transition_into_an_empty_queue_waits_whole_and_in_order) {
    std::list<NotifyJob> waiting;
    const auto m = merge_notify(waiting, {job("notify_master"), job("notify MASTER")});
    EXPECT_EQ(m.superseded, 0u);
    EXPECT_EQ(m.dropped, 0u);
    EXPECT_THAT(labels(waiting), ElementsAre("notify_master", "notify MASTER"));
}

TEST(NotifyMerge, a_newer_state_supersedes_every_waiting_hook_of_older_states) {
    std::list<NotifyJob> waiting;
    merge_notify(waiting, {job("notify_backup"), job("notify BACKUP")});
    const auto m = merge_notify(waiting, {job("notify_fault"), job("notify FAULT")});
    EXPECT_EQ(m.superseded, 2u);
    EXPECT_THAT(labels(waiting), ElementsAre("notify_fault", "notify FAULT"));
}

TEST(NotifyMerge, flapping_never_grows_the_queue) {
    std::list<NotifyJob> waiting;
    std::size_t superseded = 0;
    for (int i = 0; i < 10000; ++i) {
        const bool master = i % 2 == 0;
        superseded += merge_notify(waiting, {job(master ? "notify_master" : "notify_backup"),
                                             job("notify")})
                          .superseded;
        ASSERT_LE(waiting.size(), 2u);
    }
    EXPECT_EQ(superseded, 2u * 9999u);
    EXPECT_THAT(labels(waiting), ElementsAre("notify_backup", "notify"));
}

TEST(NotifyMerge, a_transition_larger_than_the_bound_keeps_its_newest_hooks) {
    std::list<NotifyJob> waiting;
    const auto m = merge_notify(waiting, {job("a"), job("b"), job("c")}, 2);
    EXPECT_EQ(m.dropped, 1u);
    EXPECT_THAT(labels(waiting), ElementsAre("b", "c"));
}

}  // namespace
}  // namespace havip::checks
