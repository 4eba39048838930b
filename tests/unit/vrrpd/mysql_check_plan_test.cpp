// vrrpd/mysql_check_plan: a mysql_check's logins, decision settings, promote settings and job
// deadlines from its configuration. Expected values are worked out by hand from the formulas.
#include "vrrpd/mysql_check_plan.hpp"

#include <boost/asio/ip/address.hpp>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using Seconds = std::chrono::duration<double>;

config::MysqlCheck check(config::Duration timeout, bool manage_read_only = true) {
    config::MysqlCheck m;
    m.name = "db";
    m.interval = 1s;
    m.timeout = timeout;
    m.manage_read_only = manage_read_only;
    return m;
}

MysqlCheckPlan plan_of(const config::MysqlCheck& m) {
    return resolve_mysql_check(m, checks::MysqlCredentials{"from_file", "file_secret", {}});
}

TEST(MysqlCheckPlan, deadlines_follow_a_two_second_timeout) {
    const auto plan = plan_of(check(2s));
    // client: connect 2 + 2 × read 2 = 6 s.
    // fence: 0.5 + peer connect 1 + 2 × peer read 3 + our read 2 = 9.5 s, plus per retry pause
    // (0.25, 0.5, 1) the pause + 0.5 + connect 1 + read 3: 4.75 + 5 + 5.5 = 15.25 s.
    // apply_timeout 5 × 2 = 10 s.
    EXPECT_EQ(plan.promote_deadline, 40750ms);  // 6 + 24.75 + 10
    EXPECT_EQ(plan.demote_deadline, 8s);        // 6 + lock_wait_timeout 2
    EXPECT_EQ(plan.refence_deadline, 46750ms);  // promote + 2 + 2 × read 2
}

TEST(MysqlCheckPlan, deadlines_follow_a_sub_second_timeout_rounded_up_to_whole_seconds) {
    const auto plan = plan_of(check(300ms));
    // client: 1 + 2 × 1 = 3 s; fence: 0.5 + 1 + 6 + 1 + 15.25 = 23.75 s; apply 5 × 0.3 = 1.5 s.
    EXPECT_EQ(plan.promote_deadline, 28250ms);
    EXPECT_EQ(plan.demote_deadline, 5s);
    EXPECT_EQ(plan.refence_deadline, 32250ms);  // 28.25 + 2 + 2 × 1
}

TEST(MysqlCheckPlan, apply_timeout_defaults_to_five_check_timeouts) {
    EXPECT_DOUBLE_EQ(plan_of(check(2s)).promote.apply_timeout.count(), 10.0);
    EXPECT_DOUBLE_EQ(plan_of(check(300ms)).promote.apply_timeout.count(), 1.5);
}

TEST(MysqlCheckPlan, a_configured_apply_timeout_is_taken_as_is_and_bounds_the_promote) {
    auto m = check(2s);
    m.apply_timeout = 7s;
    const auto plan = plan_of(m);
    EXPECT_DOUBLE_EQ(plan.promote.apply_timeout.count(), 7.0);
    EXPECT_EQ(plan.promote_deadline, 37750ms);  // 6 + 24.75 + 7
    EXPECT_EQ(plan.refence_deadline, 43750ms);
}

TEST(MysqlCheckPlan, a_wait_slice_ends_a_quarter_second_before_the_read_timeout) {
    EXPECT_DOUBLE_EQ(plan_of(check(2s)).promote.wait_slice.count(), 1.75);
    // The shortest read timeout is 1 s: 0.75 s, above the 0.1 s floor.
    EXPECT_DOUBLE_EQ(plan_of(check(300ms)).promote.wait_slice.count(), 0.75);
    EXPECT_DOUBLE_EQ(plan_of(check(2500ms)).promote.wait_slice.count(), 2.75);
}

TEST(MysqlCheckPlan, client_timeouts_are_whole_seconds_rounded_up_and_at_least_one) {
    const auto tiny = plan_of(check(0us)).connect;
    EXPECT_EQ(tiny.connect_timeout_s, 1u);
    EXPECT_EQ(tiny.read_timeout_s, 1u);
    EXPECT_EQ(tiny.write_timeout_s, 1u);
    const auto odd = plan_of(check(2500ms)).connect;
    EXPECT_EQ(odd.connect_timeout_s, 3u);
    EXPECT_EQ(odd.read_timeout_s, 3u);
    EXPECT_EQ(odd.write_timeout_s, 3u);
    EXPECT_DOUBLE_EQ(odd.statement_timeout_s, 2.5) << "the server side takes fractions";
    EXPECT_EQ(plan_of(check(300ms)).connect.read_timeout_s, 1u);
}

TEST(MysqlCheckPlan, the_switchover_login_reads_and_writes_for_at_least_four_seconds) {
    const auto short_timeout = plan_of(check(1s));
    EXPECT_EQ(short_timeout.local_login.connect_timeout_s, 1u) << "only read and write grow";
    EXPECT_EQ(short_timeout.local_login.read_timeout_s, 4u);
    EXPECT_EQ(short_timeout.local_login.write_timeout_s, 4u);
    const auto long_timeout = plan_of(check(5s));
    EXPECT_EQ(long_timeout.local_login.read_timeout_s, 5u);
    EXPECT_EQ(long_timeout.local_login.write_timeout_s, 5u);
    EXPECT_EQ(short_timeout.connect.read_timeout_s, 1u) << "the check's own login is unchanged";
}

TEST(MysqlCheckPlan, the_peer_login_is_the_checks_over_tcp_with_one_three_three_seconds) {
    auto m = check(5s);
    m.socket = "/run/mysqld/mysqld.sock";
    m.host = boost::asio::ip::make_address("127.0.0.1");
    m.port = 3307;
    m.user = "check";
    m.password = "inline";
    const auto plan = plan_of(m);
    EXPECT_EQ(plan.connect.unix_socket, "/run/mysqld/mysqld.sock");
    EXPECT_EQ(plan.local_login.unix_socket, "/run/mysqld/mysqld.sock");
    EXPECT_EQ(plan.peer.unix_socket, "") << "the peer is reached at its Master_Host";
    EXPECT_EQ(plan.peer.connect_timeout_s, 1u);
    EXPECT_EQ(plan.peer.read_timeout_s, 3u);
    EXPECT_EQ(plan.peer.write_timeout_s, 3u);
    EXPECT_EQ(plan.peer.credentials.user, "check");
    EXPECT_EQ(plan.peer.credentials.password, "inline");
    EXPECT_EQ(plan.peer.port, 3307u) << "replaced by Master_Port when used";
}

TEST(MysqlCheckPlan, max_lag_is_four_times_the_warning_level_and_never_below_the_default) {
    const auto unset = plan_of(check(1s)).decision;
    EXPECT_DOUBLE_EQ(unset.lag_warn.count(), 5.0);
    EXPECT_DOUBLE_EQ(unset.max_lag.count(), 30.0);
    auto m = check(1s);
    m.max_lag = 5s;
    const auto small = plan_of(m).decision;
    EXPECT_DOUBLE_EQ(small.lag_warn.count(), 5.0);
    EXPECT_DOUBLE_EQ(small.max_lag.count(), 30.0) << "max(30, 4 × 5)";
    m.max_lag = 10s;
    const auto large = plan_of(m).decision;
    EXPECT_DOUBLE_EQ(large.lag_warn.count(), 10.0);
    EXPECT_DOUBLE_EQ(large.max_lag.count(), 40.0);
}

TEST(MysqlCheckPlan, the_decision_takes_the_channel_interval_and_the_peers_server_id) {
    auto m = check(1s);
    m.interval = 1500ms;
    m.connection = "peer";
    m.peer_server_id = 2;
    const auto plan = plan_of(m);
    EXPECT_EQ(plan.decision.connection_name, "peer");
    EXPECT_DOUBLE_EQ(plan.decision.interval.count(), 1.5);
    EXPECT_EQ(plan.decision.expected_master_server_id, 2u);
    EXPECT_TRUE(plan.decision.manage_read_only);
    EXPECT_EQ(plan.promote.connection_name, "peer") << "restart_io names the channel";
    EXPECT_EQ(plan.peer_server_id, 2u);
    EXPECT_EQ(plan.interval, 1500ms);
    EXPECT_EQ(plan.timeout, 1s);
}

TEST(MysqlCheckPlan, manage_read_only_promotes_master_master_with_a_term) {
    const auto plan = plan_of(check(1s));
    EXPECT_TRUE(plan.manage_read_only);
    EXPECT_FALSE(plan.promote.stop_channel);
    EXPECT_TRUE(plan.promote.record_term);
    EXPECT_EQ(plan.promote.semi_sync_master, std::nullopt) << "asked until a snapshot says";
}

TEST(MysqlCheckPlan, without_manage_read_only_the_promote_settings_are_left_as_they_are) {
    auto m = check(2s, false);
    m.connection = "peer";
    m.apply_timeout = 7s;
    const auto plan = plan_of(m);
    const checks::PromoteSettings defaults;
    EXPECT_FALSE(plan.manage_read_only);
    EXPECT_FALSE(plan.decision.manage_read_only);
    EXPECT_EQ(plan.promote.connection_name, "peer");
    EXPECT_EQ(plan.promote.stop_channel, defaults.stop_channel);
    EXPECT_EQ(plan.promote.record_term, defaults.record_term);
    EXPECT_EQ(plan.promote.semi_sync_master, defaults.semi_sync_master);
    EXPECT_DOUBLE_EQ(plan.promote.apply_timeout.count(), defaults.apply_timeout.count());
    EXPECT_DOUBLE_EQ(plan.promote.wait_slice.count(), defaults.wait_slice.count());
    EXPECT_EQ(plan.promote_deadline, MysqlCheckPlan::Duration::zero());
    EXPECT_EQ(plan.demote_deadline, MysqlCheckPlan::Duration::zero());
    EXPECT_EQ(plan.refence_deadline, MysqlCheckPlan::Duration::zero());
    // The logins do not depend on it.
    EXPECT_EQ(plan.local_login.read_timeout_s, 4u);
    EXPECT_EQ(plan.peer.read_timeout_s, 3u);
}

TEST(MysqlCheckPlan, credentials_come_from_the_option_file_when_one_is_named) {
    auto m = check(1s);
    m.user = "check";
    m.password = "inline";
    EXPECT_EQ(plan_of(m).connect.credentials.user, "check");
    EXPECT_EQ(plan_of(m).connect.credentials.password, "inline");
    m.option_file = "/etc/havip/check.cnf";
    EXPECT_EQ(plan_of(m).connect.credentials.user, "from_file");
    EXPECT_EQ(plan_of(m).connect.credentials.password, "file_secret");
    EXPECT_EQ(plan_of(check(1s)).connect.credentials.user, "") << "nothing configured";
}

TEST(MysqlCheckPlan, tcp_address_port_and_rejoin_settings_are_carried_over) {
    auto m = check(1s);
    m.host = boost::asio::ip::make_address("10.0.0.1");
    m.port = 3307;
    m.auto_rejoin = false;
    m.rejoin_inventory = "/srv/inventory.yaml";
    m.rejoin_admin_option_file = "/srv/admin.cnf";
    m.rejoin_timeout = 600s;
    EXPECT_TRUE(plan_of(check(1s)).auto_rejoin) << "on unless configured off";
    const auto plan = plan_of(m);
    EXPECT_EQ(plan.connect.host, "10.0.0.1");
    EXPECT_EQ(plan.connect.port, 3307u);
    EXPECT_EQ(plan.connect.unix_socket, "");
    EXPECT_FALSE(plan.auto_rejoin);
    EXPECT_EQ(plan.rejoin_inventory, "/srv/inventory.yaml");
    EXPECT_EQ(plan.rejoin_admin_option_file, "/srv/admin.cnf");
    EXPECT_EQ(plan.rejoin_timeout, 600s);
}

}  // namespace
}  // namespace havip::vrrp
