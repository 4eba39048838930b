// Two VRRP nodes on the lab bridge with the VIP watched on both: the common set-up of the
// havipd pair and havipd-vs-keepalived scenarios. Node a (10.77.0.1, fd77::1) is meant to be
// the master, node b (10.77.0.2, fd77::2) the backup; either may run either daemon.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/vrrp_daemon.hpp"

namespace havip::test {

// A one-instance configuration for `node`: the spec with the node's router_id.
KeepalivedConfig single_instance(const VrrpInstanceSpec& spec, std::string_view node);

// Milliseconds as a double, for measurements.
double to_ms(std::chrono::nanoseconds d);

class VrrpPairTest : public LabTest {
  protected:
    // The watcher's sockets keep the namespaces alive: close them before the lab goes.
    void TearDown() override;

    // Adds nodes a and b with their IPv4 and IPv6 addresses and watches `vip` on both.
    void build(std::string vip);
    // Starts the daemon on the node and waits until it holds the VIP.
    RunningDaemon start_master(std::string_view node, const Daemon& daemon,
                               const KeepalivedConfig& config, std::chrono::milliseconds timeout);
    // Starts the daemon on the node and waits until it logs BACKUP.
    RunningDaemon start_backup(std::string_view node, const Daemon& daemon,
                               const KeepalivedConfig& config);

    // The nodes ("a", "b") holding the VIP right now.
    std::vector<std::string> holders();
    // Whether `node` gained (present) or lost the VIP at or after `since`, up to `timeout`.
    std::optional<AddressWatcher::Event> wait_vip(std::string_view node, bool present,
                                                  std::chrono::milliseconds timeout,
                                                  AddressWatcher::Clock::time_point since);
    // Whether the node's VIP presence changed at all at or after `since`.
    bool vip_changed_since(std::string_view node, AddressWatcher::Clock::time_point since);
    // Prints and records a measured duration next to the bound it is checked against.
    void measure(std::string_view what, std::chrono::nanoseconds value, std::string_view bound_name,
                 std::chrono::nanoseconds bound);

    std::string vip_;
    std::optional<AddressWatcher> watcher_;
};

}  // namespace havip::test
