#include "tests/harness/vrrp_daemon.hpp"

#include <fstream>

#include <fmt/format.h>

#include "tests/harness/wait.hpp"

namespace havip::test {

std::string_view to_string(DaemonKind kind) {
    return kind == DaemonKind::keepalived ? "keepalived" : "havipd";
}

std::vector<std::string> daemon_command(const Daemon& daemon, const std::filesystem::path& config,
                                        const std::filesystem::path& run_dir,
                                        std::string_view node) {
    const auto pid = [&](std::string_view what) {
        return (run_dir / fmt::format("{}-{}{}.pid", node, to_string(daemon.kind), what)).string();
    };
    if (daemon.kind == DaemonKind::keepalived) {
        return {daemon.binary,   "-n", "-l",    "-D", "-G",         "-P", "-f",
                config.string(), "-p", pid(""), "-r", pid("-vrrp"), "-c", pid("-checkers")};
    }
    return {daemon.binary, "-n", "-l", "-D", "-P", "-f", config.string(), "-p", pid("")};
}

RunningDaemon start_vrrp_daemon(Lab& lab, std::string_view node, const Daemon& daemon,
                                const KeepalivedConfig& config) {
    const std::string base = fmt::format("{}-{}", node, to_string(daemon.kind));
    RunningDaemon running{daemon, std::string(node), lab.dir() / (base + ".conf"), nullptr};
    {
        std::ofstream out(running.config);
        out << render_keepalived_conf(config);
    }
    running.process =
        &lab.start(node, base, daemon_command(daemon, running.config, lab.dir(), node));
    return running;
}

testing::AssertionResult RunningDaemon::wait_for_state(std::string_view instance,
                                                       std::string_view state,
                                                       std::chrono::milliseconds timeout) const {
    const std::string line = fmt::format("({}) Entering {} STATE", instance, state);
    if (wait_until([&] { return process->log_contains(line); }, timeout,
                   std::chrono::milliseconds(5))) {
        return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << to_string(daemon.kind) << " on " << node << " did not log \"" << line << "\" within "
           << timeout.count() << " ms";
}

VrrpTiming rfc_timing(int version, int priority, std::chrono::milliseconds advert_int) {
    using std::chrono::microseconds;
    const microseconds advert = advert_int;
    // v2: Skew_Time = (256 - Priority) / 256 seconds. v3 scales it by the interval.
    const microseconds skew = version == 2 ? microseconds((256 - priority) * 1'000'000 / 256)
                                           : microseconds((256 - priority) * advert.count() / 256);
    return VrrpTiming{skew, 3 * advert + skew};
}

}  // namespace havip::test
