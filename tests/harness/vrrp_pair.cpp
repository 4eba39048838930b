#include "tests/harness/vrrp_pair.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace havip::test {

KeepalivedConfig single_instance(const VrrpInstanceSpec& spec, std::string_view node) {
    KeepalivedConfig config;
    config.router_id = fmt::format("node_{}", node);
    config.instances = {spec};
    return config;
}

double to_ms(std::chrono::nanoseconds d) {
    return static_cast<double>(d.count()) / 1e6;
}

void VrrpPairTest::TearDown() {
    watcher_.reset();
    LabTest::TearDown();
}

void VrrpPairTest::build(std::string vip) {
    vip_ = std::move(vip);
    ASSERT_TRUE(lab().add_node("a"));
    ASSERT_TRUE(lab().add_node("b"));
    ASSERT_TRUE(lab().add_address("a", "10.77.0.1/24"));
    ASSERT_TRUE(lab().add_address("b", "10.77.0.2/24"));
    ASSERT_TRUE(lab().add_address("a", "fd77::1/64"));
    ASSERT_TRUE(lab().add_address("b", "fd77::2/64"));
    watcher_.emplace(std::vector<std::string>{lab().ns("a"), lab().ns("b")}, vip_);
    ASSERT_TRUE(watcher_->ready());
}

RunningDaemon VrrpPairTest::start_master(std::string_view node, const Daemon& daemon,
                                         const KeepalivedConfig& config,
                                         std::chrono::milliseconds timeout) {
    const auto since = AddressWatcher::Clock::now();
    auto running = start_vrrp_daemon(lab(), node, daemon, config);
    EXPECT_TRUE(watcher_->wait_for(lab().ns(node), true, timeout, since).has_value())
        << to_string(daemon.kind) << " on " << node << " never took the VIP " << vip_;
    return running;
}

RunningDaemon VrrpPairTest::start_backup(std::string_view node, const Daemon& daemon,
                                         const KeepalivedConfig& config) {
    auto running = start_vrrp_daemon(lab(), node, daemon, config);
    EXPECT_TRUE(
        running.wait_for_state(config.instances.at(0).name, "BACKUP", std::chrono::seconds(5)));
    return running;
}

std::vector<std::string> VrrpPairTest::holders() {
    std::vector<std::string> out;
    for (const auto& ns : watcher_->holders())
        out.push_back(ns.substr(lab().prefix().size()));
    return out;
}

std::optional<AddressWatcher::Event> VrrpPairTest::wait_vip(
    std::string_view node, bool present, std::chrono::milliseconds timeout,
    AddressWatcher::Clock::time_point since) {
    return watcher_->wait_for(lab().ns(node), present, timeout, since);
}

bool VrrpPairTest::vip_changed_since(std::string_view node,
                                     AddressWatcher::Clock::time_point since) {
    const auto events = watcher_->events();
    const auto ns = lab().ns(node);
    return std::any_of(events.begin(), events.end(),
                       [&](const auto& e) { return e.ns == ns && e.at >= since; });
}

void VrrpPairTest::measure(std::string_view what, std::chrono::nanoseconds value,
                           std::string_view bound_name, std::chrono::nanoseconds bound) {
    RecordProperty(std::string(what), fmt::format("{:.3f}", to_ms(value)));
    fmt::print("[ measure  ] {} {:.3f} ms ({} {:.3f} ms)\n", what, to_ms(value), bound_name,
               to_ms(bound));
}

}  // namespace havip::test
