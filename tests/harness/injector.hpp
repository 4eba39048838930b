// Hostile VRRP traffic from a third host on the segment: IPv4 VRRP v2/v3 packets crafted from
// a valid advert (vrrpd/core/packet's encoder) and then broken in one chosen way, sent from a lab
// namespace over a raw IPPROTO_RAW socket (IP_HDRINCL), so the TTL, the checksums, the
// addresses and the lengths are whatever the test wants. The kernel still fills in the IPv4
// total length and header checksum (raw(7)): packets that lie there never leave a Linux host.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vrrpd/core/packet.hpp"

namespace havip::test {

// What is wrong with a hostile packet. Every class keeps the advert's VRID, so the receiving
// daemon charges it to the instance under attack.
enum class Hostile {
    wrong_password,   // v2 PASS with another password
    ttl_64,           // TTL 64 on a multicast advert (RFC 5798 §7.1 wants 255)
    bad_checksum,     // the VRRP checksum off by one
    wrong_interval,   // v2: twice the configured advert interval
    wrong_addresses,  // as many addresses as configured, but another one
    random_bytes,     // a valid IPv4 header (protocol 112) around random bytes
    truncated,        // the valid packet cut short inside the VRRP message
};

inline constexpr Hostile all_hostile[] = {
    Hostile::wrong_password,  Hostile::ttl_64,       Hostile::bad_checksum, Hostile::wrong_interval,
    Hostile::wrong_addresses, Hostile::random_bytes, Hostile::truncated,
};

std::string_view to_string(Hostile what);

// The havipd counter (`havip status --json` stats) a packet of the class lands in; nullopt
// for random bytes, which break whichever rule comes first.
std::optional<std::string_view> expected_counter(Hostile what);

// The IPv4 packet (header included) for `base` broken as `what` says. `base` must be a valid
// advert for the instance under attack (source, destination 224.0.0.18, VIPs, password).
// `rng` picks the random bytes and the truncation point. Empty when `base` cannot be encoded.
std::vector<std::uint8_t> craft(const vrrp::Advert& base, Hostile what, std::mt19937& rng);

// A raw sending socket in a lab namespace, bound to one of its interfaces.
class Injector {
  public:
    // nullopt with `error` set when the socket cannot be opened (not root, no such namespace).
    static std::optional<Injector> open(std::string_view ns, std::string_view ifname,
                                        std::string& error);
    Injector(Injector&& other) noexcept;
    Injector& operator=(Injector&& other) noexcept;
    Injector(const Injector&) = delete;
    Injector& operator=(const Injector&) = delete;
    ~Injector();

    // Sends one IPv4 packet to the destination its header names. False when the kernel
    // refused it.
    bool send(std::span<const std::uint8_t> packet);

    // Sends the packets in turn, `rate` packets per second, for `duration`. Returns how many
    // the kernel accepted.
    std::uint64_t paced(const std::vector<std::vector<std::uint8_t>>& packets, double rate,
                        std::chrono::milliseconds duration);

    // Sends the packets in turn as fast as the socket goes for `duration`. Returns how many
    // the kernel accepted.
    std::uint64_t flood(const std::vector<std::vector<std::uint8_t>>& packets,
                        std::chrono::milliseconds duration);

  private:
    explicit Injector(int fd) : fd_(fd) {}
    int fd_ = -1;
};

}  // namespace havip::test
