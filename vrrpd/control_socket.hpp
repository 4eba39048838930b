// The control socket: a unix stream socket on the daemon's io_context answering the versioned
// JSON protocol (vrrpd/status.hpp, vrrpd/control_command.hpp), one request per line, one answer
// per line. Root only (the daemon's own user too, for unprivileged test runs), or a configured
// group's members; each request is handed over with the caller's credentials, so write commands
// can be root's alone. Every read
// and write has a deadline, and a client that stops reading is dropped, never waited for: the
// advert timers share this loop.
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "vrrpd/control_command.hpp"
#include "vrrpd/status.hpp"

namespace havip::vrrp {

struct ControlSettings {
    std::string path;
    std::size_t max_clients = 16;
    // How long a client may take to send a request, and the daemon to hand it the answer.
    std::chrono::milliseconds io_timeout{2000};
    std::size_t max_request = 4096;  // bytes in one request line, its '\n' included
    // `havip_control_group`: members of this group (primary or supplementary, from
    // SO_PEERCRED / SO_PEERGROUPS) may use the socket too. The socket then gets the group and
    // mode 0660, and its directory, when it is ours and 0700, the group and mode 0710.
    std::optional<gid_t> group;
};

class ControlSocket {
  public:
    // Answers one request line from `caller` (on the loop thread).
    using Handler = std::function<nlohmann::json(std::string_view line, const Caller& caller)>;

    // Creates the socket's directory (0700) when missing, replaces a stale socket file (one
    // nobody answers on), binds with mode 0600 and starts accepting. Null and `ec` set when it
    // cannot: the path is in use by a live daemon, the directory cannot be made, or others
    // could replace the socket in it (vrrpd/control_access.hpp; `detail` then says why).
    static std::unique_ptr<ControlSocket> open(boost::asio::io_context& io,
                                               ControlSettings settings, Handler handler,
                                               std::error_code& ec, std::string* detail = nullptr);
    ~ControlSocket();
    ControlSocket(const ControlSocket&) = delete;
    ControlSocket& operator=(const ControlSocket&) = delete;

    // Stops accepting, drops every client and removes the socket file.
    void close();
    std::size_t clients() const;

    struct Session;
    struct Shared;

  private:
    ControlSocket(boost::asio::io_context& io, ControlSettings settings, Handler handler);
    void accept();

    std::shared_ptr<Shared> shared_;
};

}  // namespace havip::vrrp
