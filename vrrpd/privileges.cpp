#include "vrrpd/privileges.hpp"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace havip::vrrp {

namespace {

constexpr CapabilityMask bit(int cap) {
    return CapabilityMask{1} << cap;
}

struct CapabilitySets {
    CapabilityMask effective = 0, permitted = 0, inheritable = 0;
};

// Version 3 of the interface: two 32-bit words per set.
std::error_code get(CapabilitySets& out) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (::syscall(SYS_capget, &header, data) != 0) return {errno, std::generic_category()};
    auto join = [](std::uint32_t low, std::uint32_t high) {
        return CapabilityMask{low} | (CapabilityMask{high} << 32);
    };
    out.effective = join(data[0].effective, data[1].effective);
    out.permitted = join(data[0].permitted, data[1].permitted);
    out.inheritable = join(data[0].inheritable, data[1].inheritable);
    return {};
}

std::error_code set(const CapabilitySets& in) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    for (int word = 0; word < 2; ++word) {
        const int shift = 32 * word;
        data[word].effective = static_cast<std::uint32_t>(in.effective >> shift);
        data[word].permitted = static_cast<std::uint32_t>(in.permitted >> shift);
        data[word].inheritable = static_cast<std::uint32_t>(in.inheritable >> shift);
    }
    if (::syscall(SYS_capset, &header, data) != 0) return {errno, std::generic_category()};
    return {};
}

struct Named {
    int cap;
    const char* name;
};

constexpr Named names[] = {
    {CAP_CHOWN, "cap_chown"},
    {CAP_DAC_OVERRIDE, "cap_dac_override"},
    {CAP_DAC_READ_SEARCH, "cap_dac_read_search"},
    {CAP_FOWNER, "cap_fowner"},
    {CAP_FSETID, "cap_fsetid"},
    {CAP_KILL, "cap_kill"},
    {CAP_SETGID, "cap_setgid"},
    {CAP_SETUID, "cap_setuid"},
    {CAP_SETPCAP, "cap_setpcap"},
    {CAP_NET_BIND_SERVICE, "cap_net_bind_service"},
    {CAP_NET_BROADCAST, "cap_net_broadcast"},
    {CAP_NET_ADMIN, "cap_net_admin"},
    {CAP_NET_RAW, "cap_net_raw"},
    {CAP_IPC_LOCK, "cap_ipc_lock"},
    {CAP_SYS_ADMIN, "cap_sys_admin"},
    {CAP_SYS_NICE, "cap_sys_nice"},
    {CAP_SYS_RESOURCE, "cap_sys_resource"},
};

}  // namespace

CapabilityMask daemon_capabilities(const PrivilegeNeeds& needs) {
    // CAP_DAC_READ_SEARCH: a reload re-reads the configuration, its includes and mysql_check
    // option files wherever root could read them at start-up (keepalived keeps every
    // capability, so a file owned by mysql with mode 0600 must not become unreadable). It
    // grants reading only, never writing.
    CapabilityMask keep = bit(CAP_NET_RAW) | bit(CAP_NET_ADMIN) | bit(CAP_SETUID) |
                          bit(CAP_SETGID) | bit(CAP_KILL) | bit(CAP_DAC_READ_SEARCH);
    if (needs.lock_memory) keep |= bit(CAP_IPC_LOCK);
    if (needs.privileged_port) keep |= bit(CAP_NET_BIND_SERVICE);
    if (needs.chown_control_socket) keep |= bit(CAP_CHOWN);
    return keep;
}

// Only the daemon's own sets shrink; the bounding set stays whole, on purpose. A notify or
// track script that runs as root (no script_user, as with keepalived) is an execve by uid 0,
// and the kernel then gives the new program the full permitted set again, limited only by the
// bounding set: `ip addr`, `systemctl restart`, `mysqladmin` in existing notify scripts keep
// working exactly as under keepalived. Narrowing the bounding set would silently break those
// scripts and is the administrator's choice (the unit file's CapabilityBoundingSet=). What
// dropping here buys: the daemon's own code (packet parsing, the control socket) runs without
// CAP_SYS_ADMIN, CAP_DAC_OVERRIDE, CAP_SYS_MODULE and the rest. Scripts run as script_user
// lose everything on setuid to a non-zero uid (no PR_SET_KEEPCAPS). It does not stop code that
// has taken the daemon over from exec'ing a root program: only the bounding set does that.
std::error_code drop_capabilities(CapabilityMask keep) {
    CapabilitySets sets;
    if (auto ec = get(sets)) return ec;
    sets.permitted &= keep;
    sets.effective = sets.permitted;
    sets.inheritable = 0;
    if (auto ec = set(sets)) return ec;
    // Ambient capabilities (systemd's AmbientCapabilities=) went with the inheritable set;
    // said explicitly so no kernel keeps one across a script's execve.
    if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return {errno, std::generic_category()};
    return {};
}

std::error_code current_capabilities(CapabilityMask& effective, CapabilityMask& permitted) {
    CapabilitySets sets;
    if (auto ec = get(sets)) return ec;
    effective = sets.effective;
    permitted = sets.permitted;
    return {};
}

std::error_code make_private_directory(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) == 0) return {};
    if (errno != EEXIST) return {errno, std::generic_category()};
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) return {errno, std::generic_category()};
    if (!S_ISDIR(st.st_mode)) return std::make_error_code(std::errc::not_a_directory);
    if ((st.st_mode & 077) != 0 && ::chmod(path.c_str(), st.st_mode & 0700) != 0)
        return {errno, std::generic_category()};
    return {};
}

std::string describe_capabilities(CapabilityMask mask) {
    std::string out;
    for (int cap = 0; cap < 64; ++cap) {
        if ((mask & bit(cap)) == 0) continue;
        if (!out.empty()) out += ',';
        bool found = false;
        for (const auto& n : names) {
            if (n.cap == cap) {
                out += n.name;
                found = true;
            }
        }
        if (!found) out += "cap_" + std::to_string(cap);
    }
    return out.empty() ? "none" : out;
}

}  // namespace havip::vrrp
