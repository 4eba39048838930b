#include "config/keywords.hpp"

#include <algorithm>
#include <array>

namespace havip::config {
namespace {

constexpr std::string_view lvs = "the LVS/checker side is not part of havipd";
constexpr std::string_view smtp = "havipd sends no e-mail; use notify scripts";
constexpr std::string_view snmp = "havipd has no SNMP agent; use havip status --json";
constexpr std::string_view bfd = "BFD is not implemented";
constexpr std::string_view not_impl = "not implemented";

constexpr std::array ignored_keywords{
    // Top level.
    IgnoredKeyword{Context::top, "virtual_server", lvs},
    IgnoredKeyword{Context::top, "virtual_server_group", lvs},
    IgnoredKeyword{Context::top, "real_server", lvs},
    IgnoredKeyword{Context::top, "bfd_instance", bfd},
    IgnoredKeyword{Context::top, "static_ipaddress", "havipd manages only virtual addresses"},
    IgnoredKeyword{Context::top, "static_routes", "havipd manages no routes"},
    IgnoredKeyword{Context::top, "static_rules", "havipd manages no routing rules"},
    IgnoredKeyword{Context::top, "linkbeat_use_polling", "link state comes from netlink"},
    IgnoredKeyword{Context::top, "net_namespace", "run havipd inside the namespace instead"},
    IgnoredKeyword{Context::top, "namespace_with_ipsets", not_impl},
    IgnoredKeyword{Context::top, "instance", not_impl},
    IgnoredKeyword{Context::top, "use_pid_dir", "pid files are given with -p"},
    IgnoredKeyword{Context::top, "child_wait_time", "havipd runs one process"},
    // global_defs.
    IgnoredKeyword{Context::global_defs, "notification_email", smtp},
    IgnoredKeyword{Context::global_defs, "notification_email_from", smtp},
    IgnoredKeyword{Context::global_defs, "smtp_server", smtp},
    IgnoredKeyword{Context::global_defs, "smtp_helo_name", smtp},
    IgnoredKeyword{Context::global_defs, "smtp_connect_timeout", smtp},
    IgnoredKeyword{Context::global_defs, "smtp_alert", smtp},
    IgnoredKeyword{Context::global_defs, "smtp_alert_vrrp", smtp},
    IgnoredKeyword{Context::global_defs, "smtp_alert_checker", smtp},
    IgnoredKeyword{Context::global_defs, "enable_snmp_vrrp", snmp},
    IgnoredKeyword{Context::global_defs, "enable_snmp_keepalived", snmp},
    IgnoredKeyword{Context::global_defs, "enable_snmp_rfcv2", snmp},
    IgnoredKeyword{Context::global_defs, "enable_snmp_rfcv3", snmp},
    IgnoredKeyword{Context::global_defs, "enable_snmp_checker", snmp},
    IgnoredKeyword{Context::global_defs, "enable_traps", snmp},
    IgnoredKeyword{Context::global_defs, "snmp_socket", snmp},
    IgnoredKeyword{Context::global_defs, "vrrp_strict",
                   "strict mode (which also drops traffic to the VIP) is not implemented"},
    IgnoredKeyword{Context::global_defs, "vrrp_iptables", "havipd installs no firewall rules"},
    IgnoredKeyword{Context::global_defs, "vrrp_ipsets", "havipd installs no firewall rules"},
    IgnoredKeyword{Context::global_defs, "nftables", "havipd installs no firewall rules"},
    IgnoredKeyword{Context::global_defs, "nftables_priority", "havipd installs no firewall rules"},
    IgnoredKeyword{Context::global_defs, "lvs_id", lvs},
    IgnoredKeyword{Context::global_defs, "lvs_flush", lvs},
    IgnoredKeyword{Context::global_defs, "lvs_timeouts", lvs},
    IgnoredKeyword{Context::global_defs, "lvs_sync_daemon", lvs},
    IgnoredKeyword{Context::global_defs, "checker_priority", lvs},
    IgnoredKeyword{Context::global_defs, "checker_no_swap", lvs},
    IgnoredKeyword{Context::global_defs, "checker_rt_priority", lvs},
    IgnoredKeyword{Context::global_defs, "bfd_priority", bfd},
    IgnoredKeyword{Context::global_defs, "bfd_no_swap", bfd},
    IgnoredKeyword{Context::global_defs, "bfd_rt_priority", bfd},
    IgnoredKeyword{Context::global_defs, "vrrp_priority", "use vrrp_rt_priority"},
    IgnoredKeyword{Context::global_defs, "dynamic_interfaces",
                   "interfaces deleted and re-created are always followed by name; one missing "
                   "at start-up is still an error"},
    IgnoredKeyword{Context::global_defs, "vrrp_check_unicast_src",
                   "set check_unicast_src per instance"},
    IgnoredKeyword{Context::global_defs, "vrrp_skip_check_adv_addr", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_lower_prio_no_advert", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_higher_prio_send_advert", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_notify_fifo", "notify FIFOs are not implemented"},
    IgnoredKeyword{Context::global_defs, "vrrp_notify_fifo_script",
                   "notify FIFOs are not implemented"},
    IgnoredKeyword{Context::global_defs, "notify_fifo", "notify FIFOs are not implemented"},
    IgnoredKeyword{Context::global_defs, "notify_fifo_script", "notify FIFOs are not implemented"},
    IgnoredKeyword{Context::global_defs, "max_auto_priority", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_netlink_cmd_rcv_bufs", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_netlink_monitor_rcv_bufs", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_rx_bufs_policy", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_rx_bufs_multiplier", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_min_garp", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_garp_extra_if", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_garp_interval_extra_if", not_impl},
    IgnoredKeyword{Context::global_defs, "default_interface", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_mcast_group4_interface", not_impl},
    IgnoredKeyword{Context::global_defs, "script_max_age", not_impl},
    IgnoredKeyword{Context::global_defs, "process_names", not_impl},
    IgnoredKeyword{Context::global_defs, "vrrp_process_name", not_impl},
    IgnoredKeyword{Context::global_defs, "checker_process_name", not_impl},
    IgnoredKeyword{Context::global_defs, "bfd_process_name", not_impl},
    IgnoredKeyword{Context::global_defs, "random_seed", not_impl},
    IgnoredKeyword{Context::global_defs, "umask", not_impl},
    IgnoredKeyword{Context::global_defs, "data_use_instance", not_impl},
    IgnoredKeyword{Context::global_defs, "instance", not_impl},
    // vrrp_instance.
    IgnoredKeyword{Context::vrrp_instance, "use_vmac", "VMAC interfaces are not implemented"},
    IgnoredKeyword{Context::vrrp_instance, "vmac_xmit_base", "VMAC interfaces are not implemented"},
    IgnoredKeyword{Context::vrrp_instance, "use_ipvlan", "ipvlan interfaces are not implemented"},
    IgnoredKeyword{Context::vrrp_instance, "native_ipv6", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "strict_mode",
                   "strict mode (which also drops traffic to the VIP) is not implemented"},
    IgnoredKeyword{Context::vrrp_instance, "smtp_alert", smtp},
    IgnoredKeyword{Context::vrrp_instance, "lvs_sync_daemon_interface", lvs},
    IgnoredKeyword{Context::vrrp_instance, "track_bfd", bfd},
    IgnoredKeyword{Context::vrrp_instance, "virtual_routes", "havipd manages no routes"},
    IgnoredKeyword{Context::vrrp_instance, "virtual_rules", "havipd manages no routing rules"},
    IgnoredKeyword{Context::vrrp_instance, "notify_master_rx_lower_pri", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "notify_deleted", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "debug", "use havipd -D"},
    IgnoredKeyword{Context::vrrp_instance, "linkbeat_use_polling", "link state comes from netlink"},
    IgnoredKeyword{Context::vrrp_instance, "promote_secondaries", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "kernel_rx_buf_size", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "unicast_fault_no_peer", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "skip_check_adv_addr", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "lower_prio_no_advert", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "higher_prio_send_advert", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "track_group", not_impl},
    IgnoredKeyword{Context::vrrp_instance, "notify_priority_changes", not_impl},
    // vrrp_sync_group.
    IgnoredKeyword{Context::sync_group, "smtp_alert", smtp},
    IgnoredKeyword{Context::sync_group, "global_tracking", not_impl},
    IgnoredKeyword{Context::sync_group, "sync_group_tracking_weight", not_impl},
    IgnoredKeyword{Context::sync_group, "track_bfd", bfd},
};

}  // namespace

const IgnoredKeyword* find_ignored_keyword(Context context, std::string_view keyword) {
    auto it = std::find_if(ignored_keywords.begin(), ignored_keywords.end(),
                           [&](const IgnoredKeyword& entry) {
                               return entry.context == context && entry.keyword == keyword;
                           });
    return it == ignored_keywords.end() ? nullptr : &*it;
}

}  // namespace havip::config
