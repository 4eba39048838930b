// Least privilege after start-up: havipd stays uid 0 (keepalived's scripts expect root) but
// keeps only the capabilities VRRP, VIPs and scripts need. Daemon side: raw capget/capset
// syscalls (libcap is not a dependency).
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace havip::vrrp {

// A capability set as the kernel's bit mask: bit N is capability N (<linux/capability.h>).
using CapabilityMask = std::uint64_t;

struct PrivilegeNeeds {
    // vrrp_no_swap: mlockall(MCL_FUTURE) is in force, so every later allocation beyond
    // RLIMIT_MEMLOCK needs CAP_IPC_LOCK or fails.
    bool lock_memory = false;
    // havip_metrics_listen on a port below 1024 (a reload re-binds it).
    bool privileged_port = false;
    // havip_control_group: the socket (and its directory) are handed to a group root is
    // usually not a member of.
    bool chown_control_socket = false;
};

// What the running daemon keeps: CAP_NET_RAW (raw VRRP sockets, also those a reload opens for
// new instances, and AF_PACKET for gratuitous ARP), CAP_NET_ADMIN (VIPs through rtnetlink,
// multicast membership and socket options), CAP_SETUID + CAP_SETGID (the script child switches
// to script_user), CAP_KILL (a script running as another user is stopped on timeout), plus
// what `needs` adds.
CapabilityMask daemon_capabilities(const PrivilegeNeeds& needs);

// Reduces the permitted and effective sets to `keep` (never adds one it does not have), clears
// the inheritable and ambient sets; the bounding set is left whole (see privileges.cpp).
std::error_code drop_capabilities(CapabilityMask keep);

// The effective set of this process, from capget.
std::error_code current_capabilities(CapabilityMask& effective, CapabilityMask& permitted);

// The state directory (mysql_check history: replication positions, health) is the daemon's
// alone: created 0700 when missing, and narrowed to 0700 when it exists with group or other
// access. Not a symlink or a non-directory (ENOTDIR).
std::error_code make_private_directory(const std::string& path);

// "cap_kill,cap_net_admin,…" for the log, in capability-number order.
std::string describe_capabilities(CapabilityMask mask);

}  // namespace havip::vrrp
