#include "vrrpd/core/packet_checksum.hpp"

namespace havip::vrrp {

void ChecksumSum::add(std::span<const std::uint8_t> bytes) {
    std::size_t i = 0;
    for (; i + 1 < bytes.size(); i += 2) {
        sum_ += static_cast<std::uint16_t>((bytes[i] << 8) | bytes[i + 1]);
    }
    if (i < bytes.size()) sum_ += static_cast<std::uint16_t>(bytes[i] << 8);
}

std::uint16_t ChecksumSum::finish() const {
    std::uint64_t folded = sum_;
    while (folded >> 16)
        folded = (folded & 0xffff) + (folded >> 16);
    return static_cast<std::uint16_t>(~folded & 0xffff);
}

std::uint16_t internet_checksum(std::span<const std::uint8_t> bytes) {
    ChecksumSum sum;
    sum.add(bytes);
    return sum.finish();
}

void add_ipv4_pseudo_header(ChecksumSum& sum, const boost::asio::ip::address_v4& source,
                            const boost::asio::ip::address_v4& destination, std::uint8_t protocol,
                            std::uint16_t length) {
    const auto src = source.to_bytes();
    const auto dst = destination.to_bytes();
    sum.add(src);
    sum.add(dst);
    sum.add_word(protocol);  // the zero byte, then the protocol
    sum.add_word(length);
}

void add_ipv6_pseudo_header(ChecksumSum& sum, const boost::asio::ip::address_v6& source,
                            const boost::asio::ip::address_v6& destination,
                            std::uint8_t next_header, std::uint32_t length) {
    const auto src = source.to_bytes();
    const auto dst = destination.to_bytes();
    sum.add(src);
    sum.add(dst);
    sum.add_word(static_cast<std::uint16_t>(length >> 16));
    sum.add_word(static_cast<std::uint16_t>(length & 0xffff));
    sum.add_word(next_header);  // three zero bytes, then the next header
}

}  // namespace havip::vrrp
