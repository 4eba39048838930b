// Back-off after a failed promote (issue 15, item 5). A node whose promote failed (the old
// master's read_only=1 waits on a lock, the fence cannot get in…) drops the VIP; without a
// pause it would preempt its live peer again at the next healthy probe and fail again, in a
// loop. After each failure in a row the next attempt waits twice as long, from 1 s up to a cap;
// meanwhile the standby's check holds failback (it does not preempt a live master), but stays
// eligible: if the peer is gone it still takes over. Pure: the clock is an argument. Used by
// manage_read_only's decisions (read_only_role.hpp) and by checks/auto_rejoin for failed rejoins.
#pragma once

#include <chrono>
#include <optional>
#include <string>

namespace havip::vrrp {

struct PromoteBackoff {
    unsigned failures = 0;  // failed promotes in a row
    std::optional<std::chrono::steady_clock::time_point> next;  // not before
};

// The pause after `failures` failures in a row: 1 s, 2 s, 4 s … at most `cap`.
std::chrono::steady_clock::duration backoff_delay(unsigned failures,
                                                  std::chrono::steady_clock::duration cap =
                                                      std::chrono::seconds(60));
void promote_failed(PromoteBackoff& b, std::chrono::steady_clock::time_point now);
void promote_succeeded(PromoteBackoff& b);
// Why failback waits, or "" once the pause is over: "3 failed promotes in a row; next attempt
// in 4 s".
std::string backoff_hold(const PromoteBackoff& b, std::chrono::steady_clock::time_point now);

}  // namespace havip::vrrp
