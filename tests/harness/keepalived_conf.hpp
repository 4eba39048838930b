// Writes keepalived.conf text from a small description, so one scenario yields the same
// configuration for keepalived and for havipd (which reads keepalived's syntax).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace havip::test {

struct VrrpInstanceSpec {
    std::string name = "VI_1";
    std::string interface = "eth0";
    int vrid = 51;
    int priority = 100;
    int version = 2;
    std::optional<std::string> state;  // "MASTER" or "BACKUP"; omitted when unset
    // v2 takes whole seconds; v3 takes centiseconds (RFC 5798 §5.2.7).
    std::chrono::milliseconds advert_int{1000};
    std::optional<std::string> auth_pass;  // v2 `auth_type PASS`
    std::vector<std::string> vips;         // "ADDR[/LEN]", one per line
    std::optional<std::string> unicast_src_ip;
    std::vector<std::string> unicast_peers;
    bool nopreempt = false;
    std::optional<int> preempt_delay;
    std::vector<std::string> extra_lines;  // verbatim inside the block
};

struct KeepalivedConfig {
    std::string router_id = "havip_test";
    std::vector<std::string> global_extra_lines;  // verbatim inside global_defs
    std::vector<VrrpInstanceSpec> instances;
};

// The lab's usual instance: VI_1, VRID 51, VRRPv3 with 100 ms adverts, one VIP "VIP/24".
VrrpInstanceSpec v3_instance(int priority, std::string_view vip = "10.77.0.100");

// advert_int as keepalived writes it: "1" for whole seconds, "0.1" / "0.05" otherwise.
std::string format_advert_int(std::chrono::milliseconds interval);

std::string render_keepalived_conf(const KeepalivedConfig& config);

}  // namespace havip::test
