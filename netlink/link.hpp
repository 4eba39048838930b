// A network interface as the kernel reports it (RTM_NEWLINK).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace havip::netlink {

using MacAddress = std::array<std::uint8_t, 6>;

// RFC 2863 operational status as rtnetlink reports it (IFLA_OPERSTATE, IF_OPER_*).
enum class OperState : std::uint8_t {
    unknown = 0,
    not_present = 1,
    down = 2,
    lower_layer_down = 3,
    testing = 4,
    dormant = 5,
    up = 6,
};

struct LinkInfo {
    int ifindex = 0;
    std::string name;
    std::uint32_t flags = 0;  // IFF_*
    OperState operstate = OperState::unknown;
    std::vector<std::uint8_t> hw_address;  // IFLA_ADDRESS; 6 bytes on Ethernet
    std::optional<std::uint32_t> mtu;      // IFLA_MTU

    bool up() const;       // IFF_UP: administratively up
    bool running() const;  // IFF_RUNNING: the kernel says the link is operationally up
    std::optional<MacAddress> mac() const;  // hw_address when it is an Ethernet address
};

}  // namespace havip::netlink
