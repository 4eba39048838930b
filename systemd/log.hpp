// Logging for havipd: journald with structured fields, the console (-l), or syslog.
//
// One Logger is built in main and passed down. Every line carries an optional set of
// structured fields (HAVIP_INSTANCE, HAVIP_VRID, ...) which journald stores as fields and
// the console/syslog sinks render as a "[VI_1 vrid 99]" prefix, so one instance can be
// followed in any sink.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace havip::systemd {

// syslog(3) priorities, which journald uses too.
enum class Level : int { err = 3, warning = 4, notice = 5, info = 6, debug = 7 };

struct Field {
    std::string_view name;  // journald field name, upper case: "HAVIP_INSTANCE"
    std::string value;
};

// Fixed MESSAGE_IDs so `journalctl MESSAGE_ID=...` lists every event of one kind.
inline constexpr std::string_view message_id_state_change = "5c1a4b0f8d2e4a7f9e3b6c1d2a8f7e01";
inline constexpr std::string_view message_id_check_change = "9b2e7d4c1a3f4e8b8c6d5a2f1e0b3c02";
// An operator's write command on the control socket (havip clear-diverged, promote --force),
// done or refused: the audit trail of decisions taken by people.
inline constexpr std::string_view message_id_operator_command = "b0ff945db3b145a396db37b451896309";
// havipd's automatic rejoin of a stale node (`havip rejoin` run as a child): started, and how it
// ended.
inline constexpr std::string_view message_id_rejoin = "f067980bfb6c46b7aeb3bcdafd02b547";
// `havip switchover`: started, and how it ended (switched, refused, rolled back, failed).
inline constexpr std::string_view message_id_switchover = "613da83d82564f63927d693d2c5c94ef";

enum class Sink { console, journal, syslog };

class Logger {
  public:
    // `detail` (-D) lets debug lines through; otherwise they are dropped.
    Logger(Sink sink, bool detail, int syslog_facility);
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    void log(Level level, std::string_view message, std::span<const Field> fields);
    void log(Level level, std::string_view message, std::initializer_list<Field> fields = {}) {
        log(level, message, std::span<const Field>(fields.begin(), fields.size()));
    }

    Sink sink() const { return sink_; }
    bool detail() const { return detail_; }

    // The sink systemd expects: journald when stderr is connected to the journal
    // (JOURNAL_STREAM names stderr's device and inode), otherwise syslog.
    static Sink default_sink();

  private:
    Sink sink_;
    bool detail_;
    int journal_fd_ = -1;        // an unbound datagram socket, for the journal sink
    std::uint64_t dropped_ = 0;  // journal entries journald was too busy to take
};

}  // namespace havip::systemd
