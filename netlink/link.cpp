#include "netlink/link.hpp"

#include <net/if.h>

#include <algorithm>

namespace havip::netlink {

bool LinkInfo::up() const {
    return (flags & IFF_UP) != 0;
}
bool LinkInfo::running() const {
    return (flags & IFF_RUNNING) != 0;
}

std::optional<MacAddress> LinkInfo::mac() const {
    MacAddress mac{};
    if (hw_address.size() != mac.size()) return std::nullopt;
    std::copy(hw_address.begin(), hw_address.end(), mac.begin());
    return mac;
}

}  // namespace havip::netlink
