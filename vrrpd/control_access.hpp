// Whether the directory holding the control socket keeps others from replacing it: whoever can
// rename or unlink the socket there can bind their own in its place and answer `havip status`
// or receive `havip promote --force` meant for the daemon.
#pragma once

#include <sys/types.h>

#include <string>

namespace havip::vrrp {

// "" when a directory with this owner and mode is safe for the daemon (running as `euid`): it
// owns it, or root does; and nobody else may write to it, unless it is sticky (as /run/user
// dirs are not, /tmp is). Else why not, for the log.
std::string control_directory_problem(uid_t owner, mode_t mode, uid_t euid);

}  // namespace havip::vrrp
