// libFuzzer entry for what havipd reads that other processes write: a track_file's number,
// /proc/PID/stat and /proc/PID/cmdline and the proc connector's event messages
// (track_process), and the mysql_check history file in the state directory. None may crash
// or misread its own output.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <linux/connector.h>
#include <linux/netlink.h>

#include "checks/mysql_history.hpp"
#include "checks/track_file.hpp"
#include "checks/track_process.hpp"

using namespace havip::checks;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);

    const auto value = parse_track_file(text);
    if (value.note.empty() && text.empty()) __builtin_trap();  // an empty file is noted

    if (const auto stat = parse_proc_stat(text)) {
        if (stat->comm.size() > text.size()) __builtin_trap();
    }

    // Each event is a whole message of the buffer.
    const auto events = decode_proc_events(text);
    if (events.size() * (sizeof(nlmsghdr) + sizeof(cn_msg) + sizeof(proc_event)) > text.size())
        __builtin_trap();

    // The command line against a match made of its own words, which must match in full.
    const auto argv = split_cmdline(text);
    std::size_t words = 0;
    for (const auto& word : argv) words += word.size() + 1;
    if (words > text.size() + 1) __builtin_trap();
    if (!argv.empty()) {
        ProcessMatch match;
        match.process = argv.front();
        match.params.assign(argv.begin() + 1, argv.end());
        match.full_command = true;
        if (!process_matches(match, "", argv)) __builtin_trap();
        match.param_match = ParamMatch::partial;
        (void)process_matches(match, argv.front(), argv);
        match.param_match = ParamMatch::initial;
        (void)process_matches(match, argv.front(), argv);
    }

    // A history that parses is written back to text that parses to the same text.
    History history;
    std::string detail;
    if (parse_history(text, history, detail)) {
        const auto written = format_history(history);
        History again;
        if (!parse_history(written, again, detail) || format_history(again) != written)
            __builtin_trap();
    }
    return 0;
}
