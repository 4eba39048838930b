// havip's operations keywords in global_defs: `havip_metrics_listen ADDRESS:PORT` (the
// Prometheus listener) and `havip_control_group NAME` (who may use the control socket besides
// root), with file:line:col errors for bad values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::load;
using testing::messages;
using testing::messages_of;

std::string global(std::string_view line) {
    return "global_defs {\n    " + std::string(line) + "\n}\n";
}

TEST(OperationsKeywords, vrrp_rt_priority_takes_0_for_normal_scheduling_up_to_99) {
    EXPECT_FALSE(load(global("router_id db1")).config->global.vrrp_rt_priority.has_value());
    auto off = load(global("vrrp_rt_priority 0"));
    EXPECT_THAT(messages(off), IsEmpty());
    EXPECT_EQ(off.config->global.vrrp_rt_priority, 0);
    EXPECT_EQ(load(global("vrrp_rt_priority 99")).config->global.vrrp_rt_priority, 99);
    EXPECT_THAT(messages_of(global("vrrp_rt_priority 100")), ::testing::SizeIs(1));
}

TEST(OperationsKeywords, metrics_listener_is_off_without_the_keyword) {
    auto result = load(global("router_id db1"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_FALSE(result.config->global.metrics_listen.has_value());
}

TEST(OperationsKeywords, metrics_listen_takes_an_ipv4_address_and_port) {
    auto result = load(global("havip_metrics_listen 127.0.0.1:9650"));
    EXPECT_THAT(messages(result), IsEmpty());
    ASSERT_TRUE(result.config->global.metrics_listen.has_value());
    EXPECT_EQ(result.config->global.metrics_listen->address.to_string(), "127.0.0.1");
    EXPECT_EQ(result.config->global.metrics_listen->port, 9650);
    EXPECT_EQ(result.config->global.metrics_listen->where.line, 2);
}

TEST(OperationsKeywords, metrics_listen_takes_a_bracketed_ipv6_address) {
    auto result = load(global("havip_metrics_listen [::1]:9651"));
    EXPECT_THAT(messages(result), IsEmpty());
    ASSERT_TRUE(result.config->global.metrics_listen.has_value());
    EXPECT_TRUE(result.config->global.metrics_listen->address.is_v6());
    EXPECT_EQ(result.config->global.metrics_listen->address.to_string(), "::1");
    EXPECT_EQ(result.config->global.metrics_listen->port, 9651);
}

TEST(OperationsKeywords, metrics_listen_refuses_an_unbracketed_ipv6_address) {
    EXPECT_THAT(messages_of(global("havip_metrics_listen ::1:9650")),
                ElementsAre("2:26: error: \"::1:9650\" is not ADDRESS:PORT (an IPv6 address goes "
                            "in brackets: [::1]:9650)"));
}

TEST(OperationsKeywords, metrics_listen_refuses_a_host_name) {
    EXPECT_THAT(messages_of(global("havip_metrics_listen localhost:9650")),
                ElementsAre("2:26: error: \"localhost\" in \"localhost:9650\" is not an IP "
                            "address"));
}

TEST(OperationsKeywords, metrics_listen_refuses_a_port_out_of_range_or_missing) {
    EXPECT_THAT(messages_of(global("havip_metrics_listen 127.0.0.1:70000")),
                ElementsAre("2:26: error: port \"70000\" in \"127.0.0.1:70000\" is not 1..65535"));
    EXPECT_THAT(messages_of(global("havip_metrics_listen 127.0.0.1")),
                ElementsAre("2:26: error: \"127.0.0.1\" is not ADDRESS:PORT (an IPv6 address goes "
                            "in brackets: [::1]:9650)"));
    EXPECT_THAT(messages_of(global("havip_metrics_listen [::1]")),
                ElementsAre("2:26: error: \"[::1]\" is not [IPV6]:PORT"));
}

TEST(OperationsKeywords, metrics_listen_needs_a_value) {
    EXPECT_THAT(messages_of(global("havip_metrics_listen")),
                ElementsAre("2:5: error: havip_metrics_listen needs a value"));
}

TEST(OperationsKeywords, control_group_names_the_group) {
    auto result = load(global("havip_control_group havip-ops"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->global.control_group, "havip-ops");
    EXPECT_EQ(result.config->global.control_group_where.line, 2);
    EXPECT_EQ(result.config->global.control_group_where.column, 25);
}

TEST(OperationsKeywords, control_group_is_root_only_without_the_keyword) {
    auto result = load(global("router_id db1"));
    EXPECT_FALSE(result.config->global.control_group.has_value());
}

TEST(OperationsKeywords, control_group_refuses_what_cannot_be_a_group_name) {
    EXPECT_THAT(messages_of(global("havip_control_group \"a:b\"")),
                ElementsAre("2:25: error: havip_control_group \"a:b\" is not a group name"));
}

}  // namespace
}  // namespace havip::config
