// vrrp_track_process blocks and track_process references (keepalived.conf(5)).
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

std::string tracked(std::string_view block, std::string_view ref = "db") {
    return std::string(block) +
           instance("    track_process {\n        " + std::string(ref) + "\n    }\n");
}

TEST(TrackProcessConfig, every_keyword_is_parsed) {
    auto result =
        load(tracked("vrrp_track_process db {\n"
                     "    process \"/usr/sbin/my sqld\" --defaults-file=/etc/my.cnf \"a b\"\n"
                     "    param_match initial\n"
                     "    full_command\n"
                     "    weight -60 reverse\n"
                     "    quorum 2\n"
                     "    quorum_max 4\n"
                     "    delay 0.5\n"
                     "    fork_delay 1.25\n"
                     "}\n"));
    ASSERT_THAT(messages(result), IsEmpty());
    const TrackProcess& p = result.config->track_processes.at(0);
    EXPECT_EQ(p.name, "db");
    EXPECT_EQ(p.process, "/usr/sbin/my sqld");
    EXPECT_THAT(p.params, ElementsAre("--defaults-file=/etc/my.cnf", "a b"));
    EXPECT_EQ(p.param_match, ParamMatch::initial);
    EXPECT_TRUE(p.full_command);
    EXPECT_EQ(p.weight, -60);
    EXPECT_TRUE(p.weight_reverse);
    EXPECT_EQ(p.quorum, 2);
    EXPECT_EQ(p.quorum_max, 4);
    EXPECT_EQ(p.terminate_delay, 500ms);  // `delay` set both, fork_delay then overrode one
    EXPECT_EQ(p.fork_delay, 1250ms);
}

TEST(TrackProcessConfig, defaults_are_keepalived_s) {
    auto result = load(tracked("vrrp_track_process db {\n    process mysqld\n}\n"));
    ASSERT_THAT(messages(result), IsEmpty());
    const TrackProcess& p = result.config->track_processes.at(0);
    EXPECT_EQ(p.process, "mysqld");
    EXPECT_TRUE(p.params.empty());
    EXPECT_EQ(p.param_match, std::nullopt);
    EXPECT_FALSE(p.full_command);
    EXPECT_EQ(p.weight, 1);
    EXPECT_FALSE(p.weight_reverse);
    EXPECT_EQ(p.quorum, 1);
    EXPECT_FALSE(p.quorum_max.has_value());
    EXPECT_EQ(p.terminate_delay, 0s);
    EXPECT_EQ(p.fork_delay, 0s);
}

TEST(TrackProcessConfig, partial_param_match_and_terminate_delay) {
    auto result = load(
        tracked("vrrp_track_process db {\n    process mysqld --port=3306\n    param_match partial\n"
                "    terminate_delay 2\n}\n"));
    ASSERT_THAT(messages(result), IsEmpty());
    const TrackProcess& p = result.config->track_processes.at(0);
    EXPECT_EQ(p.param_match, ParamMatch::partial);
    EXPECT_EQ(p.terminate_delay, 2s);
    EXPECT_EQ(p.fork_delay, 0s);
}

TEST(TrackProcessConfig, instance_and_sync_group_references_keep_their_weights) {
    auto result = load("vrrp_track_process db {\n    process mysqld\n    weight 0\n}\n" +
                       instance("    track_process {\n        db weight -30 reverse\n    }\n") +
                       "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n"
                       "    track_process {\n        db\n    }\n}\n");
    ASSERT_THAT(messages(result), IsEmpty());
    const auto& ref = result.config->instances.at(0).track_processes.at(0);
    EXPECT_EQ(ref.name, "db");
    EXPECT_EQ(ref.weight, -30);
    EXPECT_TRUE(ref.reverse);
    EXPECT_EQ(result.config->sync_groups.at(0).track_processes.at(0).name, "db");
    EXPECT_FALSE(result.config->sync_groups.at(0).track_processes.at(0).weight.has_value());
}

TEST(TrackProcessConfig, is_no_longer_reported_as_ignored) {
    for (const std::string& m : messages_of(tracked("vrrp_track_process db {\n    process x\n}\n")))
        EXPECT_THAT(m, ::testing::Not(HasSubstr("ignores")));
}

TEST(TrackProcessConfig, a_block_without_process_is_an_error) {
    EXPECT_THAT(messages_of("vrrp_track_process db {\n    weight 2\n}\n"),
                ElementsAre("1:20: error: vrrp_track_process \"db\" has no process"));
}

TEST(TrackProcessConfig, an_unknown_keyword_is_an_error_at_its_place) {
    EXPECT_THAT(messages_of("vrrp_track_process db {\n    process x\n    bogus 1\n}\n"),
                ElementsAre("3:5: error: unknown keyword \"bogus\" in vrrp_track_process"));
}

TEST(TrackProcessConfig, param_match_other_than_initial_or_partial_is_an_error) {
    // keepalived 2.2.7: "Invalid param_match type exact - ignoring".
    EXPECT_THAT(messages_of("vrrp_track_process db {\n    process x y\n    param_match exact\n}\n"),
                ElementsAre("3:17: error: param_match \"exact\" is not initial or partial"));
}

TEST(TrackProcessConfig, weight_outside_minus_254_to_254_is_an_error) {
    EXPECT_THAT(messages_of("vrrp_track_process db {\n    process x\n    weight 300\n}\n"),
                ElementsAre("3:12: error: weight 300 is out of range (valid: -254..254)"));
    EXPECT_THAT(messages_of(instance("    track_process {\n        db weight -255\n    }\n") +
                            "vrrp_track_process db {\n    process x\n}\n"),
                ElementsAre("8:19: error: weight -255 is out of range (valid: -254..254)"));
}

TEST(TrackProcessConfig, bad_quorum_and_delays_are_errors) {
    EXPECT_THAT(messages_of("vrrp_track_process db {\n    process x\n    quorum 0\n}\n"),
                ElementsAre("3:12: error: quorum 0 is out of range (valid: 1..65535)"));
    EXPECT_THAT(messages_of("vrrp_track_process db {\n    process x\n    quorum many\n}\n"),
                ElementsAre("3:12: error: quorum \"many\" is not an integer (valid: 1..65535)"));
    EXPECT_THAT(
        messages_of("vrrp_track_process db {\n    process x\n    delay soon\n}\n"),
        ElementsAre("3:11: error: delay \"soon\" is not a number of seconds (valid: 0..3600)"));
}

TEST(TrackProcessConfig, quorum_max_below_quorum_is_an_error) {
    EXPECT_THAT(
        messages_of("vrrp_track_process db {\n    process x\n    quorum 3\n    quorum_max 2\n}\n"),
        ElementsAre("4:16: error: quorum_max 2 is less than quorum 3"));
}

TEST(TrackProcessConfig, process_without_a_name_needs_a_value) {
    EXPECT_THAT(messages_of("vrrp_track_process db {\n    process\n}\n"),
                ElementsAre("1:20: error: vrrp_track_process \"db\" has no process",
                            "2:5: error: process needs a value"));
}

TEST(TrackProcessConfig, a_name_longer_than_a_comm_warns_that_it_never_matches) {
    const auto m =
        messages_of(tracked("vrrp_track_process db {\n    process mysqld-with-a-long-name\n}\n"));
    ASSERT_EQ(m.size(), 1u);
    EXPECT_THAT(m[0], HasSubstr("1:20: warning:"));
    EXPECT_THAT(m[0], HasSubstr("never matches"));
    // …but not with full_command, which matches the command line's argv[0].
    EXPECT_THAT(messages_of(tracked("vrrp_track_process db {\n    process "
                                    "/usr/sbin/mysqld-with-a-long-name\n    full_command\n}\n")),
                IsEmpty());
}

TEST(TrackProcessConfig, a_duplicate_block_is_an_error) {
    const auto m = messages_of(
        "vrrp_track_process db {\n    process x\n}\n"
        "vrrp_track_process db {\n    process y\n}\n");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_THAT(m[0], HasSubstr("4:20: error: vrrp_track_process \"db\" is already defined"));
}

TEST(TrackProcessConfig, an_unknown_reference_is_an_error_in_instances_and_groups) {
    EXPECT_THAT(messages_of(instance("    track_process {\n        nosuch\n    }\n")),
                ElementsAre("8:9: error: track_process \"nosuch\" names no vrrp_track_process "
                            "block"));
    const auto m = messages_of(instance() +
                               "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n"
                               "    track_process {\n        nosuch\n    }\n}\n");
    ASSERT_EQ(m.size(), 1u);
    EXPECT_THAT(m[0], HasSubstr("error: track_process \"nosuch\" names no vrrp_track_process"));
}

}  // namespace
}  // namespace havip::config
