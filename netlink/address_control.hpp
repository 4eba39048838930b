// What the daemon needs from the kernel's address table. vrrpd/ depends on this interface
// only, so its tests substitute a fake; RtnlClient is the rtnetlink implementation.
#pragma once

#include <vector>

#include "netlink/address.hpp"
#include "netlink/result.hpp"
#include "netlink/vip.hpp"

namespace havip::netlink {

// What an add or remove did. Adding an address that is there, or removing one that is not,
// is the requested end state already reached, not a failure (EEXIST / EADDRNOTAVAIL).
enum class Change {
    applied,
    already_done,
};

class AddressControl {
  public:
    virtual ~AddressControl() = default;

    // RTM_NEWADDR for the VIP with its label, broadcast, scope, peer and flags.
    virtual Result<Change> add(const Vip& vip) = 0;
    // RTM_DELADDR matching the VIP's address, prefix length and peer on its interface.
    virtual Result<Change> remove(const Vip& vip) = 0;
    // Every address on one interface, in the kernel's order.
    virtual Result<std::vector<AddressInfo>> addresses(int ifindex) = 0;
    // Every address on every interface (after a monitor Resync).
    virtual Result<std::vector<AddressInfo>> dump_addresses() = 0;
};

}  // namespace havip::netlink
