// bench/footprint: what N VRRP instances cost a master, keepalived against havipd on the same
// keepalived.conf: resident memory and CPU seconds per wall second of the daemon's processes,
// and whether every instance's adverts leave on time. One node `a` runs the daemon with N
// instances (VRIDs 1..N, VRRPv3, 100 ms adverts, one VIP each, state MASTER, no peer); a second
// node `r` on the same bridge records every advert with its kernel receive stamp. The daemons
// run one after the other, the order alternating between instance counts.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "bench/advert_recorder.hpp"
#include "bench/cli.hpp"
#include "bench/proc_usage.hpp"
#include "bench/report.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* node_ip = "10.77.0.1";
constexpr const char* recorder_ip = "10.77.0.2";
constexpr milliseconds advert_int{100};
// "On time": the gap between two consecutive adverts of one instance, as received, is within
// 10 % of the advertisement interval (90..110 ms). A late advert makes one long gap and one
// short one, so both count against the share.
constexpr milliseconds on_time_tolerance{10};
// The targets: at most half of keepalived's CPU and RSS, every advert on time.
constexpr double target_ratio = 0.5;

struct Options : CommonOptions {
    std::vector<int> counts = {1, 100, 255};
    std::chrono::seconds window{20};
    std::chrono::seconds settle{6};  // past the GARP burst keepalived repeats after 5 s
};

struct Measurement {
    double rss_mib = 0;
    double cpu_rate = 0;  // CPU seconds per wall second
    int processes = 0;
    std::size_t adverts = 0;
    std::size_t expected = 0;  // instances × window / interval
    std::size_t gaps = 0;
    std::size_t on_time = 0;
    double gap_p99_ms = 0;  // worst 1 % of |gap − interval|
    double gap_max_ms = 0;
};

test::KeepalivedConfig config_for(int count) {
    test::KeepalivedConfig config;
    config.router_id = "bench_footprint";
    for (int vrid = 1; vrid <= count; ++vrid) {
        test::VrrpInstanceSpec instance;
        instance.name = fmt::format("VI_{}", vrid);
        instance.vrid = vrid;
        instance.version = 3;
        instance.advert_int = advert_int;
        instance.priority = 150;
        instance.state = "MASTER";
        instance.vips = {fmt::format("10.78.{}.{}/16", vrid / 200, vrid % 200 + 1)};
        config.instances.push_back(instance);
    }
    return config;
}

std::variant<Measurement, std::string> measure(const test::Daemon& daemon, int count,
                                               const Options& options) {
    test::Lab lab;
    if (auto ready = lab.ready(); !ready) return ready.message();
    for (const auto& [node, ip] : {std::pair{"a", node_ip}, std::pair{"r", recorder_ip}}) {
        if (auto added = lab.add_node(node); !added) return added.message();
        if (auto added = lab.add_address(node, fmt::format("{}/24", ip)); !added)
            return added.message();
    }
    AdvertRecorder recorder(lab.ns("r"), lab.ifname("r"));
    if (!recorder.error().empty()) return recorder.error();
    const auto from_node = [](const Advert& advert) {
        return advert.source == node_ip && advert.priority != 0;
    };
    auto running = test::start_vrrp_daemon(lab, "a", daemon, config_for(count));
    const auto name = test::to_string(daemon.kind);
    // Up when every instance has sent an advert in the last half second.
    const auto all_sending = [&] {
        const auto now = Clock::now();
        const auto seen = recorder.between(now - 500ms, now, from_node);
        std::vector<bool> vrids(256, false);
        for (const auto& advert : seen)
            vrids[static_cast<std::size_t>(advert.vrid)] = true;
        return std::count(vrids.begin(), vrids.end(), true) == count;
    };
    if (!test::wait_until(all_sending, 20s, 100ms)) {
        return fmt::format("{}: not every one of {} instances advertises\n{}", name, count,
                           running.process->log_tail(15));
    }
    std::this_thread::sleep_for(options.settle);
    const auto pids = test::namespace_pids(lab.ns("a"));
    const auto before = read_usage(pids);
    const auto start = Clock::now();
    for (auto left = options.window; left > 0s && !interrupted().load(); left -= 1s)
        std::this_thread::sleep_for(1s);
    const auto end = Clock::now();
    const auto after = read_usage(pids);
    if (!running.process->running())
        return fmt::format("{} exited during the window\n{}", name, running.process->log_tail(15));

    Measurement result;
    result.rss_mib = static_cast<double>(after.rss_kib) / 1024.0;
    result.cpu_rate = cpu_rate(before, after, end - start);
    result.processes = after.processes;
    const auto adverts = recorder.between(start, end, from_node);
    result.adverts = adverts.size();
    result.expected =
        static_cast<std::size_t>(count) * static_cast<std::size_t>((end - start) / advert_int);
    std::map<int, Clock::time_point> last;
    std::vector<double> deviations;
    for (const auto& advert : adverts) {
        const auto previous = last.find(advert.vrid);
        if (previous != last.end()) {
            const auto gap = advert.at - previous->second;
            const double deviation =
                std::abs(std::chrono::duration<double, std::milli>(gap - advert_int).count());
            deviations.push_back(deviation);
            if (deviation <= static_cast<double>(on_time_tolerance.count())) ++result.on_time;
        }
        last[advert.vrid] = advert.at;
    }
    result.gaps = deviations.size();
    result.gap_p99_ms = quantile(deviations, 0.99);
    result.gap_max_ms = quantile(deviations, 1.0);
    return result;
}

std::string percent(std::size_t part, std::size_t whole) {
    if (whole == 0) return "–";
    return fmt::format("{:.2f} %", 100.0 * static_cast<double>(part) / static_cast<double>(whole));
}

struct Row {
    int count = 0;
    Measurement keepalived;
    Measurement havipd;
};

std::string render(const std::vector<Row>& rows) {
    std::string out =
        "| instances | keepalived RSS (MiB) | havipd RSS (MiB) | ratio RSS | keepalived CPU-s/s | "
        "havipd CPU-s/s | ratio CPU | keepalived on time | havipd on time | keepalived gap "
        "p99 / max (ms) | havipd gap p99 / max (ms) |\n"
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& row : rows) {
        const auto& k = row.keepalived;
        const auto& h = row.havipd;
        out += fmt::format(
            "| {} | {:.2f} | {:.2f} | {:.2f} | {:.4f} | {:.4f} | {} | {} | {} | {:.2f} / {:.2f} | "
            "{:.2f} / {:.2f} |\n",
            row.count, k.rss_mib, h.rss_mib, h.rss_mib / k.rss_mib, k.cpu_rate, h.cpu_rate,
            k.cpu_rate > 0 ? fmt::format("{:.2f}", h.cpu_rate / k.cpu_rate) : "–",
            percent(k.on_time, k.gaps), percent(h.on_time, h.gaps), k.gap_p99_ms, k.gap_max_ms,
            h.gap_p99_ms, h.gap_max_ms);
    }
    out += "\n";
    for (const auto& row : rows) {
        const auto& k = row.keepalived;
        const auto& h = row.havipd;
        const bool rss = h.rss_mib <= target_ratio * k.rss_mib;
        const bool cpu = h.cpu_rate <= target_ratio * k.cpu_rate;
        const bool on_time = h.on_time == h.gaps && h.adverts >= h.expected * 99 / 100;
        out += fmt::format(
            "- {} instances: havipd {} the RSS target, {} the CPU target (≤ {:.0f} % of "
            "keepalived's), {} on time ({} of {} gaps; {} adverts received of {} due; keepalived "
            "{} of {}, {} adverts)\n",
            row.count, rss ? "meets" : "MISSES", cpu ? "meets" : "MISSES", target_ratio * 100,
            on_time ? "every advert" : "NOT every advert", h.on_time, h.gaps, h.adverts, h.expected,
            k.on_time, k.gaps, k.adverts);
    }
    return out;
}

int run(const Options& options, const std::string& command) {
    if (auto reason = skip_reason({options.havipd, options.keepalived})) {
        fmt::print("skipped: {}\n", *reason);
        return exit_skipped;
    }
    const test::Daemon daemons[] = {test::keepalived(options.keepalived),
                                    test::havipd(options.havipd)};
    std::vector<Row> rows;
    for (std::size_t i = 0; i < options.counts.size(); ++i) {
        Row row;
        row.count = options.counts[i];
        for (std::size_t k = 0; k < 2; ++k) {
            const auto& daemon = daemons[(i + k) % 2];
            if (interrupted().load()) return 130;
            auto result = measure(daemon, row.count, options);
            if (auto* error = std::get_if<std::string>(&result)) {
                fmt::print(stderr, "{}\n", *error);
                return 1;
            }
            const auto& m = std::get<Measurement>(result);
            (daemon.kind == test::DaemonKind::keepalived ? row.keepalived : row.havipd) = m;
            fmt::print(
                "{:>3} instances {:<10}: RSS {:6.2f} MiB ({} processes), {:.4f} CPU-s/s, "
                "{} on time, gap p99 {:.2f} ms max {:.2f} ms, {} adverts of {}\n",
                row.count, test::to_string(daemon.kind), m.rss_mib, m.processes, m.cpu_rate,
                percent(m.on_time, m.gaps), m.gap_p99_ms, m.gap_max_ms, m.adverts, m.expected);
            std::fflush(stdout);
        }
        rows.push_back(row);
    }
    const std::string table = render(rows);
    fmt::print("\n{}", table);
    const std::string results = fmt::format(
        "{} s window after {} s settling; RSS and CPU are sums over the daemon's processes "
        "(keepalived: parent + VRRP child; havipd: one); on time = gap within ±{} ms of "
        "{} ms.\n\n{}",
        options.window.count(), options.settle.count(), on_time_tolerance.count(),
        advert_int.count(), table);
    return publish(options, "footprint", "Footprint", command, results) ? 0 : 1;
}

constexpr const char* usage =
    "usage: footprint [--smoke] [--write-readme] [--counts 1,100,255] [--seconds N] "
    "[--havipd PATH] [--keepalived PATH]\n"
    "  RSS, CPU and advert timing of N VRRPv3 100 ms instances, keepalived and havipd\n"
    "  (needs root). --smoke: 10 instances, 2 s per daemon.\n";

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    Arguments args(argc, argv);
    while (args.next()) {
        if (args.common(options)) {
            if (args.is("--smoke")) {
                options.counts = {10};
                options.window = 2s;
                options.settle = 1s;
            }
        } else if (auto list = args.value("--counts")) {
            options.counts.clear();
            for (std::size_t at = 0; at <= list->size();) {
                auto comma = list->find(',', at);
                if (comma == std::string::npos) comma = list->size();
                const int count = std::atoi(list->substr(at, comma - at).c_str());
                if (count < 1 || count > 255) return std::nullopt;
                options.counts.push_back(count);
                at = comma + 1;
            }
        } else if (auto seconds = args.number("--seconds", 1, 3600)) {
            options.window = std::chrono::seconds(*seconds);
        } else {
            return std::nullopt;
        }
    }
    return options;
}

}  // namespace
}  // namespace havip::bench

int main(int argc, char** argv) {
    return havip::bench::bench_main(argc, argv, havip::bench::parse, havip::bench::run,
                                    havip::bench::usage);
}
