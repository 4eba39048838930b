// tcp_check: keepalived users' `echo | nc 127.0.0.1 3306` without a fork: an async connect
// with a deadline on the loop. Connected = success; refused, unreachable or no answer before
// the deadline = failure. (It says nothing about a frozen server: that is mysql_check's job.)
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace havip::checks {

struct TcpProbeResult {
    bool success = false;
    bool timed_out = false;
    boost::system::error_code error;
    std::chrono::steady_clock::duration elapsed{};
    std::string reason;  // "connected in 0.3 ms", "connection refused", "no answer in 2.0 s"
};

// Connects to `endpoint` (an IP literal and port: no name lookup, which could block) and
// calls `done` on the io_context once, with the socket already closed.
void tcp_probe(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
               std::chrono::steady_clock::duration timeout,
               std::function<void(const TcpProbeResult&)> done);

}  // namespace havip::checks
