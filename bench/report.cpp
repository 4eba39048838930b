#include "bench/report.hpp"

#include <signal.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <ctime>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"

namespace havip::bench {
namespace {

double ms(std::chrono::nanoseconds value) {
    return std::chrono::duration<double, std::milli>(value).count();
}

std::string cell(const std::optional<Summary>& summary, bool max) {
    if (!summary) return "–";
    return fmt::format("{:+.3f}", ms(max ? summary->max : summary->median));
}

// A ratio of two durations, or "–" when the denominator is too small to mean anything.
std::string ratio(std::chrono::nanoseconds ours, std::chrono::nanoseconds theirs) {
    if (std::chrono::abs(theirs) < std::chrono::microseconds(1)) return "–";
    return fmt::format("{:.2f}", static_cast<double>(ours.count()) / theirs.count());
}

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

std::optional<Summary> summarize(const Samples& samples) {
    if (samples.past_bound.empty()) return std::nullopt;
    auto sorted = samples.past_bound;
    std::sort(sorted.begin(), sorted.end());
    const std::size_t n = sorted.size();
    const auto median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    return Summary{n, median, sorted.back()};
}

std::string render_table(const std::vector<Row>& rows) {
    std::string out =
        "| scenario | bound | bound (ms) | n | keepalived median | keepalived max | havipd median "
        "| havipd max | ratio past bound | ratio failover |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& row : rows) {
        const auto theirs = summarize(row.keepalived);
        const auto ours = summarize(row.havipd);
        std::string past = "–";
        std::string total = "–";
        if (theirs && ours) {
            past = ratio(ours->median, theirs->median);
            total = ratio(ours->median + row.bound, theirs->median + row.bound);
        }
        const std::size_t n = std::max(theirs ? theirs->count : 0, ours ? ours->count : 0);
        out += fmt::format("| {} | {} | {:.3f} | {} | {} | {} | {} | {} | {} | {} |\n",
                           row.scenario, row.bound_name, ms(row.bound), n, cell(theirs, false),
                           cell(theirs, true), cell(ours, false), cell(ours, true), past, total);
    }
    return out;
}

std::string render_verdict(const std::vector<Row>& rows, std::chrono::nanoseconds limit) {
    std::string out;
    for (const auto& row : rows) {
        const auto ours = summarize(row.havipd);
        const auto theirs = summarize(row.keepalived);
        if (!ours) continue;
        const bool met = ours->max <= limit;
        std::string versus;
        if (theirs) {
            versus = ours->median <= theirs->median
                         ? "; median not slower than keepalived"
                         : fmt::format("; median {:.3f} ms slower than keepalived",
                                       ms(ours->median - theirs->median));
        }
        out +=
            fmt::format("- {}: havipd {} the target (max {:+.3f} ms past {}, limit {:.0f} ms){}\n",
                        row.scenario, met ? "meets" : "MISSES", ms(ours->max), row.bound_name,
                        ms(limit), versus);
    }
    return out;
}

std::string describe_machine() {
    std::string kernel = "unknown kernel";
    utsname name{};
    if (uname(&name) == 0)
        kernel = fmt::format("{} {} {}", name.sysname, name.release, name.machine);
    std::string cpu = "unknown CPU";
    std::istringstream info(read_file("/proc/cpuinfo"));
    for (std::string line; std::getline(info, line);) {
        if (line.rfind("model name", 0) == 0) {
            const auto colon = line.find(':');
            if (colon != std::string::npos)
                cpu = line.substr(line.find_first_not_of(" \t", colon + 1));
            break;
        }
    }
    return fmt::format("nproc {}, {}, {}", std::thread::hardware_concurrency(), kernel, cpu);
}

std::optional<std::string> write_readme(const std::filesystem::path& readme,
                                        std::string_view section, std::string_view title,
                                        const std::string& command, const std::string& results) {
    std::string text = read_file(readme);
    if (text.empty()) text = "# bench\n\nBenchmarks of havipd against keepalived.\n";
    const std::string begin = fmt::format("<!-- results: {} begin -->", section);
    const std::string end = fmt::format("<!-- results: {} end -->", section);
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    localtime_r(&now, &local);
    char date[64] = {};
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M %Z", &local);
    const std::string body =
        fmt::format("{}\n### {}\n\n- date: {}\n- machine: {}\n- command: `{}`\n\n{}{}", begin,
                    title, date, describe_machine(), command, results, end);
    const auto from = text.find(begin);
    const auto to = from == std::string::npos ? std::string::npos : text.find(end, from);
    if (from == std::string::npos || to == std::string::npos) {
        if (!text.empty() && text.back() != '\n') text += '\n';
        text += "\n" + body + "\n";
    } else {
        text.replace(from, to + end.size() - from, body);
    }
    const auto temporary = readme.string() + ".tmp";
    {
        std::ofstream out(temporary, std::ios::trunc);
        out << text;
        if (!out.flush()) return fmt::format("cannot write {}", temporary);
    }
    std::error_code error;
    std::filesystem::rename(temporary, readme, error);
    if (error) return fmt::format("cannot replace {}: {}", readme.string(), error.message());
    return std::nullopt;
}

double quantile(std::vector<double> values, double p) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(values.size())));
    return values[std::clamp<std::size_t>(rank, 1, values.size()) - 1];
}

double median(std::vector<double> values) {
    if (values.empty()) return 0;
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string command_line(int argc, char** argv) {
    std::string command;
    for (int i = 0; i < argc; ++i)
        command += (i == 0 ? "" : " ") + std::string(argv[i]);
    return command;
}

std::string failure_with_logs(std::string_view who, std::string_view what,
                              std::initializer_list<const test::RunningDaemon*> daemons) {
    std::string out = fmt::format("{}: {}", who, what);
    for (const auto* daemon : daemons) {
        if (daemon->process == nullptr) continue;
        out += fmt::format("\n--- {} log (tail) ---\n{}", daemon->node,
                           daemon->process->log_tail(15));
    }
    return out;
}

std::optional<std::string> skip_reason(const std::vector<std::string>& binaries,
                                       bool needs_mariadb) {
    if (auto reason = test::lab_skip_reason()) return reason;
    if (needs_mariadb)
        if (auto reason = test::mariadb_skip_reason()) return reason;
    for (const auto& binary : binaries)
        if (::access(binary.c_str(), X_OK) != 0)
            return fmt::format("{} is not executable (bench/run installs what is missing)", binary);
    return std::nullopt;
}

std::atomic<bool>& interrupted() {
    static std::atomic<bool> flag{false};
    return flag;
}

void stop_on_signals() {
    struct sigaction action {};
    action.sa_handler = [](int) { interrupted().store(true); };
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

}  // namespace havip::bench
