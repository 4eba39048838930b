// Prometheus exposition of the status snapshot (vrrpd/metrics): the exact text a scraper
// reads, label escaping, one-hot state and check status series, and a check shared by two
// instances appearing once.
#include <gtest/gtest.h>

#include <string>

#include "vrrpd/metrics.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;

StatusSnapshot one_master() {
    StatusSnapshot s;
    s.now = WallTime{1796062810136ms};
    s.daemon_version = "0.1.0";
    InstanceSnapshot i;
    i.name = "VI_1";
    i.state = State::master;
    i.vrid = 51;
    i.interface = "eth0";
    i.priority = 150;
    i.effective_priority = 140;
    i.last_transition =
        TransitionSnapshot{WallTime{1796062800500ms}, State::backup, State::master, "timer"};
    i.checks = {{"interface eth0", "interface", "ok", "", std::nullopt, ""},
                {"chk_db", "mysql_check", "degraded", "lag 12 s", std::nullopt, ""}};
    i.stats.advert_rcvd = 7;
    i.stats.advert_sent = 120;
    i.stats.become_master = 1;
    i.stats.pri_zero_sent = 2;
    i.stats.auth_failure = 3;
    i.stats.extra = {{"checksum_err", 4}, {"send_err", 5}, {"auth_failure", 99}};
    i.jitter = {250us, 1500us, 4ms, 100};
    i.notify = {2, 6, 1};
    i.vip_retries = {{"10.0.0.100/24", "add", 3, "Permission denied", 400ms}};
    i.vip_add_failures = 3;
    i.switchovers = {{"switched", 4}, {"rolled_back", 1}};
    s.instances.push_back(i);
    return s;
}

TEST(Metrics, exposition_of_one_master_is_exactly_this_text) {
    const std::string expected = R"(# HELP havip_build_info The running havipd's version; always 1.
# TYPE havip_build_info gauge
havip_build_info{version="0.1.0"} 1
# HELP havip_vrrp_state VRRP state of the instance: 1 for the current state, 0 for the others.
# TYPE havip_vrrp_state gauge
havip_vrrp_state{instance="VI_1",vrid="51",interface="eth0",state="INIT"} 0
havip_vrrp_state{instance="VI_1",vrid="51",interface="eth0",state="BACKUP"} 0
havip_vrrp_state{instance="VI_1",vrid="51",interface="eth0",state="MASTER"} 1
havip_vrrp_state{instance="VI_1",vrid="51",interface="eth0",state="FAULT"} 0
# HELP havip_vrrp_priority Configured VRRP priority of the instance.
# TYPE havip_vrrp_priority gauge
havip_vrrp_priority{instance="VI_1",vrid="51",interface="eth0"} 150
# HELP havip_vrrp_effective_priority Priority the instance advertises: configured plus check weights, 0..255.
# TYPE havip_vrrp_effective_priority gauge
havip_vrrp_effective_priority{instance="VI_1",vrid="51",interface="eth0"} 140
# HELP havip_vrrp_last_transition_timestamp_seconds Unix time of the instance's last state change.
# TYPE havip_vrrp_last_transition_timestamp_seconds gauge
havip_vrrp_last_transition_timestamp_seconds{instance="VI_1",vrid="51",interface="eth0"} 1796062800.5
# HELP havip_vrrp_become_master_total Times the instance became MASTER.
# TYPE havip_vrrp_become_master_total counter
havip_vrrp_become_master_total{instance="VI_1",vrid="51",interface="eth0"} 1
# HELP havip_vrrp_release_master_total Times the instance left MASTER.
# TYPE havip_vrrp_release_master_total counter
havip_vrrp_release_master_total{instance="VI_1",vrid="51",interface="eth0"} 0
# HELP havip_vrrp_adverts_received_total VRRP adverts received for the instance.
# TYPE havip_vrrp_adverts_received_total counter
havip_vrrp_adverts_received_total{instance="VI_1",vrid="51",interface="eth0"} 7
# HELP havip_vrrp_adverts_sent_total VRRP adverts sent by the instance.
# TYPE havip_vrrp_adverts_sent_total counter
havip_vrrp_adverts_sent_total{instance="VI_1",vrid="51",interface="eth0"} 120
# HELP havip_vrrp_adverts_priority_zero_received_total Priority-0 adverts received (a master releasing the VIPs).
# TYPE havip_vrrp_adverts_priority_zero_received_total counter
havip_vrrp_adverts_priority_zero_received_total{instance="VI_1",vrid="51",interface="eth0"} 0
# HELP havip_vrrp_adverts_priority_zero_sent_total Priority-0 adverts sent (releasing the VIPs).
# TYPE havip_vrrp_adverts_priority_zero_sent_total counter
havip_vrrp_adverts_priority_zero_sent_total{instance="VI_1",vrid="51",interface="eth0"} 2
# HELP havip_vrrp_adverts_rejected_total Adverts dropped, by the rule they broke (keepalived's counter names).
# TYPE havip_vrrp_adverts_rejected_total counter
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="packet_len_err"} 0
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="ip_ttl_err"} 0
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="invalid_type_rcvd"} 0
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="advert_interval_err"} 0
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="addr_list_err"} 0
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="invalid_authtype"} 0
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="authtype_mismatch"} 0
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="auth_failure"} 3
havip_vrrp_adverts_rejected_total{instance="VI_1",vrid="51",interface="eth0",reason="checksum_err"} 4
# HELP havip_vrrp_adverts_send_errors_total Adverts the kernel refused to send.
# TYPE havip_vrrp_adverts_send_errors_total counter
havip_vrrp_adverts_send_errors_total{instance="VI_1",vrid="51",interface="eth0"} 5
# HELP havip_vrrp_advert_send_jitter_seconds How late adverts left after their deadline over the recent samples (p50, p99, max).
# TYPE havip_vrrp_advert_send_jitter_seconds gauge
havip_vrrp_advert_send_jitter_seconds{instance="VI_1",vrid="51",interface="eth0",stat="p50"} 0.00025
havip_vrrp_advert_send_jitter_seconds{instance="VI_1",vrid="51",interface="eth0",stat="p99"} 0.0015
havip_vrrp_advert_send_jitter_seconds{instance="VI_1",vrid="51",interface="eth0",stat="max"} 0.004
# HELP havip_vrrp_advert_send_jitter_samples Adverts the jitter figures are computed over.
# TYPE havip_vrrp_advert_send_jitter_samples gauge
havip_vrrp_advert_send_jitter_samples{instance="VI_1",vrid="51",interface="eth0"} 100
# HELP havip_vrrp_vip_failures_total VIP adds and removes the kernel refused (each is retried with backoff).
# TYPE havip_vrrp_vip_failures_total counter
havip_vrrp_vip_failures_total{instance="VI_1",vrid="51",interface="eth0",operation="add"} 3
havip_vrrp_vip_failures_total{instance="VI_1",vrid="51",interface="eth0",operation="remove"} 0
# HELP havip_vrrp_vip_retries_pending VIPs whose add or remove failed and is being retried.
# TYPE havip_vrrp_vip_retries_pending gauge
havip_vrrp_vip_retries_pending{instance="VI_1",vrid="51",interface="eth0"} 1
# HELP havip_vrrp_notify_pending Notify hooks waiting or running for the instance.
# TYPE havip_vrrp_notify_pending gauge
havip_vrrp_notify_pending{instance="VI_1",vrid="51",interface="eth0"} 2
# HELP havip_vrrp_notify_superseded_total Notify hooks removed before they started because a newer state's were queued.
# TYPE havip_vrrp_notify_superseded_total counter
havip_vrrp_notify_superseded_total{instance="VI_1",vrid="51",interface="eth0"} 6
# HELP havip_vrrp_notify_dropped_total Notify hooks removed before they started because the queue was full.
# TYPE havip_vrrp_notify_dropped_total counter
havip_vrrp_notify_dropped_total{instance="VI_1",vrid="51",interface="eth0"} 1
# HELP havip_check_status Health check status: 1 for the current status, 0 for the type's others.
# TYPE havip_check_status gauge
havip_check_status{check="interface eth0",type="interface",status="ok"} 1
havip_check_status{check="interface eth0",type="interface",status="failed"} 0
havip_check_status{check="chk_db",type="mysql_check",status="healthy"} 0
havip_check_status{check="chk_db",type="mysql_check",status="degraded"} 1
havip_check_status{check="chk_db",type="mysql_check",status="unsafe"} 0
havip_check_status{check="chk_db",type="mysql_check",status="down"} 0
# HELP havip_check_rejoins_total Automatic rejoins (havip rejoin run by havipd) of a mysql_check's node, by result.
# TYPE havip_check_rejoins_total counter
havip_check_rejoins_total{check="chk_db",result="started"} 0
havip_check_rejoins_total{check="chk_db",result="succeeded"} 0
havip_check_rejoins_total{check="chk_db",result="failed"} 0
havip_check_rejoins_total{check="chk_db",result="deferred"} 0
# HELP havip_check_rejoin_methods_total Succeeded automatic rejoins of a mysql_check's node, by how it was brought back: flashback (its extra transactions rolled back) or reseed (a dump of the peer).
# TYPE havip_check_rejoin_methods_total counter
havip_check_rejoin_methods_total{check="chk_db",method="flashback"} 0
havip_check_rejoin_methods_total{check="chk_db",method="reseed"} 0
# HELP havip_switchovers_total Finished `havip switchover` runs of an instance, by result.
# TYPE havip_switchovers_total counter
havip_switchovers_total{instance="VI_1",vrid="51",interface="eth0",result="switched"} 4
havip_switchovers_total{instance="VI_1",vrid="51",interface="eth0",result="dry_run"} 0
havip_switchovers_total{instance="VI_1",vrid="51",interface="eth0",result="refused"} 0
havip_switchovers_total{instance="VI_1",vrid="51",interface="eth0",result="rolled_back"} 1
havip_switchovers_total{instance="VI_1",vrid="51",interface="eth0",result="failed"} 0
)";
    EXPECT_EQ(format_metrics(one_master()), expected);
}

TEST(Metrics, label_values_escape_backslash_quote_and_newline) {
    EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
    auto s = one_master();
    s.instances[0].checks = {{"say \"hi\"", "vrrp_script", "failed", "", std::nullopt, ""}};
    const auto text = format_metrics(s);
    EXPECT_NE(text.find("havip_check_status{check=\"say \\\"hi\\\"\",type=\"vrrp_script\","
                        "status=\"failed\"} 1\n"),
              std::string::npos)
        << text;
}

TEST(Metrics, a_fault_instance_has_only_its_fault_state_series_at_one) {
    auto s = one_master();
    s.instances[0].state = State::fault;
    const auto text = format_metrics(s);
    EXPECT_NE(text.find("state=\"FAULT\"} 1\n"), std::string::npos);
    EXPECT_NE(text.find("state=\"MASTER\"} 0\n"), std::string::npos);
    EXPECT_EQ(text.find("state=\"MASTER\"} 1\n"), std::string::npos);
}

TEST(Metrics, a_check_tracked_by_two_instances_appears_once) {
    auto s = one_master();
    auto second = s.instances[0];
    second.name = "VI_2";
    second.vrid = 52;
    s.instances.push_back(second);
    const auto text = format_metrics(s);
    const std::string series =
        "havip_check_status{check=\"chk_db\",type=\"mysql_check\",status=\"degraded\"} 1\n";
    const auto first = text.find(series);
    ASSERT_NE(first, std::string::npos);
    EXPECT_EQ(text.find(series, first + 1), std::string::npos);
    // Both instances have their own VRRP series.
    EXPECT_NE(
        text.find("havip_vrrp_priority{instance=\"VI_2\",vrid=\"52\",interface=\"eth0\"} 150"),
        std::string::npos);
}

TEST(Metrics, a_status_outside_the_types_list_still_gets_its_series) {
    auto s = one_master();
    s.instances[0].checks = {{"interface eth1", "interface", "down", "", std::nullopt, ""}};
    const auto text = format_metrics(s);
    EXPECT_NE(text.find("check=\"interface eth1\",type=\"interface\",status=\"down\"} 1\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("check=\"interface eth1\",type=\"interface\",status=\"ok\"} 0\n"),
              std::string::npos);
}

TEST(Metrics, no_transition_yet_means_no_timestamp_sample_but_the_family_is_declared) {
    auto s = one_master();
    s.instances[0].last_transition.reset();
    const auto text = format_metrics(s);
    EXPECT_NE(text.find("# TYPE havip_vrrp_last_transition_timestamp_seconds gauge\n"),
              std::string::npos);
    EXPECT_EQ(text.find("havip_vrrp_last_transition_timestamp_seconds{"), std::string::npos);
}

TEST(Metrics, every_sample_line_belongs_to_the_family_declared_before_it) {
    const auto text = format_metrics(one_master());
    std::string family;
    std::size_t at = 0;
    while (at < text.size()) {
        const auto end = text.find('\n', at);
        ASSERT_NE(end, std::string::npos) << "the text must end with a newline";
        const std::string line = text.substr(at, end - at);
        at = end + 1;
        if (line.starts_with("# TYPE ")) {
            family = line.substr(7, line.find(' ', 7) - 7);
        } else if (!line.starts_with("# HELP ")) {
            EXPECT_TRUE(line.starts_with(family + "{")) << line << " after TYPE " << family;
        }
    }
}

// The HTTP side of the listener, without a socket.
std::string answer(std::string_view head, int* calls = nullptr) {
    return metrics_http_answer(head, [calls] {
        if (calls) ++*calls;
        return std::string("m 1\n");
    });
}

TEST(MetricsHttp, get_metrics_answers_200_with_the_exposition_and_closes) {
    EXPECT_EQ(answer("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: 4\r\nConnection: close\r\n\r\nm 1\n");
}

TEST(MetricsHttp, http_1_0_and_a_query_string_are_accepted) {
    EXPECT_TRUE(answer("GET /metrics?x=1 HTTP/1.0\r\n\r\n").starts_with("HTTP/1.1 200 OK\r\n"));
}

TEST(MetricsHttp, head_gets_the_headers_without_the_body) {
    const auto a = answer("HEAD /metrics HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(a.starts_with("HTTP/1.1 200 OK\r\n"));
    EXPECT_NE(a.find("Content-Length: 4\r\n"), std::string::npos);
    EXPECT_TRUE(a.ends_with("\r\n\r\n"));
}

TEST(MetricsHttp, another_path_is_404_and_builds_no_exposition) {
    int calls = 0;
    const auto a = answer("GET / HTTP/1.1\r\n\r\n", &calls);
    EXPECT_TRUE(a.starts_with("HTTP/1.1 404 Not Found\r\n")) << a;
    EXPECT_EQ(calls, 0);
    EXPECT_TRUE(answer("GET /metricsx HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404 "));
}

TEST(MetricsHttp, another_method_is_405_with_allow) {
    const auto a = answer("POST /metrics HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(a.starts_with("HTTP/1.1 405 Method Not Allowed\r\n")) << a;
    EXPECT_NE(a.find("Allow: GET, HEAD\r\n"), std::string::npos);
}

TEST(MetricsHttp, a_malformed_request_line_is_400) {
    EXPECT_TRUE(answer("GET /metrics\r\n\r\n").starts_with("HTTP/1.1 400 "));
    EXPECT_TRUE(answer("GET /metrics HTTP/2\r\n\r\n").starts_with("HTTP/1.1 400 "));
    EXPECT_TRUE(answer("\x16\x03\x01 TLS hello").starts_with("HTTP/1.1 400 "));
}

}  // namespace
}  // namespace havip::vrrp
