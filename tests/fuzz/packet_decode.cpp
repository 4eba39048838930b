// libFuzzer entry for the VRRP codec: decode_ipv4, decode_ipv6 + validate on arbitrary
// bytes, and the round-trip property on whatever decodes. Not wired into CMake yet; build:
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//       tests/fuzz/packet_decode.cpp vrrpd/core/packet.cpp vrrpd/core/packet_checksum.cpp \
//       vrrpd/core/packet_error.cpp vrrpd/core/packet_validate.cpp -o packet_decode_fuzz
//   ./packet_decode_fuzz -max_len=512 <corpus dir seeded with the tests/fixtures/packets bytes>
#include <cstddef>
#include <cstdint>
#include <span>
#include <variant>

#include "vrrpd/core/packet.hpp"
#include "vrrpd/core/packet_validate.hpp"

namespace {

using namespace havip::vrrp;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

ReceivePolicy ipv4_policy(ProtocolVersion version, bool unicast) {
    ReceivePolicy policy;
    policy.version = version;
    policy.auth_type = AuthType::simple_text;
    policy.password = make_auth_data("secret");
    policy.vips = {address_v4{{10, 0, 0, 100}}, address_v4{{10, 0, 0, 101}}};
    if (unicast) {
        policy.unicast_peers = {address_v4{{192, 168, 77, 1}}};
        policy.check_unicast_src = true;
    }
    return policy;
}

ReceivePolicy ipv6_policy() {
    ReceivePolicy policy;
    policy.version = ProtocolVersion::v3;
    policy.vips = {address_v6{{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x00}}};
    policy.multicast_group = vrrp_group_v6();
    return policy;
}

// What decodes must re-encode (when representable) and decode to the same advert.
void check_round_trip_ipv4(const Advert& advert) {
    const auto encoded = encode_ipv4(advert);
    const auto* bytes = std::get_if<Bytes>(&encoded);
    if (bytes == nullptr) return;  // e.g. a v2 interval of 0 s: decodable, not sendable
    const auto again = decode_ipv4(*bytes);
    const auto* advert_again = std::get_if<Advert>(&again);
    if (advert_again == nullptr || !(*advert_again == advert)) __builtin_trap();
}

void check_round_trip_ipv6(const Advert& advert) {
    const auto encoded = encode_payload(advert);
    const auto* bytes = std::get_if<Bytes>(&encoded);
    if (bytes == nullptr) return;
    const auto again =
        decode_ipv6(*bytes, advert.source.to_v6(), advert.destination.to_v6(), advert.ttl);
    const auto* advert_again = std::get_if<Advert>(&again);
    if (advert_again == nullptr || !(*advert_again == advert)) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> input{data, size};

    DecodeOptions compat;
    compat.accept_v3_ipv4_no_pseudo_header = true;
    compat.accept_v3_ipv4_group_pseudo_header = true;
    for (const auto& options : {DecodeOptions{}, compat}) {
        const auto result = decode_ipv4(input, options);
        if (const auto* advert = std::get_if<Advert>(&result)) {
            for (const auto version : {ProtocolVersion::v2, ProtocolVersion::v3}) {
                (void)validate(*advert, ipv4_policy(version, false));
                (void)validate(*advert, ipv4_policy(version, true));
            }
            check_round_trip_ipv4(*advert);
        }
    }

    // IPv6: the first 33 bytes play recvmsg's source, destination and hop limit.
    if (size >= 33) {
        address_v6::bytes_type src{};
        address_v6::bytes_type dst{};
        for (std::size_t i = 0; i < 16; ++i) {
            src[i] = data[i];
            dst[i] = data[16 + i];
        }
        const auto result =
            decode_ipv6(input.subspan(33), address_v6{src}, address_v6{dst}, data[32]);
        if (const auto* advert = std::get_if<Advert>(&result)) {
            (void)validate(*advert, ipv6_policy());
            check_round_trip_ipv6(*advert);
        }
    }
    return 0;
}
