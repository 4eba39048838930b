#include "vrrpd/core/promote_backoff.hpp"

#include <algorithm>
#include <cmath>

#include "vrrpd/core/text.hpp"

namespace havip::vrrp {

using Steady = std::chrono::steady_clock;

Steady::duration backoff_delay(unsigned failures, Steady::duration cap) {
    if (failures == 0) return Steady::duration::zero();
    const unsigned doublings = std::min(failures - 1, 30u);
    const auto delay = std::chrono::duration_cast<Steady::duration>(std::chrono::seconds(1)) *
                       (std::int64_t{1} << doublings);
    return std::min(delay, cap);
}

void promote_failed(PromoteBackoff& b, Steady::time_point now) {
    ++b.failures;
    b.next = now + backoff_delay(b.failures);
}

void promote_succeeded(PromoteBackoff& b) {
    b = PromoteBackoff{};
}

std::string backoff_hold(const PromoteBackoff& b, Steady::time_point now) {
    if (!b.next || now >= *b.next) return "";
    const double left = std::chrono::duration<double>(*b.next - now).count();
    return text::concat(b.failures, " failed promote", b.failures == 1 ? "" : "s",
                        " in a row; next attempt in ", text::fixed(std::ceil(left), 0), " s");
}

}  // namespace havip::vrrp
