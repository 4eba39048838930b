// Summaries of failover samples and the table the benchmark prints and writes into
// bench/README.md.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

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

// Replaces everything after the results marker in `readme` (keeping the introduction above
// it; a missing file or marker gets a short introduction) with the date, machine, command and
// table. Returns an error message, or nullopt on success.
std::optional<std::string> write_readme(const std::filesystem::path& readme,
                                        const std::string& command, const std::string& results);

}  // namespace havip::bench
