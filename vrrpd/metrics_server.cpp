#include "vrrpd/metrics_server.hpp"

#include "vrrpd/admission.hpp"

#include <sys/socket.h>

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <vector>

#include "vrrpd/listener.hpp"
#include "vrrpd/metrics.hpp"

namespace havip::vrrp {

namespace asio = boost::asio;
using asio::ip::tcp;

struct MetricsServer::Shared : ListenerCore<tcp, MetricsServer::Session> {
    Shared(asio::io_context& io_, MetricsSettings s, Exposition e)
        : ListenerCore{io_}, settings{std::move(s)}, exposition{std::move(e)} {}
    MetricsSettings settings;
    Exposition exposition;
};

struct MetricsServer::Session : SessionCore<tcp, MetricsServer::Shared>,
                                std::enable_shared_from_this<Session> {
    using SessionCore::SessionCore;

    // One deadline for the whole exchange: a client that sends slowly or reads slowly is
    // dropped when it passes, whatever it is doing.
    void start() {
        deadline.expires_after(shared->settings.deadline);
        deadline.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->stop();
        });
        asio::async_read_until(
            socket, input, "\r\n\r\n",
            [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                // A head larger than max_request ends here too (not_found): dropped.
                if (ec) return self->stop();
                self->answer(n);
            });
    }

    void answer(std::size_t head_size) {
        const auto data = input.data();
        const std::string head(asio::buffers_begin(data), asio::buffers_begin(data) + head_size);
        output = metrics_http_answer(head, shared->exposition);
        asio::async_write(socket, asio::buffer(output),
                          [self = shared_from_this()](boost::system::error_code, std::size_t) {
                              boost::system::error_code ignored;
                              self->socket.shutdown(tcp::socket::shutdown_both, ignored);
                              self->stop();
                          });
    }
};

namespace {

// Too many connections: one non-blocking send of a 503, then close; never waits.
void refuse(tcp::socket& socket) {
    static constexpr std::string_view busy =
        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    [[maybe_unused]] auto n =
        ::send(socket.native_handle(), busy.data(), busy.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    boost::system::error_code ignored;
    socket.close(ignored);
}

// Within max_clients, at most half of them from one source address, so one slow or hostile
// peer cannot take every slot from the scrapers.
void admit(const std::shared_ptr<MetricsServer::Shared>& shared, tcp::socket socket) {
    boost::system::error_code ec;
    const auto peer = socket.remote_endpoint(ec);
    const std::string client = ec ? std::string{} : peer.address().to_string();
    const auto max = shared->settings.max_clients;
    if (!session_admitted(shared->clients(), client, false,
                          {max, std::max<std::size_t>(1, max / 2), 0})) {
        refuse(socket);
    } else {
        auto session = std::make_shared<MetricsServer::Session>(shared, std::move(socket));
        session->client = client;
        shared->keep(std::move(session))->start();
    }
}

}  // namespace

MetricsServer::MetricsServer(asio::io_context& io, MetricsSettings settings, Exposition exposition)
    : shared_{std::make_shared<Shared>(io, std::move(settings), std::move(exposition))} {}

MetricsServer::~MetricsServer() {
    close();
}

std::unique_ptr<MetricsServer> MetricsServer::open(asio::io_context& io, MetricsSettings settings,
                                                   Exposition exposition, std::error_code& ec) {
    ec.clear();
    std::unique_ptr<MetricsServer> self{
        new MetricsServer(io, std::move(settings), std::move(exposition))};
    auto& acceptor = self->shared_->acceptor;
    const auto& endpoint = self->shared_->settings.endpoint;
    boost::system::error_code bec;
    open_acceptor(acceptor, endpoint.protocol(), bec);
    // A restart must not wait for the old connections' TIME_WAIT.
    if (!bec) acceptor.set_option(tcp::acceptor::reuse_address(true), bec);
    if (!bec && endpoint.address().is_v6()) acceptor.set_option(asio::ip::v6_only(true), bec);
    if (!bec) acceptor.bind(endpoint, bec);
    if (!bec) acceptor.listen(asio::socket_base::max_listen_connections, bec);
    if (bec) {
        ec = std::error_code(bec.value(), std::generic_category());
        self->shared_->closed = true;
        return nullptr;
    }
    accept_loop(self->shared_, admit);
    return self;
}

void MetricsServer::close() {
    if (shared_ && !shared_->closed) shared_->close();
}

std::size_t MetricsServer::clients() const {
    return shared_ ? shared_->live() : 0;
}

tcp::endpoint MetricsServer::local_endpoint() const {
    boost::system::error_code ignored;
    return shared_->acceptor.local_endpoint(ignored);
}

}  // namespace havip::vrrp
