// promote() as havipd runs it for a master-master pair: the inbound channel keeps running and
// the wait for "applied" is cut into waits shorter than the client's read timeout.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <variant>
#include <vector>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"

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
    s.answers = {row("Gtid_IO_Pos", "0-1-40"), row("w", "-1"), row("w", "0")};
    auto r = promote(s, master_master(1.6s, 0.7s));
    EXPECT_TRUE(r.ok) << r.describe();
    ASSERT_EQ(s.sent.size(), 4u);
    EXPECT_EQ(s.sent[1], s.sent[2]);  // the same 0.7 s wait, twice
    EXPECT_EQ(s.sent[3], "SET GLOBAL read_only=0");
}

TEST(MysqlPromoteMasterMaster, gives_up_read_only_never_after_the_total_bound) {
    ScriptedSession s;
    s.answers = {row("Gtid_IO_Pos", "0-1-40"), row("w", "-1"), row("w", "-1"), row("w", "-1")};
    auto r = promote(s, master_master(1.6s, 0.7s));
    EXPECT_FALSE(r.ok);
    // 0.7 + 0.7 + the 0.2 left: three waits, and read_only is never touched.
    EXPECT_EQ(s.sent, (std::vector<std::string>{"SHOW SLAVE STATUS",
                                                "SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w",
                                                "SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w",
                                                "SELECT MASTER_GTID_WAIT('0-1-40', 0.200) AS w"}));
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

}  // namespace
}  // namespace havip::checks
