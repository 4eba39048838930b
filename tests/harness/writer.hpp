// A database client for the data-safety tests (issue 9): a thread that joins a lab node's
// network namespace and inserts ids 1, 2, 3, … into a table through the VIP, one autocommit
// INSERT each, with short timeouts, reconnecting after any error. Every id whose INSERT
// returned OK is recorded as acknowledged; an id whose answer never came is neither (its fate
// is unknown to the client, as to a real application). Afterwards the acknowledged ids are
// compared with what the final VIP holder has.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace havip::test {

struct WriterSettings {
    std::string netns;  // the namespace the client runs in (Lab::ns("c"))
    std::string host;   // the VIP
    unsigned port = 3306;
    std::string user;
    std::string password;
    std::string table = "lab.w";                // (id BIGINT PRIMARY KEY, …)
    std::chrono::milliseconds retry_pause{20};  // after an error, before reconnecting
    // At most one write per this interval (0: as fast as the server answers). A steady rate
    // an application would have, so a returning node can catch up however loaded the machine.
    std::chrono::microseconds write_interval{0};
    // When set, each INSERT also fills this column with @@server_id, so the row says which
    // server executed it (row-based replication carries the value): the write-safety benchmark
    // tells conflicting copies apart by it.
    std::string server_column = {};
    // Intervals without an acknowledged write at least this long are kept in gaps().
    std::chrono::milliseconds gap_threshold{100};
};

// An interval without an acknowledged write: from one acknowledgement to the next.
struct WriterGap {
    std::chrono::steady_clock::time_point from;
    std::chrono::steady_clock::time_point to;
};

struct WriterFigures {
    std::uint64_t attempted = 0;
    std::uint64_t acked = 0;
    std::uint64_t errors = 0;
    std::chrono::milliseconds longest_gap{0};  // longest time without an acknowledged write
};

// Needs a checks::MysqlLibrary alive for its whole life.
class Writer {
  public:
    explicit Writer(WriterSettings settings);
    ~Writer();  // stops the thread
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    void start();
    void stop();

    std::vector<std::uint64_t> acked() const;
    WriterFigures figures() const;
    // The gaps of at least settings.gap_threshold, in time order.
    std::vector<WriterGap> gaps() const;
    // The last error the client saw ("" when none), for failure messages.
    std::string last_error() const;

  private:
    void run();

    WriterSettings settings_;
    std::atomic<bool> stopping_{false};
    mutable std::mutex mutex_;
    std::vector<std::uint64_t> acked_;
    WriterFigures figures_;
    std::vector<WriterGap> gaps_;
    std::string last_error_;
    std::thread thread_;
};

// The acknowledged ids that `present` (the ids in the final holder's table, any order) lacks.
std::vector<std::uint64_t> missing_ids(const std::vector<std::uint64_t>& acked,
                                       std::vector<std::uint64_t> present);

// Parses one id per line (the mariadb client's batch output of SELECT id).
std::vector<std::uint64_t> parse_ids(const std::string& text);

}  // namespace havip::test
