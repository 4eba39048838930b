// Packet capture with tcpdump and VRRP decoding with Wireshark's dissector (tshark), so a test
// can assert that an independent implementation reads our adverts as valid VRRP.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/lab.hpp"
#include "tests/harness/process.hpp"

namespace havip::test {

// A running `tcpdump -w` on one interface of one of the lab's namespaces.
class Capture {
  public:
    // Starts the capture and waits until tcpdump says it is listening.
    static std::optional<Capture> start(Lab& lab, std::string_view ns, std::string_view ifname,
                                        std::string_view name);
    // Stops tcpdump (SIGINT, so it flushes the file) and waits for it.
    testing::AssertionResult stop();
    const std::filesystem::path& file() const { return file_; }

  private:
    Capture(Process& process, std::filesystem::path file)
        : process_(&process), file_(std::move(file)) {}
    Process* process_;
    std::filesystem::path file_;
};

// tshark's verdict on a checksum (its vrrp.checksum.status field).
enum class ChecksumStatus { bad, good, unverified, missing };
std::string_view to_string(ChecksumStatus status);

// One VRRP packet as tshark decoded it.
struct VrrpAdvert {
    double time = 0;  // capture time stamp, seconds since the epoch
    std::string source;
    std::string destination;
    int ttl = -1;  // IPv4 TTL or IPv6 hop limit
    int version = -1;
    int type = -1;
    int vrid = -1;
    int priority = -1;
    int address_count = -1;
    ChecksumStatus checksum = ChecksumStatus::missing;
    int auth_type = -1;  // v2 only
    std::string auth_string;
    // v2: adver_int in seconds; v3: max adver int in centiseconds (RFC 5798 §5.2.7).
    std::chrono::milliseconds interval{-1};
    std::vector<std::string> addresses;
    // tshark raised an error-level expert item on the frame (malformed, bad checksum…).
    bool expert_error = false;
    bool is_ipv6() const { return destination.find(':') != std::string::npos; }
};

struct VrrpDecode {
    std::vector<VrrpAdvert> adverts;
    std::string error;  // empty when tshark ran and its output parsed
};

// Runs tshark on the file with the v3 IPv4 checksum computed the RFC 5798 way (over the
// pseudo-header), keeping only VRRP frames.
VrrpDecode decode_vrrp(const std::filesystem::path& pcap);

// What a valid stream of adverts from one virtual router looks like.
struct AdvertExpectation {
    int version = 2;
    bool ipv6 = false;
    int vrid = 0;
    std::optional<int> priority;
    std::optional<std::chrono::milliseconds> interval;
    std::vector<std::string> addresses;    // in order, as configured
    std::optional<std::string> auth_pass;  // v2 PASS authentication
    std::size_t min_count = 2;
};

// Success when at least min_count adverts of that version/family/VRID are present and every
// one of them is an advertisement tshark found well formed, with a good checksum, TTL or hop
// limit 255, sent to the VRRP group, and carrying the expected fields. The failure message
// names the first advert that broke a rule and which rule.
testing::AssertionResult adverts_are_valid(const std::vector<VrrpAdvert>& adverts,
                                           const AdvertExpectation& expected);

}  // namespace havip::test
