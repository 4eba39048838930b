#include "netlink/monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#include <cerrno>

#include <fmt/format.h>

#include "vrrpd/core/overloaded.hpp"

namespace havip::netlink {

namespace {

std::optional<Event> decode(const nlmsghdr* nlh) {
    switch (nlh->nlmsg_type) {
        case RTM_NEWLINK:
            if (auto link = parse_link(nlh)) return LinkChanged{std::move(*link)};
            break;
        case RTM_DELLINK:
            if (auto link = parse_link(nlh)) return LinkRemoved{link->ifindex, link->name};
            break;
        case RTM_NEWADDR:
            if (auto address = parse_address(nlh)) return AddressAdded{std::move(*address)};
            break;
        case RTM_DELADDR:
            if (auto address = parse_address(nlh)) return AddressRemoved{std::move(*address)};
            break;
        default:
            break;
    }
    return std::nullopt;
}

}  // namespace

Result<Monitor> Monitor::open(std::optional<int> receive_buffer) {
    auto socket = Socket::open(RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, true);
    if (!socket) return socket.error();
    if (receive_buffer) {
        if (auto error = socket.value().set_receive_buffer(*receive_buffer)) return error;
    }
    return Monitor(std::move(socket).value());
}

std::vector<Event> Monitor::read_ready(int max_datagrams) {
    std::vector<Event> events;
    bool lost = false;
    for (int i = 0; i < max_datagrams; ++i) {
        auto datagram = socket_.receive();
        if (!datagram) {
            const auto error = datagram.error();
            if (error == std::errc::resource_unavailable_try_again ||
                error == std::errc::operation_would_block) {
                break;
            }
            // ENOBUFS: the kernel dropped notifications; the queue behind it is still
            // valid, so keep reading. Any other error leaves the view just as uncertain.
            lost = true;
            if (error != std::errc::no_buffer_space) break;
            continue;
        }
        for_each_message(*datagram, [&](const nlmsghdr* nlh) {
            if (auto event = decode(nlh)) events.push_back(std::move(*event));
        });
    }
    if (lost) events.emplace_back(Resync{});
    return events;
}

std::string to_string(const Event& event) {
    return std::visit(
        Overloaded{
            [](const LinkChanged& e) {
                return fmt::format("link {} {}{}{}", e.link.ifindex, e.link.name,
                                   e.link.up() ? " up" : " down",
                                   e.link.running() ? " running" : "");
            },
            [](const LinkRemoved& e) {
                return fmt::format("link {} {} removed", e.ifindex, e.name);
            },
            [](const AddressAdded& e) {
                return fmt::format("address added {}/{} on {}", e.address.address.to_string(),
                                   e.address.prefix_len, e.address.ifindex);
            },
            [](const AddressRemoved& e) {
                return fmt::format("address removed {}/{} on {}", e.address.address.to_string(),
                                   e.address.prefix_len, e.address.ifindex);
            },
            [](const Resync&) { return std::string("resync"); },
        },
        event);
}

}  // namespace havip::netlink
