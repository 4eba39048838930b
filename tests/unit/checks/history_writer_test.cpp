// checks/history_writer: mysql_check histories are written off the loop, the newest last,
// and none is lost when the writer goes away.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "checks/history_writer.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;

History numbered(int n) {
    History h;
    h.last_received = std::to_string(n);
    return h;
}

// A disk that takes `delay` for each save, recording what was written where, in order.
struct SlowDisk {
    explicit SlowDisk(std::chrono::milliseconds d) : delay{d} {}
    std::chrono::milliseconds delay;
    std::mutex mutex;
    std::vector<std::pair<std::string, std::string>> writes;
    std::atomic<int> started{0};

    HistoryWriter::Save save() {
        return [this](const std::string& path, const History& h) {
            ++started;
            std::this_thread::sleep_for(delay);
            std::lock_guard lock{mutex};
            writes.emplace_back(path, h.last_received);
            return std::error_code{};
        };
    }
    void wait_started(int n) {
        while (started < n)
            std::this_thread::sleep_for(1ms);
    }
};

TEST(HistoryWriter, storing_never_waits_for_a_slow_disk) {
    SlowDisk disk{1000ms};
    HistoryWriter writer{disk.save()};
    writer.store("a.state", numbered(1));
    disk.wait_started(1);
    const auto before = std::chrono::steady_clock::now();
    writer.store("a.state", numbered(2));
    writer.store("b.state", numbered(1));
    EXPECT_LT(std::chrono::steady_clock::now() - before, 200ms);
}

TEST(HistoryWriter, the_newest_history_of_a_path_is_written_last_and_none_is_lost_at_the_end) {
    SlowDisk disk{300ms};
    {
        HistoryWriter writer{disk.save()};
        writer.store("a.state", numbered(1));
        disk.wait_started(1);  // 1 is being written
        writer.store("a.state", numbered(2));
        writer.store("a.state", numbered(3));  // replaces 2, not written yet
    }                                          // the end writes what is pending
    ASSERT_EQ(disk.writes.size(), 2u);
    EXPECT_EQ(disk.writes[0].second, "1");
    EXPECT_EQ(disk.writes[1].second, "3");
}

// A check removed by a reload and added back by the next one: the new check set starts from
// the newest history, even while the file still holds an older one.
TEST(HistoryWriter, a_check_added_again_sees_the_history_not_yet_on_disk) {
    SlowDisk disk{400ms};
    HistoryWriter writer{disk.save()};
    EXPECT_FALSE(writer.unwritten("a.state").has_value());
    writer.store("a.state", numbered(1));
    disk.wait_started(1);
    ASSERT_TRUE(writer.unwritten("a.state").has_value());  // being written
    EXPECT_EQ(writer.unwritten("a.state")->last_received, "1");
    writer.store("a.state", numbered(2));
    EXPECT_EQ(writer.unwritten("a.state")->last_received, "2");  // queued wins
    const auto end = std::chrono::steady_clock::now() + 10s;
    while (writer.unwritten("a.state") && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(writer.unwritten("a.state").has_value()) << "on disk now: read the file";
    std::lock_guard lock{disk.mutex};
    EXPECT_EQ(disk.writes.back().second, "2");
}

TEST(HistoryWriter, a_path_saved_often_does_not_starve_another) {
    SlowDisk disk{50ms};
    HistoryWriter writer{disk.save()};
    writer.store("a.state", numbered(0));
    writer.store("z.state", numbered(0));
    for (int i = 1; i <= 6; ++i) {
        writer.store("a.state", numbered(i));
        std::this_thread::sleep_for(30ms);
    }
    std::this_thread::sleep_for(200ms);
    std::lock_guard lock{disk.mutex};
    EXPECT_TRUE(std::any_of(disk.writes.begin(), disk.writes.end(),
                            [](const auto& w) { return w.first == "z.state"; }));
}

TEST(HistoryWriter, a_failed_save_is_reported_with_its_error) {
    HistoryWriter writer{[](const std::string&, const History&) {
        return std::make_error_code(std::errc::no_space_on_device);
    }};
    std::mutex mutex;
    std::error_code seen;
    writer.store("a.state", numbered(1), [&](std::error_code ec) {
        std::lock_guard lock{mutex};
        seen = ec;
    });
    const auto end = std::chrono::steady_clock::now() + 5s;
    for (;;) {
        {
            std::lock_guard lock{mutex};
            if (seen || std::chrono::steady_clock::now() > end) break;
        }
        std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(seen, std::errc::no_space_on_device);
}

}  // namespace
}  // namespace havip::checks
