#include "vrrpd/control_access.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

namespace havip::vrrp {

std::string control_directory_problem(uid_t owner, mode_t mode, uid_t euid) {
    if (owner != euid && owner != 0)
        return fmt::format("it belongs to uid {}, who could replace the socket", owner);
    if ((mode & (S_IWGRP | S_IWOTH)) != 0 && (mode & S_ISVTX) == 0)
        return fmt::format(
            "it is writable by {} (mode {:04o}) without the sticky bit, so they "
            "could replace the socket",
            (mode & S_IWOTH) ? "everyone" : "its group", mode & 07777);
    return "";
}

}  // namespace havip::vrrp
