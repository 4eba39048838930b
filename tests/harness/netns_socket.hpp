// Sockets that live in another network namespace, opened without moving the calling thread.
#pragma once

#include <chrono>
#include <string_view>

namespace havip::test {

// socket(domain, type, protocol) created inside the named namespace (/run/netns/NAME): a
// short-lived thread enters the namespace, opens the socket and exits, and the socket stays
// bound to that namespace. Returns the fd, or -1 with errno set.
int open_socket_in(std::string_view ns, int domain, int type, int protocol);

// Sends one ICMP (or ICMPv6) echo request from inside `ns` to `ip` and waits for the reply.
bool icmp_echo(std::string_view ns, std::string_view ip,
               std::chrono::milliseconds timeout = std::chrono::seconds(1));

}  // namespace havip::test
