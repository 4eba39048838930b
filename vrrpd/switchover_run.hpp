// `havip switchover` in the daemon: runs the sequence of vrrpd/core/switchover step by step — the
// database steps on the mysql_check's own worker (checks/switchover), the hand-over on the
// instance — and keeps the running one and the last one of each instance for status and
// metrics. Only one runs at a time.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "checks/switchover.hpp"
#include "systemd/log.hpp"
#include "vrrpd/check_set.hpp"
#include "vrrpd/core/switchover.hpp"
#include "vrrpd/instance.hpp"
#include "vrrpd/status.hpp"

namespace havip::vrrp {

struct SwitchoverRequest {
    std::string instance;
    std::string check;  // the mysql_check it tracks (manage_read_only)
    std::optional<std::string> to;
    bool dry_run = false;
    Duration timeout{std::chrono::seconds(30)};
    std::string by;  // "uid 0, pid 4242"
};

class SwitchoverRunner {
  public:
    struct Deps {
        boost::asio::io_context& io;
        systemd::Logger& log;
        std::function<Instance*(const std::string& name)> instance;
        std::function<CheckSet*()> checks;
    };
    explicit SwitchoverRunner(Deps deps);
    ~SwitchoverRunner();
    SwitchoverRunner(const SwitchoverRunner&) = delete;
    SwitchoverRunner& operator=(const SwitchoverRunner&) = delete;

    void start(SwitchoverRequest request);
    // A reload or stop replaces the check set under a running switchover: it ends as failed
    // with `why`; the new check set makes the server writable or not by where the VIP is.
    void interrupt(const std::string& why);

    // The running switchover of `instance`, else its last one.
    std::optional<SwitchoverSnapshot> snapshot(const std::string& instance) const;
    // Finished switchovers by instance and result ("switched", "refused", …).
    const std::map<std::string, std::map<std::string, std::uint64_t>>& counts() const {
        return counts_;
    }

  private:
    struct Running;
    void run_step();
    void database_step(SwitchoverStep step);
    void watch_hand_over();
    void watch_roll_back();
    void ended(bool ok, std::string detail);
    // `release_writes`: let the check set decide read_only again (not when it is being
    // replaced or stopped: that one would start a promote nobody waits for).
    void finish(bool release_writes = true);
    SwitchoverSnapshot describe(const Running& r) const;

    Deps deps_;
    std::unique_ptr<Running> running_;
    std::map<std::string, SwitchoverSnapshot> last_;
    std::map<std::string, std::map<std::string, std::uint64_t>> counts_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace havip::vrrp
