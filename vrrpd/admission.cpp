#include "vrrpd/admission.hpp"

#include <algorithm>

namespace havip::vrrp {

bool session_admitted(std::span<const std::string> live, const std::string& client, bool privileged,
                      const AdmissionLimits& limits) {
    if (live.size() >= limits.max_sessions) return false;
    if (privileged) return true;
    if (live.size() + limits.reserved >= limits.max_sessions) return false;
    return static_cast<std::size_t>(std::count(live.begin(), live.end(), client)) <
           limits.per_client;
}

}  // namespace havip::vrrp
