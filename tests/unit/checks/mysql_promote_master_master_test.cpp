// promote() as havipd runs it for a master-master pair: the inbound channel keeps running and
// the wait for "applied" is cut into waits shorter than the client's read timeout.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "checks/term.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;

class ScriptedSession : public SqlSession {
  public:
    std::vector<std::string> sent;
    std::deque<std::variant<std::vector<ReplicaRow>, SqlError>> answers;
    bool is_mariadb() const override { return true; }
    std::variant<std::vector<ReplicaRow>, SqlError> query(const std::string& sql) override {
        sent.push_back(sql);
        if (answers.empty()) return std::vector<ReplicaRow>{};
        auto a = answers.front();
        answers.pop_front();
        return a;
    }
};

std::vector<ReplicaRow> row(const char* column, const char* value) {
    return {ReplicaRow{{column, std::string(value)}}};
}

PromoteSettings master_master(std::chrono::duration<double> total,
                              std::chrono::duration<double> slice) {
    PromoteSettings p;
    p.stop_channel = false;
    p.apply_timeout = total;
    p.wait_slice = slice;
    return p;
}

TEST(MysqlPromoteMasterMaster, keeps_the_channel_running_and_clears_read_only_once_applied) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", "0-1-40"), row("w", "0")};
    auto r = promote(s, master_master(1.6s, 0.7s));
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(s.sent, (std::vector<std::string>{"SHOW SLAVE STATUS",
                                                "SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w",
                                                "SET GLOBAL read_only=0"}));
}

TEST(MysqlPromoteMasterMaster, waits_in_slices_until_the_relay_log_is_applied) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", "0-1-40"), row("w", "-1"), row("Slave_SQL_Running", "Yes"),
                 row("w", "0")};
    auto r = promote(s, master_master(1.6s, 0.7s));
    EXPECT_TRUE(r.ok) << r.describe();
    ASSERT_EQ(s.sent.size(), 5u);
    EXPECT_EQ(s.sent[1], s.sent[3]);            // the same 0.7 s wait, twice
    EXPECT_EQ(s.sent[2], "SHOW SLAVE STATUS");  // between them: is the SQL thread running?
    EXPECT_EQ(s.sent[4], "SET GLOBAL read_only=0");
}

// The SQL thread stopped (1950: the two nodes' data differ): the rest of the wait cannot apply
// anything, so the promote fails at once instead of holding the server read-only for the
// whole apply_timeout.
TEST(MysqlPromoteMasterMaster, a_stopped_sql_thread_ends_the_wait_at_once) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", "0-2-40"), row("w", "-1"),
                 std::vector<ReplicaRow>{{{"Slave_SQL_Running", "No"},
                                          {"Last_SQL_Errno", "1950"},
                                          {"Last_SQL_Error", "out-of-order sequence number"}}}};
    auto r = promote(s, master_master(30s, 0.7s));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(s.sent.size(), 3u);  // one slice, the status, and no read_only=0
    EXPECT_NE(r.describe().find("SQL thread stopped with error 1950"), std::string::npos)
        << r.describe();
}

TEST(MysqlPromoteMasterMaster, gives_up_read_only_never_after_the_total_bound) {
    ScriptedSession s;
    const auto running = row("Slave_SQL_Running", "Yes");
    s.answers = {row("Gtid_IO_Pos", "0-1-40"),
                 row("w", "-1"),
                 running,
                 row("w", "-1"),
                 running,
                 row("w", "-1")};
    auto r = promote(s, master_master(1.6s, 0.7s));
    EXPECT_FALSE(r.ok);
    // 0.7 + 0.7 + the 0.2 left: three waits, and read_only is never touched.
    EXPECT_EQ(s.sent, (std::vector<std::string>{
                          "SHOW SLAVE STATUS", "SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w",
                          "SHOW SLAVE STATUS", "SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w",
                          "SHOW SLAVE STATUS", "SELECT MASTER_GTID_WAIT('0-1-40', 0.200) AS w"}));
    EXPECT_NE(r.describe().find("not applied within 1.6 s"), std::string::npos) << r.describe();
}

// Issue 15, item 5: a promote the loop gave up on (its deadline passed while the worker was
// still waiting) must not clear read_only afterwards.
TEST(MysqlPromoteMasterMaster, a_promote_given_up_on_never_clears_read_only) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", "0-1-40"), row("w", "0")};
    auto settings = master_master(1.6s, 0.7s);
    settings.cancelled = [&] { return s.sent.size() >= 2; };  // gave up during the wait
    auto r = promote(s, settings);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(s.sent, (std::vector<std::string>{"SHOW SLAVE STATUS",
                                                "SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w"}));
    EXPECT_NE(r.describe().find("deadline passed"), std::string::npos) << r.describe();
}

TEST(MysqlPromoteMasterMaster, a_failed_wait_stops_before_read_only) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", "0-1-40"), SqlError{2013, "Lost connection"}};
    auto r = promote(s, master_master(1.6s, 0.7s));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(s.sent.size(), 2u);
}

// Terms (checks/term.hpp): the promote records the next term before read_only=0.
PromoteSettings with_term() {
    auto p = master_master(1.6s, 0.7s);
    p.record_term = true;
    return p;
}

TEST(MysqlPromoteTerm, the_first_promote_creates_the_table_and_records_term_1) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", ""), row("id", "2"),
                 SqlError{1146, "Table 'havip.heartbeat' doesn't exist"}};
    auto r = promote(s, with_term());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(s.sent, (std::vector<std::string>{
                          "SHOW SLAVE STATUS", "SELECT @@server_id AS id", term_query, term_schema,
                          term_table,
                          "INSERT INTO havip.heartbeat (server_id, term, written_at) VALUES (2, "
                          "1, NOW(6)) ON DUPLICATE KEY UPDATE term = VALUES(term), written_at = "
                          "VALUES(written_at)",
                          "SET GLOBAL read_only=0"}));
    ASSERT_GE(r.steps.size(), 2u);
    EXPECT_EQ(r.steps[r.steps.size() - 2].detail, "term 1 (server id 2)");
}

TEST(MysqlPromoteTerm, the_next_term_is_the_highest_in_the_data_plus_one) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", ""), row("id", "1"), row("t", "4")};
    auto r = promote(s, with_term());
    EXPECT_TRUE(r.ok) << r.describe();
    ASSERT_EQ(s.sent.size(), 5u);
    EXPECT_NE(s.sent[3].find("VALUES (1, 5, NOW(6))"), std::string::npos) << s.sent[3];
    EXPECT_EQ(s.sent[4], "SET GLOBAL read_only=0");
}

TEST(MysqlPromoteTerm, a_term_that_cannot_be_recorded_does_not_stop_the_promote) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", ""), row("id", "1"), row("t", "4"),
                 SqlError{1142, "INSERT command denied to user 'chk'@'localhost'"}};
    auto r = promote(s, with_term());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(s.sent.back(), "SET GLOBAL read_only=0");
    ASSERT_GE(r.steps.size(), 2u);
    EXPECT_NE(r.steps[r.steps.size() - 2].detail.find("not recorded (error 1142"),
              std::string::npos)
        << r.steps[r.steps.size() - 2].detail;
}

// read_term takes the answer's whole text as the term: a number with anything after it, a sign
// or a space is not a term, since the next term is computed from it and written into the data.
TEST(MysqlTerm, read_term_accepts_only_a_whole_decimal_number) {
    auto read = [](std::variant<std::vector<ReplicaRow>, SqlError> answer) {
        ScriptedSession s;
        s.answers = {std::move(answer)};
        return read_term(s);
    };
    EXPECT_EQ(std::get<std::uint64_t>(read(row("t", "12"))), 12u);
    EXPECT_EQ(std::get<std::uint64_t>(read(row("t", "18446744073709551615"))),
              18446744073709551615u);
    for (const char* bad :
         {"12abc", "12 ", " 12", "+12", "-1", "", "1.5", "18446744073709551616"}) {
        auto r = read(row("t", bad));
        ASSERT_TRUE(std::holds_alternative<SqlError>(r)) << "'" << bad << "'";
        EXPECT_EQ(std::get<SqlError>(r).code, 0u);
        EXPECT_EQ(std::get<SqlError>(r).message, std::string("not a term: ") + bad);
    }
    auto null = read(std::vector<ReplicaRow>{ReplicaRow{{"t", std::nullopt}}});
    ASSERT_TRUE(std::holds_alternative<SqlError>(null));
    EXPECT_EQ(std::get<SqlError>(null).message, "not a term: NULL");
}

}  // namespace
}  // namespace havip::checks
