#include "vrrpd/core/track.hpp"

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

TrackSettings item(std::string name, int weight, int rise = 1, int fall = 1) {
    TrackSettings s;
    s.name = std::move(name);
    s.weight = weight;
    s.rise = rise;
    s.fall = fall;
    return s;
}

TEST(Tracker, positive_weight_is_added_while_ok) {
    Tracker t(100, {item("chk", 20)});
    EXPECT_EQ(t.effective_priority(), 120);
    t.report(0, Outcome::failed, "exit 1");
    EXPECT_EQ(t.effective_priority(), 100);
    EXPECT_FALSE(t.fault());
}

TEST(Tracker, negative_weight_is_subtracted_while_failed) {
    Tracker t(100, {item("chk", -60)});
    EXPECT_EQ(t.effective_priority(), 100);
    auto change = t.report(0, Outcome::failed, "exit 1");
    ASSERT_TRUE(change);
    EXPECT_EQ(change->priority_before, 100);
    EXPECT_EQ(change->priority_after, 40);
    EXPECT_EQ(change->applied.delta, -60);
    EXPECT_EQ(t.effective_priority(), 40);
}

TEST(Tracker, zero_weight_failure_means_fault_and_names_the_cause) {
    Tracker t(100, {item("chk_a", -10), item("chk_mysql", 0)});
    auto change = t.report("chk_mysql", Outcome::failed, "cannot connect");
    ASSERT_TRUE(change);
    EXPECT_TRUE(change->fault_after);
    EXPECT_TRUE(t.fault());
    EXPECT_EQ(t.fault_causes(), std::vector<std::string>{"chk_mysql"});
    EXPECT_NE(change->describe().find("FAULT"), std::string::npos);
    t.report("chk_mysql", Outcome::ok, "");
    EXPECT_FALSE(t.fault());
}

TEST(Tracker, reverse_positive_weight_subtracts_while_ok) {
    auto s = item("chk", 10);
    s.reverse = true;
    Tracker t(100, {s});
    EXPECT_EQ(t.effective_priority(), 90);
    t.report(0, Outcome::failed, "");
    EXPECT_EQ(t.effective_priority(), 100);
}

TEST(Tracker, reverse_negative_weight_adds_while_failed) {
    auto s = item("chk", -10);
    s.reverse = true;
    Tracker t(100, {s});
    EXPECT_EQ(t.effective_priority(), 100);
    t.report(0, Outcome::failed, "");
    EXPECT_EQ(t.effective_priority(), 110);
}

TEST(Tracker, reverse_zero_weight_faults_while_ok) {
    auto s = item("chk", 0);
    s.reverse = true;
    Tracker t(100, {s});
    EXPECT_TRUE(t.fault());
    t.report(0, Outcome::failed, "");
    EXPECT_FALSE(t.fault());
}

TEST(Tracker, priority_is_clamped_to_1_and_254) {
    Tracker low(50, {item("a", -253)});
    low.report(0, Outcome::failed, "");
    EXPECT_EQ(low.effective_priority(), 1);
    Tracker high(200, {item("a", 100)});
    EXPECT_EQ(high.effective_priority(), 254);
}

TEST(Tracker, base_255_never_changes) {
    Tracker t(255, {item("a", -100), item("b", 50)});
    t.report(0, Outcome::failed, "");
    EXPECT_EQ(t.effective_priority(), 255);
}

TEST(Tracker, fall_needs_consecutive_failures) {
    Tracker t(100, {item("chk", -50, 1, 3)});
    EXPECT_FALSE(t.report(0, Outcome::failed, ""));
    EXPECT_FALSE(t.report(0, Outcome::failed, ""));
    EXPECT_FALSE(t.report(0, Outcome::ok, ""));  // streak broken
    EXPECT_FALSE(t.report(0, Outcome::failed, ""));
    EXPECT_FALSE(t.report(0, Outcome::failed, ""));
    EXPECT_EQ(t.effective_priority(), 100);
    EXPECT_TRUE(t.report(0, Outcome::failed, ""));
    EXPECT_EQ(t.effective_priority(), 50);
}

TEST(Tracker, rise_needs_consecutive_successes) {
    Tracker t(100, {item("chk", -50, 2, 1)});
    t.report(0, Outcome::failed, "");
    EXPECT_FALSE(t.report(0, Outcome::ok, ""));
    EXPECT_EQ(t.effective_priority(), 50);
    EXPECT_TRUE(t.report(0, Outcome::ok, ""));
    EXPECT_EQ(t.effective_priority(), 100);
}

TEST(Tracker, init_fail_starts_failed_until_rise_successes) {
    auto s = item("chk", -30, 2, 1);
    s.init_fail = true;
    Tracker t(100, {s});
    EXPECT_EQ(t.items()[0].state, ItemState::failed);
    EXPECT_EQ(t.effective_priority(), 70);
    t.report(0, Outcome::ok, "");
    t.report(0, Outcome::ok, "");
    EXPECT_EQ(t.effective_priority(), 100);
}

TEST(Tracker, degraded_mysql_check_applies_its_lag_weight) {
    auto s = item("chk_mysql", 0);
    s.lag_weight = -15;
    Tracker t(100, {s});
    auto change = t.report(0, Outcome::degraded, "lag 12 s");
    ASSERT_TRUE(change);
    EXPECT_EQ(t.effective_priority(), 85);
    EXPECT_FALSE(t.fault());
    t.report(0, Outcome::ok, "");
    EXPECT_EQ(t.effective_priority(), 100);
}

TEST(Tracker, gone_enters_down_at_once_without_waiting_for_fall) {
    Tracker t(100, {item("chk_mysql", 0, 2, 3)});
    auto change = t.report(0, Outcome::gone, "nothing listens on the server's unix socket");
    ASSERT_TRUE(change);
    EXPECT_EQ(change->to, ItemState::down);
    EXPECT_TRUE(t.fault());
    // Leaving it still takes `rise` good results.
    EXPECT_FALSE(t.report(0, Outcome::ok, ""));
    EXPECT_TRUE(t.report(0, Outcome::ok, ""));
    EXPECT_FALSE(t.fault());
}

TEST(Tracker, ambiguous_down_still_counts_toward_fall) {
    Tracker t(100, {item("chk_mysql", 0, 1, 4)});
    EXPECT_FALSE(t.report(0, Outcome::down, "no answer before the deadline"));
    EXPECT_FALSE(t.report(0, Outcome::down, "no answer before the deadline"));
    EXPECT_FALSE(t.fault());
    // A definitive result in the middle of the count ends it.
    EXPECT_TRUE(t.report(0, Outcome::gone, "the server's unix socket is gone"));
    EXPECT_TRUE(t.fault());
}

TEST(Tracker, down_means_fault_even_with_a_weight) {
    Tracker t(100, {item("chk_mysql", -20)});
    t.report(0, Outcome::down, "no answer");
    EXPECT_TRUE(t.fault());
    t.report(0, Outcome::failed, "unsafe");  // still bad: follows at once, no fall count
    EXPECT_FALSE(t.fault());
    EXPECT_EQ(t.effective_priority(), 80);
}

// A standby that may be missing transactions must not take the VIP because its weight only
// lowered its priority and no peer outranks it (issue 15, item 6).
TEST(Tracker, unsafe_means_fault_whatever_the_weight) {
    for (int weight : {-20, 0, 10}) {
        Tracker t(100, {item("chk_mysql", weight)});
        t.report(0, Outcome::unsafe, "peer gone and last in contact 72 h ago");
        EXPECT_TRUE(t.fault()) << weight;
        EXPECT_EQ(t.items()[0].state, ItemState::unsafe) << weight;
        t.report(0, Outcome::ok, "");
        EXPECT_FALSE(t.fault()) << weight;
    }
}

TEST(Tracker, a_negative_weight_moves_the_priority_of_degraded) {
    Tracker t(100, {item("chk_mysql", -20)});
    t.report(0, Outcome::degraded, "lag 12 s");
    EXPECT_FALSE(t.fault());
    EXPECT_EQ(t.effective_priority(), 80);
    t.report(0, Outcome::ok, "");
    EXPECT_EQ(t.effective_priority(), 100);
}

TEST(Tracker, several_items_add_up) {
    Tracker t(100, {item("a", 10), item("b", -30), item("c", -5)});
    t.report("b", Outcome::failed, "");
    t.report("c", Outcome::failed, "");
    EXPECT_EQ(t.effective_priority(), 100 + 10 - 30 - 5);
}

TEST(Tracker, undoes_exactly_what_it_applied_after_a_weight_change) {
    Tracker t(100, {item("a", -30)});
    t.report(0, Outcome::failed, "");
    EXPECT_EQ(t.effective_priority(), 70);
    auto change = t.update_settings(0, item("a", -10));  // reload edits the weight
    ASSERT_TRUE(change);
    EXPECT_EQ(change->undone.delta, -30);
    EXPECT_EQ(change->applied.delta, -10);
    EXPECT_EQ(t.effective_priority(), 90);
    t.report(0, Outcome::ok, "");
    EXPECT_EQ(t.effective_priority(), 100);
    EXPECT_EQ(t.items()[0].applied.delta, 0);
}

TEST(Tracker, reconfigured_keeps_what_each_item_knows_under_its_new_settings) {
    Tracker t(100, {item("gone", -5), item("chk", -30, 1, 3), item("kept_ok", 10)});
    t.report("gone", Outcome::failed, "");
    t.report("chk", Outcome::failed, "stopped");
    t.report("chk", Outcome::failed, "stopped");
    t.report("chk", Outcome::failed, "stopped");
    t.report("kept_ok", Outcome::ok, "");
    t.report("kept_ok", Outcome::failed, "half way");  // fall 1: failed now
    ASSERT_EQ(t.effective_priority(), 100 - 5 - 30);

    auto fresh = item("new", 0);
    fresh.init_fail = true;
    auto next = t.reconfigured(120, {item("kept_ok", 20), item("chk", -10, 2, 3), fresh});
    ASSERT_EQ(next.items().size(), 3u);
    EXPECT_EQ(next.base_priority(), 120);
    EXPECT_EQ(next.items()[0].state, ItemState::failed);
    EXPECT_EQ(next.items()[1].state, ItemState::failed);
    EXPECT_EQ(next.items()[1].reason, "stopped");
    EXPECT_EQ(next.items()[1].applied.delta, -10);  // the new weight, not the old -30
    EXPECT_EQ(next.items()[2].state, ItemState::failed);  // new: starts as init_fail says
    // "gone" took its -5 with it; kept_ok (failed) adds nothing under +20; chk applies -10.
    EXPECT_EQ(next.effective_priority(), 120 - 10);
    EXPECT_TRUE(next.fault());  // the new weight-0 item in init_fail
    // The streaks came along: rise 2 needs two good results to leave failed.
    EXPECT_FALSE(next.report("chk", Outcome::ok, ""));
    EXPECT_TRUE(next.report("chk", Outcome::ok, ""));
}

TEST(Tracker, change_record_says_which_item_did_what) {
    Tracker t(100, {item("chk_mysql", -40)});
    auto change = t.report(0, Outcome::failed, "replication SQL thread stopped");
    ASSERT_TRUE(change);
    EXPECT_EQ(change->describe(),
              "chk_mysql: ok -> failed (0 -> -40), priority 100 -> 60: replication SQL thread "
              "stopped");
}

}  // namespace
}  // namespace havip::vrrp
