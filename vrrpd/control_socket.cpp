#include "vrrpd/control_socket.hpp"

#include "vrrpd/admission.hpp"
#include "vrrpd/control_access.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <istream>
#include <vector>

#include <fmt/format.h>

#include "vrrpd/listener.hpp"

namespace havip::vrrp {

namespace asio = boost::asio;
using asio::local::stream_protocol;

namespace {

// Whether a daemon answers on the unix socket at `path` (then it is not stale).
bool someone_listens(const std::string& path) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof addr.sun_path - 1);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
}

std::string error_line(std::string_view message) {
    return nlohmann::json{{"version", control_protocol_version}, {"error", message}}.dump() + "\n";
}

// Whether the peer's primary or supplementary groups include `gid` (SO_PEERGROUPS, Linux 4.13).
bool peer_in_group(int fd, gid_t primary, gid_t gid) {
    if (primary == gid) return true;
    std::vector<gid_t> groups(64);
    for (int attempt = 0; attempt < 2; ++attempt) {
        socklen_t len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (::getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
            groups.resize(len / sizeof(gid_t));
            return std::find(groups.begin(), groups.end(), gid) != groups.end();
        }
        if (errno != ERANGE) return false;
        groups.resize(len / sizeof(gid_t) + 1);  // len now holds the size needed
    }
    return false;
}

// A refusal must not wait for the client either: one non-blocking send, then close.
void refuse(stream_protocol::socket& socket, std::string_view message) {
    const auto line = error_line(message);
    [[maybe_unused]] auto n =
        ::send(socket.native_handle(), line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    boost::system::error_code ignored;
    socket.close(ignored);
}

}  // namespace

struct ControlSocket::Shared : ListenerCore<stream_protocol, ControlSocket::Session> {
    Shared(asio::io_context& io_, ControlSettings s, Handler h)
        : ListenerCore{io_}, settings{std::move(s)}, handler{std::move(h)} {}
    ControlSettings settings;
    Handler handler;
};

struct ControlSocket::Session : SessionCore<stream_protocol, ControlSocket::Shared>,
                                std::enable_shared_from_this<Session> {
    Session(std::shared_ptr<Shared> sh, stream_protocol::socket s, Caller c)
        : SessionCore{std::move(sh), std::move(s)}, caller{c} {}
    Caller caller;  // SO_PEERCRED at accept

    // Re-arming cancels the previous wait, whose handler then sees operation_aborted.
    void arm() {
        deadline.expires_after(shared->settings.io_timeout);
        deadline.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->stop();  // too slow: dropped, its pending operation cancelled
        });
    }

    // A request is a line of at most max_request bytes, its '\n' included: the streambuf's
    // max_size is the bound, and a longer line ends the session (LineFramer's rule,
    // vrrpd/control_framing.hpp). Requests sent together are answered one after the other.
    void read() {
        arm();
        asio::async_read_until(
            socket, input, '\n',
            [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                if (ec) return self->stop();  // closed, too long, timed out
                self->answer();
            });
    }

    void answer() {
        std::string line;
        std::istream in(&input);
        std::getline(in, line);
        const auto reply = shared->handler(line, caller);
        // Reasons come from scripts and servers: invalid UTF-8 is replaced, never thrown.
        output = reply.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        arm();
        asio::async_write(socket, asio::buffer(output),
                          [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                              if (ec) return self->stop();
                              self->read();
                          });
    }
};

namespace {

// Root, our own user and havip_control_group may talk to the daemon; within max_clients, at
// most this many sessions per user, and the last slots kept for root: a group member holding
// connections open cannot lock root out of `havip status` or `havip promote --force`.
constexpr std::size_t control_sessions_per_user = 4;
constexpr std::size_t control_sessions_for_root = 4;
void admit(const std::shared_ptr<ControlSocket::Shared>& shared, stream_protocol::socket socket) {
    ucred cred{};
    socklen_t len = sizeof cred;
    const bool known =
        ::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0;
    const auto& group = shared->settings.group;
    const bool allowed =
        known && (cred.uid == 0 || cred.uid == ::geteuid() ||
                  (group && peer_in_group(socket.native_handle(), cred.gid, *group)));
    if (!allowed) {
        refuse(socket, group ? "permission denied: the control socket is for root and "
                               "havip_control_group"
                             : "permission denied: the control socket is for root");
    } else if (const auto client = std::to_string(cred.uid);
               !session_admitted(shared->clients(), client, cred.uid == 0,
                                 {shared->settings.max_clients, control_sessions_per_user,
                                  control_sessions_for_root})) {
        refuse(socket, "too many clients");
    } else {
        const Caller caller{static_cast<std::uint32_t>(cred.uid),
                            static_cast<std::uint32_t>(cred.gid),
                            static_cast<std::int32_t>(cred.pid)};
        auto session = std::make_shared<ControlSocket::Session>(shared, std::move(socket), caller);
        session->client = client;
        shared->keep(std::move(session))->read();
    }
}

}  // namespace

ControlSocket::ControlSocket(asio::io_context& io, ControlSettings settings, Handler handler)
    : shared_{std::make_shared<Shared>(io, std::move(settings), std::move(handler))} {}

ControlSocket::~ControlSocket() {
    close();
}

std::unique_ptr<ControlSocket> ControlSocket::open(asio::io_context& io, ControlSettings settings,
                                                   Handler handler, std::error_code& ec,
                                                   std::string* detail) {
    namespace fs = std::filesystem;
    ec.clear();
    const fs::path path = settings.path;
    if (path.string().size() >= sizeof(sockaddr_un::sun_path)) {
        ec = std::make_error_code(std::errc::filename_too_long);
        return nullptr;
    }
    const auto dir = path.parent_path();
    if (!dir.empty() && !fs::exists(dir, ec)) {
        fs::create_directories(dir.parent_path().empty() ? dir : dir.parent_path(), ec);
        if (ec) return nullptr;
        // Only the daemon's user may even reach the socket (the SO_PEERCRED check is the
        // second line).
        if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
            ec = std::error_code(errno, std::generic_category());
            return nullptr;
        }
    }
    struct stat st {};
    const auto checked_dir = dir.empty() ? fs::path(".") : dir;
    if (::stat(checked_dir.c_str(), &st) != 0) {
        ec = std::error_code(errno, std::generic_category());
        return nullptr;
    }
    if (auto problem = control_directory_problem(st.st_uid, st.st_mode, ::geteuid());
        !problem.empty()) {
        if (detail) *detail = fmt::format("directory {}: {}", checked_dir.string(), problem);
        ec = std::make_error_code(std::errc::permission_denied);
        return nullptr;
    }
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            ec = std::make_error_code(std::errc::file_exists);
            return nullptr;
        }
        if (someone_listens(path.string())) {
            ec = std::make_error_code(std::errc::address_in_use);
            return nullptr;
        }
        ::unlink(path.c_str());  // left behind by a daemon that died
    }
    std::unique_ptr<ControlSocket> self{
        new ControlSocket(io, std::move(settings), std::move(handler))};
    auto& acceptor = self->shared_->acceptor;
    boost::system::error_code bec;
    const stream_protocol::endpoint endpoint{path.string()};
    open_acceptor(acceptor, endpoint.protocol(), bec);
    if (!bec) acceptor.bind(endpoint, bec);
    if (!bec) acceptor.listen(asio::socket_base::max_listen_connections, bec);
    if (bec) {
        ec = std::error_code(bec.value(), std::generic_category());
        self->shared_->closed = true;
        return nullptr;
    }
    const auto& group = self->shared_->settings.group;
    const bool modes_set = group ? ::chown(path.c_str(), static_cast<uid_t>(-1), *group) == 0 &&
                                       ::chmod(path.c_str(), 0660) == 0
                                 : ::chmod(path.c_str(), 0600) == 0;
    if (!modes_set) {
        ec = std::error_code(errno, std::generic_category());
        self->close();
        return nullptr;
    }
    // The group must be able to reach the socket: traverse, not list. Only a directory of
    // ours that is closed to everyone else (RuntimeDirectory=, or the one made above) is
    // opened to the group; a shared one (/run) already lets it through.
    struct stat dst {};
    if (group && !dir.empty() && ::stat(dir.c_str(), &dst) == 0 && dst.st_uid == ::geteuid() &&
        (dst.st_mode & 07777) == 0700) {
        if (::chown(dir.c_str(), static_cast<uid_t>(-1), *group) != 0 ||
            ::chmod(dir.c_str(), 0710) != 0) {
            ec = std::error_code(errno, std::generic_category());
            self->close();
            return nullptr;
        }
    }
    self->accept();
    return self;
}

void ControlSocket::accept() {
    accept_loop(shared_, admit);
}

void ControlSocket::close() {
    if (!shared_ || shared_->closed) return;
    shared_->close();
    ::unlink(shared_->settings.path.c_str());
}

std::size_t ControlSocket::clients() const {
    return shared_ ? shared_->live() : 0;
}

}  // namespace havip::vrrp
