// Retrying failed VIP adds and removes (vrrpd/core/vip_retry): the backoff schedule, and that the
// newest wanted change of a VIP is the one retried.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vrrpd/core/vip_retry.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

const TimePoint t0{std::chrono::seconds(1000)};

TEST(VipRetry, backoff_doubles_from_100_ms_up_to_5_s) {
    EXPECT_EQ(vip_retry_delay(1), 100ms);
    EXPECT_EQ(vip_retry_delay(2), 200ms);
    EXPECT_EQ(vip_retry_delay(3), 400ms);
    EXPECT_EQ(vip_retry_delay(6), 3200ms);
    EXPECT_EQ(vip_retry_delay(7), 5s);
    EXPECT_EQ(vip_retry_delay(1000000), 5s);
}

TEST(VipRetry, a_failed_add_is_due_after_the_backoff_and_counts_on) {
    VipRetries r;
    r.record("10.0.0.1/24", VipOp::add, false, "Permission denied", t0);
    EXPECT_THAT(r.due(t0 + 99ms), IsEmpty());
    EXPECT_THAT(r.due(t0 + 100ms), ElementsAre(Pair("10.0.0.1/24", VipOp::add)));
    EXPECT_EQ(r.next_due(), t0 + 100ms);
    r.record("10.0.0.1/24", VipOp::add, false, "Permission denied", t0 + 100ms);
    EXPECT_EQ(r.pending().at("10.0.0.1/24").failures, 2u);
    EXPECT_EQ(r.next_due(), t0 + 300ms);
    EXPECT_EQ(r.failures(VipOp::add), 2u);
}

TEST(VipRetry, success_forgets_the_vip) {
    VipRetries r;
    r.record("10.0.0.1/24", VipOp::add, false, "e", t0);
    r.record("10.0.0.1/24", VipOp::add, true, "", t0 + 100ms);
    EXPECT_THAT(r.pending(), IsEmpty());
    EXPECT_FALSE(r.next_due());
    EXPECT_EQ(r.failures(VipOp::add), 1u);  // the counter keeps what happened
}

TEST(VipRetry, the_newest_wanted_change_replaces_a_pending_retry_of_the_other_op) {
    VipRetries r;
    r.record("10.0.0.1/24", VipOp::add, false, "e", t0);
    r.record("10.0.0.1/24", VipOp::add, false, "e", t0 + 100ms);
    // The instance left MASTER: the remove fails too; it is retried, from the first step.
    r.record("10.0.0.1/24", VipOp::remove, false, "busy", t0 + 150ms);
    EXPECT_EQ(r.pending().at("10.0.0.1/24").op, VipOp::remove);
    EXPECT_EQ(r.pending().at("10.0.0.1/24").failures, 1u);
    EXPECT_EQ(r.pending().at("10.0.0.1/24").error, "busy");
    EXPECT_EQ(r.next_due(), t0 + 250ms);
    // …or a remove that succeeds (the VIP was never there) ends the add's retries.
    r.record("10.0.0.1/24", VipOp::remove, true, "", t0 + 200ms);
    EXPECT_THAT(r.pending(), IsEmpty());
}

TEST(VipRetry, each_vip_has_its_own_schedule) {
    VipRetries r;
    r.record("10.0.0.1/24", VipOp::add, false, "e", t0);
    r.record("10.0.0.1/24", VipOp::add, false, "e", t0 + 100ms);
    r.record("fd00::1/64", VipOp::add, false, "e", t0 + 150ms);
    EXPECT_EQ(r.next_due(), t0 + 250ms);
    EXPECT_THAT(r.due(t0 + 250ms), ElementsAre(Pair("fd00::1/64", VipOp::add)));
    EXPECT_THAT(r.due(t0 + 300ms),
                ElementsAre(Pair("10.0.0.1/24", VipOp::add), Pair("fd00::1/64", VipOp::add)));
}

TEST(VipRetry, says_failures_at_doubling_counts_and_a_recovery_once) {
    VipRetries r;
    const std::string vip = "10.0.0.1/24";
    EXPECT_EQ(r.record(vip, VipOp::add, true, "", t0), VipNote{});  // nothing failed
    std::vector<unsigned> said;
    for (unsigned n = 1; n <= 9; ++n) {
        const auto note = r.record(vip, VipOp::add, false, "e", t0);
        if (note.kind == VipNote::Kind::none) continue;
        EXPECT_EQ(note.kind, VipNote::Kind::failed);
        EXPECT_EQ(note.failures, n);
        EXPECT_EQ(note.retry_in, vip_retry_delay(n));
        said.push_back(n);
    }
    EXPECT_THAT(said, ElementsAre(1u, 2u, 4u, 8u));
    EXPECT_EQ(r.record(vip, VipOp::add, true, "", t0), (VipNote{VipNote::Kind::recovered, 9, {}}));
    EXPECT_EQ(r.record(vip, VipOp::add, true, "", t0), VipNote{});
    // A remove that succeeds after failed adds did not recover from them: nothing to say.
    r.record(vip, VipOp::add, false, "e", t0);
    EXPECT_EQ(r.record(vip, VipOp::remove, true, "", t0), VipNote{});
    EXPECT_THAT(r.pending(), IsEmpty());
}

TEST(VipRetry, a_forgotten_vip_is_not_retried) {
    VipRetries r;
    r.record("10.0.0.1/24", VipOp::add, false, "e", t0);
    r.forget("10.0.0.1/24");
    EXPECT_FALSE(r.next_due());
    EXPECT_EQ(r.failures(VipOp::add), 1u);
}

}  // namespace
}  // namespace havip::vrrp
