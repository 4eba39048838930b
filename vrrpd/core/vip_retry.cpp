#include "vrrpd/core/vip_retry.hpp"

#include <algorithm>

namespace havip::vrrp {

std::string_view to_string(VipOp op) {
    return op == VipOp::add ? "add" : "remove";
}

Duration vip_retry_delay(unsigned failures, const VipRetryPolicy& policy) {
    Duration delay = policy.first;
    for (unsigned n = 1; n < failures && delay < policy.max; ++n)
        delay *= 2;
    return std::min(delay, policy.max);
}

void VipRetries::record(const std::string& vip, VipOp op, bool ok, std::string error,
                        TimePoint now) {
    if (ok) {
        pending_.erase(vip);
        return;
    }
    ++(op == VipOp::add ? add_failures_ : remove_failures_);
    auto& r = pending_[vip];
    if (r.failures == 0 || r.op != op) r = VipRetry{op, 0, {}, {}};
    ++r.failures;
    r.next = now + vip_retry_delay(r.failures, policy_);
    r.error = std::move(error);
}

std::vector<std::pair<std::string, VipOp>> VipRetries::due(TimePoint now) const {
    std::vector<std::pair<std::string, VipOp>> out;
    for (const auto& [vip, r] : pending_)
        if (r.next <= now) out.emplace_back(vip, r.op);
    return out;
}

std::optional<TimePoint> VipRetries::next_due() const {
    std::optional<TimePoint> next;
    for (const auto& [vip, r] : pending_)
        if (!next || r.next < *next) next = r.next;
    return next;
}

}  // namespace havip::vrrp
