#include "checks/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace havip::checks {

namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

}  // namespace

std::error_code write_file_atomically(const std::string& path, std::string_view text, mode_t mode,
                                      bool durable) {
    const std::string tmp = path + ".tmp";
    // A leftover of a crash, or a symlink planted there: unlink removes the name, not what a
    // symlink points to. Should one be planted again before the open, O_EXCL refuses it.
    if (::unlink(tmp.c_str()) != 0 && errno != ENOENT) return last_error();
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) return last_error();
    auto fail = [&](bool opened) {
        auto ec = last_error();
        if (opened) ::close(fd);
        ::unlink(tmp.c_str());
        return ec;
    };
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(true);
        }
        done += static_cast<std::size_t>(n);
    }
    if (durable && ::fsync(fd) != 0) return fail(true);
    if (::close(fd) != 0) return fail(false);
    if (::rename(tmp.c_str(), path.c_str()) != 0) return fail(false);
    if (durable) {
        const auto slash = path.rfind('/');
        const std::string dir =
            slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
        const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            ::fsync(dfd);
            ::close(dfd);
        }
    }
    return {};
}

}  // namespace havip::checks
