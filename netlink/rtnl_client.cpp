#include "netlink/rtnl_client.hpp"

#include <cerrno>

namespace havip::netlink {

namespace {

// A dump the kernel reports as changed mid-way (NLM_F_DUMP_INTR) is repeated; it settles
// unless addresses change continuously, and then the caller sees `interrupted`.
constexpr int dump_attempts = 3;

template <typename T, typename Parse>
Result<std::vector<T>> dump(Socket& socket, const Request& request, Parse parse) {
    std::error_code error;
    for (int attempt = 0; attempt < dump_attempts; ++attempt) {
        std::vector<T> items;
        error = socket.exchange(request, [&](const nlmsghdr* nlh) {
            if (auto item = parse(nlh)) items.push_back(std::move(*item));
        });
        if (!error) return items;
        if (error != std::errc::interrupted) break;
    }
    return error;
}

}  // namespace

Result<RtnlClient> RtnlClient::open(std::chrono::milliseconds timeout) {
    auto socket = Socket::open(0, false);
    if (!socket) return socket.error();
    if (auto error = socket.value().set_receive_timeout(timeout)) return error;
    return RtnlClient(std::move(socket).value());
}

Result<Change> RtnlClient::add(const Vip& vip) {
    auto request = build_add_address(vip);
    if (!request) return request.error();
    const auto error = socket_.exchange(std::move(request).value(), [](const nlmsghdr*) {});
    if (!error) return Change::applied;
    if (error == std::errc::file_exists) return Change::already_done;
    return error;
}

Result<Change> RtnlClient::remove(const Vip& vip) {
    auto request = build_remove_address(vip);
    if (!request) return request.error();
    const auto error = socket_.exchange(std::move(request).value(), [](const nlmsghdr*) {});
    if (!error) return Change::applied;
    if (error == std::errc::address_not_available) return Change::already_done;
    // The interface is gone, and its addresses with it (deleted or re-created by name).
    if (error == std::errc::no_such_device) return Change::already_done;
    return error;
}

Result<std::vector<AddressInfo>> RtnlClient::addresses(int ifindex) {
    auto all = dump_addresses();
    if (!all) return all;
    std::vector<AddressInfo> mine;
    for (auto& a : all.value()) {
        if (a.ifindex == ifindex) mine.push_back(std::move(a));
    }
    return mine;
}

Result<std::vector<AddressInfo>> RtnlClient::dump_addresses() {
    return dump<AddressInfo>(socket_, build_dump_addresses(), parse_address);
}

Result<LinkInfo> RtnlClient::get_link(Request request) {
    std::optional<LinkInfo> found;
    const auto error = socket_.exchange(std::move(request), [&](const nlmsghdr* nlh) {
        if (auto link = parse_link(nlh)) found = std::move(link);
    });
    if (error) return error;
    if (!found) return std::make_error_code(std::errc::no_such_device);
    return std::move(*found);
}

Result<int> RtnlClient::ifindex(std::string_view name) {
    auto request = build_get_link(name);
    if (!request) return request.error();
    auto found = get_link(std::move(request).value());
    if (!found) return found.error();
    return found->ifindex;
}

Result<LinkInfo> RtnlClient::link(int ifindex) {
    if (ifindex <= 0) return std::make_error_code(std::errc::no_such_device);
    return get_link(build_get_link(ifindex));
}

Result<std::vector<LinkInfo>> RtnlClient::dump_links() {
    return dump<LinkInfo>(socket_, build_dump_links(), parse_link);
}

Result<MacAddress> RtnlClient::mac(int ifindex) {
    auto found = link(ifindex);
    if (!found) return found.error();
    if (auto mac = found->mac()) return *mac;
    return std::make_error_code(std::errc::address_family_not_supported);
}

Result<boost::asio::ip::address_v4> RtnlClient::primary_ipv4(int ifindex) {
    auto found = addresses(ifindex);
    if (!found) return found.error();
    if (auto address = netlink::primary_ipv4(found.value(), ifindex)) return *address;
    return std::make_error_code(std::errc::address_not_available);
}

Result<boost::asio::ip::address_v6> RtnlClient::ipv6_link_local(int ifindex) {
    auto found = addresses(ifindex);
    if (!found) return found.error();
    if (auto address = netlink::ipv6_link_local(found.value(), ifindex)) return *address;
    return std::make_error_code(std::errc::address_not_available);
}

}  // namespace havip::netlink
