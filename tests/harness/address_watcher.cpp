#include "tests/harness/address_watcher.hpp"

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "tests/harness/netns_socket.hpp"

namespace havip::test {

AddressWatcher::AddressWatcher(std::vector<std::string> namespaces, std::string ip)
    : ip_(std::move(ip)) {
    if (inet_pton(AF_INET, ip_.c_str(), address_) == 1) {
        family_ = AF_INET;
        address_size_ = 4;
    } else if (inet_pton(AF_INET6, ip_.c_str(), address_) == 1) {
        family_ = AF_INET6;
        address_size_ = 16;
    } else {
        error_ = fmt::format("'{}' is not an IP address", ip_);
        return;
    }
    for (auto& ns : namespaces) {
        Watched watched{std::move(ns), -1, {}};
        watched.fd =
            open_socket_in(watched.ns, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
        if (watched.fd < 0) {
            error_ = fmt::format("netlink socket in {}: {}", watched.ns, std::strerror(errno));
            watched_.push_back(std::move(watched));
            return;
        }
        // A large buffer: a burst of address changes must not overflow between two polls.
        const int buffer_size = 1 << 20;
        setsockopt(watched.fd, SOL_SOCKET, SO_RCVBUF, &buffer_size, sizeof buffer_size);
        sockaddr_nl local{};
        local.nl_family = AF_NETLINK;
        local.nl_groups = family_ == AF_INET ? RTMGRP_IPV4_IFADDR : RTMGRP_IPV6_IFADDR;
        if (bind(watched.fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
            error_ = fmt::format("netlink bind in {}: {}", watched.ns, std::strerror(errno));
            watched_.push_back(std::move(watched));
            return;
        }
        // Subscribed before the dump, so no change can fall between the two.
        if (!read_dump(watched)) {
            watched_.push_back(std::move(watched));
            return;
        }
        watched_.push_back(std::move(watched));
    }
    stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (stop_fd_ < 0) {
        error_ = "eventfd failed";
        return;
    }
    ready_ = true;
    thread_ = std::thread([this] { run(); });
}

AddressWatcher::~AddressWatcher() {
    if (thread_.joinable()) {
        const std::uint64_t one = 1;
        [[maybe_unused]] const auto written = write(stop_fd_, &one, sizeof one);
        thread_.join();
    }
    if (stop_fd_ >= 0) close(stop_fd_);
    for (auto& watched : watched_) {
        if (watched.fd >= 0) close(watched.fd);
    }
}

bool AddressWatcher::read_dump(Watched& watched) {
    struct {
        nlmsghdr header;
        ifaddrmsg body;
    } request{};
    request.header.nlmsg_len = sizeof request;
    request.header.nlmsg_type = RTM_GETADDR;
    request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    request.header.nlmsg_seq = 1;
    request.body.ifa_family = static_cast<unsigned char>(family_);
    if (send(watched.fd, &request, sizeof request, 0) < 0) {
        error_ = fmt::format("address dump in {}: {}", watched.ns, std::strerror(errno));
        return false;
    }
    std::array<unsigned char, 65536> buffer{};
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
        pollfd pfd{watched.fd, POLLIN, 0};
        if (poll(&pfd, 1, 100) <= 0) continue;
        const ssize_t n = recv(watched.fd, buffer.data(), buffer.size(), 0);
        if (n <= 0) continue;
        if (apply(watched, buffer.data(), static_cast<std::size_t>(n), Clock::now(), false)) {
            return true;
        }
    }
    error_ = fmt::format("address dump in {} did not finish", watched.ns);
    return false;
}

bool AddressWatcher::apply(Watched& watched, const unsigned char* data, std::size_t size,
                           Clock::time_point at, bool record) {
    bool done = false;
    const bool was_present = !watched.interfaces.empty();
    auto remaining = static_cast<int>(size);
    for (auto* header = reinterpret_cast<const nlmsghdr*>(data); NLMSG_OK(header, remaining);
         header = NLMSG_NEXT(header, remaining)) {
        if (header->nlmsg_type == NLMSG_DONE) done = true;
        if (header->nlmsg_type != RTM_NEWADDR && header->nlmsg_type != RTM_DELADDR) continue;
        const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(header));
        if (ifa->ifa_family != family_) continue;
        // IFA_LOCAL is the interface's own address for IPv4 (IFA_ADDRESS is the peer on
        // point-to-point links); IPv6 only sends IFA_ADDRESS.
        const void* local = nullptr;
        const void* address = nullptr;
        int attr_size = static_cast<int>(IFA_PAYLOAD(header));
        for (auto* attr = IFA_RTA(ifa); RTA_OK(attr, attr_size); attr = RTA_NEXT(attr, attr_size)) {
            if (RTA_PAYLOAD(attr) != address_size_) continue;
            if (attr->rta_type == IFA_LOCAL) local = RTA_DATA(attr);
            if (attr->rta_type == IFA_ADDRESS) address = RTA_DATA(attr);
        }
        const void* own = local != nullptr ? local : address;
        if (own == nullptr || std::memcmp(own, address_, address_size_) != 0) continue;
        const int index = static_cast<int>(ifa->ifa_index);
        if (header->nlmsg_type == RTM_NEWADDR) {
            watched.interfaces.insert(index);
        } else {
            watched.interfaces.erase(index);
        }
    }
    const bool now_present = !watched.interfaces.empty();
    if (record && now_present != was_present) {
        events_.push_back(Event{watched.ns, now_present, at});
        changed_.notify_all();
    }
    return done;
}

void AddressWatcher::run() {
    std::vector<pollfd> fds;
    for (const auto& watched : watched_)
        fds.push_back(pollfd{watched.fd, POLLIN, 0});
    fds.push_back(pollfd{stop_fd_, POLLIN, 0});
    std::array<unsigned char, 65536> buffer{};
    while (true) {
        if (poll(fds.data(), fds.size(), -1) < 0) {
            if (errno == EINTR) continue;
            return;
        }
        // Stamped before parsing: the time the notification reached us.
        const auto at = Clock::now();
        if (fds.back().revents != 0) return;
        for (std::size_t i = 0; i + 1 < fds.size(); ++i) {
            if (fds[i].revents == 0) continue;
            while (true) {
                const ssize_t n = recv(fds[i].fd, buffer.data(), buffer.size(), 0);
                if (n < 0 && errno == ENOBUFS) {
                    std::lock_guard lock(mutex_);
                    overflowed_ = true;
                    continue;
                }
                if (n <= 0) break;
                std::lock_guard lock(mutex_);
                apply(watched_[i], buffer.data(), static_cast<std::size_t>(n), at, true);
            }
        }
    }
}

testing::AssertionResult AddressWatcher::ready() const {
    if (ready_) return testing::AssertionSuccess();
    return testing::AssertionFailure() << "address watcher for " << ip_ << ": " << error_;
}

bool AddressWatcher::overflowed() const {
    std::lock_guard lock(mutex_);
    return overflowed_;
}

bool AddressWatcher::present(std::string_view ns) const {
    std::lock_guard lock(mutex_);
    return std::any_of(watched_.begin(), watched_.end(), [&](const Watched& watched) {
        return watched.ns == ns && !watched.interfaces.empty();
    });
}

std::vector<std::string> AddressWatcher::holders() const {
    std::lock_guard lock(mutex_);
    std::vector<std::string> names;
    for (const auto& watched : watched_) {
        if (!watched.interfaces.empty()) names.push_back(watched.ns);
    }
    return names;
}

std::vector<AddressWatcher::Event> AddressWatcher::events() const {
    std::lock_guard lock(mutex_);
    return events_;
}

std::optional<AddressWatcher::Event> AddressWatcher::wait_for(std::string_view ns, bool present,
                                                              std::chrono::milliseconds timeout,
                                                              Clock::time_point since) {
    std::unique_lock lock(mutex_);
    std::optional<Event> found;
    changed_.wait_for(lock, timeout, [&] {
        for (const auto& event : events_) {
            if (event.ns == ns && event.present == present && event.at >= since) {
                found = event;
                return true;
            }
        }
        return false;
    });
    return found;
}

}  // namespace havip::test
