#include "vrrpd/vrrp_socket.hpp"

#include "vrrpd/core/packet.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace havip::vrrp {

namespace asio = boost::asio;

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

template <typename T>
bool set_option(int fd, int level, int name, const T& value) {
    return ::setsockopt(fd, level, name, &value, sizeof value) == 0;
}

// Joins (or leaves) the multicast group on the interface.
std::error_code membership(int fd, bool ipv6, int ifindex, const asio::ip::address& group,
                           bool join) {
    bool ok = false;
    if (!ipv6) {
        ip_mreqn mreq{};
        mreq.imr_ifindex = ifindex;
        mreq.imr_multiaddr.s_addr = htonl(group.to_v4().to_uint());
        ok = set_option(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, mreq);
    } else {
        ipv6_mreq mreq{};
        auto bytes = group.to_v6().to_bytes();
        std::memcpy(&mreq.ipv6mr_multiaddr, bytes.data(), bytes.size());
        mreq.ipv6mr_interface = static_cast<unsigned>(ifindex);
        ok = set_option(fd, IPPROTO_IPV6, join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP, mreq);
    }
    return ok ? std::error_code{} : last_error();
}

}  // namespace

std::optional<VrrpSocket> VrrpSocket::open(asio::io_context& io, bool ipv6,
                                           const std::string& ifname, int ifindex,
                                           std::optional<asio::ip::address> group, int ttl,
                                           int receive_buffer, std::error_code& ec) {
    int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
                      ip_protocol_vrrp);
    if (fd < 0) {
        ec = last_error();
        return std::nullopt;
    }
    auto fail = [&] {
        ec = last_error();
        ::close(fd);
        return std::nullopt;
    };
    // Only this interface's adverts: VRRP is link-local (RFC 5798 §5.1.1.3).
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                     static_cast<socklen_t>(ifname.size())) != 0)
        return fail();
    if (receive_buffer > 0) set_option(fd, SOL_SOCKET, SO_RCVBUF, receive_buffer);
    const int on = 1, off = 0;
    if (!ipv6) {
        // IP_HDRINCL: TOS, TTL and source are in the header the instance encodes.
        if (!set_option(fd, IPPROTO_IP, IP_HDRINCL, on) ||
            !set_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, off) ||
            !set_option(fd, IPPROTO_IP, IP_PKTINFO, on))
            return fail();
        ip_mreqn mreq{};
        mreq.imr_ifindex = ifindex;
        if (!set_option(fd, IPPROTO_IP, IP_MULTICAST_IF, mreq)) return fail();
        if (group && membership(fd, false, ifindex, *group, true)) return fail();
    } else {
        if (!set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) ||
            !set_option(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl) ||
            !set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, off) ||
            !set_option(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex) ||
            !set_option(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, on) ||
            !set_option(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, on))
            return fail();
        if (group && membership(fd, true, ifindex, *group, true)) return fail();
    }
    return VrrpSocket{io, fd, ipv6, ifindex, group};
}

VrrpSocket::VrrpSocket(asio::io_context& io, int fd, bool ipv6, int ifindex,
                       std::optional<asio::ip::address> group)
    : fd_{io, fd}, ipv6_{ipv6}, ifindex_{ifindex}, buffer_(65536) {
    if (group) groups_.insert(*group);
}

std::error_code VrrpSocket::set_groups(const std::set<asio::ip::address>& groups) {
    const int fd = fd_.native_handle();
    std::error_code first;
    for (const auto& g : groups) {
        if (groups_.count(g)) continue;
        if (auto ec = membership(fd, ipv6_, ifindex_, g, true)) {
            if (!first) first = ec;
            continue;
        }
        groups_.insert(g);
    }
    // Left after joining the new ones, so no advert on either is missed in between. Leaving
    // fails only if the membership is already gone (with the interface): nothing to undo.
    for (auto it = groups_.begin(); it != groups_.end();) {
        if (groups.count(*it)) {
            ++it;
            continue;
        }
        membership(fd, ipv6_, ifindex_, *it, false);
        it = groups_.erase(it);
    }
    return first;
}

void VrrpSocket::start(Handler handler) {
    handler_ = std::move(handler);
    wait();
}

void VrrpSocket::cancel() {
    boost::system::error_code ignored;
    fd_.cancel(ignored);
}

void VrrpSocket::wait() {
    fd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](boost::system::error_code ec) {
        if (ec) return;  // cancelled: the socket is being closed
        drain();
        wait();
    });
}

void VrrpSocket::drain() {
    // Bounded so one flooded interface cannot starve the timers of the others.
    for (int budget = 64; budget > 0; --budget) {
        sockaddr_storage from{};
        iovec iov{buffer_.data(), buffer_.size()};
        alignas(cmsghdr) char control[256];
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(fd_.native_handle(), &msg, MSG_DONTWAIT);
        if (n < 0) return;  // EAGAIN: drained; other errors: the next wait reports them again
        ReceivedPacket p;
        p.bytes = std::span<const std::uint8_t>(buffer_.data(), static_cast<size_t>(n));
        p.ifindex = ifindex_;
        if (!ipv6_) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(&from);
            p.source = asio::ip::address_v4(ntohl(sin->sin_addr.s_addr));
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
                    in_pktinfo info{};
                    std::memcpy(&info, CMSG_DATA(c), sizeof info);
                    p.destination = asio::ip::address_v4(ntohl(info.ipi_addr.s_addr));
                }
            }
        } else {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&from);
            asio::ip::address_v6::bytes_type b{};
            std::memcpy(b.data(), &sin6->sin6_addr, b.size());
            p.source = asio::ip::address_v6(b, sin6->sin6_scope_id);
            for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
                if (c->cmsg_level != IPPROTO_IPV6) continue;
                if (c->cmsg_type == IPV6_PKTINFO) {
                    in6_pktinfo info{};
                    std::memcpy(&info, CMSG_DATA(c), sizeof info);
                    std::memcpy(b.data(), &info.ipi6_addr, b.size());
                    p.destination = asio::ip::address_v6(b);
                } else if (c->cmsg_type == IPV6_HOPLIMIT) {
                    std::memcpy(&p.hop_limit, CMSG_DATA(c), sizeof p.hop_limit);
                }
            }
        }
        handler_(p);
    }
}

std::error_code VrrpSocket::send(std::span<const std::uint8_t> packet,
                                 const asio::ip::address& source,
                                 const asio::ip::address& destination) {
    iovec iov{const_cast<std::uint8_t*>(packet.data()), packet.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(in6_pktinfo))]{};
    sockaddr_storage to{};
    if (!ipv6_) {
        // The header names the source, so instances with different mcast_src_ip /
        // unicast_src_ip share one socket; the kernel fills in the id and the checksum.
        auto* sin = reinterpret_cast<sockaddr_in*>(&to);
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = htonl(destination.to_v4().to_uint());
        msg.msg_namelen = sizeof(sockaddr_in);
    } else {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
        sin6->sin6_family = AF_INET6;
        auto b = destination.to_v6().to_bytes();
        std::memcpy(&sin6->sin6_addr, b.data(), b.size());
        sin6->sin6_scope_id = static_cast<uint32_t>(ifindex_);
        msg.msg_namelen = sizeof(sockaddr_in6);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(in6_pktinfo));
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_PKTINFO;
        c->cmsg_len = CMSG_LEN(sizeof(in6_pktinfo));
        in6_pktinfo info{};
        auto s = source.to_v6().to_bytes();
        std::memcpy(&info.ipi6_addr, s.data(), s.size());
        info.ipi6_ifindex = static_cast<unsigned>(ifindex_);
        std::memcpy(CMSG_DATA(c), &info, sizeof info);
    }
    msg.msg_name = &to;
    if (::sendmsg(fd_.native_handle(), &msg, MSG_DONTWAIT) < 0) return last_error();
    return {};
}

}  // namespace havip::vrrp
