// Who gets one of a listener's few session slots (the control socket, the metrics endpoint):
// no single client can hold them all, and root always finds one on the control socket.
#pragma once

#include <cstddef>
#include <span>
#include <string>

namespace havip::vrrp {

struct AdmissionLimits {
    std::size_t max_sessions = 16;  // in all
    std::size_t per_client = 4;     // for one client (a uid, a source address)
    std::size_t reserved = 0;       // of max_sessions, only for privileged clients
};

// Whether a new session from `client` is taken, given the clients of the live sessions. A
// privileged client (root on the control socket) is bound by max_sessions only.
bool session_admitted(std::span<const std::string> live, const std::string& client, bool privileged,
                      const AdmissionLimits& limits);

}  // namespace havip::vrrp
