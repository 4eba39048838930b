#include "systemd/notify.hpp"

#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include <fmt/format.h>

namespace havip::systemd {

namespace {

template <typename T>
std::optional<T> parse_number(const char* text) {
    if (text == nullptr) return std::nullopt;
    const char* end = text + std::strlen(text);
    T value{};
    auto [ptr, ec] = std::from_chars(text, end, value);
    if (ec != std::errc{} || ptr != end || ptr == text) return std::nullopt;
    return value;
}

}  // namespace

std::optional<NotifyAddress> parse_notify_socket(const char* value) {
    if (value == nullptr) return std::nullopt;
    const std::string_view path(value);
    NotifyAddress out;
    out.address.sun_family = AF_UNIX;
    // Only paths and abstract names: systemd's other forms (vsock:) are for virtual machines.
    if (path.size() < 2 || path.size() >= sizeof out.address.sun_path) return std::nullopt;
    if (path.front() != '/' && path.front() != '@') return std::nullopt;
    std::memcpy(out.address.sun_path, path.data(), path.size());
    if (path.front() == '@') out.address.sun_path[0] = '\0';
    // An abstract name is exactly its bytes; a path may carry its terminating NUL.
    out.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() +
                                        (path.front() == '/' ? 1 : 0));
    return out;
}

std::optional<std::chrono::microseconds> parse_watchdog(const char* usec, const char* pid_value,
                                                        long pid) {
    const auto interval = parse_number<unsigned long long>(usec);
    if (!interval || *interval == 0) return std::nullopt;
    // WATCHDOG_PID, when set, names the one process the watchdog is meant for.
    if (pid_value != nullptr) {
        const auto for_pid = parse_number<long>(pid_value);
        if (!for_pid || *for_pid != pid) return std::nullopt;
    }
    return std::chrono::microseconds{*interval / 2};
}

Notifier::Notifier()
    : target_(parse_notify_socket(std::getenv("NOTIFY_SOCKET"))),
      watchdog_(parse_watchdog(std::getenv("WATCHDOG_USEC"), std::getenv("WATCHDOG_PID"),
                               static_cast<long>(::getpid()))) {
    if (target_) fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) watchdog_.reset();  // nobody to ping
}

Notifier::~Notifier() {
    if (fd_ >= 0) ::close(fd_);
}

void Notifier::send(std::string_view message) {
    if (fd_ < 0) return;
    // Unconnected, addressed each time: a restarted systemd (daemon-reexec) rebinds the socket.
    // Never waits for a busy manager: a lost WATCHDOG=1 is followed by the next one.
    [[maybe_unused]] auto n =
        ::sendto(fd_, message.data(), message.size(), MSG_NOSIGNAL | MSG_DONTWAIT,
                 reinterpret_cast<const sockaddr*>(&target_->address), target_->length);
}

void Notifier::ready(std::string_view status) {
    send(fmt::format("READY=1\nSTATUS={}", status));
}

void Notifier::reloading() {
    // MONOTONIC_USEC lets systemd ≥ 253 (Type=notify-reload) pair this with READY=1.
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
    send(fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec));
}

void Notifier::stopping() {
    send("STOPPING=1");
}

void Notifier::status(std::string_view status) {
    send(fmt::format("STATUS={}", status));
}

void Notifier::watchdog() {
    if (watchdog_) send("WATCHDOG=1");
}

}  // namespace havip::systemd
