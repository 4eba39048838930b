// Time-stamps every VRRP advert (IPv4, either version) that reaches one interface of a
// namespace, so a benchmark can tell when the master's last advert, or its priority-0 advert,
// arrived on the backup's side. The stamp is the kernel's receive time (SO_TIMESTAMPNS),
// mapped onto the steady clock so it compares with AddressWatcher's events.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace havip::bench {

struct Advert {
    using Clock = std::chrono::steady_clock;
    Clock::time_point at;
    std::string source;  // dotted quad
    int version = 0;
    int vrid = 0;
    int priority = 0;
};

class AdvertRecorder {
  public:
    using Clock = Advert::Clock;
    using Match = std::function<bool(const Advert&)>;

    // Opens a raw IPPROTO_VRRP socket inside `ns`, bound to `ifname` and joined to 224.0.0.18
    // there, and records from a thread of its own until destroyed.
    AdvertRecorder(std::string ns, std::string ifname);
    ~AdvertRecorder();
    AdvertRecorder(const AdvertRecorder&) = delete;
    AdvertRecorder& operator=(const AdvertRecorder&) = delete;

    // Empty when the socket is open and recording; otherwise what failed.
    const std::string& error() const { return error_; }

    // The latest recorded advert matching `match` that arrived before `before`.
    std::optional<Advert> last_before(Clock::time_point before, const Match& match) const;
    // The first advert matching `match` that arrived at or after `since`, waiting up to
    // `timeout` for it.
    std::optional<Advert> wait_for(Clock::time_point since, const Match& match,
                                   std::chrono::milliseconds timeout) const;

    // Every recorded advert matching `match` that arrived in [from, to), in arrival order.
    std::vector<Advert> between(Clock::time_point from, Clock::time_point to,
                                const Match& match) const;

  private:
    void run();
    void receive();

    std::string ns_;
    std::string error_;
    int fd_ = -1;
    int stop_fd_ = -1;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::vector<Advert> adverts_;
    std::thread thread_;
};

// Matches adverts from `source` whose priority is zero (`zero`) or not zero (`!zero`).
AdvertRecorder::Match from_source(std::string source, bool zero_priority);

}  // namespace havip::bench
