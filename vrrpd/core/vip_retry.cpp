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

VipNote VipRetries::record(const std::string& vip, VipOp op, bool ok, std::string error,
                           TimePoint now) {
    if (ok) {
        const auto it = pending_.find(vip);
        const unsigned before =
            it != pending_.end() && it->second.op == op ? it->second.failures : 0;
        if (it != pending_.end()) pending_.erase(it);
        if (before == 0) return {};
        return {VipNote::Kind::recovered, before, {}};
    }
    ++(op == VipOp::add ? add_failures_ : remove_failures_);
    auto& r = pending_[vip];
    if (r.failures == 0 || r.op != op) r = VipRetry{op, 0, {}, {}};
    ++r.failures;
    r.next = now + vip_retry_delay(r.failures, policy_);
    r.error = std::move(error);
    if ((r.failures & (r.failures - 1)) != 0) return {};
    return {VipNote::Kind::failed, r.failures, r.next - now};
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
