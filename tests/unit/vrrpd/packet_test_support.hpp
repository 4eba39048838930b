// Shared by the packet_*.cpp tests: golden fixture loading and readable failure output.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/ip/address_v6.hpp>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <variant>

#include "vrrpd/core/packet.hpp"
#include "vrrpd/core/packet_error.hpp"
#include "vrrpd/core/packet_validate.hpp"

namespace havip::vrrp {

// gtest prints these by name instead of as numbers.
inline void PrintTo(DecodeError error, std::ostream* os) {
    *os << counter_name(error);
}
inline void PrintTo(EncodeError error, std::ostream* os) {
    *os << describe(error);
}

namespace test {

// One packet from tests/fixtures/packets/*.hex: whole IPv4 packets, or an IPv6 VRRP payload
// with its source, destination and hop limit from the "# ipv6 src=… dst=… hop_limit=…" line.
struct Fixture {
    Bytes bytes;
    bool ipv6 = false;
    boost::asio::ip::address_v6 source;
    boost::asio::ip::address_v6 destination;
    std::uint8_t hop_limit = 0;
};

inline Fixture load_fixture(const std::string& name) {
    const std::string path = std::string{HAVIP_SOURCE_DIR} + "/tests/fixtures/packets/" + name;
    std::ifstream in{path};
    EXPECT_TRUE(in) << "cannot open " << path;
    Fixture fixture;
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("# ipv6 ", 0) == 0) {
            std::istringstream fields{line.substr(7)};
            std::string field;
            while (fields >> field) {
                const auto eq = field.find('=');
                const auto key = field.substr(0, eq);
                const auto value = field.substr(eq + 1);
                if (key == "src") fixture.source = boost::asio::ip::make_address_v6(value);
                if (key == "dst") fixture.destination = boost::asio::ip::make_address_v6(value);
                if (key == "hop_limit") {
                    fixture.hop_limit = static_cast<std::uint8_t>(std::stoul(value));
                }
            }
            fixture.ipv6 = true;
            continue;
        }
        if (line.empty() || line[0] == '#') continue;
        std::istringstream hex{line};
        std::string byte;
        while (hex >> byte) {
            fixture.bytes.push_back(static_cast<std::uint8_t>(std::stoul(byte, nullptr, 16)));
        }
    }
    return fixture;
}

// The receiving side of the v2 fixtures' keepalived config (keepalived-v2-pass.conf).
inline ReceivePolicy v2_pass_policy() {
    ReceivePolicy policy;
    policy.version = ProtocolVersion::v2;
    policy.auth_type = AuthType::simple_text;
    policy.password = make_auth_data("secret");
    policy.advert_interval = std::chrono::seconds{1};
    policy.vips = {boost::asio::ip::make_address("10.0.0.100"),
                   boost::asio::ip::make_address("10.0.0.101")};
    return policy;
}

inline DecodeResult decode_fixture(const Fixture& fixture, const DecodeOptions& options = {}) {
    if (fixture.ipv6) {
        return decode_ipv6(fixture.bytes, fixture.source, fixture.destination, fixture.hop_limit,
                           options);
    }
    return decode_ipv4(fixture.bytes, options);
}

// The advert out of a result that must hold one; a failed test shows the rule broken.
inline Advert expect_advert(const DecodeResult& result) {
    if (const auto* error = std::get_if<DecodeError>(&result)) {
        ADD_FAILURE() << "decode failed: " << counter_name(*error) << ": " << describe(*error);
        return {};
    }
    return std::get<Advert>(result);
}

inline Bytes expect_bytes(const EncodeResult& result) {
    if (const auto* error = std::get_if<EncodeError>(&result)) {
        ADD_FAILURE() << "encode failed: " << describe(*error);
        return {};
    }
    return std::get<Bytes>(result);
}

}  // namespace test
}  // namespace havip::vrrp
