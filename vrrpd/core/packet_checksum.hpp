// The Internet checksum (RFC 1071) and the pseudo-headers a VRRPv3 checksum covers
// (RFC 5798 §5.2.8: IPv4 as in RFC 768, IPv6 as in RFC 8200 §8.1). Pure arithmetic on bytes.
#pragma once

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ip/address_v6.hpp>
#include <cstdint>
#include <span>

namespace havip::vrrp {

// A running one's-complement sum of 16-bit big-endian words. Pieces are added in packet
// order; only the last piece may have an odd length (RFC 1071 pads it with a zero byte).
class ChecksumSum {
  public:
    void add(std::span<const std::uint8_t> bytes);
    void add_word(std::uint16_t word) { sum_ += word; }

    // The value to store in a checksum field: the complement of the folded sum. Summing a
    // message that already holds a correct checksum gives 0 here.
    std::uint16_t finish() const;

  private:
    std::uint64_t sum_ = 0;
};

// RFC 1071 checksum of one contiguous range (IPv4 header, VRRPv2 message).
std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes);

// Adds the IPv4 pseudo-header: source, destination, zero, protocol, upper-layer length.
void add_ipv4_pseudo_header(ChecksumSum& sum, const boost::asio::ip::address_v4& source,
                            const boost::asio::ip::address_v4& destination, std::uint8_t protocol,
                            std::uint16_t length);

// Adds the IPv6 pseudo-header: source, destination, 32-bit upper-layer length, three zero
// bytes, next header.
void add_ipv6_pseudo_header(ChecksumSum& sum, const boost::asio::ip::address_v6& source,
                            const boost::asio::ip::address_v6& destination,
                            std::uint8_t next_header, std::uint32_t length);

}  // namespace havip::vrrp
