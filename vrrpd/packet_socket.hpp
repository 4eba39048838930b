// Sends prepared Ethernet frames (gratuitous ARP, unsolicited NA) out of one interface
// through an AF_PACKET SOCK_RAW socket. Daemon side: this file touches the OS.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>

namespace havip::vrrp {

class PacketSocket {
  public:
    PacketSocket() = default;
    PacketSocket(PacketSocket&& other) noexcept;
    PacketSocket& operator=(PacketSocket&& other) noexcept;
    PacketSocket(const PacketSocket&) = delete;
    PacketSocket& operator=(const PacketSocket&) = delete;
    ~PacketSocket();

    // A non-blocking send-only socket bound to `ifindex` (protocol 0: it receives nothing,
    // so no frame ever queues up on it). Needs CAP_NET_RAW.
    std::error_code open(int ifindex);
    void close();
    bool is_open() const { return fd_ >= 0; }
    int fd() const { return fd_; }
    int ifindex() const { return ifindex_; }

    // Sends one complete frame, Ethernet header included, out of the bound interface.
    // Never blocks: a full send buffer returns resource_unavailable_try_again, a frame the
    // caller counts as dropped. A frame shorter than an Ethernet header is invalid_argument.
    std::error_code send(std::span<const std::uint8_t> frame);

  private:
    int fd_ = -1;
    int ifindex_ = 0;
};

}  // namespace havip::vrrp
