// Retrying a VIP add or remove that failed. A MASTER advertising without its VIP blackholes
// the service, and a BACKUP keeping a VIP it failed to remove answers for it beside the new
// master; neither may rest on one failed netlink request. Each VIP's newest wanted change is
// retried with exponential backoff until it succeeds or a newer change replaces it. Pure: the
// instance passes the clock in and performs what `due` names.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vrrpd/core/timers.hpp"

namespace havip::vrrp {

enum class VipOp { add, remove };

std::string_view to_string(VipOp op);

struct VipRetryPolicy {
    Duration first{std::chrono::milliseconds(100)};  // after the first failure
    Duration max{std::chrono::seconds(5)};           // the backoff stops doubling here
};

// The wait after the `failures`-th failure in a row (1 = the first): first·2^(failures−1),
// at most `max`.
Duration vip_retry_delay(unsigned failures, const VipRetryPolicy& policy = {});

struct VipRetry {
    VipOp op = VipOp::add;
    unsigned failures = 0;  // in a row, for this op
    TimePoint next{};       // when to try again
    std::string error;      // the last failure's
};

// What an outcome is worth saying. A failure is said while rare, then at doubling counts (1,
// 2, 4, 8 … in a row): a VIP that cannot be added for an hour logs a dozen lines, not 700.
struct VipNote {
    enum class Kind {
        none,       // nothing to say
        recovered,  // succeeded after `failures` failed attempts of the same op
        failed      // failed, `failures` in a row; tried again in `retry_in`
    };
    Kind kind = Kind::none;
    unsigned failures = 0;
    Duration retry_in{};
    bool operator==(const VipNote&) const = default;
};

class VipRetries {
  public:
    explicit VipRetries(VipRetryPolicy policy = {}) : policy_{policy} {}

    // The outcome of adding or removing `vip` (its log form) at `now`. Success forgets it;
    // a failure schedules the next attempt, counting on from a pending failure of the same
    // op, or from one when it replaces the other op (the newest wanted change wins).
    VipNote record(const std::string& vip, VipOp op, bool ok, std::string error, TimePoint now);
    // `vip` is not to be retried (its interface is gone).
    void forget(const std::string& vip) { pending_.erase(vip); }
    // The VIPs whose retry is due at `now`, with the op to retry.
    std::vector<std::pair<std::string, VipOp>> due(TimePoint now) const;
    // The earliest pending retry, if any.
    std::optional<TimePoint> next_due() const;
    const std::map<std::string, VipRetry>& pending() const { return pending_; }
    // Every failed add or remove so far.
    std::uint64_t failures(VipOp op) const {
        return op == VipOp::add ? add_failures_ : remove_failures_;
    }

  private:
    VipRetryPolicy policy_;
    std::map<std::string, VipRetry> pending_;
    std::uint64_t add_failures_ = 0;
    std::uint64_t remove_failures_ = 0;
};

}  // namespace havip::vrrp
