// Raw IPPROTO_VRRP sockets: one per (interface, address family), shared by every instance
// on that interface. Bound to the device, joined to the VRRP multicast group, TTL / hop
// limit 255 on send, and the metadata the receive rules need (source, destination, TTL or
// hop limit) returned with each packet. Sends never block: a full socket buffer is a
// dropped advert the caller counts.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace havip::vrrp {

struct ReceivedPacket {
    // IPv4: the whole IP packet (raw IPv4 sockets deliver the header); IPv6: the VRRP payload.
    std::span<const std::uint8_t> bytes;
    boost::asio::ip::address source;
    boost::asio::ip::address destination;
    int hop_limit = -1;  // IPv6 only (IPv4 carries its TTL in the header)
    int ifindex = 0;
};

class VrrpSocket {
  public:
    using Handler = std::function<void(const ReceivedPacket&)>;

    // Opens the socket for `ifname`/`ifindex`; `multicast_group` empty for unicast-only use.
    // `ttl` is the IPv6 unicast hop limit (keepalived's unicast_ttl); multicast always uses
    // 255, and IPv4 adverts carry their TTL in the header they are encoded with.
    static std::optional<VrrpSocket> open(boost::asio::io_context& io, bool ipv6,
                                          const std::string& ifname, int ifindex,
                                          std::optional<boost::asio::ip::address> multicast_group,
                                          int ttl, int receive_buffer, std::error_code& ec);

    VrrpSocket(VrrpSocket&&) = default;
    VrrpSocket& operator=(VrrpSocket&&) = default;

    // Starts the receive loop: `handler` runs on the io_context for every packet.
    void start(Handler handler);
    void cancel();

    // Sends one advert to `destination` (multicast group or unicast peer). IPv4: `packet` is
    // the whole IP packet (encode_ipv4: the socket is IP_HDRINCL, as keepalived's, which spares
    // the kernel building a header per send); IPv6: the VRRP message, sent from `source`.
    std::error_code send(std::span<const std::uint8_t> packet,
                         const boost::asio::ip::address& source,
                         const boost::asio::ip::address& destination);

    bool ipv6() const { return ipv6_; }
    int ifindex() const { return ifindex_; }
    // The multicast groups the socket receives (joined on its interface).
    const std::set<boost::asio::ip::address>& groups() const { return groups_; }
    // Joins the groups it has not joined yet, then leaves those not in `groups` (the instances
    // on the interface name them: vrrp_mcast_group4/6, mcast_dst_ip; a reload may change them).
    // The first failure to join is returned; the groups joined are kept either way.
    std::error_code set_groups(const std::set<boost::asio::ip::address>& groups);

  private:
    VrrpSocket(boost::asio::io_context& io, int fd, bool ipv6, int ifindex,
               std::optional<boost::asio::ip::address> group);
    void wait();
    void drain();

    boost::asio::posix::stream_descriptor fd_;
    bool ipv6_;
    int ifindex_;
    std::set<boost::asio::ip::address> groups_;
    Handler handler_;
    std::vector<std::uint8_t> buffer_;
};

}  // namespace havip::vrrp
