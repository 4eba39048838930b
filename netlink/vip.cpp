#include "netlink/vip.hpp"

#include <fmt/format.h>

namespace havip::netlink {

namespace {

std::string_view scope_name(Scope scope) {
    switch (scope) {
        case Scope::global:
            return "global";
        case Scope::site:
            return "site";
        case Scope::link:
            return "link";
        case Scope::host:
            return "host";
        case Scope::nowhere:
            return "nowhere";
    }
    return "unknown";
}

}  // namespace

std::string to_string(const Vip& vip) {
    std::string out = fmt::format("{}/{}", vip.address.to_string(), vip.prefix_len);
    if (vip.peer) out += fmt::format(" peer {}", vip.peer->to_string());
    out += fmt::format(" ifindex {}", vip.ifindex);
    if (vip.broadcast) out += fmt::format(" brd {}", vip.broadcast->to_string());
    if (vip.label) out += fmt::format(" label {}", *vip.label);
    out += fmt::format(" scope {}", scope_name(vip.scope));
    if (vip.nodad) out += " nodad";
    if (vip.noprefixroute) out += " noprefixroute";
    return out;
}

std::uint8_t max_prefix_len(const boost::asio::ip::address& address) {
    return address.is_v4() ? 32 : 128;
}

}  // namespace havip::netlink
