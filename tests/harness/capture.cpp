#include "tests/harness/capture.hpp"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/harness/command.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

// Wireshark's PI_ERROR expert severity (epan/proto.h).
constexpr long expert_severity_error = 0x00800000;

// Fields in the order tshark prints them; multiple occurrences joined with ','.
const std::vector<std::string> tshark_fields{"frame.time_epoch",
                                             "ip.src",
                                             "ipv6.src",
                                             "ip.dst",
                                             "ipv6.dst",
                                             "ip.ttl",
                                             "ipv6.hlim",
                                             "vrrp.version",
                                             "vrrp.type",
                                             "vrrp.virt_rtr_id",
                                             "vrrp.prio",
                                             "vrrp.addr_count",
                                             "vrrp.checksum.status",
                                             "vrrp.auth_type",
                                             "vrrp.auth_string",
                                             "vrrp.adver_int",
                                             "vrrp.short_adver_int",
                                             "vrrp.ip_addr",
                                             "vrrp.ipv6_addr",
                                             "_ws.expert.severity"};

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator))
        parts.push_back(part);
    if (!text.empty() && text.back() == separator) parts.emplace_back();
    return parts;
}

// The first of a ','-joined list as an integer (tunnelled packets repeat IP fields), or -1.
long first_number(const std::string& field) {
    const std::string first = field.substr(0, field.find(','));
    long value = -1;
    const auto [end, error] = std::from_chars(first.data(), first.data() + first.size(), value);
    if (error != std::errc() || end != first.data() + first.size()) return -1;
    return value;
}

std::string first_of(const std::string& a, const std::string& b) {
    const std::string& field = a.empty() ? b : a;
    return field.substr(0, field.find(','));
}

ChecksumStatus checksum_status(long value) {
    switch (value) {
        case 0:
            return ChecksumStatus::bad;
        case 1:
            return ChecksumStatus::good;
        case 2:
            return ChecksumStatus::unverified;
        default:
            return ChecksumStatus::missing;
    }
}

std::string describe_advert(const VrrpAdvert& advert) {
    return fmt::format(
        "v{} vrid {} prio {} from {} to {} ttl {} type {} checksum {} interval {} ms auth {} "
        "'{}' addresses [{}] at {:.6f}",
        advert.version, advert.vrid, advert.priority, advert.source, advert.destination, advert.ttl,
        advert.type, to_string(advert.checksum), advert.interval.count(), advert.auth_type,
        advert.auth_string, fmt::join(advert.addresses, ", "), advert.time);
}

}  // namespace

std::optional<Capture> Capture::start(Lab& lab, std::string_view ns, std::string_view ifname,
                                      std::string_view name) {
    auto file = lab.dir() / (std::string(name) + ".pcap");
    // -Z root: Debian's tcpdump otherwise drops to its own user, which cannot write the build
    // tree. -U: each packet is written at once, and --immediate-mode: handed over at once
    // rather than in blocks of up to a second, so stop() loses nothing however soon it comes.
    auto& process = lab.start_in_ns(ns, std::string(name),
                                    {"tcpdump", "-Z", "root", "-U", "--immediate-mode", "-n", "-i",
                                     std::string(ifname), "-w", file.string()});
    const auto listening = wait_until([&] { return process.log_contains("listening on"); },
                                      std::chrono::seconds(5), std::chrono::milliseconds(5));
    if (!listening) {
        ADD_FAILURE() << "tcpdump on " << ns << "/" << ifname << " did not start:\n"
                      << process.log_tail(10);
        return std::nullopt;
    }
    return Capture(process, std::move(file));
}

testing::AssertionResult Capture::stop() {
    process_->signal(SIGINT);
    const auto status = process_->wait_exit(std::chrono::seconds(5));
    if (!status) {
        process_->kill_group();
        return testing::AssertionFailure() << "tcpdump did not stop on SIGINT";
    }
    if (*status != 0) {
        return testing::AssertionFailure() << "tcpdump exited with " << *status << ":\n"
                                           << process_->log_tail(10);
    }
    return testing::AssertionSuccess();
}

std::string_view to_string(ChecksumStatus status) {
    switch (status) {
        case ChecksumStatus::bad:
            return "bad";
        case ChecksumStatus::good:
            return "good";
        case ChecksumStatus::unverified:
            return "unverified";
        case ChecksumStatus::missing:
            break;
    }
    return "missing";
}

VrrpDecode decode_vrrp(const std::filesystem::path& pcap) {
    VrrpDecode decode;
    std::vector<std::string> argv{"tshark", "-n", "-r", pcap.string(), "-Y", "vrrp",
                                  // RFC 5798 §5.2.8: the v3 IPv4 checksum covers a pseudo-header.
                                  "-o", "vrrp.v3_checksum_as_in_v2:FALSE", "-T", "fields", "-E",
                                  "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"};
    for (const auto& field : tshark_fields) {
        argv.push_back("-e");
        argv.push_back(field);
    }
    const auto result = run_command(argv, std::chrono::seconds(30));
    if (!result.ok()) {
        decode.error = succeeded(argv, result).message();
        return decode;
    }
    for (const auto& line : split(result.out, '\n')) {
        if (line.empty()) continue;
        const auto f = split(line, '\t');
        if (f.size() != tshark_fields.size()) {
            decode.error = fmt::format("unexpected tshark line ({} fields): {}", f.size(), line);
            return decode;
        }
        VrrpAdvert advert;
        advert.time = std::strtod(f[0].c_str(), nullptr);
        advert.source = first_of(f[1], f[2]);
        advert.destination = first_of(f[3], f[4]);
        advert.ttl = static_cast<int>(first_number(f[5].empty() ? f[6] : f[5]));
        advert.version = static_cast<int>(first_number(f[7]));
        advert.type = static_cast<int>(first_number(f[8]));
        advert.vrid = static_cast<int>(first_number(f[9]));
        advert.priority = static_cast<int>(first_number(f[10]));
        advert.address_count = static_cast<int>(first_number(f[11]));
        advert.checksum = checksum_status(first_number(f[12]));
        advert.auth_type = static_cast<int>(first_number(f[13]));
        advert.auth_string = f[14];
        if (advert.version == 2) {
            advert.interval = std::chrono::seconds(first_number(f[15]));
        } else {
            advert.interval = std::chrono::milliseconds(10 * first_number(f[16]));
        }
        const std::string& addresses = f[17].empty() ? f[18] : f[17];
        if (!addresses.empty()) advert.addresses = split(addresses, ',');
        for (const auto& severity : split(f[19], ',')) {
            if (first_number(severity) >= expert_severity_error) advert.expert_error = true;
        }
        decode.adverts.push_back(std::move(advert));
    }
    return decode;
}

testing::AssertionResult adverts_are_valid(const std::vector<VrrpAdvert>& adverts,
                                           const AdvertExpectation& expected) {
    std::size_t count = 0;
    for (const auto& advert : adverts) {
        if (advert.vrid != expected.vrid || advert.is_ipv6() != expected.ipv6) continue;
        ++count;
        const auto fail = [&](std::string_view rule) {
            return testing::AssertionFailure() << rule << ": " << describe_advert(advert);
        };
        if (advert.version != expected.version) {
            return fail(fmt::format("version is not {}", expected.version));
        }
        if (advert.expert_error) return fail("tshark reports an error on the frame");
        if (advert.type != 1) return fail("type is not 1 (ADVERTISEMENT)");
        if (advert.checksum != ChecksumStatus::good) return fail("checksum is not good");
        // RFC 3768 §5.2.3 / RFC 5798 §5.1.1.3: TTL / hop limit 255.
        if (advert.ttl != 255) return fail("TTL/hop limit is not 255");
        const std::string group = expected.ipv6 ? "ff02::12" : "224.0.0.18";
        if (advert.destination != group) return fail("not sent to the VRRP group " + group);
        if (expected.priority && advert.priority != *expected.priority) {
            return fail(fmt::format("priority is not {}", *expected.priority));
        }
        if (expected.interval && advert.interval != *expected.interval) {
            return fail(fmt::format("interval is not {} ms", expected.interval->count()));
        }
        if (advert.address_count != static_cast<int>(advert.addresses.size())) {
            return fail("address count disagrees with the addresses present");
        }
        if (!expected.addresses.empty() && advert.addresses != expected.addresses) {
            return fail(fmt::format("addresses are not [{}]", fmt::join(expected.addresses, ", ")));
        }
        if (expected.version == 2) {
            const int wanted_auth = expected.auth_pass ? 1 : 0;
            if (advert.auth_type != wanted_auth) {
                return fail(fmt::format("auth type is not {}", wanted_auth));
            }
            // RFC 2338 simple text password: up to 8 octets, zero padded; tshark shows the text.
            if (expected.auth_pass && advert.auth_string != expected.auth_pass->substr(0, 8)) {
                return fail(fmt::format("auth string is not '{}'", *expected.auth_pass));
            }
        }
    }
    if (count < expected.min_count) {
        return testing::AssertionFailure()
               << "found " << count << " VRRP packets for VRID " << expected.vrid << " over "
               << (expected.ipv6 ? "IPv6" : "IPv4") << ", wanted at least " << expected.min_count
               << " (of " << adverts.size() << " decoded)";
    }
    return testing::AssertionSuccess() << count << " valid adverts";
}

}  // namespace havip::test
