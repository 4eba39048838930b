// track_file: keepalived's tracked files (keepalived.conf(5) "Track files"). The file holds a
// number as text; an operator or a tool writes it to move priority or force FAULT without a
// script running every second. The file is read at start-up and again whenever it is written
// (inotify), never polled.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "vrrpd/core/track.hpp"

namespace havip::checks {

// The number at the start of the file's text ("5\n", "  -3"); anything else (an empty file,
// "abc") reads as 0, the way strtol does in keepalived. `note` says what was not a number.
struct TrackFileValue {
    long long value = 0;
    std::string note;  // empty when the text was a clean number
};
TrackFileValue parse_track_file(std::string_view text);

// What a value does to an instance, as a tracker item (keepalived's rules): with weight 0 a
// non-zero value is a failure (FAULT) and 0 is fine; otherwise value × weight (negated by
// `reverse`) is added to the priority, and a result below -253 means FAULT. The result is
// expressed as the item's weight plus an outcome so vrrp::Tracker applies it unchanged:
// a positive result is (weight, ok), a negative one (weight, failed), FAULT is (0, failed).
struct TrackFileEffect {
    int weight = 0;
    vrrp::Outcome outcome = vrrp::Outcome::ok;
    bool operator==(const TrackFileEffect&) const = default;
};
TrackFileEffect track_file_effect(long long value, int weight, bool reverse);

// One record of an inotify read: the watch it is for, what happened (IN_*) and, for an event
// on a watched directory's entry, the entry's name (empty for the directory itself).
struct InotifyEvent {
    int wd = -1;
    std::uint32_t mask = 0;
    std::string name;
    bool operator==(const InotifyEvent&) const = default;
};
// The records of one read() of an inotify descriptor, in order. A record whose name runs past
// the end of the buffer ends the walk; a name is at most its record's len bytes. A queue
// overflow is a record too: wd -1, mask IN_Q_OVERFLOW.
std::vector<InotifyEvent> decode_inotify_events(std::span<const std::byte> buffer);

// What the watcher does about the events of one read, given its watches (watch descriptor →
// directory) and the tracked paths. Pure: the watcher carries it out.
struct TrackFileActions {
    // The kernel's queue overflowed: events were dropped, so every file is read again.
    bool read_all = false;
    // Watches whose directory is gone from its path: deleted (IN_DELETE_SELF, then IN_IGNORED),
    // moved away (IN_MOVE_SELF: the watch would follow it to its new name) or unmounted
    // (IN_IGNORED). Each is removed and its directory watched again once it is there again.
    std::vector<int> lost;
    // The files to read again (indexes into the paths), each once, in the order first named:
    // those written, renamed or deleted, and every file in a lost directory (now missing).
    std::vector<std::size_t> read;
    bool operator==(const TrackFileActions&) const = default;
};
TrackFileActions track_file_actions(std::span<const InotifyEvent> events,
                                    const std::map<int, std::filesystem::path>& directories,
                                    std::span<const std::filesystem::path> files);

// Watches the files with inotify on their directories, so a file written in place (echo 1 >
// FILE), replaced by rename or deleted is seen at once; after the kernel's queue overflowed
// every directory is watched again by its path and every file read again. A missing file reads
// as 0; so does
// anything but a regular file (a FIFO, a device, a symbolic link), which is never opened in a
// way that could block the loop, and the reason says which. A directory that is missing at
// start-up, or deleted or moved away later, is tried again every second (rewatch_interval);
// meanwhile its files read as missing, and once it is watched again they are read.
class TrackFileWatcher {
  public:
    struct File {
        std::string name;  // the track_file block's name
        std::filesystem::path path;
        std::optional<long long> init_value;  // init_file: written at start-up when missing
        bool init_overwrite = false;          // … or always
    };
    // name, value, and a reason for logs ("value 5 in /run/x", "/run/x missing: 0").
    using Report = std::function<void(const std::string&, long long, const std::string&)>;
    // Problems that are not a value: a directory that cannot be watched, init_file failing.
    using Warn = std::function<void(const std::string&)>;

    TrackFileWatcher(boost::asio::io_context& io, std::vector<File> files, Report report,
                     Warn warn);
    ~TrackFileWatcher();
    TrackFileWatcher(const TrackFileWatcher&) = delete;
    TrackFileWatcher& operator=(const TrackFileWatcher&) = delete;

    // Writes init_file values, reports every file's current value, then watches.
    void start();

    static constexpr std::chrono::seconds rewatch_interval{1};

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace havip::checks
