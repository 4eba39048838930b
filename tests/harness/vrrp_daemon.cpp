#include "tests/harness/vrrp_daemon.hpp"

#include <fstream>
#include <functional>

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
    // havipd is one process: -r names the same pid for keepalived's tooling. Its state
    // directory (mysql_check history), control socket and signal dumps stay with the lab, so
    // daemons never share them with each other or with a havipd running on the host. A unix
    // socket path has at most 107 bytes: a long lab path falls back to /tmp.
    auto socket = run_dir / fmt::format("{}.sock", node);
    if (socket.string().size() > 100)
        socket = fmt::format("/tmp/hv{:x}-{}.sock", std::hash<std::string>{}(run_dir.string()),
                             node);
    return {daemon.binary,
            "-n",
            "-l",
            "-D",
            "-f",
            config.string(),
            "-p",
            pid(""),
            "-r",
            pid("-vrrp"),
            "--state-dir",
            (run_dir / fmt::format("{}-havipd-state", node)).string(),
            "--socket",
            socket.string(),
            "--dump-dir",
            run_dir.string()};
}

RunningDaemon start_vrrp_daemon(Lab& lab, std::string_view node, const Daemon& daemon,
                                const KeepalivedConfig& config) {
    return start_vrrp_daemon(lab, node, daemon, render_keepalived_conf(config));
}

RunningDaemon start_vrrp_daemon(Lab& lab, std::string_view node, const Daemon& daemon,
                                const std::string& config_text) {
    const std::string base = fmt::format("{}-{}", node, to_string(daemon.kind));
    RunningDaemon running{daemon, std::string(node), lab.dir() / (base + ".conf"), nullptr};
    {
        std::ofstream out(running.config);
        out << config_text;
    }
    running.process =
        &lab.start(node, base, daemon_command(daemon, running.config, lab.dir(), node));
    return running;
}

bool is_state_line(DaemonKind kind, std::string_view line, std::string_view instance,
                   std::string_view state) {
    if (kind == DaemonKind::keepalived) {
        if (line.find(fmt::format("({}) Entering ", instance)) == std::string_view::npos)
            return false;
        return state.empty() ||
               line.find(fmt::format("Entering {} STATE", state)) != std::string_view::npos;
    }
    // "HH:MM:SS.mmm [VI_1 vrid 99] BACKUP -> MASTER: reason"
    const auto tag = line.find(fmt::format("[{} vrid ", instance));
    if (tag == std::string_view::npos) return false;
    const auto close = line.find("] ", tag);
    if (close == std::string_view::npos) return false;
    const auto arrow = line.find(" -> ", close);
    if (arrow == std::string_view::npos) return false;
    const auto to = line.substr(arrow + 4);
    const auto colon = to.find(':');
    if (colon == std::string_view::npos) return false;
    // The from-state sits between "] " and " -> " and is one upper-case word.
    const auto from = line.substr(close + 2, arrow - close - 2);
    if (from.empty() || from.find(' ') != std::string_view::npos) return false;
    return state.empty() || to.substr(0, colon) == state;
}

namespace {

std::size_t count_state_lines(const RunningDaemon& d, std::string_view instance,
                              std::string_view state) {
    const std::string text = d.process->log();
    std::size_t count = 0;
    std::size_t begin = 0;
    while (begin < text.size()) {
        auto end = text.find('\n', begin);
        if (end == std::string::npos) end = text.size();
        if (is_state_line(d.daemon.kind, std::string_view(text).substr(begin, end - begin),
                          instance, state))
            ++count;
        begin = end + 1;
    }
    return count;
}

}  // namespace

std::size_t RunningDaemon::times_entered(std::string_view instance, std::string_view state) const {
    return count_state_lines(*this, instance, state);
}

std::size_t RunningDaemon::state_changes(std::string_view instance) const {
    return count_state_lines(*this, instance, "");
}

testing::AssertionResult RunningDaemon::wait_for_state(std::string_view instance,
                                                       std::string_view state,
                                                       std::chrono::milliseconds timeout,
                                                       std::size_t occurrence) const {
    if (wait_until([&] { return times_entered(instance, state) >= occurrence; }, timeout,
                   std::chrono::milliseconds(5))) {
        return testing::AssertionSuccess();
    }
    return testing::AssertionFailure()
           << to_string(daemon.kind) << " on " << node << " did not log entering " << state
           << " (occurrence " << occurrence << ") for " << instance << " within " << timeout.count()
           << " ms";
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
