#include "tests/harness/netns_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

namespace havip::test {
namespace {

// RFC 1071 Internet checksum over an ICMP message.
std::uint16_t internet_checksum(const unsigned char* data, std::size_t size) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < size; i += 2)
        sum += (data[i] << 8) | data[i + 1];
    if (size % 2 != 0) sum += data[size - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum);
}

}  // namespace

int open_socket_in(std::string_view ns, int domain, int type, int protocol) {
    int fd = -1;
    int error = 0;
    const std::string path = "/run/netns/" + std::string(ns);
    // setns(CLONE_NEWNET) moves only the calling thread, which is why a thread of its own does it.
    std::thread worker([&] {
        const int ns_fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (ns_fd < 0) {
            error = errno;
            return;
        }
        if (setns(ns_fd, CLONE_NEWNET) == 0) {
            fd = socket(domain, type | SOCK_CLOEXEC, protocol);
            if (fd < 0) error = errno;
        } else {
            error = errno;
        }
        close(ns_fd);
    });
    worker.join();
    if (fd < 0) errno = error;
    return fd;
}

bool icmp_echo(std::string_view ns, std::string_view ip, std::chrono::milliseconds timeout) {
    const std::string address(ip);
    const bool v6 = address.find(':') != std::string::npos;
    sockaddr_storage to{};
    socklen_t to_size = 0;
    if (v6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
        sin6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, address.c_str(), &sin6->sin6_addr) != 1) return false;
        to_size = sizeof *sin6;
    } else {
        auto* sin = reinterpret_cast<sockaddr_in*>(&to);
        sin->sin_family = AF_INET;
        if (inet_pton(AF_INET, address.c_str(), &sin->sin_addr) != 1) return false;
        to_size = sizeof *sin;
    }
    const int fd = open_socket_in(ns, v6 ? AF_INET6 : AF_INET, SOCK_RAW,
                                  v6 ? int{IPPROTO_ICMPV6} : int{IPPROTO_ICMP});
    if (fd < 0) return false;

    // Our pid and fd as the echo identifier: enough to tell our reply from other traffic in a
    // namespace the test owns.
    const std::uint16_t id = static_cast<std::uint16_t>(getpid() ^ fd);
    std::array<unsigned char, 16> request{};
    request[0] = static_cast<unsigned char>(v6 ? int{ICMP6_ECHO_REQUEST} : int{ICMP_ECHO});
    request[4] = static_cast<unsigned char>(id >> 8);
    request[5] = static_cast<unsigned char>(id & 0xff);
    request[7] = 1;  // sequence
    if (!v6) {
        // The kernel fills in the ICMPv6 checksum itself (RFC 3542 §3.1); ICMPv4 is ours.
        const std::uint16_t sum = internet_checksum(request.data(), request.size());
        request[2] = static_cast<unsigned char>(sum >> 8);
        request[3] = static_cast<unsigned char>(sum & 0xff);
    }
    bool answered = false;
    if (sendto(fd, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&to), to_size) ==
        static_cast<ssize_t>(request.size())) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        std::array<unsigned char, 1500> reply{};
        while (!answered) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) break;
            pollfd pfd{fd, POLLIN, 0};
            if (poll(&pfd, 1, static_cast<int>(left.count())) <= 0) continue;
            const ssize_t n = recv(fd, reply.data(), reply.size(), 0);
            if (n <= 0) continue;
            // A raw IPv4 socket delivers the IP header too; a raw IPv6 socket does not.
            std::size_t offset = 0;
            if (!v6) offset = static_cast<std::size_t>(reply[0] & 0x0f) * 4;
            if (static_cast<std::size_t>(n) < offset + 8) continue;
            const unsigned char* icmp = reply.data() + offset;
            const bool is_reply = icmp[0] == (v6 ? int{ICMP6_ECHO_REPLY} : int{ICMP_ECHOREPLY});
            const std::uint16_t got_id = static_cast<std::uint16_t>((icmp[4] << 8) | icmp[5]);
            answered = is_reply && got_id == id;
        }
    }
    close(fd);
    return answered;
}

}  // namespace havip::test
