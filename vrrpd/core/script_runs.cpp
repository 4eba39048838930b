#include "vrrpd/core/script_runs.hpp"

namespace havip::vrrp {

bool ScriptRuns::interval() {
    if (running_) return false;
    running_ = true;
    return true;
}

std::optional<Outcome> ScriptRuns::ended(End end) {
    running_ = false;
    switch (end) {
        case End::exited_zero:
            return Outcome::ok;
        case End::failed:
            return Outcome::failed;
        case End::not_started:
            break;
    }
    return std::nullopt;
}

}  // namespace havip::vrrp
