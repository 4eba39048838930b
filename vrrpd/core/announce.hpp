// Announcing a VIP after taking it over: the Ethernet frames of a gratuitous ARP request and
// of an IPv6 unsolicited Neighbor Advertisement, and when to send them under keepalived's
// garp_* settings. Pure: bytes and durations in, bytes and durations out.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>

namespace havip::vrrp {

using MacAddress = std::array<std::uint8_t, 6>;

inline constexpr std::size_t garp_frame_size = 42;  // Ethernet 14 + ARP 28, unpadded
inline constexpr std::size_t na_frame_size = 86;    // Ethernet 14 + IPv6 40 + NA 24 + option 8

// The target hardware address of a gratuitous ARP request. keepalived 2.2.7 sends the
// broadcast address (captured on the wire); RFC 5227 2.3 announcements use zero. Receivers
// ignore the field in a request, so either updates their caches.
enum class ArpTargetHardware {
    broadcast,
    zero,
};

// A gratuitous ARP request (RFC 5944 4.6): Ethernet broadcast, opcode 1 (request), sender
// and target protocol address both the VIP, sender hardware address the interface's MAC.
std::vector<std::uint8_t> gratuitous_arp(
    const MacAddress& mac, const boost::asio::ip::address_v4& vip,
    ArpTargetHardware target_hardware = ArpTargetHardware::broadcast);

// An unsolicited Neighbor Advertisement (RFC 4861 4.4, 7.2.6) for the VIP, sent from the VIP
// to all-nodes ff02::1 (33:33:00:00:00:01), hop limit 255, Override set and Solicited clear,
// with the target link-layer address option. `router` sets the R flag, which a host that
// forwards IPv6 should set (7.2.4).
std::vector<std::uint8_t> unsolicited_na(const MacAddress& mac,
                                         const boost::asio::ip::address_v6& vip,
                                         bool router = false);

// An interface VIPs are announced on: its hardware address, and whether it forwards IPv6.
// A forwarding node sets the NA's Router flag: a host that sees an NA from its default
// router without it removes the router from its list (RFC 4861 §7.2.5).
struct AnnounceLink {
    MacAddress mac{};
    bool ipv6_forwarding = false;

    friend bool operator==(const AnnounceLink&, const AnnounceLink&) = default;
};

// An address to announce, on the interface it is raised on.
struct AnnouncedAddress {
    boost::asio::ip::address address;
    int ifindex = 0;
};

struct AnnounceFrame {
    int ifindex = 0;
    std::vector<std::uint8_t> bytes;
};

// One frame per address, built for and sent on the address's own interface: a GARP for IPv4,
// an unsolicited NA for IPv6, whatever the instance's family. keepalived announces its VIPs
// and excluded VIPs alike, each on its own interface. An address on an interface `links`
// does not know is skipped.
std::vector<AnnounceFrame> announce_frames(std::span<const AnnouncedAddress> addresses,
                                           const std::map<int, AnnounceLink>& links);

// The ICMPv6 checksum (RFC 4443 2.3) of `message` (its checksum field included as it is)
// over the IPv6 pseudo-header; a message with a correct checksum sums to zero.
std::uint16_t icmpv6_checksum(const boost::asio::ip::address_v6& source,
                              const boost::asio::ip::address_v6& destination,
                              std::span<const std::uint8_t> message);

// keepalived's vrrp_garp_* / garp_* settings, with its defaults.
struct AnnounceSettings {
    // garp_master_delay: the second burst after becoming MASTER; 0 means none.
    std::chrono::microseconds master_delay = std::chrono::seconds{5};
    // garp_master_repeat: frames per VIP in each burst after becoming MASTER.
    unsigned master_repeat = 5;
    // garp_interval (gna_interval for NA): the gap between frames; 0 is back to back.
    std::chrono::microseconds interval{0};
    // garp_master_refresh: while MASTER, a burst this often; 0 means never.
    std::chrono::microseconds master_refresh{0};
    // garp_master_refresh_repeat: frames per VIP in each refresh burst.
    unsigned refresh_repeat = 1;
    // garp_lower_prio_repeat / _delay: the bursts of a master that hears a lower-priority
    // advert (keepalived's defaults: as on becoming MASTER); a repeat of 0 sends none.
    unsigned lower_prio_repeat = 5;
    std::chrono::microseconds lower_prio_delay = std::chrono::seconds{5};
};

// `count` frames for every VIP, back to back, `offset` after the reference time.
struct Burst {
    std::chrono::microseconds offset{0};
    unsigned count = 0;

    friend bool operator==(const Burst&, const Burst&) = default;
};

struct AnnounceSchedule {
    // Offsets from the transition to MASTER, ascending.
    std::vector<Burst> on_master;
    // 0 when refresh is off; otherwise each_refresh repeats every period while MASTER, the
    // first one a period after the transition.
    std::chrono::microseconds refresh_period{0};
    std::vector<Burst> each_refresh;  // offsets from each refresh tick

    friend bool operator==(const AnnounceSchedule&, const AnnounceSchedule&) = default;
};

// The schedule for the settings. With a non-zero interval every frame round is its own
// burst of 1, `interval` after the previous one, so the caller only ever sends back to back.
AnnounceSchedule announcement_schedule(const AnnounceSettings& settings);
// The schedule after hearing a lower-priority master: the lower_prio bursts, then the refreshes.
AnnounceSchedule lower_priority_schedule(const AnnounceSettings& settings);

// Every burst, on_master and refreshes, with offset < horizon, in time order.
std::vector<Burst> bursts_until(const AnnounceSchedule& schedule,
                                std::chrono::microseconds horizon);

// The schedule's bursts numbered from 0: on_master first, then each_refresh of successive
// periods. The burst to send next, when the caller is at burst `index` and `elapsed` has
// passed since the transition to MASTER: that burst itself when its time has not come, else
// the last one whose time has come, so that after a stall one burst goes out rather than one
// per missed slot. `index` in the result is the burst's number; nothing when none is left.
struct NextBurst {
    std::size_t index = 0;
    Burst burst;

    friend bool operator==(const NextBurst&, const NextBurst&) = default;
};
std::optional<NextBurst> next_burst(const AnnounceSchedule& schedule, std::size_t index,
                                    std::chrono::microseconds elapsed);

}  // namespace havip::vrrp
