#include "bench/advert_recorder.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "tests/harness/netns_socket.hpp"

namespace havip::bench {
namespace {

// IANA protocol number of VRRP (RFC 3768 §5.1, RFC 5798 §5.1.1.4) and its IPv4 group.
constexpr int ipproto_vrrp = 112;
constexpr const char* vrrp_group = "224.0.0.18";

std::chrono::nanoseconds since_epoch(clockid_t clock) {
    timespec now{};
    clock_gettime(clock, &now);
    return std::chrono::seconds(now.tv_sec) + std::chrono::nanoseconds(now.tv_nsec);
}

}  // namespace

AdvertRecorder::AdvertRecorder(std::string ns, std::string ifname) : ns_(std::move(ns)) {
    fd_ = test::open_socket_in(ns_, AF_INET, SOCK_RAW | SOCK_NONBLOCK, ipproto_vrrp);
    if (fd_ < 0) {
        error_ = fmt::format("raw VRRP socket in {}: {}", ns_, std::strerror(errno));
        return;
    }
    // The ioctl and SO_BINDTODEVICE resolve the name in the socket's namespace, not ours.
    ifreq request{};
    std::snprintf(request.ifr_name, sizeof request.ifr_name, "%s", ifname.c_str());
    if (ioctl(fd_, SIOCGIFINDEX, &request) != 0) {
        error_ = fmt::format("{} in {}: {}", ifname, ns_, std::strerror(errno));
        return;
    }
    ip_mreqn membership{};
    inet_pton(AF_INET, vrrp_group, &membership.imr_multiaddr);
    membership.imr_ifindex = request.ifr_ifindex;
    const int on = 1;
    if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(),
                   static_cast<socklen_t>(ifname.size())) != 0 ||
        setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &membership, sizeof membership) != 0 ||
        setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) != 0) {
        error_ = fmt::format("VRRP socket options in {}: {}", ns_, std::strerror(errno));
        return;
    }
    // Room for a few seconds of 255 instances' adverts, so a recorder starved by a loaded
    // machine loses none (the stamps are the kernel's, so a late read does not skew them).
    const int buffer = 4 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &buffer, sizeof buffer);
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) {
        error_ = fmt::format("eventfd: {}", std::strerror(errno));
        return;
    }
    thread_ = std::thread([this] { run(); });
}

AdvertRecorder::~AdvertRecorder() {
    if (thread_.joinable()) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = write(stop_fd_, &one, sizeof one);
        thread_.join();
    }
    if (stop_fd_ >= 0) close(stop_fd_);
    if (fd_ >= 0) close(fd_);
}

void AdvertRecorder::run() {
    for (;;) {
        std::array<pollfd, 2> fds{pollfd{fd_, POLLIN, 0}, pollfd{stop_fd_, POLLIN, 0}};
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        if ((fds[1].revents & POLLIN) != 0) return;
        if ((fds[0].revents & POLLIN) != 0) receive();
    }
}

void AdvertRecorder::receive() {
    for (;;) {
        std::array<unsigned char, 2048> packet{};
        std::array<char, CMSG_SPACE(sizeof(timespec))> control{};
        iovec io{packet.data(), packet.size()};
        msghdr message{};
        message.msg_iov = &io;
        message.msg_iovlen = 1;
        message.msg_control = control.data();
        message.msg_controllen = control.size();
        const ssize_t size = recvmsg(fd_, &message, 0);
        if (size < 0) return;  // EAGAIN: drained
        // Both clocks read now, so the kernel's wall-clock stamp maps onto the steady clock.
        const auto real_now = since_epoch(CLOCK_REALTIME);
        const auto steady_now = Clock::now();
        auto at = steady_now;
        for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
                timespec stamp{};
                std::memcpy(&stamp, CMSG_DATA(c), sizeof stamp);
                const auto kernel =
                    std::chrono::seconds(stamp.tv_sec) + std::chrono::nanoseconds(stamp.tv_nsec);
                at = steady_now - std::chrono::duration_cast<Clock::duration>(real_now - kernel);
            }
        }
        // A raw IPv4 socket delivers the IP header; the VRRP header follows it (RFC 791 IHL).
        const auto length = static_cast<std::size_t>(size);
        if (length < 20) continue;
        const std::size_t header = (packet[0] & 0x0f) * 4u;
        if (length < header + 8) continue;
        char source[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &packet[12], source, sizeof source);
        Advert advert{at, source, packet[header] >> 4, packet[header + 1], packet[header + 2]};
        {
            const std::lock_guard lock(mutex_);
            adverts_.push_back(std::move(advert));
        }
        changed_.notify_all();
    }
}

std::optional<Advert> AdvertRecorder::last_before(Clock::time_point before,
                                                  const Match& match) const {
    const std::lock_guard lock(mutex_);
    for (auto it = adverts_.rbegin(); it != adverts_.rend(); ++it) {
        if (it->at < before && match(*it)) return *it;
    }
    return std::nullopt;
}

std::optional<Advert> AdvertRecorder::wait_for(Clock::time_point since, const Match& match,
                                               std::chrono::milliseconds timeout) const {
    const auto deadline = Clock::now() + timeout;
    std::unique_lock lock(mutex_);
    std::optional<Advert> found;
    changed_.wait_until(lock, deadline, [&] {
        const auto it = std::find_if(adverts_.begin(), adverts_.end(),
                                     [&](const Advert& a) { return a.at >= since && match(a); });
        if (it != adverts_.end()) found = *it;
        return found.has_value();
    });
    return found;
}

std::vector<Advert> AdvertRecorder::between(Clock::time_point from, Clock::time_point to,
                                            const Match& match) const {
    const std::lock_guard lock(mutex_);
    std::vector<Advert> out;
    for (const auto& advert : adverts_) {
        if (advert.at >= from && advert.at < to && match(advert)) out.push_back(advert);
    }
    return out;
}

AdvertRecorder::Match from_source(std::string source, bool zero_priority) {
    return [source = std::move(source), zero_priority](const Advert& advert) {
        return advert.source == source && (advert.priority == 0) == zero_priority;
    };
}

}  // namespace havip::bench
