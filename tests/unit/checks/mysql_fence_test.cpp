// promote() with the fence (master-master failback and partition heal): before read_only=0 the
// promoting node sets read_only=1 on the peer named by its channel, reads the peer's binlog
// position and waits until what the peer accepted is applied here. Local and peer sessions are
// fakes writing to one journal, so the order across both servers is visible.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "tests/unit/checks/journal_session.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using testing::ElementsAre;
using testing::HasSubstr;

std::vector<ReplicaRow> row(const char* column, const char* value) {
    return {ReplicaRow{{column, std::string(value)}}};
}

std::vector<ReplicaRow> channel(const char* io_pos, const char* host, const char* port = "3306") {
    return {ReplicaRow{{"Gtid_IO_Pos", std::string(io_pos)},
                       {"Master_Host", std::string(host)},
                       {"Master_Port", std::string(port)}}};
}

PromoteSettings master_master(std::chrono::duration<double> total = 1.6s,
                              std::chrono::duration<double> slice = 0.7s) {
    PromoteSettings p;
    p.stop_channel = false;
    p.apply_timeout = total;
    p.wait_slice = slice;
    return p;
}

bool has_step(const ActionResult& r, const std::string& text) {
    for (const auto& s : r.steps)
        if (s.description.find(text) != std::string::npos ||
            s.detail.find(text) != std::string::npos)
            return true;
    return false;
}

TEST(MysqlFence, peer_goes_read_only_before_its_position_is_read_and_ours_is_cleared_last) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "10.0.0.1", "3307"), row("id", "2"), row("w", "0"),
                     row("w", "0")};
    Peer peer{journal, {{}, {}, row("p", "0-1-45")}, {}, {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_THAT(peer.connects, ElementsAre("10.0.0.1:3307"));
    EXPECT_THAT(journal,
                ElementsAre("local: SHOW SLAVE STATUS", "peer: SET SESSION lock_wait_timeout=2",
                            "peer: SET GLOBAL read_only=1", "peer: SELECT @@gtid_binlog_pos AS p",
                            "local: SELECT @@server_id AS id",
                            "local: SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w",
                            "local: SELECT MASTER_GTID_WAIT('0-1-45', 0.700) AS w",
                            "local: SET GLOBAL read_only=0"));
    // The steps name the peer, for the log and `havip status`.
    EXPECT_TRUE(has_step(r, "peer 10.0.0.1:3307: SET GLOBAL read_only=1"));
}

TEST(MysqlFence, our_own_gtid_echoed_back_by_the_peer_is_not_waited_for) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "10.0.0.1"), row("id", "2"), row("w", "0")};
    // The peer's last transaction is ours (server 2), applied there and logged again
    // (log_slave_updates): it never enters our gtid_slave_pos, so waiting for it would hang.
    Peer peer{journal, {{}, {}, row("p", "0-2-50")}, {}, {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(journal.back(), "local: SET GLOBAL read_only=0");
    EXPECT_EQ(std::count_if(
                  journal.begin(), journal.end(),
                  [](const auto& l) { return l.find("MASTER_GTID_WAIT") != std::string::npos; }),
              1);  // only the relay log's
    EXPECT_TRUE(has_step(r, "last transaction in every domain is ours"));
}

TEST(MysqlFence, only_the_domains_whose_last_gtid_is_the_peers_are_waited_for) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("", "10.0.0.1"), row("id", "2"), row("w", "0")};
    Peer peer{journal, {{}, {}, row("p", "0-2-50,1-1-7,2-3-9")}, {}, {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_THAT(journal,
                testing::Contains("local: SELECT MASTER_GTID_WAIT('1-1-7,2-3-9', 0.700) AS w"));
}

TEST(MysqlFence, wait_list_drops_exactly_the_domains_we_wrote_last) {
    auto peer = parse_mariadb_gtid_list("0-2-50,1-1-7,5-2-3").value.value();
    EXPECT_EQ(to_string(fence_wait_list(peer, 2)), "1-1-7");
    EXPECT_EQ(to_string(fence_wait_list(peer, 1)), "0-2-50,5-2-3");
    EXPECT_TRUE(fence_wait_list({}, 1).empty());
}

TEST(MysqlFence, an_unreachable_peer_is_taken_as_down_and_promotion_proceeds) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "10.0.0.1"), row("w", "0")};
    Peer peer{journal, {}, SqlError{2003, "Can't connect to server on '10.0.0.1' (111)"}, {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_THAT(peer.connects, ElementsAre("10.0.0.1:3306"));
    EXPECT_THAT(journal, ElementsAre("local: SHOW SLAVE STATUS",
                                     "local: SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w",
                                     "local: SET GLOBAL read_only=0"));
    EXPECT_TRUE(has_step(r, "taken as down, promoting unfenced"));
    EXPECT_TRUE(has_step(r, "2003"));
}

TEST(MysqlFence, an_unreachable_peer_is_not_retried) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "10.0.0.1"), row("w", "0")};
    Peer peer{journal, {}, SqlError{2003, "no answer from 10.0.0.1 port 3306 within 500 ms"}, {}};
    auto settings = master_master();
    std::vector<double> pauses;
    settings.pause = [&](std::chrono::duration<double> d) { pauses.push_back(d.count()); };
    EXPECT_TRUE(promote(local, settings, peer.connector()).ok);
    EXPECT_EQ(peer.connects.size(), 1u);
    EXPECT_TRUE(pauses.empty());
}

// The server answered: it is alive, and going writable beside it is what diverges the pair.
TEST(MysqlFence, a_peer_that_refuses_our_login_is_alive_and_keeps_us_read_only) {
    const std::vector<SqlError> alive = {
        {1045, "Access denied for user 'chk'@'10.0.0.2' (using password: YES)"},
        {1130, "Host '10.0.0.2' is not allowed to connect to this MariaDB server"},
        {1040, "Too many connections"},
        {1203, "User chk already has more than 'max_user_connections' active connections"},
        {2013,
         "Lost connection to server at 'handshake: reading initial communication packet', "
         "system error: 110"},
    };
    for (const auto& e : alive) {
        std::vector<std::string> journal;
        JournalSession local("local", journal);
        local.answers = {channel("0-1-40", "10.0.0.1"), row("w", "0")};
        Peer peer{journal, {}, e, {}};
        auto settings = master_master();
        std::vector<double> pauses;
        settings.pause = [&](std::chrono::duration<double> d) { pauses.push_back(d.count()); };
        auto r = promote(local, settings, peer.connector());
        EXPECT_FALSE(r.ok) << e.code;
        EXPECT_THAT(journal, ElementsAre("local: SHOW SLAVE STATUS")) << e.code;
        // Retried with a growing pause, then given up with the reason.
        EXPECT_EQ(peer.connects.size(), 4u) << e.code;
        EXPECT_THAT(pauses, ElementsAre(0.25, 0.5, 1.0)) << e.code;
        EXPECT_THAT(r.describe(), HasSubstr("alive")) << e.code;
        EXPECT_THAT(r.describe(), HasSubstr(std::to_string(e.code))) << e.code;
        EXPECT_THAT(r.describe(), HasSubstr("not promoting unfenced")) << e.code;
    }
}

TEST(MysqlFence, a_peer_that_lets_us_in_on_a_retry_is_fenced) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "10.0.0.1"), row("id", "2"), row("w", "0"), row("w", "0")};
    Peer peer{journal, {{}, {}, row("p", "0-1-45")}, {}, {}};
    // Full at the first attempt, a connection freed by the second.
    int attempts = 0;
    PeerConnector full_once = [&](const std::string& host, unsigned port) -> PeerSession {
        if (++attempts == 1) return SqlError{1040, "Too many connections"};
        return peer.connector()(host, port);
    };
    auto settings = master_master();
    settings.pause = [](std::chrono::duration<double>) {};
    auto r = promote(local, settings, full_once);
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(attempts, 2);
    EXPECT_TRUE(has_step(r, "peer 10.0.0.1:3306: SET GLOBAL read_only=1"));
}

TEST(MysqlFence, a_master_host_name_is_not_looked_up_and_promotion_proceeds_unfenced) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "db-a.example"), row("w", "0")};
    Peer peer{journal, {}, {}, {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_TRUE(peer.connects.empty());
    EXPECT_EQ(journal.back(), "local: SET GLOBAL read_only=0");
    EXPECT_TRUE(has_step(r, "not an IP address"));
}

TEST(MysqlFence, a_peer_that_answers_but_refuses_read_only_keeps_us_read_only) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "10.0.0.1"), row("w", "0")};
    Peer peer{journal,
              {{}, SqlError{1205, "Lock wait timeout exceeded; try restarting transaction"}},
              {},
              {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_FALSE(r.ok);
    EXPECT_THAT(r.describe(), HasSubstr("peer 10.0.0.1:3306: SET GLOBAL read_only=1"));
    EXPECT_THAT(r.describe(), HasSubstr("1205"));
    // Nothing after the failed fence: no wait, and above all no read_only=0.
    EXPECT_EQ(journal.back(), "peer: SET GLOBAL read_only=1");
}

TEST(MysqlFence, a_peer_whose_position_cannot_be_read_keeps_us_read_only) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-40", "10.0.0.1")};
    Peer peer{journal, {{}, {}, SqlError{2013, "Lost connection to server during query"}}, {}, {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(journal.back(), "peer: SELECT @@gtid_binlog_pos AS p");
}

TEST(MysqlFence, the_peers_writes_share_the_apply_budget_with_the_relay_log) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    // 1.0 s in all: 0.7 s on the relay log (timeout), 0.3 s more reaches it; the peer's
    // position gets the 0.3 s left, not a fresh second, and is not reached.
    local.answers = {channel("0-1-40", "10.0.0.1"),   row("id", "2"), row("w", "-1"),
                     row("Slave_SQL_Running", "Yes"), row("w", "0"),  row("w", "-1")};
    Peer peer{journal, {{}, {}, row("p", "0-1-45")}, {}, {}};
    auto r = promote(local, master_master(1.0s, 0.7s), peer.connector());
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(journal.back(), "local: SELECT MASTER_GTID_WAIT('0-1-45', 0.300) AS w");
    EXPECT_THAT(r.describe(), HasSubstr("0-1-45 not applied within 1.0 s"));
}

TEST(MysqlFence, an_empty_peer_position_needs_no_wait) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("", "10.0.0.1")};
    Peer peer{journal, {{}, {}, row("p", "")}, {}, {}};
    auto r = promote(local, master_master(), peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(journal.back(), "local: SET GLOBAL read_only=0");
    EXPECT_THAT(journal, testing::Not(testing::Contains("local: SELECT @@server_id AS id")));
}

TEST(MysqlFence, with_the_channel_stopped_the_peer_is_fenced_but_its_position_not_awaited) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {ReplicaRows{}, channel("0-1-40", "10.0.0.1"), row("id", "2"), row("w", "0")};
    Peer peer{journal, {{}, {}, row("p", "0-1-45")}, {}, {}};
    auto settings = master_master();
    settings.stop_channel = true;
    auto r = promote(local, settings, peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_THAT(
        journal,
        ElementsAre("local: STOP SLAVE IO_THREAD", "local: SHOW SLAVE STATUS",
                    "peer: SET SESSION lock_wait_timeout=2", "peer: SET GLOBAL read_only=1",
                    "peer: SELECT @@gtid_binlog_pos AS p", "local: SELECT @@server_id AS id",
                    "local: SELECT MASTER_GTID_WAIT('0-1-40', 0.700) AS w", "local: STOP SLAVE",
                    "local: SET GLOBAL read_only=0"));
    EXPECT_TRUE(has_step(r, "skipped: the channel is stopped"));
}

// Issue 15: b, the writer, restarts while its peer a is diverged (a holds 0-1-41, which b's
// SQL thread refused). Waiting for what a sent or holds would never end: b fences a and
// becomes writable without it.
TEST(MysqlFence, a_writer_whose_peer_diverged_fences_it_but_waits_for_none_of_its_transactions) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {channel("0-1-41", "10.0.0.1"), row("id", "2")};
    Peer peer{journal, {{}, {}, row("p", "0-1-41,1-2-9")}, {}, {}};
    auto settings = master_master();
    settings.peer_diverged = true;
    auto r = promote(local, settings, peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_THAT(journal,
                ElementsAre("local: SHOW SLAVE STATUS", "peer: SET SESSION lock_wait_timeout=2",
                            "peer: SET GLOBAL read_only=1", "peer: SELECT @@gtid_binlog_pos AS p",
                            "local: SELECT @@server_id AS id", "local: SET GLOBAL read_only=0"));
    EXPECT_TRUE(has_step(r, "skipped: the peer diverged"));
}

TEST(MysqlFence, refence_goes_read_only_here_before_fencing_the_rival) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {ReplicaRows{},  ReplicaRows{}, channel("0-1-40", "10.0.0.1"),
                     row("id", "2"), row("w", "0"), row("w", "0")};
    Peer peer{journal, {{}, {}, row("p", "0-1-45")}, {}, {}};
    auto r = refence(local, master_master(), peer.connector());
    EXPECT_TRUE(r.ok) << r.describe();
    ASSERT_GE(journal.size(), 4u);
    EXPECT_EQ(journal[0], "local: SET SESSION lock_wait_timeout=2");
    EXPECT_EQ(journal[1], "local: SET GLOBAL read_only=1");
    EXPECT_EQ(journal[2], "local: SHOW SLAVE STATUS");
    EXPECT_EQ(journal[3], "peer: SET SESSION lock_wait_timeout=2");
    EXPECT_EQ(journal.back(), "local: SET GLOBAL read_only=0");
    EXPECT_EQ(r.steps.size(), journal.size());
}

TEST(MysqlFence, refence_that_cannot_go_read_only_here_does_not_touch_the_rival) {
    std::vector<std::string> journal;
    JournalSession local("local", journal);
    local.answers = {{}, SqlError{1205, "Lock wait timeout exceeded"}};
    Peer peer{journal, {}, {}, {}};
    auto r = refence(local, master_master(), peer.connector());
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(peer.connects.empty());
    EXPECT_EQ(journal.size(), 2u);
}

TEST(MysqlFence, ip_literals_are_told_from_names) {
    EXPECT_TRUE(is_ip_literal("10.77.0.1"));
    EXPECT_TRUE(is_ip_literal("fd00::1"));
    EXPECT_FALSE(is_ip_literal("db-a"));
    EXPECT_FALSE(is_ip_literal("10.77.0.1:3306"));
    EXPECT_FALSE(is_ip_literal(""));
}

}  // namespace
}  // namespace havip::checks
