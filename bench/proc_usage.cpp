#include "bench/proc_usage.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <fmt/format.h>

namespace havip::bench {
namespace {

// The first field of /proc/PID/task/TID/schedstat is the thread's time on a CPU in ns: finer
// than the clock ticks of /proc/PID/stat, which at 100 Hz cannot see a daemon that runs for
// microseconds per advert. Threads that already exited are not counted.
bool read_cpu(pid_t pid, double& seconds) {
    std::error_code error;
    const std::filesystem::path tasks = fmt::format("/proc/{}/task", pid);
    bool any = false;
    for (const auto& task : std::filesystem::directory_iterator(tasks, error)) {
        std::ifstream in(task.path() / "schedstat");
        unsigned long long ns = 0;
        if (!(in >> ns)) continue;
        seconds += static_cast<double>(ns) / 1e9;
        any = true;
    }
    return any;
}

long read_rss_kib(pid_t pid) {
    std::ifstream in(fmt::format("/proc/{}/status", pid));
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
}

}  // namespace

ProcessUsage read_usage(const std::vector<pid_t>& pids) {
    ProcessUsage usage;
    for (const pid_t pid : pids) {
        if (!read_cpu(pid, usage.cpu_seconds)) continue;
        usage.rss_kib += read_rss_kib(pid);
        ++usage.processes;
    }
    return usage;
}

double cpu_rate(const ProcessUsage& before, const ProcessUsage& after,
                std::chrono::nanoseconds wall) {
    const double seconds = std::chrono::duration<double>(wall).count();
    return seconds > 0 ? (after.cpu_seconds - before.cpu_seconds) / seconds : 0;
}

}  // namespace havip::bench
