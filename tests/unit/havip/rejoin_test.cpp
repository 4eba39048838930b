// `havip rejoin`'s planner (havip/rejoin.hpp): who may be rejoined, which transactions are the
// extra ones to save, and whether what mariadb-binlog printed is exactly those.
#include "havip/rejoin.hpp"

#include <fmt/format.h>
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
    f.binlog_format = "ROW";
    f.binlog_row_image = "FULL";
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

// mariadb-binlog --verbose output of db1's two extra transactions (0-1-101 an INSERT, 0-1-102 an
// UPDATE with full images), as MariaDB 10.11 prints it; `middle` goes between them.
std::string range_output(const std::string& middle = "", const std::string& update_where =
                                                             "###   @1=1\n###   @2='y'\n") {
    return "#261206 23:22:46 server id 1  end_log_pos 256 CRC32 0x5e454dd8 \tStart: binlog v 4\n"
           "#261206 23:22:50 server id 1  end_log_pos 930 CRC32 0x1 \tGTID 0-1-101 trans\n"
           "START TRANSACTION\n/*!*/;\n"
           "#261206 23:22:50 server id 1  end_log_pos 975 CRC32 0x2 \tAnnotate_rows:\n"
           "#Q> insert into lab.w values (100,'cw1')\n"
           "#261206 23:22:50 server id 1  end_log_pos 1021 CRC32 0x3 \tTable_map: `lab`.`w` "
           "mapped to number 18\n"
           "#261206 23:22:50 server id 1  end_log_pos 1067 CRC32 0x4 \tWrite_rows: table id 18 "
           "flags: STMT_END_F\n"
           "### INSERT INTO `lab`.`w`\n### SET\n###   @1=100\n###   @2='cw1'\n"
           "# Number of rows: 1\n"
           "#261206 23:22:50 server id 1  end_log_pos 1098 CRC32 0x5 \tXid = 7\nCOMMIT/*!*/;\n" +
           middle +
           "#261206 23:22:50 server id 1  end_log_pos 1140 CRC32 0x6 \tGTID 0-1-102 trans\n"
           "START TRANSACTION\n/*!*/;\n"
           "#261206 23:22:50 server id 1  end_log_pos 1305 CRC32 0x7 \tUpdate_rows: table id 18 "
           "flags: STMT_END_F\n"
           "### UPDATE `lab`.`w`\n### WHERE\n" +
           update_where +
           "### SET\n###   @1=1\n###   @2='chg'\n"
           "# Number of rows: 1\n"
           "#261206 23:22:50 server id 1  end_log_pos 1336 CRC32 0x8 \tXid = 8\nCOMMIT/*!*/;\n"
           "# End of log file\nROLLBACK /* added by mysqlbinlog */;\n";
}

// The same crash window, with `extra` more transactions of db1 in it (0-1-103 …).
RejoinFacts diverged_by(std::uint64_t extra) {
    RejoinFacts f = diverged();
    const auto last = fmt::format("0-1-{}", 102 + extra);
    f.local.gtid_binlog_pos = f.local.gtid_current_pos = f.local.gtid_binlog_state = last;
    return f;
}

TEST(RejoinMethod, row_events_with_full_images_are_rolled_back_by_flashback) {
    const auto f = diverged();
    const auto plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f, scan_binlog(range_output()));
    EXPECT_EQ(plan.method, RejoinMethod::flashback) << plan.method_why;
    EXPECT_NE(plan.method_why.find("2 extra transaction(s), all row events"), std::string::npos)
        << plan.method_why;
    ASSERT_EQ(plan.steps.size(), 4u);
    EXPECT_NE(plan.steps[0].find("save"), std::string::npos);
    EXPECT_NE(plan.steps[1].find("mariadb-binlog --flashback"), std::string::npos);
    EXPECT_NE(plan.steps[2].find("gtid_slave_pos='0-1-100'"), std::string::npos) << plan.steps[2];
    EXPECT_NE(plan.steps[3].find("diverged latch"), std::string::npos);
    EXPECT_FALSE(mentions(plan.steps, "drop its schemas"));
}

TEST(RejoinMethod, a_ddl_in_the_range_is_reseeded_and_named) {
    const auto f = diverged_by(1);
    const std::string ddl =
        "#261206 23:22:55 server id 1  end_log_pos 1841 CRC32 0xa \tGTID 0-1-103 ddl\n"
        "/*!100001 SET @@session.gtid_seq_no=103*//*!*/;\n"
        "#261206 23:22:55 server id 1  end_log_pos 1952 CRC32 0xb \tQuery\tthread_id=8\t"
        "exec_time=0\terror_code=0\txid=45\n"
        "use `lab`/*!*/;\nSET TIMESTAMP=1796599375/*!*/;\n"
        "create table lab.t2 (a int primary key)\n/*!*/;\n";
    // The DDL last: the range must end at the local position.
    auto text = range_output() + ddl;
    const auto plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f, scan_binlog(text));
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("0-1-103 (DDL: create table lab.t2"), std::string::npos)
        << plan.method_why;
    EXPECT_TRUE(mentions(plan.steps, "drop its schemas"));
}

TEST(RejoinMethod, a_statement_format_event_is_reseeded) {
    const auto f = diverged_by(1);
    const std::string statement =
        "#261206 23:22:55 server id 1  end_log_pos 1994 CRC32 0xc \tGTID 0-1-103 trans\n"
        "START TRANSACTION\n/*!*/;\n"
        "#261206 23:22:55 server id 1  end_log_pos 2094 CRC32 0xd \tQuery\tthread_id=8\t"
        "exec_time=0\terror_code=0\txid=0\n"
        "SET TIMESTAMP=1796599375/*!*/;\ninsert into lab.w values (200,'stmt')\n/*!*/;\n"
        "#261206 23:22:55 server id 1  end_log_pos 2125 CRC32 0xe \tXid = 47\nCOMMIT/*!*/;\n";
    const auto plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f,
                                  scan_binlog(range_output() + statement));
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("0-1-103 (a statement: insert into lab.w"), std::string::npos)
        << plan.method_why;
    // A COMMIT as a Query event (a non-transactional table's) is part of a row transaction.
    const std::string commit =
        "#261206 23:22:55 server id 1  end_log_pos 1994 CRC32 0xc \tGTID 0-1-103\n"
        "START TRANSACTION\n/*!*/;\n"
        "#261206 23:22:55 server id 1  end_log_pos 2094 CRC32 0xd \tQuery\tthread_id=8\t"
        "exec_time=0\terror_code=0\txid=0\n"
        "SET TIMESTAMP=1796599375/*!*/;\nCOMMIT\n/*!*/;\n";
    EXPECT_TRUE(scan_binlog(range_output() + commit).not_rows.empty());
    // LOAD DATA logged as a statement: no Query event, still no row events.
    const std::string load =
        "#261206 23:22:55 server id 1  end_log_pos 1994 CRC32 0xc \tGTID 0-1-103 trans\n"
        "START TRANSACTION\n/*!*/;\n"
        "#261206 23:22:55 server id 1  end_log_pos 2094 CRC32 0xd \tBegin_load_query\t"
        "thread_id=8\n"
        "#261206 23:22:55 server id 1  end_log_pos 2125 CRC32 0xe \tXid = 47\nCOMMIT/*!*/;\n";
    EXPECT_EQ(scan_binlog(range_output() + load).not_rows,
              std::vector<std::string>{"0-1-103 (a Begin_load_query event)"});
}

TEST(RejoinMethod, transactions_no_longer_in_the_binary_log_are_reseeded) {
    const auto f = diverged();
    // Purged: mariadb-binlog found only the last one.
    const auto text = range_output().substr(range_output().find("0x6 \tGTID"));
    auto plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f,
                            scan_binlog("#261206 23:22:50 server id 1  end_log_pos 1140 CRC32 " +
                                        text));
    EXPECT_EQ(plan.method, RejoinMethod::flashback) << "only 0-1-102 printed, yet it ends there";
    plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f, scan_binlog(""));
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("not every extra transaction is in this node's binary log"),
              std::string::npos)
        << plan.method_why;
    EXPECT_NE(plan.method_why.find("purged"), std::string::npos) << plan.method_why;
}

TEST(RejoinMethod, a_range_beyond_the_bound_is_reseeded) {
    auto scan_of = [](std::uint64_t count) {
        BinlogScan scan;
        for (std::uint64_t i = 0; i < count; ++i)
            scan.gtids.push_back(fmt::format("0-1-{}", 101 + i));
        return scan;
    };
    auto f = diverged_by(flashback_max_transactions - 2);
    auto plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f,
                            scan_of(flashback_max_transactions));
    EXPECT_EQ(plan.method, RejoinMethod::flashback) << plan.method_why;
    f = diverged_by(flashback_max_transactions - 1);
    plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f,
                       scan_of(flashback_max_transactions + 1));
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("more than flashback's bound of 10000"), std::string::npos)
        << plan.method_why;
    f = diverged();
    auto big = scan_of(2);
    big.bytes = flashback_max_bytes + 1;
    plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f, big);
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("MiB of binary log"), std::string::npos) << plan.method_why;
}

TEST(RejoinMethod, images_that_are_not_full_are_reseeded) {
    auto f = diverged();
    // The server's setting.
    f.local.binlog_row_image = "MINIMAL";
    auto plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f, scan_binlog(range_output()));
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("binlog_row_image is MINIMAL"), std::string::npos);
    // What was logged: an UPDATE whose before image is the key only.
    f = diverged();
    plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f,
                       scan_binlog(range_output("", "###   @1=1\n")));
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("without a full before image"), std::string::npos)
        << plan.method_why;
    EXPECT_NE(plan.method_why.find("0-1-102"), std::string::npos) << plan.method_why;
    // And a binary log not in rows.
    f = diverged();
    f.local.binlog_format = "MIXED";
    plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f, scan_binlog(range_output()));
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("binlog_format is MIXED"), std::string::npos);
}

TEST(RejoinMethod, nothing_extra_to_roll_back_is_reseeded) {
    RejoinFacts f;
    f.local = server(1, true, "0-2-100", "0-1-50,0-2-100");
    f.authority = server(2, false, "0-2-105", "0-1-50,0-2-105");
    const auto plan = with_method(plan_rejoin(db1, db2, f), db1, db2, f, BinlogScan{});
    EXPECT_EQ(plan.method, RejoinMethod::reseed);
    EXPECT_NE(plan.method_why.find("no extra transaction"), std::string::npos);
}

TEST(RejoinMethod, the_branch_point_is_the_last_shared_transaction_of_each_extra_domain) {
    RejoinFacts f;
    // Domain 0 diverged after 0-1-100; domain 5 (not extra) is kept where this node is.
    f.local = server(1, true, "0-1-102,5-3-7", "0-1-102,5-3-7");
    f.authority = server(2, false, "0-2-105,5-3-9", "0-1-100,0-2-105,5-3-9");
    const auto plan = plan_rejoin(db1, db2, f);
    ASSERT_TRUE(plan.errors.empty());
    EXPECT_EQ(branch_position(plan, f), "0-1-100,5-3-7");
}

}  // namespace
}  // namespace havip::cli
