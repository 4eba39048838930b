// vrrpd/core/read_only_role: which manage_read_only action is owed, without a server.
#include "vrrpd/core/read_only_role.hpp"

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using Action = ReadOnlyRole::Action;
using Clock = ReadOnlyRole::Clock;

const Clock::time_point t0{};

TEST(ReadOnlyRole, the_holder_is_promoted_and_a_node_that_lets_go_is_demoted) {
    ReadOnlyRole role;
    EXPECT_EQ(role.owed(), Action::demote) << "a standby whose state is unknown is made read-only";
    EXPECT_TRUE(role.holds_vip(true));
    EXPECT_FALSE(role.holds_vip(true)) << "no change";
    EXPECT_EQ(role.owed(), Action::promote);
    EXPECT_EQ(role.started(Action::promote, t0), std::nullopt);
    role.finished(Action::promote, true, "", t0 + 1s);
    EXPECT_EQ(role.writable(), true);
    EXPECT_EQ(role.owed(), Action::none);
    EXPECT_TRUE(role.holds_vip(false));
    EXPECT_EQ(role.owed(), Action::demote);
    role.finished(Action::demote, true, "", t0 + 2s);
    EXPECT_EQ(role.writable(), false);
    EXPECT_EQ(role.owed(), Action::none);
}

TEST(ReadOnlyRole, a_failed_promote_waits_for_an_answer_and_the_back_off) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, false, "fence: 1045 access denied", t0);
    EXPECT_EQ(role.writable(), std::nullopt);
    EXPECT_EQ(role.promote_failure(), "fence: 1045 access denied");
    EXPECT_EQ(role.owed(), Action::none) << "not in a tight loop";
    role.snapshot(false, t0 + 5s);
    EXPECT_EQ(role.owed(), Action::none) << "the server did not answer";
    role.snapshot(true, t0 + 500ms);
    EXPECT_EQ(role.owed(), Action::none) << "within the 1 s back-off";
    role.snapshot(true, t0 + 2s);
    EXPECT_EQ(role.owed(), Action::promote);
    role.finished(Action::promote, true, "", t0 + 3s);
    EXPECT_TRUE(role.promote_failure().empty());
    EXPECT_EQ(role.backoff().failures, 0u);
}

TEST(ReadOnlyRole, a_new_role_is_tried_at_once_after_a_failure) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, false, "timed out", t0);
    EXPECT_EQ(role.owed(), Action::none);
    role.holds_vip(false);
    EXPECT_EQ(role.owed(), Action::demote) << "the failure was the promote's";
}

// The swarm (a frozen server): a promote that failed while the node last held the VIP made every
// later takeover unsafe at its first snapshot, before its own promote had run: the node gave the
// VIP up every time, with a peer that could not hold it.
TEST(ReadOnlyRole, a_promote_failed_in_an_earlier_holding_does_not_stand_for_a_new_one) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, false, "timed out", t0);
    role.holds_vip(false);
    EXPECT_EQ(role.promote_failure(), "timed out");
    role.holds_vip(true);
    EXPECT_EQ(role.promote_failure(), "") << "this holding's promote has not failed";
    EXPECT_EQ(role.backoff().failures, 1u) << "the back-off still counts it";
    EXPECT_EQ(role.owed(), Action::promote);
}

// The swarm (a frozen server): a promote begun as the holder failed after the node had let go
// of the VIP; its failure and back-off then held back the demote the node owed as a standby,
// and its server, writable from before, stayed so once it answered again.
TEST(ReadOnlyRole, a_promote_failing_after_the_node_let_go_does_not_hold_back_the_demote) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.started(Action::promote, t0);
    role.holds_vip(false);  // while the promote waits on a frozen server
    role.finished(Action::promote, false, "timed out", t0 + 3s);
    EXPECT_EQ(role.owed(), Action::demote) << "the failure was of a role the node no longer has";
}

TEST(ReadOnlyRole, a_standby_found_writable_is_demoted_whatever_the_promote_back_off) {
    ReadOnlyRole role;
    role.holds_vip(true);
    for (int k = 0; k < 3; ++k) {
        role.started(Action::promote, t0);
        role.finished(Action::promote, false, "timed out", t0);
    }
    role.holds_vip(false);
    role.started(Action::demote, t0);
    role.finished(Action::demote, false, "connection refused", t0 + 1s);
    EXPECT_EQ(role.owed(), Action::none) << "waits for the server to answer";
    role.snapshot(true, t0 + 2s);  // within the promotes' 4 s back-off
    EXPECT_TRUE(role.server_writable());
    EXPECT_EQ(role.owed(), Action::demote) << "the back-off paces promotes, not demotes";
}

TEST(ReadOnlyRole, a_switchover_holds_writes_off_and_lets_them_go) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, true, "", t0);
    role.hold_writes(true);
    EXPECT_FALSE(role.wants_writable());
    EXPECT_EQ(role.writable(), false) << "the switchover set read_only itself";
    EXPECT_EQ(role.owed(), Action::none);
    role.hold_writes(false);
    EXPECT_EQ(role.owed(), Action::promote);
}

TEST(ReadOnlyRole, a_rival_is_fenced_again_first_and_at_most_once_a_second) {
    ReadOnlyRole role;
    EXPECT_FALSE(role.rival("10.0.0.2", t0)) << "not the holder";
    role.holds_vip(true);
    EXPECT_FALSE(role.rival("10.0.0.2", t0)) << "not writable yet: the promote fences anyway";
    role.finished(Action::promote, true, "", t0);
    EXPECT_TRUE(role.rival("10.0.0.2", t0 + 1s));
    EXPECT_FALSE(role.rival("10.0.0.3", t0 + 1s)) << "one is pending";
    EXPECT_EQ(role.owed(), Action::refence);
    EXPECT_EQ(role.started(Action::refence, t0 + 1s), "10.0.0.2");
    EXPECT_FALSE(role.rival_pending());
    role.finished(Action::refence, true, "", t0 + 1500ms);
    EXPECT_EQ(role.writable(), true);
    EXPECT_FALSE(role.rival("10.0.0.2", t0 + 2s)) << "less than a second after the last";
    EXPECT_TRUE(role.rival("10.0.0.2", t0 + 2600ms));
}

TEST(ReadOnlyRole, a_pending_rival_is_dropped_once_we_let_go) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, true, "", t0);
    EXPECT_TRUE(role.rival("10.0.0.2", t0));
    role.holds_vip(false);
    EXPECT_EQ(role.owed(), Action::demote);
    EXPECT_FALSE(role.rival_pending());
}

TEST(ReadOnlyRole, read_only_set_by_someone_else_on_the_holder_is_promoted_again) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, true, "", t0);
    role.read_only_set_elsewhere();
    EXPECT_EQ(role.owed(), Action::promote);
}

TEST(ReadOnlyRole, a_standby_found_writable_is_demoted_again) {
    ReadOnlyRole role;
    role.finished(Action::demote, true, "", t0);
    EXPECT_EQ(role.owed(), Action::none);
    EXPECT_TRUE(role.server_writable());
    EXPECT_FALSE(role.server_writable()) << "already known";
    EXPECT_EQ(role.owed(), Action::demote);
    role.holds_vip(true);
    role.finished(Action::promote, true, "", t0 + 1s);
    EXPECT_FALSE(role.server_writable()) << "the holder is to be writable";
}

// The switchover's own connection sets read_only=1, waiting on locks: a snapshot taken before
// that lands is no standby gone writable, and no demote of the check's own joins the wait.
TEST(ReadOnlyRole, a_switchover_in_its_read_only_step_is_not_a_standby_gone_writable) {
    ReadOnlyRole role;
    role.holds_vip(true);
    role.finished(Action::promote, true, "", t0);
    role.hold_writes(true);
    EXPECT_FALSE(role.server_writable());
    EXPECT_EQ(role.owed(), Action::none);
    role.hold_writes(false);
    EXPECT_EQ(role.owed(), Action::promote) << "rolled back: writable again";
}

}  // namespace
}  // namespace havip::vrrp
