// Link and address change notifications: a non-blocking NETLINK_ROUTE socket of its own,
// subscribed to RTMGRP_LINK, RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR. The daemon wraps
// fd() in an Asio stream_descriptor and calls read_ready() when it is readable.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "netlink/address.hpp"
#include "netlink/link.hpp"
#include "netlink/result.hpp"
#include "netlink/socket.hpp"

namespace havip::netlink {

// RTM_NEWLINK: an interface appeared or its flags, operstate or address changed.
struct LinkChanged {
    LinkInfo link;
};
// RTM_DELLINK: the interface is gone.
struct LinkRemoved {
    int ifindex = 0;
    std::string name;
};
// RTM_NEWADDR: an address was added or changed (for example its DAD finished).
struct AddressAdded {
    AddressInfo address;
};
// RTM_DELADDR.
struct AddressRemoved {
    AddressInfo address;
};
// Notifications were lost (the socket's receive buffer overflowed, ENOBUFS): the caller's
// view of links and addresses is stale and must be rebuilt from a full dump
// (LinkQuery::dump_links, AddressControl::dump_addresses).
struct Resync {};

using Event = std::variant<LinkChanged, LinkRemoved, AddressAdded, AddressRemoved, Resync>;

class Monitor {
  public:
    // Subscribes in the caller's current network namespace. `receive_buffer` in bytes, when
    // given, replaces the kernel default.
    static Result<Monitor> open(std::optional<int> receive_buffer = std::nullopt);

    int fd() const { return socket_.fd(); }
    std::error_code set_receive_buffer(int bytes) { return socket_.set_receive_buffer(bytes); }

    // Reads what is queued, without blocking, and decodes it in order. A lost notification
    // appears as one Resync at the end, after the events that were still read: applying them
    // and then the dump leaves the caller current. At most `max_datagrams` are read per
    // call so a flood cannot starve the loop; the fd then stays readable.
    std::vector<Event> read_ready(int max_datagrams = 256);

  private:
    explicit Monitor(Socket socket) : socket_(std::move(socket)) {}

    Socket socket_;
};

// "link 3 eth0 up running", "address added 10.0.0.1/24 on 3", "resync", for log lines.
std::string to_string(const Event& event);

}  // namespace havip::netlink
