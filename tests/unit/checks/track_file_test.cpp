// track_file: the value rules (pure) and the inotify watcher against real files.
#include <fcntl.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <cstring>
#include <map>
#include <optional>
#include <span>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <boost/asio/io_context.hpp>

#include "checks/track_file.hpp"

namespace havip::checks {

// For failure messages (found by argument-dependent lookup, so outside the unnamed namespace).
void PrintTo(const InotifyEvent& ev, std::ostream* os) {
    *os << fmt::format("{{wd {}, mask {:#x}, name \"{}\"}}", ev.wd, ev.mask, ev.name);
}
void PrintTo(const TrackFileActions& a, std::ostream* os) {
    *os << fmt::format("{{read_all {}, lost [{}], read [{}]}}", a.read_all,
                       fmt::join(a.lost, ", "), fmt::join(a.read, ", "));
}

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using vrrp::Outcome;
using vrrp::Tracker;
using vrrp::TrackSettings;

TEST(TrackFileParse, reads_the_leading_number_like_strtol) {
    EXPECT_EQ(parse_track_file("5\n").value, 5);
    EXPECT_TRUE(parse_track_file("5\n").note.empty());
    EXPECT_EQ(parse_track_file("  -12  ").value, -12);
    EXPECT_EQ(parse_track_file("+3").value, 3);
    EXPECT_EQ(parse_track_file("7 apples").value, 7);
    EXPECT_EQ(parse_track_file("7 apples").note, "text after the number ignored");
}

TEST(TrackFileParse, empty_or_text_reads_as_zero_with_a_note) {
    EXPECT_EQ(parse_track_file("").value, 0);
    EXPECT_EQ(parse_track_file("").note, "empty");
    EXPECT_EQ(parse_track_file("down").value, 0);
    EXPECT_EQ(parse_track_file("down").note, "not a number");
}

TEST(TrackFileParse, huge_numbers_do_not_wrap_negative) {
    EXPECT_GT(parse_track_file("99999999999999999999999999").value, 0);
    EXPECT_LT(parse_track_file("-99999999999999999999999999").value, 0);
}

TEST(TrackFileEffect, weight_zero_turns_any_non_zero_value_into_a_fault) {
    EXPECT_EQ(track_file_effect(0, 0, false), (TrackFileEffect{0, Outcome::ok}));
    EXPECT_EQ(track_file_effect(1, 0, false), (TrackFileEffect{0, Outcome::failed}));
    EXPECT_EQ(track_file_effect(-4, 0, false), (TrackFileEffect{0, Outcome::failed}));
}

TEST(TrackFileEffect, value_times_weight_moves_the_priority_either_way) {
    EXPECT_EQ(track_file_effect(5, 2, false), (TrackFileEffect{10, Outcome::ok}));
    EXPECT_EQ(track_file_effect(-5, 2, false), (TrackFileEffect{-10, Outcome::failed}));
    EXPECT_EQ(track_file_effect(5, -2, false), (TrackFileEffect{-10, Outcome::failed}));
    EXPECT_EQ(track_file_effect(5, 2, true), (TrackFileEffect{-10, Outcome::failed}));
    EXPECT_EQ(track_file_effect(0, 7, false), (TrackFileEffect{0, Outcome::ok}));
}

TEST(TrackFileEffect, below_minus_253_is_a_fault_and_large_results_are_capped) {
    EXPECT_EQ(track_file_effect(-254, 1, false), (TrackFileEffect{0, Outcome::failed}));
    EXPECT_EQ(track_file_effect(-253, 1, false), (TrackFileEffect{-253, Outcome::failed}));
    EXPECT_EQ(track_file_effect(1000, 1, false), (TrackFileEffect{253, Outcome::ok}));
}

TEST(TrackFileEffect, applied_through_the_tracker_gives_keepalived_priorities) {
    Tracker tracker(100, {TrackSettings{.name = "file f", .weight = 1}});
    auto apply = [&](long long value, int weight) {
        const TrackFileEffect e = track_file_effect(value, weight, false);
        TrackSettings s = tracker.items()[0].settings;
        s.weight = e.weight;
        tracker.update_settings(0, s);
        tracker.report(0, e.outcome, "test");
    };
    apply(20, 1);
    EXPECT_EQ(tracker.effective_priority(), 120);
    apply(-30, 1);
    EXPECT_EQ(tracker.effective_priority(), 70);
    EXPECT_FALSE(tracker.fault());
    apply(-300, 1);
    EXPECT_TRUE(tracker.fault());
    apply(0, 1);
    EXPECT_FALSE(tracker.fault());
    EXPECT_EQ(tracker.effective_priority(), 100);
}

// One inotify record as the kernel writes it: the header, then `name` NUL-padded to `len`
// bytes. `len` may be given apart from the name to build records that lie.
std::string inotify_record(int wd, std::uint32_t mask, const std::string& name,
                           std::optional<std::uint32_t> len = std::nullopt) {
    inotify_event ev{};
    ev.wd = wd;
    ev.mask = mask;
    ev.len = len.value_or(name.empty() ? 0 : static_cast<std::uint32_t>((name.size() + 16) & ~15u));
    std::string out(sizeof ev, '\0');
    std::memcpy(out.data(), &ev, sizeof ev);
    std::string padded = name;
    if (!len) padded.resize(ev.len, '\0');
    return out + padded;
}

std::vector<InotifyEvent> decode(std::string_view bytes) {
    return decode_inotify_events(std::as_bytes(std::span(bytes.data(), bytes.size())));
}

// A read of the inotify descriptor holds whole records, each a header and its NUL-padded
// name; the directory's own events have no name, and a queue overflow has no watch (-1).
TEST(TrackFileInotify, records_of_one_read_are_decoded_in_order) {
    // From an odd offset: nothing in a read buffer is taken to be aligned.
    const std::string buffer = "x" + inotify_record(1, IN_CLOSE_WRITE, "prio") +
                               inotify_record(2, IN_MOVED_TO, "flag") +
                               inotify_record(1, IN_DELETE_SELF, "") +
                               inotify_record(-1, IN_Q_OVERFLOW, "");
    EXPECT_EQ(decode(std::string_view(buffer).substr(1)),
              (std::vector<InotifyEvent>{{1, IN_CLOSE_WRITE, "prio"},
                                         {2, IN_MOVED_TO, "flag"},
                                         {1, IN_DELETE_SELF, ""},
                                         {-1, IN_Q_OVERFLOW, ""}}));
    EXPECT_TRUE(decode("").empty());
    EXPECT_TRUE(decode(inotify_record(1, IN_DELETE, "").substr(0, 8)).empty());
}

// A record whose name runs past the end of what was read is not an event: the walk stops
// there, before reading a name the buffer does not hold.
TEST(TrackFileInotify, a_truncated_last_record_ends_the_walk) {
    const std::string whole = inotify_record(1, IN_CLOSE_WRITE, "prio");
    std::string cut = inotify_record(1, IN_CLOSE_WRITE, "gone");
    cut.resize(cut.size() - 8);  // "gone" and its NUL are there, the padding is not
    EXPECT_EQ(decode(whole + cut), (std::vector<InotifyEvent>{{1, IN_CLOSE_WRITE, "prio"}}));
}

TEST(TrackFileInotify, a_len_pointing_past_the_buffer_end_is_not_read) {
    // The name's bytes hold a NUL, so only the declared length tells this record is cut.
    const std::string lying = inotify_record(3, IN_MOVED_TO, std::string("flag\0", 5), 4096);
    EXPECT_TRUE(decode(lying).empty());
    EXPECT_EQ(decode(inotify_record(1, IN_DELETE, "a") + lying),
              (std::vector<InotifyEvent>{{1, IN_DELETE, "a"}}));
    EXPECT_TRUE(decode(inotify_record(3, IN_MOVED_TO, "", 0xffffffffu)).empty());
}

// The name is at most `len` bytes even without a NUL in them; the next record follows.
TEST(TrackFileInotify, a_name_without_its_nul_ends_at_len) {
    const std::string buffer =
        inotify_record(1, IN_CLOSE_WRITE, "abcd", 4) + inotify_record(1, IN_DELETE, "e");
    EXPECT_EQ(decode(buffer),
              (std::vector<InotifyEvent>{{1, IN_CLOSE_WRITE, "abcd"}, {1, IN_DELETE, "e"}}));
}

// track_file_actions: the watcher's decisions, without a kernel. Watch 1 is /run/x, holding
// two tracked files; watch 2 is /etc/havip, holding the third.
const std::map<int, fs::path> watches = {{1, "/run/x"}, {2, "/etc/havip"}};
const std::vector<fs::path> tracked = {"/run/x/a", "/etc/havip/b", "/run/x/c"};

TrackFileActions actions(const std::vector<InotifyEvent>& events) {
    return track_file_actions(events, watches, tracked);
}

TEST(TrackFileActions, a_tracked_name_in_a_watched_directory_is_read_once) {
    EXPECT_EQ(actions({{1, IN_CLOSE_WRITE, "c"},
                       {1, IN_CLOSE_WRITE, "other"},
                       {2, IN_MOVED_TO, "b"},
                       {1, IN_DELETE, "c"},
                       {2, IN_CLOSE_WRITE, "a"},  // an "a", but not /run/x's
                       {7, IN_CLOSE_WRITE, "a"}}),
              (TrackFileActions{false, {}, {2, 1}}));
}

TEST(TrackFileActions, a_queue_overflow_reads_every_file) {
    EXPECT_TRUE(actions({{-1, IN_Q_OVERFLOW, ""}}).read_all);
    EXPECT_FALSE(actions({{1, IN_CLOSE_WRITE, "a"}}).read_all);
}

// rm -rf /run/x: the entries go (IN_DELETE), then the directory (IN_DELETE_SELF) and its watch
// (IN_IGNORED). The watch is lost once and the directory's files are read (now missing).
TEST(TrackFileActions, a_deleted_directory_loses_its_watch_and_its_files_read_as_missing) {
    EXPECT_EQ(actions({{1, IN_DELETE, "a"},
                       {1, IN_DELETE_SELF, ""},
                       {1, IN_IGNORED, ""},
                       {2, IN_CLOSE_WRITE, "b"}}),
              (TrackFileActions{false, {1}, {0, 2, 1}}));
}

// mv /run/x /run/y: the watch follows the directory to its new name, where the tracked paths
// are not; what it reports afterwards is not about them.
TEST(TrackFileActions, a_directory_moved_away_is_lost_and_its_later_events_ignored) {
    EXPECT_EQ(actions({{1, IN_MOVE_SELF, ""}, {1, IN_CLOSE_WRITE, "a"}, {1, IN_IGNORED, ""}}),
              (TrackFileActions{false, {1}, {0, 2}}));
}

// An unmount ends the watch with IN_UNMOUNT then IN_IGNORED alone; so does inotify_rm_watch,
// whose watch is already forgotten by then.
TEST(TrackFileActions, ignored_alone_loses_a_known_watch_only) {
    EXPECT_EQ(actions({{2, IN_UNMOUNT, ""}, {2, IN_IGNORED, ""}}),
              (TrackFileActions{false, {2}, {1}}));
    EXPECT_EQ(actions({{5, IN_IGNORED, ""}}), TrackFileActions{});
}

class TrackFileWatcherTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(HAVIP_BINARY_DIR) / "checks-scratch" /
               fmt::format("{}-{}", ::getpid(),
                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const fs::path& path, const std::string& text) {
        std::ofstream(path, std::ios::trunc) << text;
    }
    // Runs the loop until the file's last report is `value`.
    bool wait_for(const std::string& name, long long value) {
        const auto end = std::chrono::steady_clock::now() + 5s;
        while (std::chrono::steady_clock::now() < end) {
            io_.run_for(20ms);
            io_.restart();
            auto it = values_.find(name);
            if (it != values_.end() && it->second == value) return true;
        }
        return false;
    }
    // fs.inotify.max_queued_events, or 0 when unknown or too large to overflow here.
    static long queue_limit() {
        std::ifstream limit_file("/proc/sys/fs/inotify/max_queued_events");
        long limit = 0;
        if (!(limit_file >> limit) || limit <= 0 || limit > 1'000'000) return 0;
        return limit;
    }
    // More events in `dir` than the kernel queues, while the loop does not run, so nothing is
    // read off the queue. Two names in turn: the kernel merges an event identical to the one
    // queued last.
    static void overflow_queue(const fs::path& dir, long limit) {
        for (long i = 0; i <= limit; ++i) {
            const fs::path other = dir / (i % 2 ? "a" : "b");
            const int fd = ::open(other.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
            ASSERT_GE(fd, 0);
            ::close(fd);
        }
    }
    TrackFileWatcher::Report reporter() {
        return [this](const std::string& name, long long value, const std::string& reason) {
            values_[name] = value;
            reasons_[name] = reason;
            ++reports_;
        };
    }

    fs::path dir_;
    boost::asio::io_context io_;
    std::map<std::string, long long> values_;
    std::map<std::string, std::string> reasons_;
    std::vector<std::string> warnings_;
    int reports_ = 0;
};

TEST_F(TrackFileWatcherTest, reports_the_value_at_start_and_after_each_write) {
    const fs::path f = dir_ / "prio";
    write(f, "3\n");
    TrackFileWatcher w(io_, {{"prio", f, {}, false}}, reporter(),
                       [&](const std::string& m) { warnings_.push_back(m); });
    w.start();
    EXPECT_EQ(values_.at("prio"), 3);  // synchronously, before the instances start
    write(f, "-7\n");
    EXPECT_TRUE(wait_for("prio", -7));
    EXPECT_NE(reasons_["prio"].find("value -7"), std::string::npos) << reasons_["prio"];
    EXPECT_TRUE(warnings_.empty());
}

TEST_F(TrackFileWatcherTest, follows_a_file_replaced_by_rename_and_reads_a_deleted_one_as_zero) {
    const fs::path f = dir_ / "flag";
    write(f, "1");
    TrackFileWatcher w(io_, {{"flag", f, {}, false}}, reporter(), [](const std::string&) {});
    w.start();
    write(dir_ / "flag.new", "9");
    fs::rename(dir_ / "flag.new", f);
    EXPECT_TRUE(wait_for("flag", 9));
    fs::remove(f);
    EXPECT_TRUE(wait_for("flag", 0));
    EXPECT_NE(reasons_["flag"].find("cannot be read"), std::string::npos) << reasons_["flag"];
}

// When more events come than the kernel queues (fs.inotify.max_queued_events) it drops the
// rest and says so once (IN_Q_OVERFLOW): a write to the file among those dropped must still be
// seen, so every file is read again.
TEST_F(TrackFileWatcherTest, a_queue_overflow_reads_every_file_again) {
    const long limit = queue_limit();
    if (limit == 0) GTEST_SKIP() << "max_queued_events unknown or too large to overflow here";
    const fs::path f = dir_ / "flag";
    write(f, "1");
    TrackFileWatcher w(io_, {{"flag", f, {}, false}}, reporter(), [](const std::string&) {});
    w.start();
    ASSERT_EQ(values_.at("flag"), 1);
    ASSERT_NO_FATAL_FAILURE(overflow_queue(dir_, limit));
    write(f, "2");  // its event is one of those dropped
    EXPECT_TRUE(wait_for("flag", 2)) << "value " << values_.at("flag");
}

// The overflow can drop the very events that end a watch (IN_DELETE_SELF, IN_IGNORED): a
// directory deleted and made again while the queue is full must still be watched afterwards.
TEST_F(TrackFileWatcherTest, a_directory_replaced_while_the_queue_overflowed_is_watched_again) {
    const long limit = queue_limit();
    if (limit == 0) GTEST_SKIP() << "max_queued_events unknown or too large to overflow here";
    const fs::path sub = dir_ / "run";
    const fs::path f = sub / "flag";
    fs::create_directory(sub);
    write(f, "1");
    TrackFileWatcher w(io_, {{"flag", f, {}, false}}, reporter(), [](const std::string&) {});
    w.start();
    ASSERT_EQ(values_.at("flag"), 1);
    ASSERT_NO_FATAL_FAILURE(overflow_queue(sub, limit));
    fs::remove_all(sub);  // its IN_DELETE_SELF and IN_IGNORED are dropped
    fs::create_directory(sub);
    write(f, "5");
    ASSERT_TRUE(wait_for("flag", 5)) << reasons_["flag"];  // read again after the overflow
    write(f, "6");
    EXPECT_TRUE(wait_for("flag", 6)) << reasons_["flag"];
}

TEST_F(TrackFileWatcherTest, other_files_in_the_directory_do_not_report) {
    const fs::path f = dir_ / "mine";
    write(f, "2");
    TrackFileWatcher w(io_, {{"mine", f, {}, false}}, reporter(), [](const std::string&) {});
    w.start();
    const int after_start = reports_;
    write(dir_ / "other", "5");
    io_.run_for(200ms);
    EXPECT_EQ(reports_, after_start);
}

TEST_F(TrackFileWatcherTest, init_file_creates_a_missing_file_and_overwrite_replaces_one) {
    const fs::path missing = dir_ / "created";
    const fs::path existing = dir_ / "kept";
    const fs::path forced = dir_ / "forced";
    write(existing, "4");
    write(forced, "4");
    TrackFileWatcher w(
        io_,
        {{"created", missing, 6, false}, {"kept", existing, 6, false}, {"forced", forced, 6, true}},
        reporter(), [](const std::string&) {});
    w.start();
    EXPECT_EQ(values_.at("created"), 6);
    EXPECT_EQ(values_.at("kept"), 4);
    EXPECT_EQ(values_.at("forced"), 6);
}

TEST_F(TrackFileWatcherTest, a_missing_directory_warns_reads_zero_and_is_watched_once_made) {
    const fs::path f = dir_ / "no-such-dir" / "x";
    TrackFileWatcher w(io_, {{"x", f, {}, false}}, reporter(),
                       [&](const std::string& m) { warnings_.push_back(m); });
    w.start();
    EXPECT_EQ(values_.at("x"), 0);
    ASSERT_EQ(warnings_.size(), 1u);
    EXPECT_NE(warnings_[0].find("cannot watch"), std::string::npos) << warnings_[0];
    // Followed once the directory is made.
    fs::create_directory(dir_ / "no-such-dir");
    write(f, "3");
    EXPECT_TRUE(wait_for("x", 3)) << reasons_["x"];
    EXPECT_EQ(warnings_.size(), 1u);
}

// `rm -rf /run/x; mkdir /run/x; echo 5 > /run/x/f`: the watch on the directory ends with it.
// Until the directory is back the file reads as missing; then it is watched again and read.
TEST_F(TrackFileWatcherTest, a_directory_deleted_and_made_again_is_watched_again) {
    const fs::path sub = dir_ / "run";
    const fs::path f = sub / "flag";
    fs::create_directory(sub);
    write(f, "1");
    TrackFileWatcher w(io_, {{"flag", f, {}, false}}, reporter(),
                       [&](const std::string& m) { warnings_.push_back(m); });
    w.start();
    ASSERT_EQ(values_.at("flag"), 1);
    fs::remove_all(sub);
    ASSERT_TRUE(wait_for("flag", 0));
    fs::create_directory(sub);
    write(f, "5");
    EXPECT_TRUE(wait_for("flag", 5)) << reasons_["flag"];
    write(f, "6");  // and followed from then on
    EXPECT_TRUE(wait_for("flag", 6)) << reasons_["flag"];
}

// `mv /run/x /run/y`: the watch follows the directory's inode to its new name, where the file
// is not looked for; the path reads as missing until a directory is at it again.
TEST_F(TrackFileWatcherTest, a_directory_moved_away_is_not_followed_to_its_new_name) {
    const fs::path sub = dir_ / "run";
    const fs::path f = sub / "flag";
    fs::create_directory(sub);
    write(f, "1");
    TrackFileWatcher w(io_, {{"flag", f, {}, false}}, reporter(), [](const std::string&) {});
    w.start();
    fs::rename(sub, dir_ / "moved");
    ASSERT_TRUE(wait_for("flag", 0));
    write(dir_ / "moved" / "flag", "7");  // not the tracked path
    io_.run_for(300ms);
    io_.restart();
    EXPECT_EQ(values_.at("flag"), 0);
    fs::create_directory(sub);
    write(f, "4");
    EXPECT_TRUE(wait_for("flag", 4)) << reasons_["flag"];
}

// Runs `work` in a thread; when it has not finished within `limit` (blocked opening `fifo`),
// opens the FIFO for writing to set it free, so a failing test still ends. Whether it finished.
bool finishes_within(const std::function<void()>& work, std::chrono::milliseconds limit,
                     const fs::path& fifo) {
    auto done = std::async(std::launch::async, work);
    if (done.wait_for(limit) == std::future_status::ready) return true;
    while (done.wait_for(10ms) != std::future_status::ready) {
        const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0) ::close(fd);
    }
    return false;
}

// A local user can put a FIFO where a track_file is expected (a missing file in /tmp); opening it
// blocked the loop: adverts stopped, the watchdog aborted, and the restart blocked on the same
// open before READY (issue 17, item 5). It is refused with a reason, at start and when renamed in.
TEST_F(TrackFileWatcherTest, a_fifo_at_the_path_is_refused_without_blocking) {
    const fs::path f = dir_ / "flag";
    ASSERT_EQ(::mkfifo(f.c_str(), 0600), 0);
    std::optional<TrackFileWatcher> w;
    ASSERT_TRUE(finishes_within(
        [&] {
            w.emplace(io_, std::vector<TrackFileWatcher::File>{{"flag", f, {}, false}},
                      reporter(), [](const std::string&) {});
            w->start();
        },
        2s, f))
        << "start() blocked opening the FIFO";
    EXPECT_EQ(values_.at("flag"), 0);
    EXPECT_NE(reasons_["flag"].find("not a regular file"), std::string::npos) << reasons_["flag"];

    // Renamed onto the path while watched: read on the loop, which must not block either.
    ASSERT_TRUE(fs::remove(f));
    write(f, "5");
    ASSERT_TRUE(wait_for("flag", 5));
    const fs::path staged = dir_ / "staged";
    ASSERT_EQ(::mkfifo(staged.c_str(), 0600), 0);
    fs::rename(staged, f);
    EXPECT_TRUE(finishes_within([&] { EXPECT_TRUE(wait_for("flag", 0)); }, 3s, f))
        << "the loop blocked opening the FIFO";
    EXPECT_NE(reasons_["flag"].find("not a regular file"), std::string::npos) << reasons_["flag"];
}

TEST_F(TrackFileWatcherTest, a_symlink_at_the_path_is_refused) {
    const fs::path target = dir_ / "elsewhere";
    const fs::path f = dir_ / "flag";
    write(target, "7");
    fs::create_symlink(target, f);
    TrackFileWatcher w(io_, {{"flag", f, {}, false}}, reporter(), [](const std::string&) {});
    w.start();
    EXPECT_EQ(values_.at("flag"), 0);
    EXPECT_NE(reasons_["flag"].find("symbolic link"), std::string::npos) << reasons_["flag"];
}

// keepalived's CVE-2018-19044: files created in a directory others can write must not follow a
// link planted there. init_file writes a temporary file beside the path: a link at that name
// must not be followed into the file it points at.
TEST_F(TrackFileWatcherTest, init_file_never_writes_through_a_planted_symlink) {
    const fs::path victim = dir_ / "victim";
    const fs::path f = dir_ / "flag";
    write(victim, "precious\n");
    fs::create_symlink(victim, f.string() + ".havipd-tmp");
    std::vector<std::string> warnings;
    TrackFileWatcher w(io_, {{"flag", f, 3, false}}, reporter(),
                       [&](const std::string& m) { warnings.push_back(m); });
    w.start();
    std::ifstream in(victim);
    EXPECT_EQ(std::string((std::istreambuf_iterator<char>(in)), {}), "precious\n");
    EXPECT_EQ(values_.at("flag"), 3);
    EXPECT_EQ(fs::symlink_status(f).type(), fs::file_type::regular);
}

}  // namespace
}  // namespace havip::checks
