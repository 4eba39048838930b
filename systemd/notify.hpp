// The sd_notify protocol for Type=notify: READY, RELOADING, STOPPING, STATUS and the
// watchdog. Every call is a no-op when NOTIFY_SOCKET is unset, so havipd behaves the same
// under systemd, under another supervisor or in a terminal.
//
// sd_notify(3) documents the protocol as stable and invites daemons to implement it
// themselves: one datagram of newline-separated assignments to the AF_UNIX socket named by
// $NOTIFY_SOCKET (a path, or "@name" in the abstract namespace). havipd does, instead of
// linking libsystemd (see systemd/journal.hpp for why).
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <chrono>
#include <optional>
#include <string_view>

namespace havip::systemd {

// Where NOTIFY_SOCKET points, parsed (pure); nullopt for unset, empty or unusable values.
struct NotifyAddress {
    sockaddr_un address{};
    socklen_t length = 0;
};
std::optional<NotifyAddress> parse_notify_socket(const char* value);

// WATCHDOG_USEC and WATCHDOG_PID as sd_watchdog_enabled(3) reads them (pure): the interval
// when the watchdog is on for the process `pid`.
std::optional<std::chrono::microseconds> parse_watchdog(const char* usec, const char* pid_value,
                                                        long pid);

class Notifier {
  public:
    Notifier();  // reads the environment
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    void ready(std::string_view status);
    void reloading();
    void stopping();
    void status(std::string_view status);
    void watchdog();

    // The interval at which watchdog() must be called (half of WatchdogSec), if enabled.
    std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

  private:
    void send(std::string_view message);

    std::optional<NotifyAddress> target_;
    int fd_ = -1;
    std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace havip::systemd
