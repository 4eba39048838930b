#include "vrrpd/core/announce.hpp"

#include <algorithm>

namespace havip::vrrp {

namespace {

constexpr std::uint16_t ethertype_arp = 0x0806;
constexpr std::uint16_t ethertype_ipv6 = 0x86dd;
constexpr std::uint8_t next_header_icmpv6 = 58;
constexpr std::uint8_t nd_neighbor_advert = 136;
constexpr std::uint8_t nd_option_target_lladdr = 2;
// RFC 4861 4.4 flag bits in the first byte after the checksum.
constexpr std::uint8_t na_flag_router = 0x80;
constexpr std::uint8_t na_flag_override = 0x20;
constexpr std::size_t ethernet_header_size = 14;
constexpr std::size_t ipv6_header_size = 40;

// Appends bytes in network order to a frame under construction.
class FrameWriter {
  public:
    explicit FrameWriter(std::size_t size) { frame_.reserve(size); }
    void u8(std::uint8_t v) { frame_.push_back(v); }
    void u16(std::uint16_t v) {
        u8(static_cast<std::uint8_t>(v >> 8));
        u8(static_cast<std::uint8_t>(v & 0xff));
    }
    template <std::size_t N>
    void bytes(const std::array<std::uint8_t, N>& b) {
        frame_.insert(frame_.end(), b.begin(), b.end());
    }
    void fill(std::size_t n, std::uint8_t v) { frame_.insert(frame_.end(), n, v); }
    void ethernet(const MacAddress& dst, const MacAddress& src, std::uint16_t type) {
        bytes(dst);
        bytes(src);
        u16(type);
    }
    std::vector<std::uint8_t> take() { return std::move(frame_); }

  private:
    std::vector<std::uint8_t> frame_;
};

std::uint32_t sum_words(std::span<const std::uint8_t> data, std::uint32_t sum) {
    std::size_t i = 0;
    for (; i + 1 < data.size(); i += 2) {
        sum += static_cast<std::uint32_t>(data[i] << 8 | data[i + 1]);
    }
    if (i < data.size()) sum += static_cast<std::uint32_t>(data[i] << 8);  // odd length: pad
    return sum;
}

}  // namespace

std::vector<std::uint8_t> gratuitous_arp(const MacAddress& mac,
                                         const boost::asio::ip::address_v4& vip,
                                         ArpTargetHardware target_hardware) {
    constexpr MacAddress broadcast{0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    FrameWriter w(garp_frame_size);
    w.ethernet(broadcast, mac, ethertype_arp);
    w.u16(1);       // hardware type: Ethernet
    w.u16(0x0800);  // protocol type: IPv4
    w.u8(6);        // hardware address length
    w.u8(4);        // protocol address length
    w.u16(1);       // opcode: request
    w.bytes(mac);
    w.bytes(vip.to_bytes());
    w.bytes(target_hardware == ArpTargetHardware::broadcast ? broadcast : MacAddress{});
    w.bytes(vip.to_bytes());
    return w.take();
}

std::uint16_t icmpv6_checksum(const boost::asio::ip::address_v6& source,
                              const boost::asio::ip::address_v6& destination,
                              std::span<const std::uint8_t> message) {
    // RFC 4443 2.3 / RFC 8200 8.1 pseudo-header: source, destination, 32-bit upper-layer
    // length, three zero bytes, next header.
    const auto src = source.to_bytes();
    const auto dst = destination.to_bytes();
    std::uint32_t sum = sum_words(src, 0);
    sum = sum_words(dst, sum);
    const auto length = static_cast<std::uint32_t>(message.size());
    sum += length >> 16;
    sum += length & 0xffff;
    sum += next_header_icmpv6;
    sum = sum_words(message, sum);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::vector<std::uint8_t> unsolicited_na(const MacAddress& mac,
                                         const boost::asio::ip::address_v6& vip, bool router) {
    constexpr MacAddress all_nodes_mac{0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
    const auto all_nodes = boost::asio::ip::make_address_v6("ff02::1");
    constexpr std::uint16_t payload_length = 24 + 8;

    FrameWriter w(na_frame_size);
    w.ethernet(all_nodes_mac, mac, ethertype_ipv6);
    w.u8(0x60);  // version 6, traffic class 0, flow label 0
    w.fill(3, 0);
    w.u16(payload_length);
    w.u8(next_header_icmpv6);
    w.u8(255);  // RFC 4861 7.1.2: a receiver drops an NA whose hop limit is not 255
    w.bytes(vip.to_bytes());
    w.bytes(all_nodes.to_bytes());

    w.u8(nd_neighbor_advert);
    w.u8(0);   // code
    w.u16(0);  // checksum, filled in below
    w.u8(static_cast<std::uint8_t>(na_flag_override | (router ? na_flag_router : 0)));
    w.fill(3, 0);  // reserved
    w.bytes(vip.to_bytes());
    w.u8(nd_option_target_lladdr);
    w.u8(1);  // option length in units of 8 bytes
    w.bytes(mac);

    auto frame = w.take();
    const std::size_t icmp = ethernet_header_size + ipv6_header_size;
    const std::uint16_t checksum =
        icmpv6_checksum(vip, all_nodes, std::span<const std::uint8_t>(frame).subspan(icmp));
    frame[icmp + 2] = static_cast<std::uint8_t>(checksum >> 8);
    frame[icmp + 3] = static_cast<std::uint8_t>(checksum & 0xff);
    return frame;
}

std::vector<AnnounceFrame> announce_frames(std::span<const AnnouncedAddress> addresses,
                                           const std::map<int, AnnounceLink>& links) {
    std::vector<AnnounceFrame> frames;
    for (const auto& a : addresses) {
        const auto link = links.find(a.ifindex);
        if (link == links.end()) continue;
        const auto& l = link->second;
        frames.push_back({a.ifindex, a.address.is_v4() ? gratuitous_arp(l.mac, a.address.to_v4())
                                                       : unsolicited_na(l.mac, a.address.to_v6(),
                                                                        l.ipv6_forwarding)});
    }
    return frames;
}

namespace {

// `count` frame rounds starting at `start`: one burst, or one per round `interval` apart.
void add_burst(std::vector<Burst>& out, std::chrono::microseconds start, unsigned count,
               std::chrono::microseconds interval) {
    if (count == 0) return;
    if (interval <= std::chrono::microseconds::zero()) {
        out.push_back({start, count});
        return;
    }
    for (unsigned i = 0; i < count; ++i)
        out.push_back({start + i * interval, 1});
}

void sort_by_offset(std::vector<Burst>& bursts) {
    std::stable_sort(bursts.begin(), bursts.end(),
                     [](const Burst& a, const Burst& b) { return a.offset < b.offset; });
}

}  // namespace

AnnounceSchedule announcement_schedule(const AnnounceSettings& settings) {
    AnnounceSchedule schedule;
    add_burst(schedule.on_master, std::chrono::microseconds::zero(), settings.master_repeat,
              settings.interval);
    if (settings.master_delay > std::chrono::microseconds::zero()) {
        add_burst(schedule.on_master, settings.master_delay, settings.master_repeat,
                  settings.interval);
    }
    // A long interval can push the first burst's tail past the second burst's start.
    sort_by_offset(schedule.on_master);

    if (settings.master_refresh > std::chrono::microseconds::zero() &&
        settings.refresh_repeat > 0) {
        schedule.refresh_period = settings.master_refresh;
        add_burst(schedule.each_refresh, std::chrono::microseconds::zero(), settings.refresh_repeat,
                  settings.interval);
    }
    return schedule;
}

AnnounceSchedule lower_priority_schedule(const AnnounceSettings& settings) {
    auto lower = settings;
    lower.master_repeat = settings.lower_prio_repeat;
    lower.master_delay = settings.lower_prio_delay;
    return announcement_schedule(lower);
}

namespace {

std::optional<Burst> burst_number(const AnnounceSchedule& s, std::size_t index) {
    if (index < s.on_master.size()) return s.on_master[index];
    if (s.refresh_period.count() <= 0 || s.each_refresh.empty()) return std::nullopt;
    const std::size_t k = index - s.on_master.size();
    const auto period = static_cast<long>(k / s.each_refresh.size() + 1);
    const auto& b = s.each_refresh[k % s.each_refresh.size()];
    return Burst{s.refresh_period * period + b.offset, b.count};
}

}  // namespace

std::optional<NextBurst> next_burst(const AnnounceSchedule& s, std::size_t index,
                                    std::chrono::microseconds elapsed) {
    auto current = burst_number(s, index);
    if (!current) return std::nullopt;
    for (;;) {
        // Whole refresh periods missed are skipped at once, not walked.
        if (index >= s.on_master.size() && current->offset + s.refresh_period <= elapsed) {
            const auto periods = (elapsed - current->offset) / s.refresh_period;
            index += static_cast<std::size_t>(periods) * s.each_refresh.size();
            current = burst_number(s, index);
        }
        const auto after = burst_number(s, index + 1);
        if (!after || after->offset > elapsed) break;
        ++index;
        current = after;
    }
    return NextBurst{index, *current};
}

std::vector<Burst> bursts_until(const AnnounceSchedule& schedule,
                                std::chrono::microseconds horizon) {
    std::vector<Burst> out;
    for (const auto& b : schedule.on_master) {
        if (b.offset < horizon) out.push_back(b);
    }
    if (schedule.refresh_period > std::chrono::microseconds::zero()) {
        for (auto tick = schedule.refresh_period; tick < horizon; tick += schedule.refresh_period) {
            for (const auto& b : schedule.each_refresh) {
                if (tick + b.offset < horizon) out.push_back({tick + b.offset, b.count});
            }
        }
    }
    sort_by_offset(out);
    return out;
}

}  // namespace havip::vrrp
