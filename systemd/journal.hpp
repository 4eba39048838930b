// journald's native protocol (systemd.io/JOURNAL_NATIVE_PROTOCOL, a documented stable
// interface): one datagram per entry to /run/systemd/journal/socket, each field either
// "NAME=value\n" or, when the value holds a newline, "NAME\n" + its length as a little-endian
// 64-bit integer + the value + "\n". Spoken directly rather than through libsystemd's
// sd_journal_sendv, which would map libsystemd and its compression and crypto libraries (about
// 1 MiB of resident memory, and code a root network daemon has no use for).
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace havip::systemd {

struct JournalField {
    std::string_view name;
    std::string_view value;
};

// The datagram for one entry (pure).
std::string journal_datagram(std::span<const JournalField> fields);

inline constexpr std::string_view journal_socket_path = "/run/systemd/journal/socket";

// Sends an entry to journald (at `socket_path`) over `fd` (an AF_UNIX datagram socket). An
// entry too large for a datagram goes, as libsystemd sends it, as a sealed memfd passed with
// SCM_RIGHTS. Never waits: when journald is not reading (its queue is full) the entry is
// dropped, since a stalled journald must not stall the adverts. Returns false when the entry
// did not reach journald; the caller has nowhere better to log that, it can only count it.
bool send_journal_entry(int fd, std::string_view datagram,
                        std::string_view socket_path = journal_socket_path);

}  // namespace havip::systemd
