// VRRP timer formulas (RFC 5798 §6.1, RFC 3768 §6.1) on std::chrono, nanosecond precision.
// Pure: no clock is read here; callers pass the time in.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace havip::vrrp {

// The daemon feeds steady_clock readings; tests feed fake ones. Nanoseconds keep the skew
// distinct for neighbouring priorities even at 10 ms adverts (centiseconds would not).
using Clock = std::chrono::steady_clock;
using Duration = std::chrono::nanoseconds;
using TimePoint = std::chrono::time_point<Clock, Duration>;

// The protocol version an instance speaks: 2 = RFC 3768, 3 = RFC 5798 / RFC 9568.
enum class ProtocolVersion : std::uint8_t { v2 = 2, v3 = 3 };

// keepalived's `down_timer_adverts` default: adverts a backup may miss before taking over.
inline constexpr unsigned default_down_timer_adverts = 3;

// Skew_Time.
// v3 (RFC 5798 §6.1): ((256 - Priority) * Master_Adver_Interval) / 256.
// v2 (RFC 3768 §6.1): (256 - Priority) / 256 seconds, whatever the advert interval.
// Truncated to whole nanoseconds (at most 0.5 ns lost: the divisor is 256).
Duration skew_time(std::uint8_t priority, Duration master_adver_interval, ProtocolVersion version);

// Master_Down_Interval (RFC 5798 §6.1; RFC 3768 §6.1):
// down_timer_adverts * Master_Adver_Interval + Skew_Time, the RFC's value for 3 adverts.
Duration master_down_interval(Duration master_adver_interval, Duration skew,
                              unsigned down_timer_adverts = default_down_timer_adverts);

// "3.609375s": seconds with the trailing zeros of the nanosecond fraction removed, for logs
// and test messages.
std::string format_seconds(Duration d);

}  // namespace havip::vrrp
