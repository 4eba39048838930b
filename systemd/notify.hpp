// The sd_notify protocol for Type=notify: READY, RELOADING, STOPPING, STATUS and the
// watchdog. Every call is a no-op when NOTIFY_SOCKET is unset, so havipd behaves the same
// under systemd, under another supervisor or in a terminal.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace havip::systemd {

class Notifier {
public:
    Notifier();

    void ready(std::string_view status);
    void reloading();
    void stopping();
    void status(std::string_view status);
    void watchdog();

    // The interval at which watchdog() must be called (half of WatchdogSec), if enabled.
    std::optional<std::chrono::microseconds> watchdog_interval() const { return watchdog_; }

private:
    std::optional<std::chrono::microseconds> watchdog_;
};

}  // namespace havip::systemd
