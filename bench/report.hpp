// Summaries of failover samples and the table the benchmark prints and writes into
// bench/README.md.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/harness/vrrp_daemon.hpp"


namespace havip::bench {

// Time past the protocol bound of each repetition, for one daemon in one scenario.
struct Samples {
    std::vector<std::chrono::nanoseconds> past_bound;
};

struct Summary {
    std::size_t count = 0;
    std::chrono::nanoseconds median{};
    std::chrono::nanoseconds max{};
};
// nullopt for no samples. The median of an even count is the mean of the middle two.
std::optional<Summary> summarize(const Samples& samples);

struct Row {
    std::string scenario;    // "v2 1 s, master cut off"
    std::string bound_name;  // "Master_Down_Interval" or "Skew_Time"
    std::chrono::microseconds bound{};
    Samples keepalived;
    Samples havipd;
};

// The Markdown table: one row per scenario, times in ms past the bound, and the ratios
// havipd/keepalived of the median time past the bound and of the median failover time.
std::string render_table(const std::vector<Row>& rows);

// Whether havipd met the target (every sample within `limit` past the bound), one line
// per row.
std::string render_verdict(const std::vector<Row>& rows, std::chrono::nanoseconds limit);

// "nproc 2, Linux 6.1.0, Intel(R) Xeon(R) …" for the results header.
std::string describe_machine();

// Replaces the text between `<!-- results: SECTION begin -->` and `<!-- results: SECTION end -->`
// in `readme` with "### TITLE", the date, machine, command and `results`, leaving the rest of
// the file (the introduction, the other benchmarks' sections) as it is; a missing section is
// appended. Each benchmark owns one section, so they can be rerun one at a time. Returns an
// error message, or nullopt on success.
std::optional<std::string> write_readme(const std::filesystem::path& readme,
                                        std::string_view section, std::string_view title,
                                        const std::string& command, const std::string& results);

// The command as typed, for the README ("failover --runs 5 --write-readme").
std::string command_line(int argc, char** argv);

// A failed step's message: "WHO: WHAT", then the last lines of the log of each daemon that was
// started.
std::string failure_with_logs(std::string_view who, std::string_view what,
                              std::initializer_list<const test::RunningDaemon*> daemons);

// ctest's SKIP_RETURN_CODE: not root, or a tool missing.
inline constexpr int exit_skipped = 77;

// Why a benchmark cannot run here, or nothing: no lab (root, namespaces), no MariaDB when
// `needs_mariadb`, or one of `binaries` not executable.
std::optional<std::string> skip_reason(const std::vector<std::string>& binaries,
                                       bool needs_mariadb = false);

// Set by SIGINT or SIGTERM once bench_main runs: the benchmarks' loops poll it, so an
// interrupted run still tears its labs down.
std::atomic<bool>& interrupted();
void stop_on_signals();

// The p-quantile (0..1) of `values` by nearest rank; 0 for no values.
double quantile(std::vector<double> values, double p);
double median(std::vector<double> values);

}  // namespace havip::bench
