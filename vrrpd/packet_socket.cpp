#include "vrrpd/packet_socket.hpp"

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace havip::vrrp {

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

}  // namespace

PacketSocket::PacketSocket(PacketSocket&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), ifindex_(std::exchange(other.ifindex_, 0)) {}

PacketSocket& PacketSocket::operator=(PacketSocket&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = std::exchange(other.fd_, -1);
        ifindex_ = std::exchange(other.ifindex_, 0);
    }
    return *this;
}

PacketSocket::~PacketSocket() {
    close();
}

std::error_code PacketSocket::open(int ifindex) {
    close();
    if (ifindex <= 0) return std::make_error_code(std::errc::no_such_device);
    const int fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return last_error();
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = 0;
    addr.sll_ifindex = ifindex;
    if (::bind(fd, static_cast<sockaddr*>(static_cast<void*>(&addr)), sizeof(addr)) < 0) {
        const auto error = last_error();
        ::close(fd);
        return error;
    }
    fd_ = fd;
    ifindex_ = ifindex;
    return {};
}

void PacketSocket::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    ifindex_ = 0;
}

std::error_code PacketSocket::send(std::span<const std::uint8_t> frame) {
    if (fd_ < 0) return std::make_error_code(std::errc::bad_file_descriptor);
    if (frame.size() < ETH_HLEN) return std::make_error_code(std::errc::invalid_argument);
    // The socket is bound with protocol 0 so it receives nothing; the frame's own ethertype
    // is what the kernel must record as the skb protocol on the way out.
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex_;
    to.sll_protocol = static_cast<std::uint16_t>(frame[12] | frame[13] << 8);  // stays big-endian
    to.sll_halen = ETH_ALEN;
    for (std::size_t i = 0; i < ETH_ALEN; ++i)
        to.sll_addr[i] = frame[i];
    for (;;) {
        const ssize_t n =
            ::sendto(fd_, frame.data(), frame.size(), MSG_DONTWAIT,
                     static_cast<const sockaddr*>(static_cast<const void*>(&to)), sizeof(to));
        if (n >= 0) return {};
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK)
            return std::make_error_code(std::errc::resource_unavailable_try_again);
        return last_error();
    }
}

}  // namespace havip::vrrp
