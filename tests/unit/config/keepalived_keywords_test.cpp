// Every keyword keepalived 2.2.7's VRRP side and global_defs take (keepalived/vrrp/vrrp_parser.c
// and keepalived/core/global_parser.c, as built with every option) is one havipd knows: it is
// read, or skipped with a warning naming what havipd does instead. A drop-in must never refuse a
// configuration keepalived takes because of a keyword it has not heard of.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

using testing::instance;
using ::testing::IsEmpty;
using testing::load;
using testing::messages;

// Keywords with no value of their own are given none; the others a value keepalived accepts.
struct Keyword {
    const char* name;
    const char* value;
};

// Top-level blocks and keywords (besides vrrp_instance, vrrp_sync_group, vrrp_script,
// vrrp_track_process and global_defs, read by havipd's own tests).
constexpr Keyword top_level[] = {
    {"linkbeat_use_polling", ""},
    {"net_namespace", "ns1"},
    {"net_namespace_ipvs", "ns1"},
    {"namespace_with_ipsets", ""},
    {"use_pid_dir", ""},
    {"instance", "one"},
    {"child_wait_time", "5"},
    {"static_ipaddress", "{\n    10.9.0.1/24 dev eth0\n}"},
    {"static_routes", "{\n}"},
    {"static_rules", "{\n}"},
    {"track_group", "TG {\n    group {\n        VI_1\n    }\n}"},
    {"garp_group", "{\n    garp_interval 1\n    gna_interval 1\n    interface eth0\n}"},
    {"linkbeat_interfaces", "{\n    eth0\n}"},
    {"interface_up_down_delays", "{\n    eth0 1 2\n}"},
};

constexpr const char* global_defs[] = {
    "process_name",
    "vrrp_process_name",
    "checker_process_name",
    "bfd_process_name",
    "lvs_process_name",
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
    "min_auto_priority_delay",
    "checker_log_all_failures",
    "no_email_faults",
    "disable_local_igmp",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "vrrp_down_timer_adverts",
    "vrrp_vmac_garp_intvl",
    "nftables_ifindex",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "nftables_counters",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "vrrp_notify_priority_changes",
    "fifo_write_vrrp_states_on_reload",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "enable_snmp_rfc",
    "enable_dbus",
    "dbus_service_name",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "rs_init_notifies",
    "no_checker_emails",
    "log_unknown_vrids",
    "vmac_prefix",
    "vmac_addr_prefix",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
    "include_check",
    "config_save_dir",
    "tmp_config_directory",
};

constexpr const char* instance_keywords[] = {
    "use_vmac_addr",
    "vrf",
    "track_src_ip",
    "garp_lower_prio_delay 5",
    "garp_lower_prio_repeat 2",
    "garp_extra_if 10",
    "vmac_garp_intvl 10",
};

std::vector<std::string> unknown_in(const LoadResult& result) {
    std::vector<std::string> out;
    for (const auto& m : messages(result))
        if (m.find("error: unknown") != std::string::npos) out.push_back(m);
    return out;
}

TEST(KeepalivedKeywords, top_level_blocks_and_keywords_are_known) {
    for (const auto& k : top_level) {
        const auto result = load(std::string(k.name) + " " + k.value + "\n" + instance());
        EXPECT_THAT(unknown_in(result), IsEmpty()) << k.name;
    }
}

TEST(KeepalivedKeywords, global_defs_keywords_are_known) {
    for (const char* k : global_defs) {
        const auto result = load(fmt::format("global_defs {{\n    {} 1\n}}\n", k) + instance());
        EXPECT_THAT(unknown_in(result), IsEmpty()) << k;
        EXPECT_TRUE(result.ok()) << k << ": " << ::testing::PrintToString(messages(result));
    }
}

TEST(KeepalivedKeywords, vrrp_instance_keywords_are_known) {
    for (const char* k : instance_keywords) {
        const auto result = load(instance(fmt::format("    {}\n", k)));
        EXPECT_THAT(unknown_in(result), IsEmpty()) << k;
        EXPECT_TRUE(result.ok()) << k << ": " << ::testing::PrintToString(messages(result));
    }
}

TEST(KeepalivedKeywords, sync_group_notify_priority_changes_is_known) {
    const auto result = load(instance() +
                             "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n"
                             "    notify_priority_changes\n}\n");
    EXPECT_THAT(unknown_in(result), IsEmpty());
}

}  // namespace
}  // namespace havip::config
