// `havip rejoin`'s planner (havip/rejoin.hpp): who may be rejoined, which transactions are the
// extra ones to save, and whether what mariadb-binlog printed is exactly those.
#include "havip/rejoin.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

namespace havip::cli {
namespace {

const NodeTarget db1{"db1", "10.0.0.1", 3306};
const NodeTarget db2{"db2", "10.0.0.2", 3306};

ServerFacts server(std::uint32_t id, bool read_only, const std::string& pos,
                   const std::string& state) {
    ServerFacts f;
    f.version = "10.11.6-MariaDB-0+deb12u1-log";
    f.server_id = id;
    f.read_only = read_only;
    f.log_bin = true;
    f.gtid_strict_mode = true;
    f.gtid_binlog_pos = pos;
    f.gtid_current_pos = pos;
    f.gtid_binlog_state = state;
    return f;
}

// The async crash window: db1 (old master) logged 0-1-101 and 0-1-102 that db2 never got; db2
// took over at 0-1-100 and wrote 0-2-101..0-2-105.
RejoinFacts diverged() {
    RejoinFacts f;
    f.local = server(1, true, "0-1-102", "0-1-102");
    f.authority = server(2, false, "0-2-105", "0-1-100,0-2-105");
    return f;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
    for (const auto& l : lines)
        if (l.find(text) != std::string::npos) return true;
    return false;
}

TEST(RejoinPlan, diverged_old_master_saves_what_follows_the_last_shared_transaction) {
    const auto plan = plan_rejoin(db1, db2, diverged());
    ASSERT_TRUE(plan.errors.empty()) << plan.errors.front();
    ASSERT_EQ(plan.extra.size(), 1u);
    EXPECT_EQ(plan.extra[0].after, "0-1-100");
    EXPECT_EQ(plan.extra[0].through, "0-1-102");
    EXPECT_EQ(plan.domains, "0");
    EXPECT_EQ(plan.start_position, "0-1-100");
    EXPECT_EQ(plan.stop_position, "0-1-102");
    EXPECT_EQ(plan.steps.size(), 4u);
    EXPECT_TRUE(mentions(plan.steps, "mariadb-binlog"));
}

TEST(RejoinPlan, transactions_replicated_from_the_authority_are_not_extra) {
    // db1 had applied db2's 0-2-101 before writing 0-1-102 in the crash window.
    RejoinFacts f;
    f.local = server(1, true, "0-1-102", "0-1-102,0-2-101");
    f.authority = server(2, false, "0-2-106", "0-1-100,0-2-106");
    const auto plan = plan_rejoin(db1, db2, f);
    ASSERT_TRUE(plan.errors.empty()) << plan.errors.front();
    ASSERT_EQ(plan.extra.size(), 1u);
    EXPECT_EQ(plan.extra[0].after, "0-2-101");
    EXPECT_EQ(plan.extra[0].beyond_authority, std::vector<std::string>{"0-1-102"});
}

TEST(RejoinPlan, a_stale_node_without_extra_transactions_saves_nothing_and_reseeds) {
    RejoinFacts f;
    f.local = server(1, true, "0-1-100", "0-1-100");
    f.authority = server(2, false, "0-2-105", "0-1-100,0-2-105");
    const auto plan = plan_rejoin(db1, db2, f);
    ASSERT_TRUE(plan.errors.empty()) << plan.errors.front();
    EXPECT_FALSE(plan.has_extra());
    EXPECT_TRUE(mentions(plan.notices, "nothing to save"));
    EXPECT_EQ(plan.steps.size(), 3u);
}

TEST(RejoinPlan, names_the_accounts_the_reseed_takes_away) {
    auto f = diverged();
    f.local.all_accounts = {{"app", "%"}, {"local_only", "localhost"}};
    f.authority.all_accounts = {{"app", "%"}};
    const auto plan = plan_rejoin(db1, db2, f);
    ASSERT_TRUE(plan.errors.empty());
    EXPECT_TRUE(mentions(plan.notices, "gone afterwards: 'local_only'@'localhost'"));
    EXPECT_FALSE(mentions(plan.notices, "'app'@'%'"));
}

TEST(RejoinPlan, never_rejoins_the_vip_holder) {
    auto f = diverged();
    f.local_holds_vip = true;
    const auto plan = plan_rejoin(db1, db2, f);
    ASSERT_FALSE(plan.errors.empty());
    EXPECT_TRUE(mentions(plan.errors, "holds the database VIP"));
    EXPECT_TRUE(plan.steps.empty());
}

TEST(RejoinPlan, never_rejoins_a_writable_node) {
    auto f = diverged();
    f.local.read_only = false;
    const auto plan = plan_rejoin(db1, db2, f);
    EXPECT_TRUE(mentions(plan.errors, "read_only is OFF"));
    EXPECT_TRUE(plan.steps.empty());
}

TEST(RejoinPlan, refuses_when_the_peer_is_read_only_and_holds_nothing_more) {
    // Run on the wrong node: db2 is the one behind, db1 holds every write.
    RejoinFacts f;
    f.local = server(2, true, "0-1-105", "0-1-105,0-2-50");
    f.authority = server(1, true, "0-1-105", "0-1-105,0-2-50");
    const auto plan = plan_rejoin(db2, db1, f);
    EXPECT_TRUE(mentions(plan.errors, "not shown to be the authority"));
}

TEST(RejoinPlan, refuses_a_read_only_peer_even_with_writes_we_lack_both_may_be_latched) {
    // Both nodes latched diverged: each holds transactions the other lacks and neither serves.
    // Rejoining from both sides at once would empty both; a person decides which keeps its data.
    auto f = diverged();
    f.authority.read_only = true;
    const auto plan = plan_rejoin(db1, db2, f);
    EXPECT_TRUE(mentions(plan.errors, "not shown to be the authority")) << plan.errors.size();
    EXPECT_TRUE(plan.steps.empty());
}

TEST(RejoinPlan, refuses_a_domain_the_authority_never_logged) {
    RejoinFacts f;
    f.local = server(1, true, "0-1-100,7-1-3", "0-1-100,7-1-3");
    f.authority = server(2, false, "0-2-105", "0-1-100,0-2-105");
    const auto plan = plan_rejoin(db1, db2, f);
    EXPECT_TRUE(mentions(plan.errors, "domain 7"));
}

TEST(RejoinPlan, refuses_without_gtid_strict_mode_on_this_node) {
    auto f = diverged();
    f.local.gtid_strict_mode = false;
    EXPECT_TRUE(mentions(plan_rejoin(db1, db2, f).errors, "gtid_strict_mode is OFF"));
}

TEST(RejoinPlan, refuses_unreadable_positions) {
    auto f = diverged();
    f.local.gtid_binlog_state = "garbage";
    EXPECT_FALSE(plan_rejoin(db1, db2, f).errors.empty());
}

constexpr const char* binlog_output =
    "/*!50530 SET @@SESSION.PSEUDO_SLAVE_MODE=1*/;\n"
    "# at 4\n"
    "#261206  2:50:01 server id 1  end_log_pos 256 CRC32 0x1a2b3c4d \tStart: binlog v 4\n"
    "#261206  2:50:01 server id 1  end_log_pos 300 CRC32 0x1a2b3c4d \tGtid list [0-1-100]\n"
    "#261206  2:50:02 server id 1  end_log_pos 342 CRC32 0x1a2b3c4d \tGTID 0-1-101 trans\n"
    "/*!100001 SET @@session.gtid_seq_no=101*//*!*/;\n"
    "### INSERT INTO `lab`.`w`\n"
    "### SET\n"
    "###   @1=100\n"
    "#261206  2:50:03 server id 1  end_log_pos 400 CRC32 0x1a2b3c4d \tGTID 0-1-102 trans\n"
    "# a comment mentioning GTID 0-9-9 outside an event header line\n";

TEST(RejoinSaved, gtids_are_read_from_the_event_headers_only) {
    EXPECT_EQ(binlog_gtids(binlog_output), (std::vector<std::string>{"0-1-101", "0-1-102"}));
}

TEST(RejoinSaved, the_saved_transactions_must_end_at_the_local_position) {
    const auto f = diverged();
    const auto plan = plan_rejoin(db1, db2, f);
    EXPECT_EQ(check_saved(plan, f, {"0-1-101", "0-1-102"}), std::nullopt);
    // Short of the position (the output stopped early): refused.
    auto e = check_saved(plan, f, {"0-1-101"});
    ASSERT_TRUE(e);
    EXPECT_NE(e->find("not 0-1-102"), std::string::npos) << *e;
    // Nothing printed (purged binary logs): refused.
    e = check_saved(plan, f, {});
    ASSERT_TRUE(e);
    EXPECT_NE(e->find("purged"), std::string::npos) << *e;
    // A transaction the authority has: refused.
    EXPECT_TRUE(check_saved(plan, f, {"0-1-100", "0-1-102"}));
    // Another domain: refused.
    EXPECT_TRUE(check_saved(plan, f, {"3-1-1", "0-1-102"}));
}

TEST(RejoinSaved, file_name_is_utc_time_and_server_id) {
    using namespace std::chrono;
    const sys_seconds t = sys_days{year{2026} / 12 / 6} + hours{2} + minutes{55} + seconds{1};
    EXPECT_EQ(saved_file_name(t, 1), "20261206T025501Z-1.sql");
    const auto header = saved_header(db1, db2, diverged(), {"0-1-101", "0-1-102"}, t);
    EXPECT_NE(header.find("2 transaction(s)"), std::string::npos) << header;
    EXPECT_NE(header.find("GTIDs: 0-1-101 0-1-102"), std::string::npos) << header;
    EXPECT_NE(header.find("2026-12-06T02:55:01Z"), std::string::npos) << header;
    EXPECT_NE(header.find("db2 (10.0.0.2:3306)"), std::string::npos) << header;
}

}  // namespace
}  // namespace havip::cli
