#include "checks/tcp_check.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/format.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

namespace havip::checks {
namespace {

// The socket and the timer race; whichever completes first decides, the other is cancelled.
struct TcpProbe {
    TcpProbe(boost::asio::io_context& io, std::function<void(const TcpProbeResult&)> cb)
        : socket(io), timer(io), done(std::move(cb)) {}
    boost::asio::ip::tcp::socket socket;
    boost::asio::steady_timer timer;
    std::function<void(const TcpProbeResult&)> done;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    bool finished = false;

    void finish(TcpProbeResult r) {
        if (finished) return;
        finished = true;
        r.elapsed = std::chrono::steady_clock::now() - started;
        boost::system::error_code ignored;
        timer.cancel();
        socket.close(ignored);
        double ms = std::chrono::duration<double, std::milli>(r.elapsed).count();
        if (r.success) {
            r.reason = fmt::format("connected in {:.1f} ms", ms);
        } else if (r.timed_out) {
            r.reason = fmt::format("no answer in {:.1f} s", ms / 1000);
        } else {
            r.reason = r.error.message();
        }
        done(r);
    }
};

}  // namespace

void tcp_probe(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
               std::chrono::steady_clock::duration timeout,
               std::function<void(const TcpProbeResult&)> done) {
    auto probe = std::make_shared<TcpProbe>(io, std::move(done));
    probe->timer.expires_after(timeout);
    probe->timer.async_wait([probe](const boost::system::error_code& ec) {
        if (ec) return;
        TcpProbeResult r;
        r.timed_out = true;
        r.error = boost::asio::error::timed_out;
        probe->finish(r);
    });
    // Opened here, close-on-exec: async_connect would open it without, and a script forked
    // while the probe waits would inherit it.
    const int fd = ::socket(endpoint.protocol().family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
    boost::system::error_code open_ec;
    if (fd < 0) {
        open_ec.assign(errno, boost::system::system_category());
    } else {
        probe->socket.assign(endpoint.protocol(), fd, open_ec);
        if (open_ec) ::close(fd);
    }
    if (open_ec) {
        boost::asio::post(io, [probe, open_ec] {
            TcpProbeResult r;
            r.error = open_ec;
            probe->finish(r);
        });
        return;
    }
    probe->socket.async_connect(endpoint, [probe](const boost::system::error_code& ec) {
        if (ec == boost::asio::error::operation_aborted && probe->finished) return;
        TcpProbeResult r;
        r.success = !ec;
        r.error = ec;
        probe->finish(r);
    });
}

}  // namespace havip::checks
