// Every diagnostic of a loaded configuration, with its exact text, line and column.
#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::instance;
using ::testing::IsEmpty;
using testing::load;
using testing::messages;
using testing::messages_of;

const std::string security = "global_defs {\n    enable_script_security\n}\n";

TEST(ConfigValidate, missing_virtual_router_id_is_an_error_at_the_instance_name) {
    EXPECT_THAT(messages_of("vrrp_instance VI_1 {\n    interface eth0\n    virtual_ipaddress {\n"
                            "        10.0.0.1\n    }\n}\n"),
                ElementsAre("1:15: error: vrrp_instance \"VI_1\" has no virtual_router_id "
                            "(required, 1..255)"));
}

TEST(ConfigValidate, mcast_dst_ip_is_multicast_of_the_instances_family) {
    auto ok = load(instance("    mcast_dst_ip 224.0.0.19\n"));
    EXPECT_THAT(messages(ok), ElementsAre());
    EXPECT_EQ(ok.config->instances.front().mcast_dst_ip,
              boost::asio::ip::make_address("224.0.0.19"));
    EXPECT_THAT(messages_of(instance("    mcast_dst_ip 10.0.0.9\n")),
                ElementsAre("7:18: error: mcast_dst_ip 10.0.0.9 is not multicast"));
    EXPECT_THAT(messages_of(instance("    mcast_dst_ip ff02::13\n")),
                ElementsAre("7:18: error: mcast_dst_ip ff02::13 is IPv6 but vrrp_instance "
                            "\"VI_1\" is IPv4"));
    EXPECT_THAT(
        messages_of(instance("    version 3\n    mcast_dst_ip ff05::13\n", "VI_1", 51, "fd00::50")),
        ElementsAre("8:18: error: mcast_dst_ip ff05::13 is not link-local multicast"));
    EXPECT_THAT(
        messages_of(instance("    version 3\n    mcast_dst_ip ff02::13\n", "VI_1", 51, "fd00::50")),
        ElementsAre());
    auto unicast =
        load(instance("    unicast_peer {\n        10.0.0.2\n    }\n"
                      "    mcast_dst_ip 224.0.0.19\n"));
    EXPECT_THAT(messages(unicast),
                ElementsAre("10:18: warning: mcast_dst_ip 224.0.0.19 is ignored: vrrp_instance "
                            "\"VI_1\" sends to its unicast_peer addresses (as keepalived)"));
    EXPECT_FALSE(unicast.config->instances.front().mcast_dst_ip);
}

// garp_lower_prio_repeat / _delay: the instance's, else global_defs' lower_prio ones, else
// global_defs' vrrp_garp_master_repeat / _delay (as keepalived; not the instance's garp_master_*).
TEST(ConfigValidate, garp_lower_prio_settings_fall_back_as_keepalived_does) {
    auto plain = load(instance("    garp_master_repeat 2\n"));
    EXPECT_EQ(plain.config->instances.front().garp_lower_prio_repeat, 5);
    EXPECT_EQ(plain.config->instances.front().garp_lower_prio_delay, Duration(5s));
    auto global =
        load("global_defs {\n    vrrp_garp_master_repeat 3\n    vrrp_garp_master_delay 2\n}\n" +
             instance());
    EXPECT_EQ(global.config->instances.front().garp_lower_prio_repeat, 3);
    EXPECT_EQ(global.config->instances.front().garp_lower_prio_delay, Duration(2s));
    auto lower = load("global_defs {\n    vrrp_garp_lower_prio_repeat 0\n}\n" +
                      instance("    garp_lower_prio_delay 7\n"));
    EXPECT_THAT(messages(lower), ElementsAre());
    EXPECT_EQ(lower.config->instances.front().garp_lower_prio_repeat, 0);
    EXPECT_EQ(lower.config->instances.front().garp_lower_prio_delay, Duration(7s));
    auto own = load("global_defs {\n    vrrp_garp_lower_prio_repeat 0\n}\n" +
                    instance("    garp_lower_prio_repeat 4\n"));
    EXPECT_EQ(own.config->instances.front().garp_lower_prio_repeat, 4);
}

// global_defs' vrrp_down_timer_adverts: the default of every instance that sets none.
TEST(ConfigValidate, vrrp_down_timer_adverts_is_the_instances_default) {
    auto result = load("global_defs {\n    vrrp_down_timer_adverts 5\n}\n" + instance() +
                       instance("    down_timer_adverts 2\n", "VI_2", 52, "10.0.0.51"));
    EXPECT_THAT(messages(result), ElementsAre());
    ASSERT_EQ(result.config->instances.size(), 2u);
    EXPECT_EQ(result.config->instances[0].down_timer_adverts, 5);
    EXPECT_EQ(result.config->instances[1].down_timer_adverts, 2);
    EXPECT_EQ(load(instance()).config->instances[0].down_timer_adverts, 3);
}

TEST(ConfigValidate, values_out_of_range_name_the_valid_range) {
    EXPECT_THAT(messages_of(instance("    priority 0\n")),
                ElementsAre("7:14: error: priority 0 is out of range (valid: 1..255)"));
    EXPECT_THAT(messages_of(instance("    priority 256\n")),
                ElementsAre("7:14: error: priority 256 is out of range (valid: 1..255)"));
    EXPECT_THAT(messages_of(instance("    priority high\n")),
                ElementsAre("7:14: error: priority \"high\" is not an integer (valid: 1..255)"));
    EXPECT_THAT(messages_of(instance("", "VI_1", 0)),
                ElementsAre("3:23: error: virtual_router_id 0 is out of range (valid: 1..255)"));
    EXPECT_THAT(messages_of(instance("    preempt_delay 1001\n")),
                ElementsAre("7:19: error: preempt_delay 1001 is out of range (valid: 0..1000 "
                            "seconds)"));
    EXPECT_THAT(messages_of(instance("    version 4\n")),
                ElementsAre("7:13: error: version 4 is out of range (valid: 2..3)"));
}

TEST(ConfigValidate, diagnostics_are_sorted_by_position_not_by_phase) {
    // The missing VRID is found after parsing, yet it is reported first: it sits on line 1.
    EXPECT_THAT(messages_of("vrrp_instance VI_1 {\n    interface eth0\n    priority 0\n"
                            "    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n"),
                ElementsAre("1:15: error: vrrp_instance \"VI_1\" has no virtual_router_id "
                            "(required, 1..255)",
                            "3:14: error: priority 0 is out of range (valid: 1..255)"));
}

TEST(ConfigValidate, missing_value_is_an_error_at_the_keyword) {
    EXPECT_THAT(messages_of(instance("    priority\n")),
                ElementsAre("7:5: error: priority needs a value"));
}

// A keyword written again without its value is the same error, even after a good line set it
// (this crashed havipd -t: the location was read from the missing value).
TEST(ConfigValidate, a_repeated_keyword_missing_its_value_is_an_error_not_a_crash) {
    EXPECT_THAT(messages_of(instance("    unicast_src_ip 10.0.0.1\n    unicast_src_ip\n")),
                ElementsAre("8:5: error: unicast_src_ip needs a value"));
}

TEST(ConfigValidate, v2_advert_int_fraction_is_rounded_with_a_warning) {
    auto result = load(instance("    advert_int 1.5\n"));
    EXPECT_THAT(messages(result), ElementsAre("7:16: warning: advert_int 1.5 is rounded to 2: "
                                              "VRRPv2 adverts carry whole seconds"));
    EXPECT_EQ(result.config->instances.at(0).advert_int, 2s);
    EXPECT_THAT(messages_of(instance("    advert_int 256\n")),
                ElementsAre("7:16: error: advert_int 256 is out of range (valid: 0.01..255 "
                            "seconds)"));
}

TEST(ConfigValidate, v3_advert_int_is_in_hundredths_up_to_40_95) {
    auto result = load(instance("    version 3\n    advert_int 0.05\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->instances.at(0).advert_int, 50ms);
    auto rounded = load(instance("    version 3\n    advert_int 0.125\n"));
    EXPECT_THAT(messages(rounded), ElementsAre("8:16: warning: advert_int 0.125 is rounded to "
                                               "0.13: VRRPv3 adverts carry hundredths of a "
                                               "second"));
    EXPECT_EQ(rounded.config->instances.at(0).advert_int, 130ms);
    EXPECT_THAT(messages_of(instance("    version 3\n    advert_int 41\n")),
                ElementsAre("8:16: error: advert_int 41 is out of range for VRRPv3 (valid: "
                            "0.01..40.95)"));
}

TEST(ConfigValidate, v3_instance_without_virtual_address_is_an_error) {
    EXPECT_THAT(messages_of("vrrp_instance VI_3 {\n    interface eth0\n    version 3\n"
                            "    virtual_router_id 3\n}\n"),
                ElementsAre("1:15: error: VRRPv3 vrrp_instance \"VI_3\" has no virtual_ipaddress "
                            "(keepalived refuses to start)"));
}

TEST(ConfigValidate, ipv6_instance_with_version_2_uses_version_3_with_a_warning) {
    auto result = load(instance("", "VI_6", 6, "fd00::6"));
    EXPECT_THAT(messages(result), ElementsAre("1:15: warning: VRRPv2 has no IPv6: vrrp_instance "
                                              "\"VI_6\" uses version 3 (as keepalived does)"));
    EXPECT_EQ(result.config->instances.at(0).version, 3);
}

TEST(ConfigValidate, virtual_address_of_the_other_family_is_an_error) {
    auto result = load(instance("    virtual_ipaddress {\n        fd00::1\n    }\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("8:9: error: fd00::1 is IPv6 but vrrp_instance \"VI_1\" is IPv4 (its "
                            "first virtual address); keepalived drops it: put it in "
                            "virtual_ipaddress_excluded"));
    auto excluded = load(instance("    virtual_ipaddress_excluded {\n        fd00::1\n    }\n"));
    EXPECT_THAT(messages(excluded), IsEmpty());
    EXPECT_EQ(excluded.config->instances.at(0).excluded_addresses.size(), 1u);
}

TEST(ConfigValidate, interface_that_does_not_exist_is_an_error) {
    EXPECT_THAT(messages_of("vrrp_instance VI_1 {\n    interface eth9\n    virtual_router_id 1\n"
                            "    virtual_ipaddress {\n        10.0.0.1 dev eth8\n    }\n"
                            "    track_interface {\n        eth7\n    }\n}\n"),
                ElementsAre("2:15: error: interface \"eth9\" does not exist",
                            "5:22: error: interface \"eth8\" does not exist",
                            "8:9: error: interface \"eth7\" does not exist"));
}

// keepalived 2.2.7 drops a track_interface naming the instance's own interface ("Ignoring
// track_interface eth0 since own interface"), with dont_track_primary too.
TEST(ConfigValidate, track_interface_of_the_instances_own_interface_is_ignored_with_a_warning) {
    EXPECT_THAT(messages_of(instance("    track_interface {\n        eth0 weight -20\n    }\n")),
                ElementsAre(HasSubstr("warning: track_interface eth0 is the instance's own "
                                      "interface: ignored, as keepalived does")));
}

TEST(ConfigValidate, interfaces_are_not_checked_without_a_predicate) {
    auto options = testing::test_options();
    options.interface_exists = nullptr;
    EXPECT_THAT(messages_of(instance("    track_interface {\n        eth7\n    }\n"), options),
                IsEmpty());
}

TEST(ConfigValidate, instance_without_interface_needs_unicast) {
    EXPECT_THAT(messages_of("vrrp_instance VI_1 {\n    virtual_router_id 1\n"
                            "    virtual_ipaddress {\n        10.0.0.1\n    }\n}\n"),
                ElementsAre("1:15: error: vrrp_instance \"VI_1\" has no interface (required "
                            "unless unicast_src_ip and unicast_peer are set)"));
}

TEST(ConfigValidate, duplicate_router_id_on_the_same_interface_and_family_is_an_error) {
    EXPECT_THAT(messages_of(instance() + instance("", "VI_2", 51, "10.0.0.51")),
                ElementsAre("10:23: error: virtual_router_id 51 is already used on eth0 (IPv4) "
                            "by vrrp_instance \"VI_1\" (line 3)"));
}

TEST(ConfigValidate, same_router_id_is_fine_on_another_interface_family_or_unicast) {
    std::string other_interface = instance("", "VI_2", 51, "10.0.0.51");
    other_interface.replace(other_interface.find("eth0"), 4, "eth1");
    EXPECT_THAT(messages_of(instance() + other_interface), IsEmpty());
    EXPECT_THAT(messages_of(instance() + instance("    version 3\n", "VI_6", 51, "fd00::1")),
                IsEmpty());
    EXPECT_THAT(messages_of(instance() + instance("    unicast_peer {\n        10.0.0.9\n    }\n",
                                                  "VI_U", 51, "10.0.0.51")),
                IsEmpty());
}

TEST(ConfigValidate, same_virtual_address_in_two_instances_is_an_error) {
    EXPECT_THAT(messages_of(instance() + instance("", "VI_2", 52, "10.0.0.50/24")),
                ElementsAre("12:9: error: 10.0.0.50 is already a virtual address of "
                            "vrrp_instance \"VI_1\" (line 5)"));
}

TEST(ConfigValidate, virtual_address_that_is_not_an_address_is_an_error) {
    EXPECT_THAT(messages_of(instance("", "VI_1", 51, "10.0.0.300")),
                ElementsAre("5:9: error: virtual address \"10.0.0.300\" is not an IP address"));
    EXPECT_THAT(messages_of(instance("", "VI_1", 51, "10.0.0.1/33")),
                ElementsAre("5:18: error: prefix length 33 is out of range (valid: 0..32)"));
    EXPECT_THAT(messages_of(instance("", "VI_1", 51, "10.0.0.1 scope galaxy")),
                ElementsAre("5:24: error: unknown scope \"galaxy\" (expected global, site, link, "
                            "host or nowhere)"));
}

TEST(ConfigValidate, auth_pass_longer_than_8_bytes_is_an_error) {
    EXPECT_THAT(messages_of(instance("    authentication {\n        auth_type PASS\n"
                                     "        auth_pass 123456789\n    }\n")),
                ElementsAre("9:19: error: auth_pass is 9 bytes, VRRPv2 carries at most 8 "
                            "(keepalived would truncate it to \"12345678\")"));
}

TEST(ConfigValidate, auth_type_is_case_sensitive) {
    EXPECT_THAT(messages_of(instance("    authentication {\n        auth_type pass\n"
                                     "        auth_pass x\n    }\n")),
                ElementsAre("8:19: error: unknown auth_type \"pass\" (expected PASS or AH)",
                            "9:19: warning: auth_pass without auth_type PASS is ignored (no "
                            "authentication)"));
}

TEST(ConfigValidate, comment_swallowing_auth_pass_is_a_warning) {
    // The HA guide's line: the comment after PASS hides auth_pass.
    auto result =
        load(instance("    authentication {auth_type PASS#认证类型auth_pass test#密码\n"
                      "    }\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("7:21: warning: auth_type PASS without auth_pass: keepalived runs "
                            "with an empty password (did a '#' or '!' comment swallow the "
                            "auth_pass on this line?)"));
    EXPECT_EQ(result.config->instances.at(0).auth_type, AuthType::pass);
    EXPECT_EQ(result.config->instances.at(0).auth_pass, "");
}

TEST(ConfigValidate, ah_authentication_is_ignored_with_a_warning) {
    auto result =
        load(instance("    authentication {\n        auth_type AH\n        auth_pass x\n"
                      "    }\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("8:19: warning: havipd ignores keepalived's auth_type AH: IPsec AH "
                            "authentication is not implemented (the instance runs without "
                            "authentication)"));
    EXPECT_EQ(result.config->instances.at(0).auth_type, AuthType::none);
}

TEST(ConfigValidate, authentication_in_a_v3_instance_is_ignored_with_a_warning) {
    auto result =
        load(instance("    version 3\n    authentication {\n        auth_type PASS\n"
                      "        auth_pass x\n    }\n"));
    EXPECT_THAT(messages(result), ElementsAre("8:5: warning: authentication is ignored with VRRP "
                                              "version 3 (RFC 5798 has none)"));
    EXPECT_EQ(result.config->instances.at(0).auth_type, AuthType::none);
}

TEST(ConfigValidate, state_master_below_255_is_a_warning) {
    EXPECT_THAT(messages_of(instance("    state MASTER\n    priority 100\n")),
                ElementsAre("7:11: warning: state MASTER with priority 100 starts as BACKUP and "
                            "becomes MASTER only by election (only priority 255 starts as "
                            "MASTER)"));
}

TEST(ConfigValidate, nopreempt_with_state_master_is_cleared_with_a_warning) {
    auto result = load(instance("    state MASTER\n    nopreempt\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("8:5: warning: nopreempt is ignored with state MASTER (keepalived "
                            "clears it); use state BACKUP on every node"));
    EXPECT_FALSE(result.config->instances.at(0).nopreempt);
}

TEST(ConfigValidate, nopreempt_of_an_address_owner_is_cleared_with_a_warning) {
    // keepalived resets nopreempt at priority 255 whatever the state says.
    auto result = load(instance("    state BACKUP\n    priority 255\n    nopreempt\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("9:5: warning: nopreempt is ignored with priority 255 (keepalived "
                            "clears it: the address owner always preempts)"));
    EXPECT_FALSE(result.config->instances.at(0).nopreempt);
}

TEST(ConfigValidate, track_weight_with_nopreempt_can_never_move_the_vip) {
    auto result = load(security + "vrrp_script chk {\n    script /bin/true\n    weight -20\n}\n" +
                       instance("    nopreempt\n    track_script {\n        chk\n    }\n"
                                "    track_interface {\n        eth1 weight -10\n        br0\n"
                                "    }\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("16:9: warning: weight -20 of \"chk\" can never move the VIP: with "
                            "nopreempt a live master is never displaced (use weight 0 to enter "
                            "FAULT on failure)",
                            "19:9: warning: weight -10 of interface \"eth1\" can never move the "
                            "VIP: with nopreempt a live master is never displaced (use weight 0 "
                            "to enter FAULT on failure)"));
    // Weight 0 (FAULT) does move it: no warning.
    EXPECT_THAT(messages_of(security + "vrrp_script chk {\n    script /bin/true\n}\n" +
                            instance("    nopreempt\n    track_script {\n        chk\n    }\n")),
                IsEmpty());
}

TEST(ConfigValidate, track_script_naming_no_check_is_an_error) {
    EXPECT_THAT(messages_of(instance("    track_script {\n        chk_mysql weight -2\n    }\n")),
                ElementsAre("8:9: error: track_script \"chk_mysql\" names no vrrp_script, "
                            "mysql_check or tcp_check"));
}

TEST(ConfigValidate, track_file_naming_no_track_file_is_an_error) {
    EXPECT_THAT(messages_of(instance("    track_file {\n        maint\n    }\n")),
                ElementsAre("8:9: error: track_file \"maint\" names no track_file block"));
}

TEST(ConfigValidate, check_names_share_one_namespace) {
    EXPECT_THAT(messages_of(security + "vrrp_script db {\n    script /bin/true\n}\n"
                                       "tcp_check db {\n    host 127.0.0.1\n    port 3306\n}\n"
                                       "mysql_check db {\n    socket /s\n    option_file /f\n}\n"),
                ElementsAre("7:11: error: check \"db\" is already defined (line 4)",
                            "11:13: error: check \"db\" is already defined (line 4)"));
}

TEST(ConfigValidate, duplicate_instance_names_are_errors) {
    EXPECT_THAT(messages_of(instance() + instance("", "VI_1", 52, "10.0.0.51")),
                ElementsAre("8:15: error: vrrp_instance \"VI_1\" is already defined (line 1)"));
}

class ConfigScripts : public ::testing::Test {
  protected:
    void SetUp() override {
        // One directory per test: ctest runs the tests of this fixture in parallel processes.
        dir_ = std::filesystem::path(HAVIP_BINARY_DIR) /
               (std::string("config-script-test-") +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
        std::ofstream(dir_ / "not_exec") << "#!/bin/sh\n";
        std::filesystem::permissions(dir_ / "not_exec", std::filesystem::perms::owner_read |
                                                            std::filesystem::perms::owner_write);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
};

TEST_F(ConfigScripts, missing_or_non_executable_program_is_an_error) {
    const std::string not_exec = (dir_ / "not_exec").string();
    EXPECT_THAT(messages_of(security +
                            "vrrp_script a {\n    script \"/nonexistent/chk x\"\n}\n"
                            "vrrp_script b {\n    script \"" +
                            not_exec +
                            "\"\n}\nvrrp_script c {\n    script \"no_such_prog_xyz\"\n}\n"
                            "vrrp_script d {\n    script \"true\"\n}\n"),
                ElementsAre("5:12: error: program \"/nonexistent/chk\" of vrrp_script \"a\" does "
                            "not exist (keepalived would disable it)",
                            "8:12: error: program \"" + not_exec +
                                "\" of vrrp_script \"b\" is not executable (keepalived would "
                                "disable it)",
                            "11:12: error: program \"no_such_prog_xyz\" of vrrp_script \"c\" is "
                            "not found in /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                            "/sbin:/bin (keepalived would disable it)"));
}

TEST_F(ConfigScripts, programs_are_not_checked_when_disabled) {
    auto options = testing::test_options();
    options.check_scripts = false;
    EXPECT_THAT(
        messages_of(security + "vrrp_script a {\n    script /nonexistent/chk\n}\n", options),
        IsEmpty());
}

TEST_F(ConfigScripts, notify_programs_are_checked_too) {
    EXPECT_THAT(messages_of(security + instance("    notify_backup /nonexistent/n\n")),
                ElementsAre("10:19: error: program \"/nonexistent/n\" of notify_backup of "
                            "vrrp_instance \"VI_1\" does not exist (keepalived would disable "
                            "it)"));
}

TEST(ConfigValidate, scripts_without_enable_script_security_are_warned_about) {
    EXPECT_THAT(messages_of("vrrp_script a {\n    script /bin/true\n}\n" +
                            instance("    notify \"/bin/true\"\n")),
                ElementsAre("2:12: warning: vrrp_script \"a\" runs without "
                            "enable_script_security in global_defs (keepalived warns and runs it "
                            "as root)",
                            "10:12: warning: notify of vrrp_instance \"VI_1\" runs without "
                            "enable_script_security in global_defs (keepalived warns and runs it "
                            "as root)"));
}

TEST(ConfigValidate, vrrp_script_without_script_is_an_error) {
    EXPECT_THAT(messages_of("vrrp_script a {\n    interval 2\n}\n"),
                ElementsAre("1:13: error: vrrp_script \"a\" has no script"));
}

TEST(ConfigValidate, sync_group_naming_an_unknown_instance_is_an_error) {
    EXPECT_THAT(messages_of(instance() + "vrrp_sync_group G {\n    group {\n        VI_1 VI_9\n"
                                         "    }\n}\n"),
                ElementsAre("10:14: error: vrrp_sync_group \"G\" names unknown vrrp_instance "
                            "\"VI_9\""));
}

TEST(ConfigValidate, instance_in_two_sync_groups_is_an_error) {
    EXPECT_THAT(
        messages_of(instance() + "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n"
                                 "vrrp_sync_group H {\n    group {\n        VI_1\n    }\n"
                                 "}\n"),
        ElementsAre("15:9: error: vrrp_instance \"VI_1\" is already in vrrp_sync_group "
                    "\"G\""));
}

TEST(ConfigValidate, mysql_check_needs_exactly_one_of_socket_and_host) {
    EXPECT_THAT(messages_of("mysql_check db {\n    option_file /f\n}\n"),
                ElementsAre("1:13: error: mysql_check \"db\" needs socket or host"));
    EXPECT_THAT(messages_of("mysql_check db {\n    socket /s\n    host 127.0.0.1\n"
                            "    option_file /f\n}\n"),
                ElementsAre("3:5: error: mysql_check takes socket or host, not both"));
    EXPECT_THAT(messages_of("mysql_check db {\n    host db.example.com\n    option_file /f\n}\n"),
                ElementsAre("2:10: error: host \"db.example.com\" is not an IP address"));
}

TEST(ConfigValidate, mysql_check_option_file_and_user_are_exclusive) {
    EXPECT_THAT(messages_of("mysql_check db {\n    socket /s\n    option_file /f\n    user u\n}\n"),
                ElementsAre("4:5: error: mysql_check takes option_file or user, not both"));
    EXPECT_THAT(messages_of("mysql_check db {\n    socket /s\n    user u\n    password p\n}\n"),
                ElementsAre("3:5: warning: the mysql_check password is readable by anyone who "
                            "can read this file; prefer option_file"));
}

TEST(ConfigValidate, mysql_check_unknown_keyword_is_an_error) {
    EXPECT_THAT(messages_of("mysql_check db {\n    socket /s\n    option_file /f\n    lag 3\n}\n"),
                ElementsAre("4:5: error: unknown keyword \"lag\" in mysql_check"));
}

TEST(ConfigValidate, tcp_check_needs_host_and_port) {
    EXPECT_THAT(messages_of("tcp_check t {\n    interval 1\n}\n"),
                ElementsAre("1:11: error: tcp_check \"t\" needs host",
                            "1:11: error: tcp_check \"t\" needs port"));
}

TEST(ConfigValidate, block_keyword_without_block_and_statement_with_block_are_errors) {
    EXPECT_THAT(messages_of(instance("    virtual_ipaddress 10.0.0.9\n")),
                ElementsAre("7:5: error: \"virtual_ipaddress\" needs a { … } block"));
    EXPECT_THAT(messages_of(instance("    priority 100 {\n    }\n")),
                ElementsAre("7:18: error: \"priority\" does not take a block"));
}

}  // namespace
}  // namespace havip::config
