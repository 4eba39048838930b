// rtnetlink message encoding and decoding, from and to bytes only: the requests RtnlClient
// sends and the RTM_*LINK / RTM_*ADDR messages it and Monitor receive.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include <linux/netlink.h>

#include "netlink/address.hpp"
#include "netlink/link.hpp"
#include "netlink/result.hpp"
#include "netlink/vip.hpp"

namespace havip::netlink {

// One netlink message, sequence number and port left zero for the socket to fill in.
using Request = std::vector<std::uint8_t>;

// RTM_NEWADDR with NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK. EINVAL when the VIP is not valid
// for its family (prefix too long, broadcast or label on IPv6, peer of the other family,
// label of IFNAMSIZ bytes or more); ENODEV when it names no interface.
Result<Request> build_add_address(const Vip& vip);

// RTM_DELADDR with NLM_F_ACK, matching address, prefix length and peer only: a label or
// broadcast that differs from ours must not make the kernel keep the address.
Result<Request> build_remove_address(const Vip& vip);

// RTM_GETLINK for one interface, by index or by name (NLM_F_ACK).
Request build_get_link(int ifindex);
Result<Request> build_get_link(std::string_view name);

// Dumps (NLM_F_DUMP) of every interface or every address of both families.
Request build_dump_links();
Request build_dump_addresses();

// Decode RTM_NEWLINK / RTM_DELLINK; nullopt for another type or a malformed message.
std::optional<LinkInfo> parse_link(const nlmsghdr* nlh);
// Decode RTM_NEWADDR / RTM_DELADDR for IPv4 and IPv6; nullopt otherwise.
std::optional<AddressInfo> parse_address(const nlmsghdr* nlh);

}  // namespace havip::netlink
