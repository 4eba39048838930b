// libFuzzer entry for what track_file's watcher reads from its inotify descriptor: a read
// buffer of inotify_event records (decode_inotify_events). Records the kernel would never write
// (a len past the end, a name without its NUL) must not be read beyond the buffer, and what
// decodes must encode to records that decode to the same events. The watcher's decision on
// them (track_file_actions) names only watches it has and files it tracks, each once.
#include <sys/inotify.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "checks/track_file.hpp"

using namespace havip::checks;

namespace {

// The records as the kernel writes them: each name NUL-padded to a multiple of 16.
std::string encode(const std::vector<InotifyEvent>& events) {
    std::string out;
    for (const auto& e : events) {
        inotify_event ev{};
        ev.wd = e.wd;
        ev.mask = e.mask;
        ev.len = e.name.empty() ? 0 : static_cast<std::uint32_t>((e.name.size() + 16) & ~15u);
        out.append(reinterpret_cast<const char*>(&ev), sizeof ev);
        std::string name = e.name;
        name.resize(ev.len, '\0');
        out += name;
    }
    return out;
}

std::vector<InotifyEvent> decode(const std::string& bytes) {
    return decode_inotify_events(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto events = decode_inotify_events(std::as_bytes(std::span(data, size)));
    std::size_t used = 0;
    for (const auto& e : events) {
        // A header each, and a name within its record: never more than the buffer holds.
        used += sizeof(inotify_event) + e.name.size();
        if (e.name.find('\0') != std::string::npos) __builtin_trap();
    }
    if (used > size) __builtin_trap();

    const std::string again = encode(events);
    if (decode(again) != events) __builtin_trap();
    // A record cut anywhere is not decoded; the ones before it are.
    if (!again.empty()) {
        const auto cut = decode(again.substr(0, again.size() - 1));
        if (cut.size() + 1 != events.size() || !std::equal(cut.begin(), cut.end(), events.begin()))
            __builtin_trap();
    }

    // Three watched directories (wds 1 to 3) and files in them and in one not watched.
    const std::map<int, std::filesystem::path> directories = {
        {1, "/run/a"}, {2, "/run/b"}, {3, "/tmp"}};
    const std::vector<std::filesystem::path> files = {"/run/a/x", "/run/a/y", "/run/b/x", "/tmp/x",
                                                      "/var/x"};
    const auto actions = track_file_actions(events, directories, files);
    for (std::size_t i = 0; i < actions.lost.size(); ++i) {
        if (!directories.count(actions.lost[i])) __builtin_trap();
        if (std::count(actions.lost.begin(), actions.lost.end(), actions.lost[i]) != 1)
            __builtin_trap();
    }
    for (std::size_t i : actions.read) {
        if (i >= files.size() - 1) __builtin_trap();  // /var is not watched
        if (std::count(actions.read.begin(), actions.read.end(), i) != 1) __builtin_trap();
    }
    return 0;
}
