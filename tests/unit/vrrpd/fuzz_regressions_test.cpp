// Inputs tests/fuzz found, each pinned to the behaviour that was broken (tests/fuzz/README.md).
#include <gtest/gtest.h>

#include "tests/unit/vrrpd/packet_test_support.hpp"

namespace havip::vrrp {
namespace {

using test::expect_advert;
using test::expect_bytes;

// fuzz_packet_decode: a VRRPv2 advert with auth type 0 whose authentication data is not zero
// ("esecret"). RFC 3768 §5.3.10 says to ignore it on reception; the decoder kept it, so the
// advert we would send from it (zeros there) decoded to a different advert.
const Bytes v2_no_auth_with_junk_auth_data = {
    0x45, 0xc0, 0x00, 0x2c, 0x00, 0x04, 0x00, 0x00, 0xff, 0x70, 0xcc, 0xe1, 0xc0, 0xa8, 0x4d,
    0x01, 0xe0, 0x00, 0x00, 0x12, 0x21, 0x33, 0x00, 0x02, 0x00, 0x64, 0x0a, 0x00, 0x8c, 0xb4,
    0x01, 0x01, 0x0a, 0x00, 0x00, 0x65, 0x73, 0x65, 0x63, 0x72, 0x65, 0x74, 0x00, 0x00};

TEST(FuzzRegressions, v2_auth_data_is_ignored_without_authentication) {
    const auto advert = expect_advert(decode_ipv4(v2_no_auth_with_junk_auth_data));
    EXPECT_EQ(advert.auth_type, AuthType::none);
    EXPECT_EQ(advert.auth_data, AuthData{});
}

TEST(FuzzRegressions, v2_advert_without_authentication_round_trips_whatever_its_auth_data) {
    const auto advert = expect_advert(decode_ipv4(v2_no_auth_with_junk_auth_data));
    EXPECT_EQ(expect_advert(decode_ipv4(expect_bytes(encode_ipv4(advert)))), advert);
}

}  // namespace
}  // namespace havip::vrrp
