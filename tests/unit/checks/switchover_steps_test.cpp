// The database steps of `havip switchover` (checks/switchover) against scripted sessions: what
// the preflight refuses, what the catch-up waits for, how the target's read_only is watched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checks/switchover.hpp"
#include "tests/unit/checks/journal_session.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;
using testing::HasSubstr;
using testing::Not;

ReplicaRows channel_row(const char* io, const char* sql, const char* host = "10.0.0.2") {
    return {ReplicaRow{{"Slave_IO_Running", std::string(io)},
                       {"Slave_SQL_Running", std::string(sql)},
                       {"Master_Host", std::string(host)},
                       {"Master_Port", std::string("3306")}}};
}

ReplicaRows own_row(const char* ro, const char* pos) {
    return {ReplicaRow{{"ro", std::string(ro)}, {"p", std::string(pos)}}};
}

ReplicaRows target_row(const char* ro, const char* id) {
    return {ReplicaRow{{"ro", std::string(ro)}, {"id", std::string(id)}}};
}

ReplicaRows wait_row(const char* w) {
    return {ReplicaRow{{"w", std::string(w)}}};
}

SwitchoverSettings settings() {
    SwitchoverSettings s;
    s.connection_name = "peer";
    s.lag_bound = 1s;
    s.wait_slice = 0.5s;
    s.pause = [](std::chrono::duration<double>) {};
    return s;
}

const std::string& last_detail(const ActionResult& r) {
    return r.steps.back().detail;
}

TEST(SwitchoverPreflight,
     a_caught_up_read_only_target_passes_and_its_own_domain_is_not_waited_for) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    // Domain 0's last transaction came from the target (server 2) through log_slave_updates.
    local.answers = {channel_row("Yes", "Yes"), own_row("0", "0-2-7,1-1-40")};
    Peer peer{journal,
              {target_row("1", "2"), channel_row("Yes", "Yes", "10.0.0.1"), wait_row("0")},
              std::nullopt,
              {}};
    auto p = switchover_preflight(local, settings(), peer.connector());
    ASSERT_TRUE(p.result.ok) << last_detail(p.result);
    ASSERT_TRUE(p.target);
    EXPECT_EQ(p.target->where(), "10.0.0.2:3306");
    EXPECT_EQ(p.target->server_id, 2u);
    EXPECT_THAT(journal, ElementsAre("local: SHOW SLAVE 'peer' STATUS",
                                     "local: SELECT @@read_only AS ro, @@gtid_binlog_pos AS p",
                                     "peer: SELECT @@read_only AS ro, @@server_id AS id",
                                     "peer: SHOW SLAVE 'peer' STATUS",
                                     "peer: SELECT MASTER_GTID_WAIT('1-1-40', 0.500) AS w"));
}

TEST(SwitchoverPreflight, refuses_a_lagging_target_without_changing_anything) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel_row("Yes", "Yes"), own_row("0", "0-1-90")};
    Peer peer{journal,
              {target_row("1", "2"), channel_row("Yes", "Yes", "10.0.0.1"), wait_row("-1"),
               wait_row("-1")},
              std::nullopt,
              {}};
    auto p = switchover_preflight(local, settings(), peer.connector());
    EXPECT_FALSE(p.result.ok);
    EXPECT_FALSE(p.target);
    EXPECT_THAT(last_detail(p.result), HasSubstr("the target lags: 0-1-90 not applied"));
    for (const auto& line : journal)
        EXPECT_THAT(line, Not(HasSubstr("SET")));
}

TEST(SwitchoverPreflight, refuses_when_this_node_would_not_replicate_from_the_new_master) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel_row("No", "Yes")};
    Peer peer{journal, {}, std::nullopt, {}};
    auto p = switchover_preflight(local, settings(), peer.connector());
    EXPECT_FALSE(p.result.ok);
    EXPECT_THAT(last_detail(p.result), HasSubstr("replication from 10.0.0.2:3306 is not running"));
    EXPECT_TRUE(peer.connects.empty());
}

TEST(SwitchoverPreflight, refuses_a_target_whose_replication_from_here_stopped) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel_row("Yes", "Yes"), own_row("0", "0-1-9")};
    auto stopped = channel_row("Yes", "No", "10.0.0.1");
    stopped.front()["Last_SQL_Error"] = "Error 1950: An attempt was made to binlog GTID 0-2-5";
    Peer peer{journal, {target_row("1", "2"), stopped}, std::nullopt, {}};
    auto p = switchover_preflight(local, settings(), peer.connector());
    EXPECT_FALSE(p.result.ok);
    EXPECT_THAT(last_detail(p.result),
                HasSubstr("its replication from this node is not running (IO Yes, SQL No: Error "
                          "1950"));
    EXPECT_FALSE(p.target);
}

TEST(SwitchoverPreflight, a_peer_account_without_slave_monitor_is_judged_by_the_wait) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel_row("Yes", "Yes"), own_row("0", "0-1-9")};
    Peer peer{journal,
              {target_row("1", "2"), SqlError{1227, "Access denied; you need SLAVE MONITOR"},
               wait_row("0")},
              std::nullopt,
              {}};
    auto p = switchover_preflight(local, settings(), peer.connector());
    ASSERT_TRUE(p.result.ok) << last_detail(p.result);
    EXPECT_THAT(p.result.steps[p.result.steps.size() - 2].detail, HasSubstr("SLAVE MONITOR"));
}

TEST(SwitchoverPreflight, refuses_a_writable_target_a_wrong_server_and_a_wrong_address) {
    {
        std::vector<std::string> journal;
        JournalSession local("local", journal);
        local.answers = {channel_row("Yes", "Yes"), own_row("0", "0-1-9")};
        Peer peer{journal, {target_row("0", "2")}, std::nullopt, {}};
        auto p = switchover_preflight(local, settings(), peer.connector());
        EXPECT_THAT(last_detail(p.result), HasSubstr("a second writer"));
    }
    {
        std::vector<std::string> journal;
        JournalSession local("local", journal);
        local.answers = {channel_row("Yes", "Yes"), own_row("0", "0-1-9")};
        Peer peer{journal, {target_row("1", "3")}, std::nullopt, {}};
        auto s = settings();
        s.target_server_id = 2;
        auto p = switchover_preflight(local, s, peer.connector());
        EXPECT_THAT(last_detail(p.result), HasSubstr("server id 3, expected 2"));
    }
    {
        std::vector<std::string> journal;
        JournalSession local("local", journal);
        local.answers = {channel_row("Yes", "Yes")};
        Peer peer{journal, {}, std::nullopt, {}};
        auto s = settings();
        s.target_host = "10.0.0.9";
        auto p = switchover_preflight(local, s, peer.connector());
        EXPECT_THAT(last_detail(p.result), HasSubstr("10.0.0.9 is not this node's peer"));
    }
}

TEST(SwitchoverPreflight, refuses_a_read_only_node_and_an_unreachable_target) {
    {
        std::vector<std::string> journal;
        JournalSession local("local", journal);
        local.answers = {channel_row("Yes", "Yes"), own_row("1", "0-1-9")};
        Peer peer{journal, {}, std::nullopt, {}};
        auto p = switchover_preflight(local, settings(), peer.connector());
        EXPECT_THAT(last_detail(p.result), HasSubstr("not the writer"));
    }
    {
        std::vector<std::string> journal;
        JournalSession local("local", journal);
        local.answers = {channel_row("Yes", "Yes"), own_row("0", "0-1-9")};
        Peer peer{journal, {}, SqlError{2003, "cannot connect"}, {}};
        auto p = switchover_preflight(local, settings(), peer.connector());
        EXPECT_FALSE(p.result.ok);
        EXPECT_THAT(last_detail(p.result), HasSubstr("does not let us in"));
    }
}

TEST(SwitchoverCatchUp, waits_on_the_target_for_this_nodes_final_position) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {ReplicaRows{ReplicaRow{{"p", std::string("0-1-41")}}}};
    // Between the waits the applier's state is asked (the target's SHOW SLAVE STATUS).
    Peer peer{journal, {wait_row("-1"), ReplicaRows{}, wait_row("0")}, std::nullopt, {}};
    SwitchoverTarget target{"10.0.0.2", 3306, 2};
    auto r = switchover_catch_up(local, target, settings(), peer.connector(), 2s);
    ASSERT_TRUE(r.ok) << last_detail(r);
    EXPECT_THAT(journal, ElementsAre("local: SELECT @@gtid_binlog_pos AS p",
                                     "peer: SELECT MASTER_GTID_WAIT('0-1-41', 0.500) AS w",
                                     "peer: SHOW SLAVE 'peer' STATUS",
                                     "peer: SELECT MASTER_GTID_WAIT('0-1-41', 0.500) AS w"));
}

TEST(SwitchoverCatchUp, a_target_that_cannot_apply_in_time_fails_the_step) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {ReplicaRows{ReplicaRow{{"p", std::string("0-1-41")}}}};
    Peer peer{journal, {wait_row("-1"), ReplicaRows{}, wait_row("-1")}, std::nullopt, {}};
    SwitchoverTarget target{"10.0.0.2", 3306, 2};
    auto r = switchover_catch_up(local, target, settings(), peer.connector(), 1s);
    EXPECT_FALSE(r.ok);
    EXPECT_THAT(last_detail(r), HasSubstr("not applied within 1.0 s"));
}

TEST(SwitchoverTargetWritable, watches_read_only_until_it_is_off) {
    std::vector<std::string> journal;
    Peer peer{journal,
              {target_row("1", "2"), target_row("1", "2"), target_row("0", "2")},
              std::nullopt,
              {}};
    SwitchoverTarget target{"10.0.0.2", 3306, 2};
    auto r = switchover_target_writable(target, settings(), peer.connector(), 5s);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(journal.size(), 3u);
}

TEST(SwitchoverTargetWritable, gives_up_after_the_bound) {
    std::vector<std::string> journal;
    Peer peer{journal, {}, SqlError{1045, "denied"}, {}};
    SwitchoverTarget target{"10.0.0.2", 3306, 2};
    auto r = switchover_target_writable(target, settings(), peer.connector(), 0.2s);
    EXPECT_FALSE(r.ok);
    EXPECT_THAT(last_detail(r), HasSubstr("not writable within 0.2 s"));
}

}  // namespace
}  // namespace havip::checks
