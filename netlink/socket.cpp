#include "netlink/socket.hpp"

#include <libmnl/libmnl.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>

namespace havip::netlink {

namespace {

// Kernel dumps fill datagrams of up to 32 KiB; a smaller buffer would truncate them.
constexpr std::size_t receive_capacity = 32768;

}  // namespace

void Socket::Closer::operator()(mnl_socket* sock) const {
    mnl_socket_close(sock);
}

Socket::Socket(mnl_socket* sock) : sock_(sock), buffer_(receive_capacity) {}

Result<Socket> Socket::open(std::uint32_t groups, bool nonblocking) {
    const int flags = SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
    mnl_socket* raw = mnl_socket_open2(NETLINK_ROUTE, flags);
    if (raw == nullptr) return errno_code(errno);
    Socket sock(raw);
    if (mnl_socket_bind(raw, groups, MNL_SOCKET_AUTOPID) < 0) return errno_code(errno);
    sock.portid_ = mnl_socket_get_portid(raw);
    // Errors then echo only the failed request's header, not the whole request.
    int one = 1;
    mnl_socket_setsockopt(raw, NETLINK_CAP_ACK, &one, sizeof(one));
    return sock;
}

int Socket::fd() const {
    return mnl_socket_get_fd(sock_.get());
}

std::uint32_t Socket::portid() const {
    return portid_;
}

std::error_code Socket::set_receive_buffer(int bytes) {
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) == 0) return {};
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes)) == 0) return {};
    return errno_code(errno);
}

std::error_code Socket::set_receive_timeout(std::chrono::milliseconds timeout) {
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(timeout).count();
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(us / 1'000'000);
    tv.tv_usec = static_cast<suseconds_t>(us % 1'000'000);
    if (setsockopt(fd(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0) return errno_code(errno);
    return {};
}

std::error_code Socket::exchange(Request request,
                                 const std::function<void(const nlmsghdr*)>& on_message) {
    auto* req = static_cast<nlmsghdr*>(static_cast<void*>(request.data()));
    const std::uint32_t seq = ++seq_;
    req->nlmsg_seq = seq;
    req->nlmsg_pid = 0;
    if (mnl_socket_sendto(sock_.get(), request.data(), request.size()) < 0) {
        return errno_code(errno);
    }

    bool interrupted = false;
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(sock_.get(), buffer_.data(), buffer_.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            // SO_RCVTIMEO expired: the reply is lost or the kernel is stuck; never hang.
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return std::make_error_code(std::errc::timed_out);
            }
            return errno_code(errno);
        }
        int len = static_cast<int>(n);
        const auto* nlh = static_cast<const nlmsghdr*>(static_cast<const void*>(buffer_.data()));
        for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
            if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid_) continue;
            if ((nlh->nlmsg_flags & NLM_F_DUMP_INTR) != 0) interrupted = true;
            switch (nlh->nlmsg_type) {
                case NLMSG_NOOP:
                    break;
                case NLMSG_ERROR: {
                    if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
                        return std::make_error_code(std::errc::bad_message);
                    }
                    const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
                    if (err->error != 0) return errno_code(-err->error);
                    return {};  // the acknowledgement
                }
                case NLMSG_DONE: {
                    // A dump that failed part-way puts the negative errno after the header.
                    if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
                        const int status = *static_cast<const int*>(mnl_nlmsg_get_payload(nlh));
                        if (status < 0) return errno_code(-status);
                    }
                    if (interrupted) return std::make_error_code(std::errc::interrupted);
                    return {};
                }
                case NLMSG_OVERRUN:
                    return std::make_error_code(std::errc::no_buffer_space);
                default:
                    on_message(nlh);
                    break;
            }
        }
    }
}

Result<std::span<const std::uint8_t>> Socket::receive() {
    sockaddr_nl from{};
    socklen_t from_len = sizeof(from);
    for (;;) {
        const ssize_t n = recvfrom(fd(), buffer_.data(), buffer_.size(), MSG_TRUNC,
                                   static_cast<sockaddr*>(static_cast<void*>(&from)), &from_len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno_code(errno);
        }
        // A datagram larger than the buffer lost its tail: as bad as a lost message.
        if (static_cast<std::size_t>(n) > buffer_.size()) {
            return std::make_error_code(std::errc::no_buffer_space);
        }
        // Only the kernel speaks for the address and link tables; a process with
        // CAP_NET_ADMIN could otherwise inject fake events into the multicast groups.
        if (from.nl_pid != 0) return std::span<const std::uint8_t>{};
        return std::span<const std::uint8_t>(buffer_.data(), static_cast<std::size_t>(n));
    }
}

}  // namespace havip::netlink
