// Model defaults: what an instance, a script and the native checks mean when a keyword is
// not written (keepalived's defaults, reference section 2).
#include <chrono>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/describe.hpp"
#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

using namespace std::chrono_literals;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::instance;
using ::testing::IsEmpty;
using testing::load;
using testing::messages;
using testing::messages_of;

TEST(ConfigModel, instance_defaults_match_keepalived) {
    auto result = load(instance());
    ASSERT_TRUE(result.ok());
    const auto& v = result.config->instances.at(0);
    EXPECT_EQ(v.name, "VI_1");
    EXPECT_EQ(v.state, InitialState::backup);
    EXPECT_EQ(v.interface, "eth0");
    EXPECT_EQ(v.virtual_router_id, 51);
    EXPECT_EQ(v.priority, 100);
    EXPECT_EQ(v.advert_int, 1s);
    EXPECT_EQ(v.version, 2);
    EXPECT_EQ(v.family, Family::ipv4);
    EXPECT_FALSE(v.nopreempt);
    EXPECT_EQ(v.preempt_delay, 0s);
    EXPECT_EQ(v.auth_type, AuthType::none);
    EXPECT_EQ(v.garp_master_delay, 5s);
    EXPECT_EQ(v.garp_master_repeat, 5);
    EXPECT_EQ(v.garp_master_refresh, 0s);
    EXPECT_EQ(v.down_timer_adverts, 3);
    EXPECT_EQ(v.unicast_ttl, 255);
    EXPECT_TRUE(v.accept);
    EXPECT_FALSE(v.unicast());
    EXPECT_FALSE(v.dont_track_primary);
    EXPECT_EQ(v.where.name.line, 1);
    EXPECT_EQ(v.where.name.column, 15);
}

TEST(ConfigModel, virtual_address_defaults_to_host_prefix_global_scope_and_the_interface) {
    auto result = load(instance("", "VI_1", 51, "10.0.0.50"));
    const auto& vip = result.config->instances.at(0).virtual_addresses.at(0);
    EXPECT_EQ(vip.address.to_string(), "10.0.0.50");
    EXPECT_EQ(vip.prefix_length, 32);
    EXPECT_EQ(vip.scope, "global");
    EXPECT_EQ(vip.dev, "eth0");
    EXPECT_FALSE(vip.broadcast.has_value());
    auto v6 = load(instance("    version 3\n", "VI_6", 52, "fd00::50"));
    EXPECT_THAT(messages(v6), IsEmpty());
    EXPECT_EQ(v6.config->instances.at(0).virtual_addresses.at(0).prefix_length, 128);
    EXPECT_EQ(v6.config->instances.at(0).family, Family::ipv6);
}

TEST(ConfigModel, virtual_address_options_are_parsed) {
    auto result = load(instance("", "VI_1", 51,
                                "10.0.0.50/24 brd 10.0.0.255 dev eth1 scope link label eth1:vip "
                                "-nodad noprefixroute no_track"));
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& vip = result.config->instances.at(0).virtual_addresses.at(0);
    EXPECT_EQ(vip.prefix_length, 24);
    EXPECT_EQ(vip.broadcast->to_string(), "10.0.0.255");
    EXPECT_EQ(vip.dev, "eth1");
    EXPECT_EQ(vip.scope, "link");
    EXPECT_EQ(vip.label, "eth1:vip");
    EXPECT_TRUE(vip.dad);
    EXPECT_TRUE(vip.noprefixroute);
    EXPECT_TRUE(vip.no_track);
}

// Issue 16: keepalived adds every IPv6 VIP with IFA_F_NODAD unless the line says "-nodad";
// havipd read "-nodad" the other way round, so its IPv6 VIPs were "tentative" after takeover.
TEST(ConfigModel, ipv6_vips_skip_dad_unless_the_line_says_minus_nodad) {
    auto result = load(instance("    version 3\n", "VI_1", 51,
                                "fd00::50/64\n        fd00::51/64 -nodad\n"
                                "        fd00::52/64 nodad"));
    ASSERT_THAT(messages(result), IsEmpty());
    const auto& vips = result.config->instances.at(0).virtual_addresses;
    ASSERT_EQ(vips.size(), 3u);
    EXPECT_TRUE(vips[0].nodad());
    EXPECT_FALSE(vips[1].nodad());
    EXPECT_TRUE(vips[2].nodad());
    auto v4 = load(instance("", "VI_1", 51, "10.0.0.50/24"));
    EXPECT_FALSE(v4.config->instances.at(0).virtual_addresses.at(0).nodad())
        << "IFA_F_NODAD is an IPv6 flag";
}

TEST(ConfigModel, state_master_without_priority_means_255) {
    auto result = load(instance("    state MASTER\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->instances.at(0).priority, 255);
    EXPECT_EQ(result.config->instances.at(0).state, InitialState::master);
}

TEST(ConfigModel, global_defs_defaults) {
    auto result = load(instance());
    const auto& g = result.config->global;
    EXPECT_EQ(g.vrrp_garp_master_delay, 5s);
    EXPECT_EQ(g.vrrp_garp_master_repeat, 5);
    EXPECT_EQ(g.vrrp_garp_master_refresh, 0s);
    EXPECT_EQ(g.vrrp_version, 2);
    EXPECT_FALSE(g.enable_script_security);
    EXPECT_FALSE(g.router_id.has_value());
    EXPECT_FALSE(g.vrrp_mcast_group4.has_value());
}

TEST(ConfigModel, global_defs_apply_wherever_they_sit) {
    auto result = load(instance() +
                       "global_defs {\n    vrrp_version 3\n    vrrp_garp_master_delay 2\n"
                       "    vrrp_garp_master_repeat 3\n    vrrp_garp_master_refresh 60\n"
                       "    script_user keepalived_script nogroup\n    vrrp_mcast_group4 "
                       "224.0.0.19\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& v = result.config->instances.at(0);
    EXPECT_EQ(v.version, 3);
    EXPECT_EQ(v.garp_master_delay, 2s);
    EXPECT_EQ(v.garp_master_repeat, 3);
    EXPECT_EQ(v.garp_master_refresh, 60s);
    EXPECT_EQ(result.config->global.script_user, "keepalived_script");
    EXPECT_EQ(result.config->global.script_group, "nogroup");
    EXPECT_EQ(result.config->global.vrrp_mcast_group4->to_string(), "224.0.0.19");
}

TEST(ConfigModel, instance_garp_settings_override_global_ones) {
    auto result = load("global_defs {\n    vrrp_garp_master_repeat 3\n}\n" +
                       instance("    garp_master_repeat 7\n    garp_master_delay 0\n"));
    EXPECT_EQ(result.config->instances.at(0).garp_master_repeat, 7);
    EXPECT_EQ(result.config->instances.at(0).garp_master_delay, 0s);
}

TEST(ConfigModel, vrrp_script_defaults_and_values) {
    const std::string security = "global_defs {\n    enable_script_security\n}\n";
    auto result = load(security +
                       "vrrp_script a {\n    script /bin/true\n}\n"
                       "vrrp_script b {\n    script \"/bin/true x\"\n    interval 0.5\n"
                       "    timeout 2\n    weight -20 reverse\n    rise 3\n    fall 2\n"
                       "    user nobody nogroup\n    init_fail\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& a = result.config->scripts.at(0);
    EXPECT_EQ(a.interval, 1s);
    EXPECT_EQ(a.timeout, 1s);  // 0 = the interval
    EXPECT_EQ(a.weight, 0);
    EXPECT_EQ(a.rise, 1);
    EXPECT_EQ(a.fall, 1);
    EXPECT_FALSE(a.init_fail);
    const auto& b = result.config->scripts.at(1);
    EXPECT_EQ(b.interval, 500ms);
    EXPECT_EQ(b.timeout, 2s);
    EXPECT_EQ(b.weight, -20);
    EXPECT_TRUE(b.weight_reverse);
    EXPECT_EQ(b.rise, 3);
    EXPECT_EQ(b.fall, 2);
    EXPECT_EQ(b.user, "nobody");
    EXPECT_EQ(b.group, "nogroup");
    EXPECT_TRUE(b.init_fail);
}

TEST(ConfigModel, mysql_check_defaults) {
    auto result = load(
        "mysql_check db {\n    socket /run/mysqld/mysqld.sock\n"
        "    option_file /etc/havip/my.cnf\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& m = result.config->mysql_checks.at(0);
    EXPECT_EQ(m.socket, "/run/mysqld/mysqld.sock");
    EXPECT_EQ(m.port, 3306);
    EXPECT_EQ(m.interval, 1s);
    EXPECT_EQ(m.timeout, 1s);
    EXPECT_EQ(m.rise, 1);
    EXPECT_EQ(m.fall, 1);
    EXPECT_EQ(m.weight, 0);
    EXPECT_FALSE(m.max_lag.has_value());
    EXPECT_EQ(m.connection, "");
    EXPECT_FALSE(m.manage_read_only);
    EXPECT_TRUE(m.auto_rejoin);
    EXPECT_EQ(m.rejoin_inventory, "/etc/havip/inventory.yaml");
    EXPECT_EQ(m.rejoin_admin_option_file, "/etc/havip/admin.cnf");
    EXPECT_EQ(m.rejoin_timeout, 3600s);
}

TEST(ConfigModel, mysql_check_auto_rejoin_settings) {
    auto result = load(
        "mysql_check db {\n    socket /s\n    option_file /f\n    auto_rejoin off\n"
        "    rejoin_inventory /srv/inv.yaml\n    rejoin_admin_option_file /srv/admin.cnf\n"
        "    rejoin_timeout 600\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& m = result.config->mysql_checks.at(0);
    EXPECT_FALSE(m.auto_rejoin);
    EXPECT_EQ(m.rejoin_inventory, "/srv/inv.yaml");
    EXPECT_EQ(m.rejoin_admin_option_file, "/srv/admin.cnf");
    EXPECT_EQ(m.rejoin_timeout, 600s);
}

TEST(ConfigModel, mysql_check_peer_server_id) {
    auto result = load("mysql_check db {\n    socket /s\n    peer_server_id 4294967295\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->mysql_checks.at(0).peer_server_id, 4294967295u);
    auto unset = load("mysql_check db {\n    socket /s\n}\n");
    EXPECT_FALSE(unset.config->mysql_checks.at(0).peer_server_id);
    auto zero = load("mysql_check db {\n    socket /s\n    peer_server_id 0\n}\n");
    EXPECT_THAT(messages(zero), ElementsAre(HasSubstr("3:20")));
}

TEST(ConfigModel, mysql_check_values) {
    auto result = load(
        "mysql_check db {\n    host 127.0.0.1\n    port 3307\n"
        "    option_file /etc/havip/my.cnf\n    interval 0.25\n    rise 2\n"
        "    fall 3\n    weight -30\n    max_lag 5.5\n    lag_weight -10\n"
        "    connection m1\n    manage_read_only on\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& m = result.config->mysql_checks.at(0);
    EXPECT_EQ(m.host->to_string(), "127.0.0.1");
    EXPECT_EQ(m.port, 3307);
    EXPECT_EQ(m.interval, 250ms);
    EXPECT_EQ(m.timeout, 250ms);
    EXPECT_EQ(m.weight, -30);
    EXPECT_EQ(m.max_lag, 5500ms);
    EXPECT_EQ(m.lag_weight, -10);
    EXPECT_EQ(m.connection, "m1");
    EXPECT_TRUE(m.manage_read_only);
}

TEST(ConfigModel, tcp_check_values_and_defaults) {
    auto result = load(
        "tcp_check db_port {\n    host 127.0.0.1\n    port 3306\n"
        "    timeout 0.3\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& t = result.config->tcp_checks.at(0);
    EXPECT_EQ(t.host.to_string(), "127.0.0.1");
    EXPECT_EQ(t.port, 3306);
    EXPECT_EQ(t.interval, 1s);
    EXPECT_EQ(t.timeout, 300ms);
    EXPECT_EQ(t.rise, 1);
}

TEST(ConfigModel, track_file_and_track_interface) {
    auto result = load(
        "track_file maint {\n    file /var/run/maint\n    weight -50\n"
        "    init_file 0 overwrite\n}\n" +
        instance("    track_file {\n        maint weight -10\n    }\n"
                 "    track_interface {\n        eth1 weight -5\n        br0\n    "
                 "}\n    dont_track_primary\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& f = result.config->track_files.at(0);
    EXPECT_EQ(f.file, "/var/run/maint");
    EXPECT_EQ(f.weight, -50);
    EXPECT_EQ(f.init_file, 0);
    EXPECT_TRUE(f.init_overwrite);
    const auto& v = result.config->instances.at(0);
    EXPECT_EQ(v.track_files.at(0).weight, -10);
    EXPECT_EQ(v.track_interfaces.at(0).name, "eth1");
    EXPECT_EQ(v.track_interfaces.at(0).weight, -5);
    EXPECT_EQ(v.track_interfaces.at(1).weight, 0);
    EXPECT_TRUE(v.dont_track_primary);
}

// Found by fuzz_config_parse: PASS from a first block, no auth_type in the second.
TEST(ConfigModel, a_second_authentication_block_without_auth_type_is_diagnosed_not_a_crash) {
    auto result =
        load(instance("    authentication {\n        auth_type PASS\n"
                      "        auth_pass one\n    }\n"
                      "    authentication {\n    }\n"));
    // At the second block: before the fix the location was read from an empty optional.
    EXPECT_THAT(messages(result),
                Contains(HasSubstr("11:5: warning: auth_type PASS without auth_pass")));
}

TEST(ConfigModel, vrrp_track_file_is_the_older_name_of_track_file) {
    auto result = load("vrrp_track_file maint {\n    file /var/run/maint\n}\n" +
                       instance("    track_file {\n        maint\n    }\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->track_files.at(0).weight, 1);  // keepalived's default
}

TEST(ConfigModel, unicast_instance_needs_no_interface) {
    auto result = load(
        "vrrp_instance U {\n    virtual_router_id 60\n    unicast_src_ip 10.0.0.1\n"
        "    unicast_peer {\n        10.0.0.2\n        10.0.0.3\n    }\n"
        "    unicast_ttl 64\n    check_unicast_src\n    virtual_ipaddress {\n"
        "        10.0.0.60\n    }\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& v = result.config->instances.at(0);
    EXPECT_TRUE(v.unicast());
    EXPECT_EQ(v.unicast_peers.size(), 2u);
    EXPECT_EQ(v.unicast_ttl, 64);
    EXPECT_TRUE(v.check_unicast_src);
    EXPECT_EQ(v.unicast_src_ip->to_string(), "10.0.0.1");
}

TEST(ConfigModel, old_unicast_checksum_alone_or_never_as_keepalived_reads_it) {
    using Old = VrrpInstance::OldUnicastChecksum;
    const auto with = [](const std::string& line) {
        return load(
            "vrrp_instance U {\n    virtual_router_id 60\n    unicast_src_ip 10.0.0.1\n"
            "    unicast_peer {\n        10.0.0.2\n    }\n" +
            line + "    virtual_ipaddress {\n        10.0.0.60\n    }\n}\n");
    };
    auto plain = with("");
    EXPECT_EQ(plain.config->instances.at(0).old_unicast_checksum, Old::automatic);
    auto always = with("    old_unicast_checksum\n");
    EXPECT_THAT(messages(always), IsEmpty());
    EXPECT_EQ(always.config->instances.at(0).old_unicast_checksum, Old::always);
    auto never = with("    old_unicast_checksum never\n");
    EXPECT_THAT(messages(never), IsEmpty());
    EXPECT_EQ(never.config->instances.at(0).old_unicast_checksum, Old::never);
    auto bad = with("    old_unicast_checksum sometimes\n");
    EXPECT_THAT(
        messages(bad),
        ElementsAre(HasSubstr("7:26: error: old_unicast_checksum takes no value or \"never\"")));
}

TEST(ConfigModel, sync_group_members_and_notify) {
    auto result = load("global_defs {\n    enable_script_security\n}\n" + instance() +
                       instance("", "VI_2", 52, "10.0.0.51") +
                       "vrrp_sync_group G {\n    group {\n        VI_1\n        VI_2\n    }\n"
                       "    notify \"/bin/echo\"\n    notify_stop \"/bin/echo\"\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());  // notify_stop runs too: no warning
    const auto& g = result.config->sync_groups.at(0);
    EXPECT_THAT(g.instances, ElementsAre("VI_1", "VI_2"));
    EXPECT_TRUE(g.notify.any.has_value());
    EXPECT_TRUE(g.notify.stop.has_value());
    EXPECT_EQ(result.config->find_sync_group_of("VI_2"), &g);
    EXPECT_EQ(result.config->find_sync_group_of("VI_3"), nullptr);
}

TEST(ConfigModel, accept_and_no_accept) {
    EXPECT_FALSE(load(instance("    no_accept\n")).config->instances.at(0).accept);
    EXPECT_TRUE(load(instance("    no_accept\n    accept\n")).config->instances.at(0).accept);
}

TEST(ConfigModel, describe_prints_one_block_per_instance) {
    auto result = load(
        "global_defs {\n    enable_script_security\n}\n"
        "tcp_check db_port {\n    host 127.0.0.1\n    port 3306\n}\n" +
        instance("    state MASTER\n    priority 255\n    track_script {\n"
                 "        db_port weight -20\n    }\n    authentication {\n"
                 "        auth_type PASS\n        auth_pass test\n    }\n") +
        instance("    version 3\n    advert_int 0.1\n", "VI_2", 52, "10.0.0.51"));
    ASSERT_TRUE(result.ok());
    const std::string text = describe(*result.config);
    EXPECT_THAT(text, HasSubstr("vrrp_instance VI_1\n  state MASTER, interface eth0, "
                                "virtual_router_id 51, VRRPv2 IPv4\n  priority 255, advert_int "
                                "1s, preempt\n  auth PASS (4 bytes)\n  vip 10.0.0.50/32 dev eth0\n"
                                "  track interface eth0 (primary, FAULT when down)\n"
                                "  check db_port weight -20: tcp_check 127.0.0.1:3306 every 1s, "
                                "timeout 1s, rise 1, fall 1, weight 0\n\n"));
    EXPECT_THAT(text, HasSubstr("vrrp_instance VI_2\n  state BACKUP, interface eth0, "
                                "virtual_router_id 52, VRRPv3 IPv4\n  priority 100, advert_int "
                                "0.1s, preempt\n"));
}

}  // namespace
}  // namespace havip::config
