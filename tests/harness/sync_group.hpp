// The sync-group tests' configuration, on havipd and keepalived alike: two instances on eth0,
// VI_DB (VRID 51, 10.77.0.100) and VI_GW (VRID 52, 10.77.0.101), VRRPv3 every 200 ms.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace havip::test {

inline constexpr const char* sync_db_vip = "10.77.0.100";
inline constexpr const char* sync_gw_vip = "10.77.0.101";

// Node `node`'s configuration at `priority` (a at 200 and b at 50 put a's Skew_Time, 43.75 ms,
// well below b's, 160.9 ms, so a retaking after its own skew is never raced by b). VI_GW tracks
// `flag` (weight 0: non-zero = FAULT) when given; `group` names the sync group holding both
// ("" for none); the group's `notify` runs `hook` when given.
std::string two_member_group(std::string_view node, int priority, std::string_view group,
                             const std::filesystem::path& flag = {},
                             const std::filesystem::path& hook = {});

}  // namespace havip::test
