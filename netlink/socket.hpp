// One NETLINK_ROUTE socket through libmnl: request/acknowledge and dump exchanges matched by
// sequence number, and the raw receive the monitor builds on.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include <linux/netlink.h>

#include "netlink/messages.hpp"
#include "netlink/result.hpp"

struct mnl_socket;

namespace havip::netlink {

class Socket {
  public:
    // Opens and binds a NETLINK_ROUTE socket in the caller's network namespace, subscribed to
    // the RTMGRP_* bits in `groups` (0 for a request socket).
    static Result<Socket> open(std::uint32_t groups, bool nonblocking);

    int fd() const;
    std::uint32_t portid() const;

    // SO_RCVBUFFORCE (root may exceed net.core.rmem_max), else SO_RCVBUF.
    std::error_code set_receive_buffer(int bytes);
    // SO_RCVTIMEO: how long an exchange waits for each reply before giving up.
    std::error_code set_receive_timeout(std::chrono::milliseconds timeout);

    // Sends the request with a fresh sequence number, then reads replies carrying that number
    // until the acknowledgement or the end of the dump; each data message goes to
    // `on_message`. Replies to an earlier request that timed out are skipped. Errors: the
    // kernel's errno, timed_out, or interrupted when a dump changed while it was being read
    // (NLM_F_DUMP_INTR) and must be repeated.
    std::error_code exchange(Request request,
                             const std::function<void(const nlmsghdr*)>& on_message);

    // One datagram into the socket's buffer; the bytes stay valid until the next receive.
    // Only datagrams from the kernel (port 0) are returned; others read as empty.
    Result<std::span<const std::uint8_t>> receive();

  private:
    struct Closer {
        void operator()(mnl_socket* sock) const;
    };
    explicit Socket(mnl_socket* sock);

    std::unique_ptr<mnl_socket, Closer> sock_;
    std::uint32_t portid_ = 0;
    std::uint32_t seq_ = 0;
    std::vector<std::uint8_t> buffer_;
};

}  // namespace havip::netlink
