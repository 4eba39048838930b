// libFuzzer entry for havipd's command line and the environment systemd hands it: arguments
// (NUL-separated in the input) through parse_options, and the first two as NOTIFY_SOCKET, and
// as WATCHDOG_USEC and WATCHDOG_PID. keepalived's flags come from unit files and scripts: a bad one is an error to
// print, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "systemd/notify.hpp"
#include "vrrpd/options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> args;  // argv without the program's name
    std::size_t start = 0;
    while (start <= input.size()) {
        const auto end = std::min(input.find('\0', start), input.size());
        args.emplace_back(input.substr(start, end - start));
        start = end + 1;
    }
    const auto parsed = havip::vrrp::parse_options(args);
    if (const auto* e = std::get_if<havip::vrrp::OptionsError>(&parsed)) {
        if (e->message.empty()) __builtin_trap();  // an error says what was wrong
    } else if (const auto& signum = std::get<havip::vrrp::Options>(parsed).signum) {
        (void)havip::vrrp::signal_number(*signum);
    }

    (void)havip::systemd::parse_notify_socket(args[0].c_str());
    const auto pid = args.size() > 1 ? args[1].c_str() : nullptr;
    (void)havip::systemd::parse_watchdog(args[0].c_str(), pid, 4242);
    return 0;
}
