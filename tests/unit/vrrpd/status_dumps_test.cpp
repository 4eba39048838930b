// keepalived's dump files as havipd writes them (vrrpd/dumps), against the text keepalived
// 2.2.7 wrote for the same instance (captured with USR1 / USR2 / RTMIN+2 in a namespace).
#include <gtest/gtest.h>

#include <set>

#include "vrrpd/dumps.hpp"

namespace havip::vrrp {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// keepalived 2.2.7's /tmp/keepalived.stats for VI_1 after 5 adverts as MASTER.
constexpr const char* keepalived_stats = R"(VRRP Instance: VI_1
  Advertisements:
    Received: 0
    Sent: 5
  Became master: 1
  Released master: 0
  Packet Errors:
    Length: 0
    TTL: 0
    Invalid Type: 0
    Advertisement Interval: 0
    Address List: 0
  Authentication Errors:
    Invalid Type: 0
    Type Mismatch: 0
    Failure: 0
  Priority Zero:
    Received: 0
    Sent: 0
)";

// keepalived 2.2.7's /tmp/keepalived.json entry for the same instance.
constexpr const char* keepalived_json = R"([{"data":{"iname":"VI_1","dont_track_primary":0,
"skip_check_adv_addr":0,"strict_mode":0,"vmac_ifname":"","ifp_ifname":"vctl0",
"master_priority":0,"last_transition":1796062810.136095,"garp_delay":5,"garp_refresh":0,
"garp_rep":5,"garp_refresh_rep":1,"garp_lower_prio_delay":5,"garp_lower_prio_rep":5,
"lower_prio_no_advert":0,"higher_prio_send_advert":0,"vrid":99,"base_priority":100,
"effective_priority":100,"vipset":true,"promote_secondaries":false,"adver_int":1,
"master_adver_int":1,"accept":1,"nopreempt":false,"preempt_delay":0,"state":2,"wantstate":2,
"version":2,"smtp_alert":false,"notify_deleted":false,
"vips":["10.77.0.100\/24 dev vctl0 scope global set"],"track_script":["'\/usr\/bin\/true'"],
"auth_type":1,"auth_data":"secret"},"stats":{"advert_rcvd":0,"advert_sent":5,
"become_master":1,"release_master":0,"packet_len_err":0,"advert_interval_err":0,
"ip_ttl_err":0,"invalid_type_rcvd":0,"addr_list_err":0,"invalid_authtype":0,
"authtype_mismatch":0,"auth_failure":0,"pri_zero_rcvd":0,"pri_zero_sent":0}}])";

// The instance keepalived dumped above, as a snapshot.
StatusSnapshot keepalived_instance() {
    StatusSnapshot s;
    s.router_id = "ctltest";
    InstanceSnapshot i;
    i.name = "VI_1";
    i.state = State::master;
    i.vrid = 99;
    i.interface = "vctl0";
    i.version = 2;
    i.priority = 100;
    i.effective_priority = 100;
    i.vips = {{"10.77.0.100", 24, "vctl0"}};
    i.last_transition =
        TransitionSnapshot{WallTime{std::chrono::microseconds(1796062810136095)}, State::backup,
                           State::master, "master down timer expired"};
    i.stats.advert_sent = 5;
    i.stats.become_master = 1;
    i.source_ip = "10.77.0.1";
    i.destinations = {"224.0.0.18"};
    i.auth_pass = true;
    i.password = "secret";
    i.checks = {{"interface vctl0", "interface", "ok", "", std::nullopt, ""},
                {"chk_ok", "vrrp_script", "ok", "exit 0", std::nullopt, ""}};
    s.instances.push_back(i);
    return s;
}

TEST(StatsDump, matches_keepalived_text_for_the_same_counters) {
    EXPECT_EQ(format_stats_dump(keepalived_instance()), keepalived_stats);
}

TEST(StatsDump, places_each_counter_under_its_keepalived_heading) {
    auto s = keepalived_instance();
    auto& st = s.instances[0].stats;
    st.advert_rcvd = 11;
    st.ip_ttl_err = 22;
    st.invalid_authtype = 33;
    st.auth_failure = 44;
    st.pri_zero_sent = 55;
    const auto text = format_stats_dump(s);
    EXPECT_NE(text.find("  Advertisements:\n    Received: 11\n"), std::string::npos);
    EXPECT_NE(text.find("    Length: 0\n    TTL: 22\n"), std::string::npos);
    EXPECT_NE(text.find("  Authentication Errors:\n    Invalid Type: 33\n"), std::string::npos);
    EXPECT_NE(text.find("    Failure: 44\n"), std::string::npos);
    EXPECT_NE(text.find("  Priority Zero:\n    Received: 0\n    Sent: 55\n"), std::string::npos);
}

TEST(JsonDump, has_every_key_keepalived_writes_except_script_commands) {
    const auto ours = json::parse(format_json_dump(keepalived_instance()));
    const auto theirs = json::parse(keepalived_json);
    ASSERT_EQ(ours.size(), 1u);
    for (const char* part : {"data", "stats"}) {
        for (const auto& [key, value] : theirs[0][part].items()) {
            if (key == "track_script") continue;  // havipd does not keep the command text
            EXPECT_TRUE(ours[0][part].contains(key)) << part << "." << key;
        }
    }
}

TEST(JsonDump, values_match_keepalived_for_the_same_instance) {
    const auto ours = json::parse(format_json_dump(keepalived_instance()))[0];
    const auto theirs = json::parse(keepalived_json)[0];
    for (const char* key : {"iname", "ifp_ifname", "vrid", "base_priority", "effective_priority",
                            "vipset", "adver_int", "nopreempt", "state", "wantstate", "version",
                            "vips", "auth_type", "auth_data"})
        EXPECT_EQ(ours["data"][key], theirs["data"][key]) << key;
    EXPECT_NEAR(ours["data"]["last_transition"].get<double>(),
                theirs["data"]["last_transition"].get<double>(), 1e-5);
    EXPECT_EQ(ours["stats"], theirs["stats"]);
}

// keepalived.conf is bytes: a Latin-1 auth_pass or interface alias is not UTF-8. The dump an
// exporter asks for with SIGRTMIN+2 threw there and the exception ended the daemon with its VIPs
// still up (issue 17, item 10); now the bytes are replaced and the dump stays valid JSON.
TEST(JsonDump, non_utf8_config_strings_are_replaced_not_thrown) {
    auto s = keepalived_instance();
    s.instances[0].password = "p\xe4ss";  // "päss" in Latin-1
    s.instances[0].name = "VI_\xff";
    std::string text;
    ASSERT_NO_THROW(text = format_json_dump(s));
    const auto parsed = json::parse(text)[0]["data"];
    EXPECT_EQ(parsed["auth_data"], "p\xef\xbf\xbdss");  // U+FFFD
    EXPECT_EQ(parsed["iname"], "VI_\xef\xbf\xbd");
}

TEST(JsonDump, numbers_states_as_keepalived_and_unsets_vips_off_master) {
    auto s = keepalived_instance();
    s.instances[0].state = State::backup;
    auto d = json::parse(format_json_dump(s))[0]["data"];
    EXPECT_EQ(d["state"], 1);
    EXPECT_EQ(d["vipset"], false);
    EXPECT_EQ(d["vips"][0], "10.77.0.100/24 dev vctl0 scope global");
    s.instances[0].state = State::fault;
    EXPECT_EQ(json::parse(format_json_dump(s))[0]["data"]["state"], 3);
    s.instances[0].state = State::init;
    EXPECT_EQ(json::parse(format_json_dump(s))[0]["data"]["state"], 0);
}

TEST(JsonDump, fractional_advert_interval_is_a_decimal_number_of_seconds) {
    auto s = keepalived_instance();
    s.instances[0].advert_interval = 100ms;
    EXPECT_DOUBLE_EQ(json::parse(format_json_dump(s))[0]["data"]["adver_int"].get<double>(), 0.1);
}

TEST(DataDump, uses_keepalived_sections_and_instance_lines) {
    const auto text = format_data_dump(keepalived_instance());
    for (const char* line : {"------< Global definitions >------\n",
                             " Router ID = ctltest\n",
                             "------< VRRP Topology >------\n",
                             " VRRP Instance = VI_1\n",
                             "   VRRP Version = 2\n",
                             "   State = MASTER\n",
                             "   Wantstate = MASTER\n",
                             "   Interface = vctl0\n",
                             "   Using src_ip = 10.77.0.1\n",
                             "   Multicast address 224.0.0.18\n",
                             "   Gratuitous ARP delay = 5\n",
                             "   Gratuitous ARP repeat = 5\n",
                             "   Virtual Router ID = 99\n",
                             "   Priority = 100\n",
                             "   Effective priority = 100\n",
                             "   Advert interval = 1 sec\n",
                             "   Preempt = enabled\n",
                             "   Authentication type = SIMPLE_PASSWORD\n",
                             "   Password = secret\n",
                             "   Virtual IP (1):\n",
                             "     10.77.0.100/24 dev vctl0 scope global set\n",
                             "   Tracked scripts :\n",
                             "     chk_ok ok\n"})
        EXPECT_NE(text.find(line), std::string::npos) << line;
    EXPECT_EQ(text.find("interface vctl0"), std::string::npos);
}

TEST(DataDump, last_transition_shows_epoch_seconds_with_microseconds) {
    const auto text = format_data_dump(keepalived_instance());
    EXPECT_NE(text.find("   Last transition = 1796062810.136095 ("), std::string::npos);
}

TEST(DumpPaths, are_keepalived_file_names_in_the_directory) {
    const auto p = dump_paths("/tmp");
    EXPECT_EQ(p.data, "/tmp/keepalived.data");
    EXPECT_EQ(p.stats, "/tmp/keepalived.stats");
    EXPECT_EQ(p.json, "/tmp/keepalived.json");
}

}  // namespace
}  // namespace havip::vrrp
