#include "tests/harness/injector.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <fmt/format.h>

#include "tests/harness/netns_socket.hpp"
#include "vrrpd/core/packet_checksum.hpp"

namespace havip::test {

namespace {

constexpr std::size_t ip_header = vrrp::ipv4_header_size;
constexpr std::size_t off_ip_total_length = 2;
constexpr std::size_t off_ip_checksum = 10;
constexpr std::size_t off_ip_destination = 16;
constexpr std::size_t off_vrid = 1;
constexpr std::size_t off_checksum = 6;

// Empty when the base advert cannot be encoded (a mistake in the test, which sees it).
vrrp::Bytes encode(const vrrp::Advert& advert) {
    auto bytes = vrrp::encode_ipv4(advert);
    if (std::holds_alternative<vrrp::EncodeError>(bytes)) return {};
    return std::get<vrrp::Bytes>(std::move(bytes));
}

// After changing the length of a packet: a consistent IPv4 header around whatever follows.
void fix_ip_header(vrrp::Bytes& packet) {
    const auto size = static_cast<std::uint16_t>(packet.size());
    packet[off_ip_total_length] = static_cast<std::uint8_t>(size >> 8);
    packet[off_ip_total_length + 1] = static_cast<std::uint8_t>(size & 0xff);
    packet[off_ip_checksum] = packet[off_ip_checksum + 1] = 0;
    const auto sum = vrrp::internet_checksum(std::span(packet).first(ip_header));
    packet[off_ip_checksum] = static_cast<std::uint8_t>(sum >> 8);
    packet[off_ip_checksum + 1] = static_cast<std::uint8_t>(sum & 0xff);
}

}  // namespace

std::string_view to_string(Hostile what) {
    switch (what) {
        case Hostile::wrong_password:
            return "wrong_password";
        case Hostile::ttl_64:
            return "ttl_64";
        case Hostile::bad_checksum:
            return "bad_checksum";
        case Hostile::wrong_interval:
            return "wrong_interval";
        case Hostile::wrong_addresses:
            return "wrong_addresses";
        case Hostile::random_bytes:
            return "random_bytes";
        case Hostile::truncated:
            return "truncated";
    }
    return "?";
}

std::optional<std::string_view> expected_counter(Hostile what) {
    switch (what) {
        case Hostile::wrong_password:
            return "auth_failure";
        case Hostile::ttl_64:
            return "ip_ttl_err";
        case Hostile::bad_checksum:
            return "checksum_err";
        case Hostile::wrong_interval:
            return "advert_interval_err";
        case Hostile::wrong_addresses:
            return "addr_list_err";
        case Hostile::random_bytes:
            return std::nullopt;
        case Hostile::truncated:
            return "packet_len_err";
    }
    return std::nullopt;
}

std::vector<std::uint8_t> craft(const vrrp::Advert& base, Hostile what, std::mt19937& rng) {
    vrrp::Advert advert = base;
    switch (what) {
        case Hostile::wrong_password:
            advert.auth_type = vrrp::AuthType::simple_text;
            advert.auth_data = vrrp::make_auth_data("hostile!");
            if (advert.auth_data == base.auth_data) advert.auth_data = vrrp::make_auth_data("x");
            return encode(advert);
        case Hostile::ttl_64:
            advert.ttl = 64;
            return encode(advert);
        case Hostile::bad_checksum: {
            auto packet = encode(advert);
            if (packet.empty()) return packet;
            // One's complement arithmetic: +1 on the stored value is always a wrong checksum.
            packet[ip_header + off_checksum + 1] ^= 0x01;
            return packet;
        }
        case Hostile::wrong_interval:
            advert.interval = 2 * base.interval;
            return encode(advert);
        case Hostile::wrong_addresses:
            for (auto& a : advert.addresses) {
                if (a.is_v4())
                    a = boost::asio::ip::address_v4(a.to_v4().to_uint() ^ 0x80u);
                else
                    return encode(advert);  // only IPv4 packets are crafted here
            }
            return encode(advert);
        case Hostile::random_bytes: {
            auto packet = encode(advert);
            if (packet.empty()) return packet;
            std::uniform_int_distribution<std::size_t> length(vrrp::vrrp_header_size, 64);
            std::uniform_int_distribution<int> byte(0, 255);
            packet.resize(ip_header + length(rng));
            for (std::size_t i = ip_header; i < packet.size(); ++i)
                packet[i] = static_cast<std::uint8_t>(byte(rng));
            packet[ip_header + off_vrid] = base.vrid;
            fix_ip_header(packet);
            return packet;
        }
        case Hostile::truncated: {
            auto packet = encode(advert);
            if (packet.empty()) return packet;
            // At least up to the VRID (so it is charged to the instance), at most one byte short.
            std::uniform_int_distribution<std::size_t> keep(off_vrid + 1,
                                                            packet.size() - ip_header - 1);
            packet.resize(ip_header + keep(rng));
            fix_ip_header(packet);
            return packet;
        }
    }
    return encode(advert);
}

std::optional<Injector> Injector::open(std::string_view ns, std::string_view ifname,
                                       std::string& error) {
    // IPPROTO_RAW implies IP_HDRINCL: the packet is sent with our IPv4 header.
    const int fd = open_socket_in(ns, AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        error = fmt::format("raw socket in {}: {}", ns, std::strerror(errno));
        return std::nullopt;
    }
    const std::string name(ifname);
    if (::setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, name.c_str(),
                     static_cast<socklen_t>(name.size())) != 0) {
        error = fmt::format("SO_BINDTODEVICE {}: {}", name, std::strerror(errno));
        ::close(fd);
        return std::nullopt;
    }
    return Injector(fd);
}

Injector::Injector(Injector&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

Injector& Injector::operator=(Injector&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

Injector::~Injector() {
    if (fd_ >= 0) ::close(fd_);
}

bool Injector::send(std::span<const std::uint8_t> packet) {
    if (packet.size() < ip_header) return false;
    sockaddr_in to{};
    to.sin_family = AF_INET;
    std::memcpy(&to.sin_addr.s_addr, packet.data() + off_ip_destination, 4);
    return ::sendto(fd_, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to),
                    sizeof to) == static_cast<ssize_t>(packet.size());
}

std::uint64_t Injector::paced(const std::vector<std::vector<std::uint8_t>>& packets, double rate,
                              std::chrono::milliseconds duration) {
    using Clock = std::chrono::steady_clock;
    if (packets.empty() || rate <= 0) return 0;
    const auto start = Clock::now();
    const auto period =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / rate));
    // The count from the rate, not from adding up rounded periods (7/s for 4 s is 28).
    const auto total =
        static_cast<std::uint64_t>(rate * std::chrono::duration<double>(duration).count() + 1e-6);
    std::uint64_t sent = 0;
    for (std::uint64_t n = 0; n < total; ++n) {
        std::this_thread::sleep_until(start + n * period);
        if (send(packets[n % packets.size()])) ++sent;
    }
    return sent;
}

std::uint64_t Injector::flood(const std::vector<std::vector<std::uint8_t>>& packets,
                              std::chrono::milliseconds duration) {
    using Clock = std::chrono::steady_clock;
    if (packets.empty()) return 0;
    const auto end = Clock::now() + duration;
    std::uint64_t sent = 0;
    for (std::uint64_t n = 0;; ++n) {
        // Reading the clock every packet would halve the rate.
        if (n % 64 == 0 && Clock::now() >= end) break;
        if (send(packets[n % packets.size()])) ++sent;
    }
    return sent;
}

}  // namespace havip::test
