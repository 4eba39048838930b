// The accepting side the daemon's two listeners share, the control socket (unix) and the
// metrics endpoint (TCP): a bounded set of sessions on the daemon's loop, accept retried after
// a failure (EMFILE and the like) instead of spinning, and a close that drops every session.
// Daemon side: this touches sockets.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/socket_base.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace havip::vrrp {

// What a listener's shared state holds besides its own settings. `Session` has stop().
template <class Protocol, class Session>
struct ListenerCore {
    explicit ListenerCore(boost::asio::io_context& io_) : io{io_}, acceptor{io_}, retry{io_} {}

    boost::asio::io_context& io;
    typename Protocol::acceptor acceptor;
    boost::asio::steady_timer retry;
    std::vector<std::weak_ptr<Session>> sessions;
    bool closed = false;

    // Sessions still alive.
    std::size_t live() {
        std::erase_if(sessions, [](const auto& w) { return w.expired(); });
        return sessions.size();
    }

    // Stops accepting and stops every session.
    void close() {
        closed = true;
        boost::system::error_code ignored;
        acceptor.close(ignored);
        retry.cancel();
        for (auto& w : sessions)
            if (auto s = w.lock()) s->stop();
        sessions.clear();
    }

    // Who the live sessions are (their `client`), for the admission rules.
    std::vector<std::string> clients() {
        std::vector<std::string> out;
        for (const auto& w : sessions)
            if (auto s = w.lock()) out.push_back(s->client);
        return out;
    }

    // Keeps a new session for live(), clients() and close().
    std::shared_ptr<Session> keep(std::shared_ptr<Session> session) {
        sessions.push_back(session);
        return session;
    }
};

// What a session holds: the listener's shared state, its socket, the deadline that drops it,
// the request (at most settings.max_request bytes) and the reply. A session derives from it.
template <class Protocol, class Shared>
struct SessionCore {
    SessionCore(std::shared_ptr<Shared> sh, typename Protocol::socket s)
        : shared{std::move(sh)},
          socket{std::move(s)},
          deadline{shared->io},
          input{shared->settings.max_request} {}

    std::shared_ptr<Shared> shared;
    typename Protocol::socket socket;
    boost::asio::steady_timer deadline;
    boost::asio::streambuf input;
    std::string output;
    std::string client;  // who it is for the admission rules: a uid, a source address

    // Closes the socket, which cancels its pending operation, and the deadline.
    void stop() {
        boost::system::error_code ignored;
        socket.close(ignored);
        deadline.cancel();
    }
};

// Opens the acceptor's socket close-on-exec and non-blocking. Boost 1.74 opens (and accepts)
// without close-on-exec, so every script would inherit the listener (issue 17, item 2).
template <class Acceptor, class Protocol>
void open_acceptor(Acceptor& acceptor, const Protocol& protocol, boost::system::error_code& ec) {
    const int fd = ::socket(protocol.family(), protocol.type() | SOCK_CLOEXEC | SOCK_NONBLOCK,
                            protocol.protocol());
    if (fd < 0) {
        ec.assign(errno, boost::system::system_category());
        return;
    }
    acceptor.assign(protocol, fd, ec);
    if (ec) ::close(fd);
}

// Accepts until `shared` is closed, handing each connection to `admit(shared, socket)`, which
// refuses it or starts a session (ListenerCore::keep). A failed accept tries again 100 ms later.
// Connections are taken with accept4(SOCK_CLOEXEC) when the acceptor is readable, so no
// accepted socket is ever without close-on-exec, not even until its handler runs.
template <class Shared, class Admit>
void accept_loop(const std::shared_ptr<Shared>& shared, Admit admit) {
    using Acceptor = std::decay_t<decltype(shared->acceptor)>;
    shared->acceptor.async_wait(
        boost::asio::socket_base::wait_read, [shared, admit](boost::system::error_code ec) {
            if (shared->closed) return;
            int fd = -1;
            if (!ec) {
                fd = ::accept4(shared->acceptor.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
                if (fd < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
                               errno == ECONNABORTED)) {
                    accept_loop(shared, admit);  // the client left before we took it
                    return;
                }
            }
            typename Acceptor::protocol_type::socket socket{shared->io};
            if (fd >= 0) {
                const auto protocol = shared->acceptor.local_endpoint(ec).protocol();
                if (!ec) socket.assign(protocol, fd, ec);
                if (ec) {
                    ::close(fd);
                    fd = -1;
                }
            }
            if (fd < 0) {
                shared->retry.expires_after(std::chrono::milliseconds(100));
                shared->retry.async_wait([shared, admit](boost::system::error_code tec) {
                    if (!tec && !shared->closed) accept_loop(shared, admit);
                });
                return;
            }
            admit(shared, std::move(socket));
            accept_loop(shared, admit);
        });
}

}  // namespace havip::vrrp
