#include "vrrpd/core/timers.hpp"

#include "vrrpd/core/text.hpp"

namespace havip::vrrp {

Duration skew_time(std::uint8_t priority, Duration master_adver_interval, ProtocolVersion version) {
    const auto weight = static_cast<Duration::rep>(256 - priority);
    // RFC 3768 ties the v2 skew to one second, not to the advert interval.
    const Duration base =
        version == ProtocolVersion::v2 ? Duration{std::chrono::seconds{1}} : master_adver_interval;
    return Duration{weight * base.count() / 256};
}

Duration master_down_interval(Duration master_adver_interval, Duration skew,
                              unsigned down_timer_adverts) {
    return static_cast<Duration::rep>(down_timer_adverts) * master_adver_interval + skew;
}

std::string format_seconds(Duration d) {
    const bool negative = d.count() < 0;
    const auto abs_ns = negative ? -d.count() : d.count();
    const auto whole = abs_ns / 1'000'000'000;
    auto frac = abs_ns % 1'000'000'000;
    std::string out = text::concat(negative ? "-" : "", whole);
    if (frac != 0) {
        std::string digits = text::zero_padded(frac, 9);
        digits.erase(digits.find_last_not_of('0') + 1);
        out += '.';
        out += digits;
    }
    out += 's';
    return out;
}

}  // namespace havip::vrrp
