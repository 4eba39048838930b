// The opt-in Prometheus listener (`havip_metrics_listen` in global_defs): plain HTTP/1.x on
// the daemon's io_context, one request per connection, answered by metrics_http_answer
// (vrrpd/metrics.hpp). The advert timers share this loop, so nothing here waits for a client:
// the request head is bounded, each connection has one deadline for reading the request and
// writing the answer, and the number of connections is bounded (extra ones get a 503 sent
// without waiting and are closed).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

namespace havip::vrrp {

struct MetricsSettings {
    boost::asio::ip::tcp::endpoint endpoint;
    std::size_t max_clients = 8;
    // From accepting a connection to the last byte of its answer.
    std::chrono::milliseconds deadline{2000};
    std::size_t max_request = 8192;  // bytes of request line and headers
};

class MetricsServer {
  public:
    // The exposition text, built on the loop thread when a scrape asks for it.
    using Exposition = std::function<std::string()>;

    // Binds (SO_REUSEADDR, IPV6_V6ONLY for an IPv6 address) and starts accepting. Null and
    // `ec` set when it cannot.
    static std::unique_ptr<MetricsServer> open(boost::asio::io_context& io,
                                               MetricsSettings settings, Exposition exposition,
                                               std::error_code& ec);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    // Stops accepting and drops every connection.
    void close();
    std::size_t clients() const;
    // The bound address (the port chosen when the settings asked for port 0).
    boost::asio::ip::tcp::endpoint local_endpoint() const;

    struct Session;
    struct Shared;

  private:
    MetricsServer(boost::asio::io_context& io, MetricsSettings settings, Exposition exposition);

    std::shared_ptr<Shared> shared_;
};

}  // namespace havip::vrrp
