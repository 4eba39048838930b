#include "checks/track_file.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <map>
#include <string_view>

#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace havip::checks {

namespace asio = boost::asio;
namespace fs = std::filesystem;

namespace {

fs::path directory_of(const fs::path& file) {
    return file.parent_path().empty() ? fs::path(".") : file.parent_path();
}

std::string_view file_kind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISCHR(mode) || S_ISBLK(mode)) return "a device";
    if (S_ISSOCK(mode)) return "a socket";
    if (S_ISDIR(mode)) return "a directory";
    return "not a file";
}

}  // namespace

TrackFileValue parse_track_file(std::string_view text) {
    std::size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
    while (i < text.size() && space(text[i]))
        ++i;
    bool negative = false;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
    const std::size_t digits_start = i;
    long long value = 0;
    bool overflow = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (value > (1LL << 40)) overflow = true;  // far beyond any weight: clamp, don't wrap
        if (!overflow) value = value * 10 + (text[i] - '0');
    }
    TrackFileValue out;
    if (i == digits_start) {
        out.note = text.empty() ? "empty" : "not a number";
        return out;
    }
    out.value = negative ? -value : value;
    while (i < text.size() && space(text[i]))
        ++i;
    if (i != text.size()) out.note = "text after the number ignored";
    return out;
}

TrackFileEffect track_file_effect(long long value, int weight, bool reverse) {
    if (weight == 0) return {0, value == 0 ? vrrp::Outcome::ok : vrrp::Outcome::failed};
    // |value| is bounded by parse_track_file, |weight| by the config (-254..254).
    long long result = value * weight;
    if (reverse) result = -result;
    if (result < -253) return {0, vrrp::Outcome::failed};
    if (result > 253) result = 253;
    if (result < 0) return {static_cast<int>(result), vrrp::Outcome::failed};
    return {static_cast<int>(result), vrrp::Outcome::ok};
}

std::vector<InotifyEvent> decode_inotify_events(std::span<const std::byte> buffer) {
    std::vector<InotifyEvent> events;
    const auto* data = reinterpret_cast<const char*>(buffer.data());
    std::size_t off = 0;
    while (buffer.size() - off >= sizeof(inotify_event)) {
        inotify_event ev;  // copied out: nothing in the buffer is taken to be aligned
        std::memcpy(&ev, data + off, sizeof ev);
        off += sizeof ev;
        if (ev.len > buffer.size() - off) break;
        // NUL-padded to len by the kernel; never read beyond len should the NUL be missing.
        const char* name = data + off;
        events.push_back({ev.wd, ev.mask, std::string(name, ::strnlen(name, ev.len))});
        off += ev.len;
    }
    return events;
}

TrackFileActions track_file_actions(std::span<const InotifyEvent> events,
                                    const std::map<int, fs::path>& directories,
                                    std::span<const fs::path> files) {
    TrackFileActions out;
    auto read = [&](std::size_t i) {
        if (std::find(out.read.begin(), out.read.end(), i) == out.read.end()) out.read.push_back(i);
    };
    for (const InotifyEvent& ev : events) {
        if (ev.mask & IN_Q_OVERFLOW) out.read_all = true;
        auto dir = directories.find(ev.wd);
        // A watch already lost in this read: what follows for it (IN_IGNORED after
        // IN_DELETE_SELF, entries of a directory moved away) is not about the paths.
        if (dir == directories.end() ||
            std::find(out.lost.begin(), out.lost.end(), ev.wd) != out.lost.end())
            continue;
        if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) {
            out.lost.push_back(ev.wd);
            for (std::size_t i = 0; i < files.size(); ++i)
                if (directory_of(files[i]) == dir->second) read(i);
            continue;
        }
        if (ev.name.empty()) continue;
        for (std::size_t i = 0; i < files.size(); ++i)
            if (files[i].filename() == ev.name && directory_of(files[i]) == dir->second) read(i);
    }
    return out;
}

struct TrackFileWatcher::Impl : std::enable_shared_from_this<Impl> {
    Impl(asio::io_context& io, std::vector<File> f, Report r, Warn w)
        : files(std::move(f)), report(std::move(r)), warn(std::move(w)), stream(io), timer(io) {
        for (const File& file : files)
            paths.push_back(file.path);
    }

    std::vector<File> files;
    std::vector<fs::path> paths;  // files' paths, for track_file_actions
    Report report;
    Warn warn;
    asio::posix::stream_descriptor stream;
    asio::steady_timer timer;             // rewatch_interval, while `unwatched` is not empty
    bool rewatch_pending = false;         // the timer is waiting
    std::map<int, fs::path> directories;  // watch descriptor → directory
    std::vector<fs::path> unwatched;      // directories to watch again once they are there
    std::array<char, 4096> buffer{};

    void initialise(const File& f) {
        if (!f.init_value) return;
        std::error_code ec;
        // A link at the path counts as there: replaced only with overwrite, and never followed.
        if (fs::symlink_status(f.path, ec).type() != fs::file_type::not_found &&
            !f.init_overwrite)
            return;
        // Written beside and renamed over, so a reader never sees a half-written value. The
        // temporary name is predictable and the directory may be /tmp: created exclusively and
        // never through a link (keepalived's CVE-2018-19044); one left behind (by a crash, or
        // planted) is removed first, which removes a link, not what it points at.
        const fs::path tmp = f.path.string() + ".havipd-tmp";
        const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
        int fd = ::open(tmp.c_str(), flags, 0644);
        if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0)
            fd = ::open(tmp.c_str(), flags, 0644);
        if (fd < 0) {
            warn(fmt::format("track_file {}: cannot create {}: {}", f.name, tmp.string(),
                             std::strerror(errno)));
            return;
        }
        const auto text = fmt::format("{}\n", *f.init_value);
        const bool written = ::write(fd, text.data(), text.size()) ==
                             static_cast<ssize_t>(text.size());
        if (::close(fd) != 0 || !written) {
            warn(fmt::format("track_file {}: cannot write init_file value to {}", f.name,
                             f.path.string()));
            ::unlink(tmp.c_str());
            return;
        }
        if (::rename(tmp.c_str(), f.path.c_str()) != 0) {
            warn(fmt::format("track_file {}: cannot create {}: {}", f.name, f.path.string(),
                             std::strerror(errno)));
            ::unlink(tmp.c_str());
        }
    }

    // Never blocks the loop: a FIFO opened for reading waits for a writer, so the open is
    // non-blocking and only a regular file is read; not through a link either, which a local
    // user could point at any file. Anything else reads as 0, as a missing file does.
    void read(const File& f) {
        const int fd = ::open(f.path.c_str(), O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            const int err = errno;
            report(f.name, 0,
                   err == ELOOP
                       ? fmt::format("{} is a symbolic link, not read: value 0", f.path.string())
                       : fmt::format("{} cannot be read ({}): value 0", f.path.string(),
                                     std::strerror(err)));
            return;
        }
        struct stat st {};
        if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
            ::close(fd);
            report(f.name, 0,
                   fmt::format("{} is not a regular file ({}), not read: value 0",
                               f.path.string(), file_kind(st.st_mode)));
            return;
        }
        std::array<char, 64> text{};
        const ssize_t n = ::read(fd, text.data(), text.size());
        const int err = errno;
        ::close(fd);
        if (n < 0) {
            report(f.name, 0,
                   fmt::format("{} cannot be read ({}): value 0", f.path.string(),
                               std::strerror(err)));
            return;
        }
        const TrackFileValue v =
            parse_track_file(std::string_view(text.data(), static_cast<std::size_t>(n)));
        report(f.name, v.value,
               v.note.empty()
                   ? fmt::format("value {} in {}", v.value, f.path.string())
                   : fmt::format("value {} in {} ({})", v.value, f.path.string(), v.note));
    }

    void watch() {
        const int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0) {
            warn(fmt::format("track_file: inotify_init1: {}; files are read at start-up only",
                             std::strerror(errno)));
            return;
        }
        stream.assign(fd);
        for (const File& f : files) {
            const fs::path dir = directory_of(f.path);
            bool known = std::find(unwatched.begin(), unwatched.end(), dir) != unwatched.end();
            for (const auto& [wd, d] : directories)
                known = known || d == dir;
            if (known) continue;
            if (const int err = add_watch(dir)) {
                warn(fmt::format(
                    "track_file {}: cannot watch {}: {}; its value is 0 until it "
                    "can, tried every {} s",
                    f.name, dir.string(), std::strerror(err), rewatch_interval.count()));
                unwatched.push_back(dir);
            }
        }
        schedule_rewatch();
        arm();
    }

    // 0, or the errno of inotify_add_watch.
    int add_watch(const fs::path& dir) {
        // The directory, not the file: an editor or `mv` replaces the file's inode. Its own
        // deletion or move ends the watch (track_file_actions' `lost`).
        const int wd = ::inotify_add_watch(stream.native_handle(), dir.c_str(),
                                           IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM |
                                               IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF);
        if (wd < 0) return errno;
        directories.emplace(wd, dir);
        return 0;
    }

    // After an overflow: the dropped events may be those that ended a watch (IN_DELETE_SELF,
    // IN_MOVE_SELF, IN_IGNORED), so each directory is watched again by its path. The kernel
    // answers with the same descriptor while the path still names the watched directory; a new
    // one, or none, means the old watch no longer sees the path.
    void revalidate() {
        const auto watched = directories;
        for (const auto& [wd, dir] : watched) {
            directories.erase(wd);
            const int err = add_watch(dir);
            if (err == 0 && directories.count(wd)) continue;
            ::inotify_rm_watch(stream.native_handle(), wd);
            if (err != 0) gone(dir);
        }
        schedule_rewatch();
    }

    // `dir` is not at its path any more: watched again once it is (rewatch).
    void gone(const fs::path& dir) {
        warn(
            fmt::format("track_file: {} is gone; its files read as 0 until it is there again, "
                        "tried every {} s",
                        dir.string(), rewatch_interval.count()));
        if (std::find(unwatched.begin(), unwatched.end(), dir) == unwatched.end())
            unwatched.push_back(dir);
    }

    // Tries the unwatched directories; the files of each now watched are read, since they may
    // have been written before the watch began.
    void rewatch() {
        std::vector<fs::path> still;
        for (const fs::path& dir : unwatched) {
            if (add_watch(dir) != 0) {
                still.push_back(dir);
                continue;
            }
            for (const File& f : files)
                if (directory_of(f.path) == dir) read(f);
        }
        unwatched = std::move(still);
        schedule_rewatch();
    }

    void schedule_rewatch() {
        if (unwatched.empty() || rewatch_pending) return;
        rewatch_pending = true;
        timer.expires_after(rewatch_interval);
        timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec) return;
            self->rewatch_pending = false;
            self->rewatch();
        });
    }

    void arm() {
        stream.async_read_some(
            asio::buffer(buffer),
            [weak = weak_from_this()](boost::system::error_code ec, std::size_t n) {
                if (auto self = weak.lock(); self && !ec) self->events(n);
            });
    }

    void events(std::size_t n) {
        const auto events = decode_inotify_events(std::as_bytes(std::span(buffer.data(), n)));
        const TrackFileActions actions = track_file_actions(events, directories, paths);
        for (int wd : actions.lost) {
            // A moved directory's watch is still there, following it; a deleted one's is gone
            // already (EINVAL, ignored).
            ::inotify_rm_watch(stream.native_handle(), wd);
            const fs::path dir = directories[wd];
            directories.erase(wd);
            // Maybe there again already (a directory renamed over it): then its files are read
            // below, after the watch began.
            if (add_watch(dir) != 0) gone(dir);
        }
        schedule_rewatch();
        // The kernel dropped events (more than fs.inotify.max_queued_events were waiting):
        // a write among them would go unseen until the next one, so every file is read again.
        if (actions.read_all) {
            revalidate();
            for (const File& f : files)
                read(f);
        } else {
            for (std::size_t i : actions.read)
                read(files[i]);
        }
        arm();
    }
};

TrackFileWatcher::TrackFileWatcher(asio::io_context& io, std::vector<File> files, Report report,
                                   Warn warn)
    : impl_(std::make_shared<Impl>(io, std::move(files), std::move(report), std::move(warn))) {}

TrackFileWatcher::~TrackFileWatcher() {
    boost::system::error_code ignored;
    impl_->stream.close(ignored);
    impl_->timer.cancel();
}

void TrackFileWatcher::start() {
    for (const File& f : impl_->files)
        impl_->initialise(f);
    for (const File& f : impl_->files)
        impl_->read(f);
    impl_->watch();
}

}  // namespace havip::checks
