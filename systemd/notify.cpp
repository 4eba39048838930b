#include "systemd/notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

#include <fmt/format.h>

namespace havip::systemd {

Notifier::Notifier() {
    uint64_t usec = 0;
    // unset_environment = 0: scripts we fork do not inherit NOTIFY_SOCKET anyway (we clear
    // the environment variables we own before exec).
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        watchdog_ = std::chrono::microseconds{usec / 2};
}

void Notifier::ready(std::string_view status) {
    sd_notify(0, fmt::format("READY=1\nSTATUS={}", status).c_str());
}

void Notifier::reloading() {
    // MONOTONIC_USEC lets systemd ≥ 253 (Type=notify-reload) pair this with READY=1.
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    auto usec = static_cast<unsigned long long>(ts.tv_sec) * 1000000ULL +
                static_cast<unsigned long long>(ts.tv_nsec) / 1000ULL;
    sd_notify(0, fmt::format("RELOADING=1\nMONOTONIC_USEC={}", usec).c_str());
}

void Notifier::stopping() { sd_notify(0, "STOPPING=1"); }

void Notifier::status(std::string_view status) {
    sd_notify(0, fmt::format("STATUS={}", status).c_str());
}

void Notifier::watchdog() {
    if (watchdog_) sd_notify(0, "WATCHDOG=1");
}

}  // namespace havip::systemd
