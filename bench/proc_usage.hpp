// CPU time and resident memory of a daemon's processes, read from /proc, so a benchmark can
// compare daemons that are one process (havipd) with ones that are several (keepalived's parent
// and its VRRP child): the figures are sums over every process given.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <vector>

namespace havip::bench {

struct ProcessUsage {
    double cpu_seconds = 0;  // time on a CPU of every thread, summed over the processes
    long rss_kib = 0;        // VmRSS, summed over the processes
    int processes = 0;       // how many of the pids could be read
};

ProcessUsage read_usage(const std::vector<pid_t>& pids);

// CPU seconds per wall second between two readings.
double cpu_rate(const ProcessUsage& before, const ProcessUsage& after,
                std::chrono::nanoseconds wall);

}  // namespace havip::bench
