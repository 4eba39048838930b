#include "vrrpd/core/vip_removal.hpp"

#include <algorithm>

namespace havip::vrrp {

bool answers_removal(std::span<const HeldAddress> held, std::span<const HeldAddress> untracked,
                     const HeldAddress& removed) {
    return std::find(held.begin(), held.end(), removed) != held.end() &&
           std::find(untracked.begin(), untracked.end(), removed) == untracked.end();
}

}  // namespace havip::vrrp
