#include "netlink/messages.hpp"

#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cstring>

namespace havip::netlink {

namespace {

// Large enough for any request built here: header, ifaddrmsg and a handful of attributes.
constexpr std::size_t request_capacity = 512;

nlmsghdr* start(Request& buffer, std::uint16_t type, std::uint16_t flags) {
    buffer.assign(request_capacity, 0);
    nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = static_cast<std::uint16_t>(NLM_F_REQUEST | flags);
    return nlh;
}

void finish(Request& buffer, const nlmsghdr* nlh) {
    buffer.resize(nlh->nlmsg_len);
}

void put_address(nlmsghdr* nlh, std::uint16_t type, const boost::asio::ip::address& address) {
    if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        mnl_attr_put(nlh, type, bytes.size(), bytes.data());
    } else {
        const auto bytes = address.to_v6().to_bytes();
        mnl_attr_put(nlh, type, bytes.size(), bytes.data());
    }
}

std::optional<std::error_code> invalid_vip(const Vip& vip) {
    if (vip.ifindex <= 0) return std::make_error_code(std::errc::no_such_device);
    if (vip.prefix_len > max_prefix_len(vip.address)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    if (vip.peer && vip.peer->is_v4() != vip.address.is_v4()) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    // The kernel takes IFA_BROADCAST and IFA_LABEL for IPv4 only.
    if (vip.address.is_v6() && (vip.broadcast || vip.label)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    if (vip.label && (vip.label->empty() || vip.label->size() >= IFNAMSIZ)) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    return std::nullopt;
}

ifaddrmsg* put_ifaddrmsg(nlmsghdr* nlh, const Vip& vip) {
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = vip.address.is_v4() ? AF_INET : AF_INET6;
    ifa->ifa_prefixlen = vip.prefix_len;
    ifa->ifa_scope = static_cast<std::uint8_t>(vip.scope);
    ifa->ifa_index = static_cast<std::uint32_t>(vip.ifindex);
    return ifa;
}

std::optional<boost::asio::ip::address> get_address(const nlattr* attr, std::uint8_t family) {
    const auto len = mnl_attr_get_payload_len(attr);
    const auto* data = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
    if (family == AF_INET && len == 4) {
        boost::asio::ip::address_v4::bytes_type bytes;
        std::memcpy(bytes.data(), data, bytes.size());
        return boost::asio::ip::address_v4(bytes);
    }
    if (family == AF_INET6 && len == 16) {
        boost::asio::ip::address_v6::bytes_type bytes;
        std::memcpy(bytes.data(), data, bytes.size());
        return boost::asio::ip::address_v6(bytes);
    }
    return std::nullopt;
}

// The attributes after a fixed header of `offset` bytes (mnl_attr_for_each, typed for C++).
const nlattr* first_attr(const nlmsghdr* nlh, std::size_t offset) {
    return static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, offset));
}

bool attr_ok(const nlmsghdr* nlh, const nlattr* attr) {
    const auto* tail = static_cast<const char*>(mnl_nlmsg_get_payload_tail(nlh));
    const auto* here = static_cast<const char*>(static_cast<const void*>(attr));
    return mnl_attr_ok(attr, static_cast<int>(tail - here));
}

}  // namespace

Result<Request> build_add_address(const Vip& vip) {
    if (auto error = invalid_vip(vip)) return *error;
    Request buffer;
    nlmsghdr* nlh = start(buffer, RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
    ifaddrmsg* ifa = put_ifaddrmsg(nlh, vip);

    std::uint32_t flags = 0;
    if (vip.nodad) flags |= IFA_F_NODAD;
    if (vip.noprefixroute) flags |= IFA_F_NOPREFIXROUTE;
    // The 8-bit ifa_flags holds what fits; IFA_FLAGS carries all 32 (NOPREFIXROUTE is 0x200).
    ifa->ifa_flags = static_cast<std::uint8_t>(flags & 0xff);

    // IFA_LOCAL is our address; IFA_ADDRESS is the peer on a point-to-point address and
    // the address itself otherwise (rtnetlink(7)).
    put_address(nlh, IFA_LOCAL, vip.address);
    put_address(nlh, IFA_ADDRESS, vip.peer ? *vip.peer : vip.address);
    if (vip.broadcast) put_address(nlh, IFA_BROADCAST, *vip.broadcast);
    if (vip.label) mnl_attr_put_strz(nlh, IFA_LABEL, vip.label->c_str());
    if (flags != 0) mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
    finish(buffer, nlh);
    return buffer;
}

Result<Request> build_remove_address(const Vip& vip) {
    if (auto error = invalid_vip(vip)) return *error;
    Request buffer;
    nlmsghdr* nlh = start(buffer, RTM_DELADDR, NLM_F_ACK);
    put_ifaddrmsg(nlh, vip);
    put_address(nlh, IFA_LOCAL, vip.address);
    put_address(nlh, IFA_ADDRESS, vip.peer ? *vip.peer : vip.address);
    finish(buffer, nlh);
    return buffer;
}

Request build_get_link(int ifindex) {
    Request buffer;
    nlmsghdr* nlh = start(buffer, RTM_GETLINK, NLM_F_ACK);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = ifindex;
    finish(buffer, nlh);
    return buffer;
}

Result<Request> build_get_link(std::string_view name) {
    if (name.empty() || name.size() >= IFNAMSIZ) {
        return std::make_error_code(std::errc::no_such_device);
    }
    Request buffer;
    nlmsghdr* nlh = start(buffer, RTM_GETLINK, NLM_F_ACK);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    const std::string terminated(name);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, terminated.c_str());
    finish(buffer, nlh);
    return buffer;
}

Request build_dump_links() {
    Request buffer;
    nlmsghdr* nlh = start(buffer, RTM_GETLINK, NLM_F_DUMP);
    auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifi->ifi_family = AF_UNSPEC;
    finish(buffer, nlh);
    return buffer;
}

Request build_dump_addresses() {
    Request buffer;
    nlmsghdr* nlh = start(buffer, RTM_GETADDR, NLM_F_DUMP);
    auto* ifa = static_cast<ifaddrmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_UNSPEC;
    finish(buffer, nlh);
    return buffer;
}

std::optional<LinkInfo> parse_link(const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) return std::nullopt;
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ifinfomsg))) return std::nullopt;
    const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(nlh));

    LinkInfo link;
    link.ifindex = ifi->ifi_index;
    link.flags = ifi->ifi_flags;
    for (const nlattr* attr = first_attr(nlh, sizeof(ifinfomsg)); attr_ok(nlh, attr);
         attr = mnl_attr_next(attr)) {
        switch (mnl_attr_get_type(attr)) {
            case IFLA_IFNAME:
                if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) return std::nullopt;
                link.name = mnl_attr_get_str(attr);
                break;
            case IFLA_OPERSTATE:
                if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0) return std::nullopt;
                link.operstate = static_cast<OperState>(mnl_attr_get_u8(attr));
                break;
            case IFLA_MTU:
                if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return std::nullopt;
                link.mtu = mnl_attr_get_u32(attr);
                break;
            case IFLA_ADDRESS: {
                const auto* data = static_cast<const std::uint8_t*>(mnl_attr_get_payload(attr));
                link.hw_address.assign(data, data + mnl_attr_get_payload_len(attr));
                break;
            }
            default:
                break;
        }
    }
    if (link.ifindex <= 0) return std::nullopt;
    return link;
}

std::optional<AddressInfo> parse_address(const nlmsghdr* nlh) {
    if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) return std::nullopt;
    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(ifaddrmsg))) return std::nullopt;
    const auto* ifa = static_cast<const ifaddrmsg*>(mnl_nlmsg_get_payload(nlh));
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return std::nullopt;

    AddressInfo info;
    info.ifindex = static_cast<int>(ifa->ifa_index);
    info.prefix_len = ifa->ifa_prefixlen;
    info.scope = static_cast<Scope>(ifa->ifa_scope);
    info.flags = ifa->ifa_flags;
    std::optional<boost::asio::ip::address> local;
    std::optional<boost::asio::ip::address> address;
    for (const nlattr* attr = first_attr(nlh, sizeof(ifaddrmsg)); attr_ok(nlh, attr);
         attr = mnl_attr_next(attr)) {
        switch (mnl_attr_get_type(attr)) {
            case IFA_LOCAL:
                local = get_address(attr, ifa->ifa_family);
                if (!local) return std::nullopt;
                break;
            case IFA_ADDRESS:
                address = get_address(attr, ifa->ifa_family);
                if (!address) return std::nullopt;
                break;
            case IFA_BROADCAST:
                if (auto brd = get_address(attr, ifa->ifa_family); brd && brd->is_v4()) {
                    info.broadcast = brd->to_v4();
                }
                break;
            case IFA_LABEL:
                if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0) return std::nullopt;
                info.label = mnl_attr_get_str(attr);
                break;
            case IFA_FLAGS:
                if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0) return std::nullopt;
                info.flags = mnl_attr_get_u32(attr);
                break;
            default:
                break;
        }
    }
    if (local) {
        info.address = *local;
        if (address && *address != *local) info.peer = address;
    } else if (address) {
        info.address = *address;
    } else {
        return std::nullopt;
    }
    return info;
}

}  // namespace havip::netlink
