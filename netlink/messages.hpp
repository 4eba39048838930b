// rtnetlink message encoding and decoding, from and to bytes only: the requests RtnlClient
// sends and the RTM_*LINK / RTM_*ADDR messages it and Monitor receive.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
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

// Calls `each(const nlmsghdr*)` for every whole message of a receive buffer, stopping at the
// first whose length is below a header or beyond what is left. (libmnl's mnl_nlmsg_ok compares
// the length as an int, so one above INT_MAX passes, and mnl_nlmsg_next then steps by 0 for
// ever. The kernel never sends such a message; nothing here relies on that.)
template <class Each>
void for_each_message(std::span<const std::uint8_t> buffer, Each each) {
    std::size_t offset = 0;
    while (buffer.size() - offset >= sizeof(nlmsghdr)) {
        const auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer.data() + offset);
        const std::size_t length = nlh->nlmsg_len;
        if (length < sizeof(nlmsghdr) || length > buffer.size() - offset) return;
        each(nlh);
        offset += std::min(NLMSG_ALIGN(length), buffer.size() - offset);
    }
}

// Decode RTM_NEWLINK / RTM_DELLINK; nullopt for another type or a malformed message.
std::optional<LinkInfo> parse_link(const nlmsghdr* nlh);
// Decode RTM_NEWADDR / RTM_DELADDR for IPv4 and IPv6; nullopt otherwise.
std::optional<AddressInfo> parse_address(const nlmsghdr* nlh);

}  // namespace havip::netlink
