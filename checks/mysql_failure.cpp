#include "checks/mysql_failure.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>

#include <fmt/format.h>

namespace havip::checks {

Transport transport_of(const std::string& unix_socket, const std::string& host) {
    if (!unix_socket.empty()) return Transport::unix_socket;
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1)
        return (ntohl(v4.s_addr) >> 24) == 127 ? Transport::tcp_loopback : Transport::tcp_remote;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6)) return Transport::tcp_loopback;
        // ::ffff:127.x.y.z is IPv4 loopback written as IPv6.
        if (IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127) return Transport::tcp_loopback;
    }
    return Transport::tcp_remote;
}

FailureClass classify_failure(const Snapshot& snap) {
    // 2002 CR_CONNECTION_ERROR (socket, and TCP in Connector/C 3.x), 2003 CR_CONN_HOST_ERROR.
    if (snap.outcome != ProbeOutcome::connect_failed ||
        (snap.error_code != 2002 && snap.error_code != 2003))
        return {};
    const char* after = snap.held_connection_lost ? "the held connection closed and " : "";
    switch (snap.transport) {
        case Transport::unix_socket:
            if (snap.connect_errno == ENOENT)
                return {true, fmt::format("{}the server's unix socket is gone", after)};
            if (snap.connect_errno == ECONNREFUSED)
                return {true, fmt::format("{}nothing listens on the server's unix socket", after)};
            return {};
        case Transport::tcp_loopback:
            if (snap.connect_errno == ECONNREFUSED)
                return {true, fmt::format("{}nothing listens on the server's loopback port", after)};
            return {};
        case Transport::tcp_remote:
            return {};  // a firewall or a half-up network refuses too
    }
    return {};
}

vrrp::Outcome track_outcome(Status status, const FailureClass& failure) {
    switch (status) {
        case Status::healthy:
            return vrrp::Outcome::ok;
        case Status::degraded:
            return vrrp::Outcome::degraded;
        case Status::unsafe:
            return vrrp::Outcome::unsafe;
        case Status::down:
            return failure.definitive ? vrrp::Outcome::gone : vrrp::Outcome::down;
    }
    return vrrp::Outcome::down;
}

}  // namespace havip::checks
