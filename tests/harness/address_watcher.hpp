// Timestamps when an address (a VIP) appears on and disappears from each watched namespace,
// from rtnetlink address notifications: no polling, so the time is that of the kernel's
// notification reaching us, typically well under a millisecond after the change.
#pragma once

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace havip::test {

class AddressWatcher {
  public:
    using Clock = std::chrono::steady_clock;
    struct Event {
        std::string ns;
        bool present = false;  // true: the address appeared; false: it went away
        Clock::time_point at;
    };

    // Watches `ip` (IPv4 or IPv6) in each namespace; the initial presence is read at once.
    AddressWatcher(std::vector<std::string> namespaces, std::string ip);
    ~AddressWatcher();
    AddressWatcher(const AddressWatcher&) = delete;
    AddressWatcher& operator=(const AddressWatcher&) = delete;

    // Whether every socket opened and the initial dump was read.
    testing::AssertionResult ready() const;
    // Whether the kernel dropped notifications (ENOBUFS): the event list may have gaps.
    bool overflowed() const;

    bool present(std::string_view ns) const;
    std::vector<Event> events() const;
    // The first event in `ns` with that presence at or after `since`, waiting up to `timeout`.
    std::optional<Event> wait_for(std::string_view ns, bool present,
                                  std::chrono::milliseconds timeout,
                                  Clock::time_point since = Clock::time_point{});
    // The namespaces holding the address right now.
    std::vector<std::string> holders() const;

  private:
    struct Watched {
        std::string ns;
        int fd = -1;
        std::set<int> interfaces;  // ifindexes currently holding the address
    };
    bool read_dump(Watched& watched);
    void run();
    // Applies the netlink messages in buffer; true if NLMSG_DONE was seen.
    bool apply(Watched& watched, const unsigned char* data, std::size_t size, Clock::time_point at,
               bool record);

    std::string ip_;
    int family_ = 0;
    unsigned char address_[16] = {};
    std::size_t address_size_ = 0;
    bool ready_ = false;
    std::string error_;
    int stop_fd_ = -1;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::vector<Watched> watched_;
    std::vector<Event> events_;
    bool overflowed_ = false;
    std::thread thread_;
};

}  // namespace havip::test
