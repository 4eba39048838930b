#include "checks/track_process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <set>

#include <dirent.h>
#include <fcntl.h>
#include <linux/cn_proc.h>
#include <linux/connector.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/format.h>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include "checks/background.hpp"

namespace havip::checks {

namespace asio = boost::asio;

bool uses_command_line(const ProcessMatch& match) {
    return match.full_command || !match.params.empty() || match.param_match;
}

bool process_matches(const ProcessMatch& match, std::string_view comm,
                     const std::vector<std::string>& argv) {
    if (!uses_command_line(match)) return comm == match.process;
    if (argv.empty() || argv[0] != match.process) return false;
    const std::size_t n = match.params.size();
    const std::size_t args = argv.size() - 1;
    // "param_match" with no parameters: the command must have none (keepalived.conf(5)).
    if (n == 0) return match.param_match ? args == 0 : true;
    if (args < n) return false;
    if (!match.param_match && args != n) return false;
    for (std::size_t i = 0; i + 1 < n; ++i)
        if (argv[i + 1] != match.params[i]) return false;
    const std::string& last = argv[n];
    if (match.param_match == ParamMatch::initial) return last.starts_with(match.params[n - 1]);
    return last == match.params[n - 1];
}

std::vector<proc_event> decode_proc_events(std::string_view buffer) {
    constexpr std::size_t header = NLMSG_ALIGN(sizeof(nlmsghdr));
    std::vector<proc_event> events;
    std::size_t at = 0;
    while (at + sizeof(nlmsghdr) <= buffer.size()) {
        nlmsghdr nl;  // headers and payloads copied out: nothing in the buffer is aligned
        std::memcpy(&nl, buffer.data() + at, sizeof nl);
        if (nl.nlmsg_len < header || nl.nlmsg_len > buffer.size() - at) break;
        const auto payload = buffer.substr(at + header, nl.nlmsg_len - header);
        at += NLMSG_ALIGN(nl.nlmsg_len);
        if (payload.size() < sizeof(cn_msg) + sizeof(proc_event)) continue;
        cn_msg cn;
        std::memcpy(&cn, payload.data(), sizeof cn);
        if (cn.id.idx != CN_IDX_PROC || cn.id.val != CN_VAL_PROC) continue;
        proc_event& ev = events.emplace_back();
        std::memcpy(&ev, payload.data() + sizeof cn, sizeof ev);
    }
    return events;
}

bool quorum_met(std::size_t count, int quorum, std::optional<int> quorum_max) {
    if (count < static_cast<std::size_t>(std::max(quorum, 0))) return false;
    return !quorum_max || count <= static_cast<std::size_t>(std::max(*quorum_max, 0));
}

std::string quorum_reason(std::size_t count, int quorum, std::optional<int> quorum_max) {
    const char* noun = count == 1 ? "process" : "processes";
    if (quorum_max) return fmt::format("{} {} (quorum {}..{})", count, noun, quorum, *quorum_max);
    return fmt::format("{} {} (quorum {})", count, noun, quorum);
}

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
    // "PID (COMM) S …": the comm may hold spaces and parentheses, so it ends at the last ')'.
    const auto open = text.find('(');
    const auto close = text.rfind(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
        close + 2 >= text.size() || text[close + 1] != ' ')
        return std::nullopt;
    return ProcStat{std::string(text.substr(open + 1, close - open - 1)), text[close + 2]};
}

std::vector<std::string> split_cmdline(std::string_view text) {
    std::vector<std::string> out;
    if (!text.empty() && text.back() == '\0') text.remove_suffix(1);
    if (text.empty()) return out;
    std::size_t start = 0;
    while (true) {
        const auto nul = text.find('\0', start);
        out.emplace_back(text.substr(start, nul == std::string_view::npos ? nul : nul - start));
        if (nul == std::string_view::npos) break;
        start = nul + 1;
    }
    return out;
}

namespace {

// The first `max` bytes of a /proc file; nullopt when the process is gone.
std::optional<std::string> read_proc(const std::string& path, std::size_t max) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::string out;
    std::array<char, 4096> chunk{};
    while (out.size() < max) {
        const ssize_t n = ::read(fd, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(chunk.data(), static_cast<std::size_t>(n));
    }
    ::close(fd);
    return out;
}

std::optional<int> to_pid(std::string_view name) {
    int pid = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec != std::errc() || end != name.data() + name.size() || pid <= 0) return std::nullopt;
    return pid;
}

// What changed the count: a scan, a fork (the child counts as its parent until it execs), a
// process that came to match (exec, rename), or one that stopped matching or exited.
enum class Cause { scan, fork, change, loss };

// A live (non-zombie) process's name and, when `command_line`, its arguments.
struct Info {
    std::string comm;
    std::vector<std::string> argv;
};
std::optional<Info> read_info(int pid, bool command_line) {
    const std::string dir = fmt::format("/proc/{}/", pid);
    auto stat_text = read_proc(dir + "stat", 1024);
    if (!stat_text) return std::nullopt;
    auto stat = parse_proc_stat(*stat_text);
    // keepalived does not count zombies: they are not running.
    if (!stat || stat->state == 'Z' || stat->state == 'X') return std::nullopt;
    Info info{std::move(stat->comm), {}};
    if (command_line) {
        auto cmdline = read_proc(dir + "cmdline", 128 * 1024);
        if (!cmdline) return std::nullopt;
        info.argv = split_cmdline(*cmdline);
    }
    return info;
}

// Events held while a scan runs, beyond which the scan's result is thrown away for a new one.
constexpr std::size_t max_held_events = 4096;

}  // namespace

// /proc lists processes (thread group leaders) only, so threads are never counted.
std::vector<std::set<int>> scan_processes(const std::vector<ProcessMatch>& matches) {
    const bool command_line = std::any_of(matches.begin(), matches.end(), uses_command_line);
    std::vector<std::set<int>> found(matches.size());
    if (DIR* dir = ::opendir("/proc")) {
        while (const dirent* entry = ::readdir(dir)) {
            const auto pid = to_pid(entry->d_name);
            if (!pid) continue;
            const auto info = read_info(*pid, command_line);
            if (!info) continue;
            for (std::size_t i = 0; i < matches.size(); ++i)
                if (process_matches(matches[i], info->comm, info->argv)) found[i].insert(*pid);
        }
        ::closedir(dir);
    }
    return found;
}

struct TrackProcessWatcher::Impl : std::enable_shared_from_this<Impl> {
    struct Tracked {
        std::set<int> pids;
        std::optional<bool> reported;
        bool pending = false;  // a delayed transition is waiting on `timer`
        std::unique_ptr<asio::steady_timer> timer;
    };

    Impl(asio::io_context& io_, std::vector<Process> p, Report r, Warn w, Scan s)
        : io(io_),
          processes(std::move(p)),
          report(std::move(r)),
          warn(std::move(w)),
          scan_fn(std::move(s)),
          connector(io_),
          poll_timer(io_),
          background(io_) {
        for (const Process& process : processes) {
            matches.push_back(process.match);
            any_command_line = any_command_line || uses_command_line(process.match);
            Tracked t;
            t.timer = std::make_unique<asio::steady_timer>(io);
            tracked.push_back(std::move(t));
        }
    }

    asio::io_context& io;
    std::vector<Process> processes;
    Report report;
    Warn warn;
    Scan scan_fn;
    std::vector<ProcessMatch> matches;  // parallel to `processes`, for the scan
    bool any_command_line = false;
    std::vector<Tracked> tracked;  // parallel to `processes`
    asio::posix::stream_descriptor connector;
    bool connected = false;
    asio::steady_timer poll_timer;
    std::map<int, std::unique_ptr<asio::posix::stream_descriptor>> pidfds;  // fallback only
    alignas(8) std::array<char, 16384> buffer{};
    Background background;         // runs the scans
    bool scanning = false;         // a scan runs in the background
    bool rescan = false;           // and another was asked for meanwhile
    bool replaying = false;        // scanned() applies `held` again: no reports
    bool listed = false;           // a scan's result has been applied
    std::vector<proc_event> held;  // what the connector said while the scan ran

    void close() {
        boost::system::error_code ignored;
        connector.close(ignored);
        poll_timer.cancel();
        for (auto& t : tracked)
            t.timer->cancel();
        pidfds.clear();
    }

    void report_now(std::size_t i, bool running) {
        Tracked& t = tracked[i];
        t.reported = running;
        const Process& p = processes[i];
        report(p.name, running, quorum_reason(t.pids.size(), p.quorum, p.quorum_max));
    }

    void evaluate(std::size_t i, Cause cause) {
        // Nothing is known before the first scan's result (events before it only update the
        // sets); during scanned()'s replay, it evaluates everything once done.
        if (!listed || replaying) return;
        Tracked& t = tracked[i];
        const Process& p = processes[i];
        const bool running = quorum_met(t.pids.size(), p.quorum, p.quorum_max);
        if (!t.reported) {  // start-up: the state as found, no delay
            report_now(i, running);
            return;
        }
        if (running == *t.reported) {
            if (t.pending) {  // bounced back before its delay ran out: nothing happened
                t.pending = false;
                t.timer->cancel();
            }
            return;
        }
        // A gain still waiting out its fork_delay: a process lost meanwhile (another forked
        // child that exec'd something else) makes it no less a fork's.
        if (t.pending && running && cause == Cause::loss) return;
        // keepalived's delays: terminate_delay on a loss (a parent re-forking), fork_delay on
        // a gain made by a fork (fork then exec of something else).
        const std::chrono::microseconds delay =
            running ? (cause == Cause::fork ? p.fork_delay : std::chrono::microseconds(0))
                    : p.terminate_delay;
        if (delay.count() == 0) {
            if (t.pending) {
                t.pending = false;
                t.timer->cancel();
            }
            report_now(i, running);
            return;
        }
        if (t.pending) return;
        t.pending = true;
        t.timer->expires_after(delay);
        t.timer->async_wait([weak = weak_from_this(), i](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec || !self->tracked[i].pending) return;
            self->tracked[i].pending = false;
            const Process& proc = self->processes[i];
            const bool now = quorum_met(self->tracked[i].pids.size(), proc.quorum, proc.quorum_max);
            if (now != self->tracked[i].reported) self->report_now(i, now);
        });
    }

    void evaluate_all(Cause cause) {
        for (std::size_t i = 0; i < processes.size(); ++i)
            evaluate(i, cause);
    }

    // Re-reads one process (exec, comm change) and updates which entries it counts for.
    void refresh(int pid) {
        const auto info = read_info(pid, any_command_line);
        for (std::size_t i = 0; i < processes.size(); ++i)
            count(i, pid, info && process_matches(processes[i].match, info->comm, info->argv));
    }

    // Whether `pid` counts for entry `i` now; evaluated only when that changed, so another
    // process's exec does not end the fork_delay of a gain still pending.
    void count(std::size_t i, int pid, bool match) {
        if (match ? tracked[i].pids.insert(pid).second : tracked[i].pids.erase(pid) != 0)
            evaluate(i, match ? Cause::change : Cause::loss);
    }

    // Asks for a scan of /proc, on the background thread; one at a time, and one more at most
    // when asked for while it runs.
    void scan() {
        if (scanning) {
            rescan = true;
            return;
        }
        scanning = true;
        held.clear();
        background.run([scan = scan_fn, matches = matches] { return scan(matches); },
                       [weak = weak_from_this()](std::vector<std::set<int>> found) {
                           if (auto self = weak.lock()) self->scanned(std::move(found));
                       });
    }

    // The scan's result, on the loop. The events the connector delivered while it ran were
    // handled at once, but the scan may have read a process before or after them: they are
    // applied again on top of its result, in order, so an exit or exec seen meanwhile is not
    // undone by the older listing.
    void scanned(std::vector<std::set<int>> found) {
        scanning = false;
        listed = true;
        replaying = true;
        for (std::size_t i = 0; i < processes.size(); ++i)
            tracked[i].pids = std::move(found[i]);
        for (const auto& ev : held)
            handle(ev);
        held.clear();
        replaying = false;
        if (!connected) watch_exits();
        evaluate_all(Cause::scan);
        if (rescan) {
            rescan = false;
            scan();
        }
    }

    // The first scan at start-up, on the caller's thread.
    void scan_now() { scanned(scan_fn(matches)); }

    // --- The proc connector ----------------------------------------------------------------

    bool open_connector() {
        const int fd =
            ::socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_CONNECTOR);
        if (fd < 0) return fail_connector(fmt::format("socket: {}", std::strerror(errno)), -1);
        // Bursts of forks must not overflow it; ENOBUFS is handled by a rescan all the same.
        const int size = 1 << 20;
        if (::setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
            ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
        sockaddr_nl local{};
        local.nl_family = AF_NETLINK;
        local.nl_groups = CN_IDX_PROC;
        if (::bind(fd, reinterpret_cast<const sockaddr*>(&local), sizeof local) != 0)
            return fail_connector(fmt::format("bind: {}", std::strerror(errno)), fd);
        // nlmsghdr, cn_msg, then the operation: PROC_CN_MCAST_LISTEN.
        alignas(nlmsghdr) std::array<char, NLMSG_SPACE(sizeof(cn_msg) + sizeof(std::uint32_t))>
            message{};
        auto* nl = reinterpret_cast<nlmsghdr*>(message.data());
        nl->nlmsg_len = NLMSG_LENGTH(sizeof(cn_msg) + sizeof(std::uint32_t));
        nl->nlmsg_type = NLMSG_DONE;
        auto* cn = reinterpret_cast<cn_msg*>(NLMSG_DATA(nl));
        cn->id.idx = CN_IDX_PROC;
        cn->id.val = CN_VAL_PROC;
        cn->len = sizeof(std::uint32_t);
        const std::uint32_t op = PROC_CN_MCAST_LISTEN;
        std::memcpy(cn->data, &op, sizeof op);
        if (::send(fd, message.data(), nl->nlmsg_len, 0) < 0) {
            // ECONNREFUSED: the connector exists in the initial network namespace only.
            return fail_connector(fmt::format("subscribe: {}", std::strerror(errno)), fd);
        }
        connector.assign(fd);
        connected = true;
        return true;
    }

    bool fail_connector(const std::string& why, int fd) {
        if (fd >= 0) ::close(fd);
        // Under keepalived too the connector works in the initial network namespace only.
        warn(
            fmt::format("track_process: the kernel's process events connector is unavailable "
                        "({}); new processes are found by scanning /proc every second, exits "
                        "still at once",
                        why));
        return false;
    }

    void arm() {
        connector.async_wait(asio::posix::stream_descriptor::wait_read,
                             [weak = weak_from_this()](boost::system::error_code ec) {
                                 if (auto self = weak.lock(); self && !ec) self->receive();
                             });
    }

    void receive() {
        bool lost = false;
        // A bounded batch, so that a burst of forks cannot hold up the adverts: the socket
        // stays readable and the next wait returns at once.
        for (int batch = 0; connected && batch < 64; ++batch) {
            sockaddr_nl from{};
            socklen_t from_len = sizeof from;
            const ssize_t n = ::recvfrom(connector.native_handle(), buffer.data(), buffer.size(), 0,
                                         reinterpret_cast<sockaddr*>(&from), &from_len);
            if (n < 0) {
                if (errno == EINTR) continue;
                if (errno == ENOBUFS) {  // events were dropped: only a rescan knows the truth
                    lost = true;
                    continue;
                }
                break;  // EAGAIN: all read
            }
            if (from.nl_pid != 0) continue;  // only the kernel speaks for the connector
            parse(static_cast<std::size_t>(n));
        }
        if (!connected) return;  // the subscription was refused: polling now
        if (lost) scan();
        arm();
    }

    void parse(std::size_t n) {
        for (const auto& ev : decode_proc_events({buffer.data(), n})) {
            handle(ev);
            if (!connected) return;
        }
    }

    void handle(const proc_event& ev) {
        if (scanning && ev.what != proc_event::PROC_EVENT_NONE) {
            if (held.size() < max_held_events) {
                held.push_back(ev);
            } else {
                held.clear();
                rescan = true;  // too much happened meanwhile: only another scan knows
            }
        }
        switch (ev.what) {
            case proc_event::PROC_EVENT_NONE:
                // The subscription's answer: an error means no events will come.
                if (ev.event_data.ack.err != 0) {
                    close_connector();
                    fail_connector(
                        fmt::format("subscription refused: {}",
                                    std::strerror(static_cast<int>(ev.event_data.ack.err))),
                        -1);
                    start_polling();
                }
                break;
            case proc_event::PROC_EVENT_FORK: {
                const auto& f = ev.event_data.fork;
                if (f.child_pid != f.child_tgid) break;  // a new thread, not a process
                // The child runs the parent's program under the parent's name until it execs.
                for (std::size_t i = 0; i < processes.size(); ++i) {
                    if (!tracked[i].pids.contains(f.parent_tgid)) continue;
                    tracked[i].pids.insert(f.child_tgid);
                    evaluate(i, Cause::fork);
                }
                break;
            }
            case proc_event::PROC_EVENT_EXEC:
                refresh(ev.event_data.exec.process_tgid);
                break;
            case proc_event::PROC_EVENT_COMM: {
                const auto& c = ev.event_data.comm;
                if (c.process_pid != c.process_tgid) break;  // a thread renamed itself
                const std::string comm(c.comm, ::strnlen(c.comm, sizeof c.comm));
                for (std::size_t i = 0; i < processes.size(); ++i) {
                    // A command line does not change with the name.
                    if (uses_command_line(processes[i].match)) continue;
                    count(i, c.process_tgid, process_matches(processes[i].match, comm, {}));
                }
                break;
            }
            case proc_event::PROC_EVENT_EXIT: {
                const auto& e = ev.event_data.exit;
                if (e.process_pid != e.process_tgid) break;  // a thread ended, not the process
                for (std::size_t i = 0; i < processes.size(); ++i)
                    if (tracked[i].pids.erase(e.process_tgid) != 0) evaluate(i, Cause::loss);
                break;
            }
            default:
                break;
        }
    }

    void close_connector() {
        connected = false;
        boost::system::error_code ignored;
        connector.close(ignored);
    }

    // --- Without the connector: a scan a second, and a pidfd per counted process so that an
    // exit is still seen at once ----------------------------------------------------------

    void start_polling() {
        scan();
        poll();
    }

    void poll() {
        poll_timer.expires_after(std::chrono::seconds(1));
        poll_timer.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
            auto self = weak.lock();
            if (!self || ec) return;
            self->scan();
            self->poll();
        });
    }

    void watch_exits() {
        std::set<int> counted;
        for (const auto& t : tracked)
            counted.insert(t.pids.begin(), t.pids.end());
        std::erase_if(pidfds, [&](const auto& kv) { return !counted.contains(kv.first); });
        for (int pid : counted) {
            if (pidfds.contains(pid)) continue;
            const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
            if (fd < 0) continue;  // gone already, or an old kernel: the next scan sees it
            auto stream = std::make_unique<asio::posix::stream_descriptor>(io, fd);
            // A pidfd becomes readable when its process exits.
            stream->async_wait(asio::posix::stream_descriptor::wait_read,
                               [weak = weak_from_this(), pid](boost::system::error_code ec) {
                                   auto self = weak.lock();
                                   if (!self || ec) return;
                                   self->pidfds.erase(pid);
                                   // Counted out at once, as an exit event would be (and
                                   // held against a scan running now); then a scan, in the
                                   // background, for what else changed.
                                   proc_event exit{};
                                   exit.what = proc_event::PROC_EVENT_EXIT;
                                   exit.event_data.exit.process_pid = pid;
                                   exit.event_data.exit.process_tgid = pid;
                                   self->handle(exit);
                                   self->scan();
                               });
            pidfds.emplace(pid, std::move(stream));
        }
    }
};

TrackProcessWatcher::TrackProcessWatcher(asio::io_context& io, std::vector<Process> processes,
                                         Report report, Warn warn, Scan scan)
    : impl_(std::make_shared<Impl>(io, std::move(processes), std::move(report), std::move(warn),
                                   std::move(scan))) {}

TrackProcessWatcher::~TrackProcessWatcher() {
    impl_->close();
}

void TrackProcessWatcher::start(FirstScan first) {
    // Subscribed before the scan, so that nothing between the two is missed.
    const bool connected = impl_->open_connector();
    if (first == FirstScan::now)
        impl_->scan_now();
    else
        impl_->scan();
    if (connected)
        impl_->arm();
    else
        impl_->poll();
}

}  // namespace havip::checks
