// What mysql_check reads from its server's answers (checks/mysql_reply.hpp): rows in, Snapshot
// fields out. A value that is not of its type is unknown, never an exception on the probe
// thread (which nothing there catches: havipd would abort).
#include "checks/mysql_reply.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace havip::checks {
namespace {

std::vector<ReplicaRow> one_row(ReplicaRow row) {
    return {std::move(row)};
}

Snapshot variables(const std::optional<std::string>& sid, const std::optional<std::string>& ro,
                   bool mariadb = true) {
    Snapshot snap;
    read_variables(one_row({{"ro", ro}, {"sid", sid}}), mariadb, snap);
    return snap;
}

TEST(MysqlReplyVariables, a_server_id_that_is_not_a_number_is_unknown_not_thrown) {
    for (const char* text : {"abc", "", " 7", "7x", "+7", "0x10", "1.5"}) {
        Snapshot snap;
        EXPECT_NO_THROW(snap = variables(text, "0")) << '"' << text << '"';
        EXPECT_FALSE(snap.server_id) << '"' << text << '"';
        EXPECT_EQ(snap.read_only, false) << "the rest of the row is still read";
    }
}

TEST(MysqlReplyVariables, a_server_id_beyond_32_bits_is_unknown_not_wrapped) {
    for (const char* text : {"4294967296", "-1", "99999999999999999999999"}) {
        Snapshot snap;
        EXPECT_NO_THROW(snap = variables(text, "0")) << text;
        EXPECT_FALSE(snap.server_id) << text << " read as " << snap.server_id.value_or(0);
    }
}

TEST(MysqlReplyVariables, server_ids_across_the_whole_range_are_read) {
    EXPECT_EQ(variables("0", "0").server_id, 0u);
    EXPECT_EQ(variables("1", "0").server_id, 1u);
    EXPECT_EQ(variables("4294967295", "0").server_id, 4294967295u);
    EXPECT_FALSE(variables(std::nullopt, "0").server_id);
}

// SELECT @@read_only answers 0 or 1. Anything else is unknown, not read-only: on the holder a
// read-only server would be made writable (manage_read_only) on the strength of a value that
// could not be read.
TEST(MysqlReplyVariables, read_only_other_than_0_or_1_is_unknown) {
    EXPECT_EQ(variables("1", "0").read_only, false);
    EXPECT_EQ(variables("1", "1").read_only, true);
    EXPECT_EQ(variables("1", "OFF").read_only, false);
    EXPECT_EQ(variables("1", "ON").read_only, true);
    EXPECT_FALSE(variables("1", std::nullopt).read_only);
    for (const char* text : {"", "abc", "2", "00", "yes"})
        EXPECT_FALSE(variables("1", text).read_only) << '"' << text << '"';
}

// What could not be read is said, quoting the value (bounded: a proxy may answer anything).
TEST(MysqlReplyVariables, an_unreadable_value_is_said_in_the_snapshot) {
    const Snapshot bad = variables("abc", "yes");
    EXPECT_EQ(bad.unreadable,
              (std::vector<std::string>{
                  "@@read_only 'yes' is neither 0 nor 1: unknown",
                  "@@server_id 'abc' is not a number from 0 to 4294967295: unknown"}));
    const Snapshot long_one = variables(std::string(1000, '7'), "0");
    ASSERT_EQ(long_one.unreadable.size(), 1u);
    EXPECT_EQ(long_one.unreadable[0],
              "@@server_id '" + std::string(40, '7') +
                  "…' (1000 bytes) is not a number from 0 to 4294967295: unknown");
    EXPECT_TRUE(variables("7", "1").unreadable.empty());
    EXPECT_TRUE(variables(std::nullopt, std::nullopt).unreadable.empty());  // NULL is unknown
}

TEST(MysqlReplyVariables, mariadb_positions_and_semi_sync_switch_are_read) {
    Snapshot snap;
    read_variables(one_row({{"ro", "1"},
                            {"sid", "2"},
                            {"binlog", "0-1-7"},
                            {"slave", "0-1-7"},
                            {"cur", std::nullopt},
                            {"semi", "1"}}),
                   true, snap);
    EXPECT_EQ(snap.gtid_binlog_pos, "0-1-7");
    EXPECT_EQ(snap.gtid_slave_pos, "0-1-7");
    EXPECT_FALSE(snap.gtid_current_pos);
    EXPECT_EQ(snap.semi_sync_slave_enabled, true);
    EXPECT_FALSE(snap.gtid_executed);

    Snapshot odd;
    read_variables(one_row({{"semi", "maybe"}}), true, odd);
    EXPECT_FALSE(odd.semi_sync_slave_enabled);

    Snapshot mysql;
    read_variables(one_row({{"ro", "0"}, {"sid", "3"}, {"executed", "uuid:1-5"}}), false, mysql);
    EXPECT_EQ(mysql.gtid_executed, "uuid:1-5");
    EXPECT_FALSE(mysql.gtid_binlog_pos);
}

TEST(MysqlReplyVariables, no_row_leaves_everything_unknown) {
    Snapshot snap;
    read_variables({}, true, snap);
    EXPECT_FALSE(snap.read_only);
    EXPECT_FALSE(snap.server_id);
}

TEST(MysqlReplySemiSync, status_rows_are_read_by_name_and_value) {
    Snapshot snap;
    read_semi_sync_status(
        {{{"Variable_name", "Rpl_semi_sync_master_status"}, {"Value", "ON"}},
         {{"Variable_name", "Rpl_semi_sync_slave_status"}, {"Value", std::nullopt}},
         {{"Value", "3"}}},
        snap);
    EXPECT_EQ(snap.semi_sync,
              (std::map<std::string, std::string>{{"Rpl_semi_sync_master_status", "ON"}}));
}

// slave_net_timeout bounds how long a channel may look connected without news: an infinite or
// NaN one would keep a standby whose master hangs "fresh" for ever.
TEST(MysqlReplyTimeout, slave_net_timeout_is_a_finite_positive_number_or_unknown) {
    auto timeout = [](std::optional<std::string> text) {
        Snapshot snap;
        read_slave_net_timeout(one_row({{"t", std::move(text)}}), snap);
        return snap.slave_net_timeout;
    };
    EXPECT_EQ(timeout("60"), 60.0);
    EXPECT_EQ(timeout("0.5"), 0.5);  // MariaDB takes fractions
    for (const char* text : {"inf", "1e999", "nan", "-nan", "0", "-3", "", "60s", " 60", "abc"})
        EXPECT_FALSE(timeout(text)) << '"' << text << "\" read as " << timeout(text).value_or(0);
    EXPECT_FALSE(timeout(std::nullopt));
    Snapshot snap;
    read_slave_net_timeout(one_row({{"t", "inf"}}), snap);
    EXPECT_EQ(
        snap.unreadable,
        std::vector<std::string>{"@@slave_net_timeout 'inf' is not a number of seconds: ignored"});
}

// The decision shows them: a person sees why the server id or the writable state is unknown.
TEST(MysqlReplyDecision, unreadable_values_are_alerts_of_the_decision) {
    Snapshot snap = variables("abc", "maybe");
    DecisionSettings managed;
    managed.manage_read_only = true;
    const auto d = decide(snap, Role::holder, History{}, managed,
                          WallClock::time_point(std::chrono::seconds(1'700'000'000)));
    EXPECT_EQ(d.status, Status::healthy);
    EXPECT_EQ(d.reason, "writable state unknown (read_only NULL or unreadable)");
    EXPECT_FALSE(d.clear_read_only) << "a value that cannot be read is not read_only=1";
    EXPECT_EQ(d.alerts, snap.unreadable);

    // NULL is what the alert of its own says.
    const auto null =
        decide(variables("1", std::nullopt), Role::holder, History{}, DecisionSettings{},
               WallClock::time_point(std::chrono::seconds(1'700'000'000)));
    EXPECT_EQ(null.alerts, std::vector<std::string>{"@@read_only not reported"});
}

}  // namespace
}  // namespace havip::checks
