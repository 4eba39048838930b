// Shared by the vrrpd/core/fsm tests: a fake clock (time is a TimePoint counted from the clock's
// epoch, so "arm master_down at 3.609375s" means 3.609375 s after the test's t = 0), a router
// configuration, adverts from a peer, and actions rendered as text.
#pragma once

#include <string>
#include <vector>

#include "vrrpd/core/fsm.hpp"

namespace havip::vrrp::fsm_test {

constexpr TimePoint at(Duration since_start) {
    return TimePoint{} + since_start;
}

inline std::vector<std::string> lines(const Actions& actions) {
    std::vector<std::string> out;
    for (const auto& action : actions)
        out.push_back(describe(action));
    return out;
}

// VRID 99, primary address 10.0.0.5.
inline RouterConfig make_config(std::uint8_t priority,
                                ProtocolVersion version = ProtocolVersion::v2,
                                Duration interval = std::chrono::seconds{1}) {
    RouterConfig config;
    config.vrid = 99;
    config.priority = priority;
    config.version = version;
    config.advertisement_interval = interval;
    config.primary_address = boost::asio::ip::make_address("10.0.0.5");
    return config;
}

inline AdvertReceived advert(std::uint8_t priority, const char* source = "10.0.0.2",
                             Duration max_adver_int = std::chrono::seconds{1}) {
    return AdvertReceived{priority, max_adver_int, boost::asio::ip::make_address(source)};
}

}  // namespace havip::vrrp::fsm_test
