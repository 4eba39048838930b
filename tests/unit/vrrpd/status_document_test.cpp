// The status document of the control protocol (vrrpd/status): the fields `havip status`,
// exporters and scripts read, and the protocol's answers to good and bad requests.
#include <gtest/gtest.h>

#include "vrrpd/status.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

WallTime at(std::int64_t unix_ms) {
    return WallTime{std::chrono::milliseconds(unix_ms)};
}

StatusSnapshot sample() {
    StatusSnapshot s;
    s.now = at(1796062810136);
    s.daemon_version = "0.1.0";
    s.pid = 42;
    s.router_id = "db1";
    InstanceSnapshot i;
    i.name = "VI_1";
    i.state = State::master;
    i.vrid = 51;
    i.interface = "eth0";
    i.version = 3;
    i.priority = 150;
    i.effective_priority = 140;
    i.vips = {{"10.77.0.100", 24, "eth0"}};
    i.master_ip = "10.77.0.1";
    i.sync_group = "G";
    i.last_transition = TransitionSnapshot{at(1796062800000), State::backup, State::master,
                                           "master down timer expired"};
    i.checks = {{"interface eth0", "interface", "ok", "", std::nullopt, ""},
                {"chk_db", "mysql_check", "degraded", "lag 12 s", at(1796062805500),
                 "manage_read_only demote done: 2 steps ok"}};
    i.stats.advert_rcvd = 7;
    i.stats.advert_sent = 120;
    i.stats.become_master = 1;
    i.stats.auth_failure = 3;
    i.stats.extra = {{"checksum_err", 2}, {"advert_rcvd", 999}};
    i.jitter = {250us, 1500us, 4ms, 100};
    s.instances.push_back(i);
    InstanceSnapshot f;
    f.name = "VI_2";
    f.state = State::fault;
    f.vrid = 52;
    s.instances.push_back(f);
    return s;
}

TEST(StatusDocument, carries_protocol_version_and_each_instance_field) {
    const json doc = status_document(sample());
    EXPECT_EQ(doc["version"], 1);
    ASSERT_EQ(doc["instances"].size(), 2u);
    const auto& i = doc["instances"][0];
    EXPECT_EQ(i["name"], "VI_1");
    EXPECT_EQ(i["state"], "MASTER");
    EXPECT_EQ(i["vrid"], 51);
    EXPECT_EQ(i["interface"], "eth0");
    EXPECT_EQ(i["priority"], 150);
    EXPECT_EQ(i["effective_priority"], 140);
    EXPECT_EQ(i["vips"], json::array({"10.77.0.100/24"}));
    EXPECT_EQ(i["master_ip"], "10.77.0.1");
    EXPECT_EQ(i["sync_group"], "G");
    EXPECT_EQ(doc["instances"][1]["state"], "FAULT");
    EXPECT_TRUE(doc["instances"][1]["sync_group"].is_null());
}

TEST(StatusDocument, last_transition_has_time_from_to_and_reason) {
    const auto t = status_document(sample())["instances"][0]["last_transition"];
    EXPECT_EQ(t["time"], "2026-11-30T18:20:00.000Z");
    EXPECT_EQ(t["from"], "BACKUP");
    EXPECT_EQ(t["to"], "MASTER");
    EXPECT_EQ(t["reason"], "master down timer expired");
}

TEST(StatusDocument, missing_master_and_transition_are_null_not_absent) {
    const auto i = status_document(sample())["instances"][1];
    ASSERT_TRUE(i.contains("master_ip"));
    EXPECT_TRUE(i["master_ip"].is_null());
    ASSERT_TRUE(i.contains("last_transition"));
    EXPECT_TRUE(i["last_transition"].is_null());
}

TEST(StatusDocument, checks_list_type_status_reason_and_since) {
    const auto checks = status_document(sample())["instances"][0]["checks"];
    ASSERT_EQ(checks.size(), 2u);
    EXPECT_EQ(checks[0]["type"], "interface");
    EXPECT_TRUE(checks[0]["since"].is_null());
    EXPECT_EQ(checks[1]["name"], "chk_db");
    EXPECT_EQ(checks[1]["type"], "mysql_check");
    EXPECT_EQ(checks[1]["status"], "degraded");
    EXPECT_EQ(checks[1]["reason"], "lag 12 s");
    EXPECT_EQ(checks[1]["since"], "2026-11-30T18:20:05.500Z");
}

TEST(StatusDocument, the_read_only_action_is_its_own_field_and_absent_when_there_is_none) {
    const auto checks = status_document(sample())["instances"][0]["checks"];
    EXPECT_FALSE(checks[0].contains("read_only_action"));
    EXPECT_EQ(checks[1]["read_only_action"], "manage_read_only demote done: 2 steps ok");
    EXPECT_EQ(checks[1]["reason"], "lag 12 s");  // the verdict's reason stays the verdict's
    EXPECT_FALSE(checks[1].contains("promote_failure"));
    auto s = sample();
    s.instances[0].checks[1].promote_failure = "manage_read_only promote failed in 9 ms: …";
    EXPECT_EQ(status_document(s)["instances"][0]["checks"][1]["promote_failure"],
              "manage_read_only promote failed in 9 ms: …");
}

TEST(StatusDocument, stats_use_all_keepalived_counter_names) {
    const auto stats = status_document(sample())["instances"][0]["stats"];
    for (const char* name : {"advert_rcvd", "advert_sent", "become_master", "release_master",
                             "packet_len_err", "ip_ttl_err", "invalid_type_rcvd",
                             "advert_interval_err", "addr_list_err", "invalid_authtype",
                             "authtype_mismatch", "auth_failure", "pri_zero_rcvd", "pri_zero_sent"})
        EXPECT_TRUE(stats.contains(name)) << name;
    EXPECT_EQ(stats["advert_sent"], 120);
    EXPECT_EQ(stats["auth_failure"], 3);
    EXPECT_EQ(stats["checksum_err"], 2);
}

TEST(StatusDocument, extra_counter_never_shadows_a_keepalived_counter) {
    EXPECT_EQ(status_document(sample())["instances"][0]["stats"]["advert_rcvd"], 7);
}

TEST(StatusDocument, timing_reports_jitter_percentiles_in_milliseconds) {
    const auto j = status_document(sample())["instances"][0]["timing"]["advert_send_jitter_ms"];
    EXPECT_DOUBLE_EQ(j["p50"].get<double>(), 0.25);
    EXPECT_DOUBLE_EQ(j["p99"].get<double>(), 1.5);
    EXPECT_DOUBLE_EQ(j["max"].get<double>(), 4.0);
    EXPECT_EQ(j["samples"], 100);
}

TEST(StatusTime, formats_rfc3339_utc_with_milliseconds) {
    EXPECT_EQ(format_time(at(0)), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_time(at(1796062810136)), "2026-11-30T18:20:10.136Z");
}

// --- the protocol ---

std::function<StatusSnapshot()> counting(int& calls) {
    return [&calls] {
        ++calls;
        return sample();
    };
}

TEST(ControlProtocol, status_request_gets_the_status_document) {
    int calls = 0;
    const auto a = answer_request(R"({"version":1,"command":"status"})", counting(calls));
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(a["version"], 1);
    EXPECT_FALSE(a.contains("error"));
    EXPECT_EQ(a["instances"][0]["name"], "VI_1");
}

TEST(ControlProtocol, unsupported_version_is_refused_without_building_status) {
    int calls = 0;
    const auto a = answer_request(R"({"version":2,"command":"status"})", counting(calls));
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(a["version"], 1);
    EXPECT_NE(a["error"].get<std::string>().find("version 2"), std::string::npos);
}

TEST(ControlProtocol, malformed_requests_get_an_error_answer) {
    int calls = 0;
    for (const char* line :
         {"", "status", "[1,2]", R"({"command":"status"})", R"({"version":"1","command":"status"})",
          R"({"version":1})", R"({"version":1,"command":"reboot"})"}) {
        const auto a = answer_request(line, counting(calls));
        EXPECT_EQ(a["version"], 1) << line;
        EXPECT_TRUE(a.contains("error")) << line;
    }
    EXPECT_EQ(calls, 0);
}

TEST(StatusDocument, a_mysql_check_gives_its_term_and_the_peers_or_null) {
    auto s = sample();
    auto& check = s.instances[0].checks[1];
    auto checks = status_document(s)["instances"][0]["checks"];
    EXPECT_TRUE(checks[1]["term"].is_null());
    EXPECT_TRUE(checks[1]["peer_term"].is_null());
    EXPECT_FALSE(checks[0].contains("term"));  // not a mysql_check
    check.term = 3;
    check.peer_term = 4;
    checks = status_document(s)["instances"][0]["checks"];
    EXPECT_EQ(checks[1]["term"], 3);
    EXPECT_EQ(checks[1]["peer_term"], 4);
}

}  // namespace
}  // namespace havip::vrrp

