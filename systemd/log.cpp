#include "systemd/log.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <vector>

#include <fmt/format.h>

#include "systemd/journal.hpp"

namespace havip::systemd {

Logger::Logger(Sink sink, bool detail, int syslog_facility) : sink_{sink}, detail_{detail} {
    if (sink_ == Sink::syslog) openlog("havipd", LOG_PID | LOG_NDELAY, syslog_facility);
    if (sink_ == Sink::journal) journal_fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
}

Logger::~Logger() {
    if (sink_ == Sink::syslog) closelog();
    if (journal_fd_ >= 0) ::close(journal_fd_);
}

Sink Logger::default_sink() {
    const char* stream = std::getenv("JOURNAL_STREAM");
    struct stat st {};
    if (stream != nullptr && fstat(STDERR_FILENO, &st) == 0) {
        unsigned long long dev = 0, ino = 0;
        if (std::sscanf(stream, "%llu:%llu", &dev, &ino) == 2 && dev == st.st_dev &&
            ino == st.st_ino)
            return Sink::journal;
    }
    return Sink::syslog;
}

namespace {

// "[VI_1 vrid 99] " from the identifying fields, so console and syslog lines can be
// followed per instance like journald's fields.
std::string prefix_of(std::span<const Field> fields) {
    std::string instance, vrid, check;
    for (const auto& f : fields) {
        if (f.name == "HAVIP_INSTANCE")
            instance = f.value;
        else if (f.name == "HAVIP_VRID")
            vrid = f.value;
        else if (f.name == "HAVIP_CHECK")
            check = f.value;
    }
    std::string out;
    if (!instance.empty()) out += instance;
    if (!vrid.empty()) out += (out.empty() ? "" : " ") + fmt::format("vrid {}", vrid);
    if (!check.empty()) out += (out.empty() ? "" : " ") + fmt::format("check {}", check);
    return out.empty() ? out : fmt::format("[{}] ", out);
}

}  // namespace

void Logger::log(Level level, std::string_view message, std::span<const Field> fields) {
    if (level == Level::debug && !detail_) return;
    switch (sink_) {
        case Sink::journal: {
            const auto text = fmt::format("{}{}", prefix_of(fields), message);
            const auto priority = std::to_string(static_cast<int>(level));
            std::vector<JournalField> entry;
            entry.reserve(fields.size() + 3);
            entry.push_back({"MESSAGE", text});
            entry.push_back({"PRIORITY", priority});
            entry.push_back({"SYSLOG_IDENTIFIER", "havipd"});
            for (const auto& f : fields)
                entry.push_back({f.name, f.value});
            if (!send_journal_entry(journal_fd_, journal_datagram(entry))) {
                ++dropped_;
                break;
            }
            if (dropped_ > 0) {
                // Said once journald reads again, so the gap in the log is explained.
                const auto note = fmt::format(
                    "{} log entries dropped: journald was not reading (havipd never waits for it)",
                    dropped_);
                const std::vector<JournalField> lost{
                    {"MESSAGE", note}, {"PRIORITY", "4"}, {"SYSLOG_IDENTIFIER", "havipd"}};
                if (send_journal_entry(journal_fd_, journal_datagram(lost))) dropped_ = 0;
            }
            break;
        }
        case Sink::syslog:
            syslog(static_cast<int>(level), "%s%.*s", prefix_of(fields).c_str(),
                   static_cast<int>(message.size()), message.data());
            break;
        case Sink::console: {
            timespec ts{};
            clock_gettime(CLOCK_REALTIME, &ts);
            std::tm tm{};
            localtime_r(&ts.tv_sec, &tm);
            // One write per line so lines from forked scripts never interleave mid-line.
            auto line = fmt::format("{:02}:{:02}:{:02}.{:03} {}{}\n", tm.tm_hour, tm.tm_min,
                                    tm.tm_sec, ts.tv_nsec / 1000000, prefix_of(fields), message);
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, line.data(), line.size());
            break;
        }
    }
}

}  // namespace havip::systemd
