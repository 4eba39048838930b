// Saves mysql_check histories off the loop: each save ends in fsync, which a busy or full
// disk can stall for seconds. One thread for every check of the daemon, outliving the check
// set of one configuration, so that a check removed and added again by reloads writes its file
// in order: the newest history stored for a path is the last one written. Destroying the
// writer (after the loop has stopped) writes what is still pending: nothing is lost on a clean
// stop. Nothing on the loop ever waits for a write.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "checks/mysql_history.hpp"

namespace havip::checks {

class HistoryWriter {
  public:
    // How a history is written; checks::save_history unless a test says otherwise.
    using Save = std::function<std::error_code(const std::string& path, const History&)>;
    // Told on the writer's thread when a save fails.
    using OnError = std::function<void(std::error_code)>;

    explicit HistoryWriter(Save save = save_history);
    ~HistoryWriter();
    HistoryWriter(const HistoryWriter&) = delete;
    HistoryWriter& operator=(const HistoryWriter&) = delete;

    // Queues `history` as the newest for `path`, replacing one not written yet. Never waits.
    void store(const std::string& path, const History& history, OnError on_error = {});
    // The newest history stored for `path` and not yet on disk (queued or being written):
    // what a check added again must start from, since the file may still hold an older one.
    std::optional<History> unwritten(const std::string& path) const;

  private:
    void run();

    struct Entry {
        std::optional<History> queued;   // the newest, waiting
        std::optional<History> writing;  // being written now
        OnError on_error;
    };
    Save save_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<std::string, Entry> entries_;
    std::string last_;  // the path written last
    bool stopping_ = false;
    std::thread thread_;  // started by the first store()
};

}  // namespace havip::checks
