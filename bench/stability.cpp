// bench/stability: a VRRPv3 pair with 10 ms adverts, keepalived and havipd side by side (a lab
// each, both running at once) while stress-ng saturates CPU, I/O and memory. Counted: the
// backup's transitions to MASTER (spurious takeovers: the master never stopped), and the
// jitter of the master's adverts as the backup's interface received them (kernel stamps).
// Variants: the configuration as is, and with vrrp_rt_priority + vrrp_no_swap in global_defs.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
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
#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/process.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* master_ip = "10.77.0.1";
constexpr const char* backup_ip = "10.77.0.2";
constexpr const char* vip = "10.77.0.100";
constexpr milliseconds advert_int{10};
constexpr const char* stress_ng = "/usr/bin/stress-ng";

struct Options : CommonOptions {
    std::chrono::seconds duration{60};
};

struct Variant {
    std::string name;
    std::vector<std::string> global_lines;
};

struct Result {
    std::size_t takeovers = 0;      // the backup entering MASTER
    std::size_t master_losses = 0;  // the master leaving MASTER (any state change after start)
    std::size_t adverts = 0;
    std::size_t late = 0;  // gaps longer than 3 intervals: what a backup with no skew would miss
    double p50_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;
    double master_cpu = 0;  // CPU-s/s of the master's processes
};

class Pair {
  public:
    Pair(test::Daemon daemon, const Variant& variant) : daemon_(std::move(daemon)) {
        for (const auto& [node, priority, state] :
             {std::tuple{"a", 150, "MASTER"}, std::tuple{"b", 100, "BACKUP"}}) {
            test::VrrpInstanceSpec instance;
            instance.version = 3;
            instance.advert_int = advert_int;
            instance.priority = priority;
            instance.state = state;
            instance.vrid = 51;
            instance.vips = {fmt::format("{}/24", vip)};
            auto& config = std::string_view(node) == "a" ? master_config_ : backup_config_;
            config.router_id = fmt::format("bench_{}", node);
            config.global_extra_lines = variant.global_lines;
            config.instances = {instance};
        }
    }

    std::string_view name() const { return test::to_string(daemon_.kind); }

    std::optional<std::string> start() {
        lab_ = std::make_unique<test::Lab>();
        if (auto ready = lab_->ready(); !ready) return ready.message();
        for (const auto& [node, ip] : {std::pair{"a", master_ip}, std::pair{"b", backup_ip}}) {
            if (auto added = lab_->add_node(node); !added) return added.message();
            if (auto added = lab_->add_address(node, fmt::format("{}/24", ip)); !added)
                return added.message();
        }
        watcher_ = std::make_unique<test::AddressWatcher>(
            std::vector<std::string>{lab_->ns("a"), lab_->ns("b")}, vip);
        if (auto ready = watcher_->ready(); !ready) return ready.message();
        adverts_ = std::make_unique<AdvertRecorder>(lab_->ns("b"), lab_->ifname("b"));
        if (!adverts_->error().empty()) return adverts_->error();
        master_ = test::start_vrrp_daemon(*lab_, "a", daemon_, master_config_);
        if (!watcher_->wait_for(lab_->ns("a"), true, 10s)) return failure("no VIP on the master");
        backup_ = test::start_vrrp_daemon(*lab_, "b", daemon_, backup_config_);
        if (auto state = backup_.wait_for_state("VI_1", "BACKUP", 10s); !state)
            return failure(state.message());
        const auto alone = [&] {
            const auto holders = watcher_->holders();
            return holders.size() == 1 && holders[0] == lab_->ns("a");
        };
        if (!test::wait_until(alone, 10s, 5ms)) return failure("the VIP did not settle on a");
        return std::nullopt;
    }

    // Marks the start of the window: counts and CPU from here on.
    void begin() {
        takeovers_before_ = backup_.times_entered("VI_1", "MASTER");
        changes_before_ = master_.state_changes("VI_1");
        usage_before_ = read_usage(test::namespace_pids(lab_->ns("a")));
        start_ = Clock::now();
    }

    Result finish() {
        const auto end = Clock::now();
        Result result;
        result.master_cpu =
            cpu_rate(usage_before_, read_usage(test::namespace_pids(lab_->ns("a"))), end - start_);
        result.takeovers = backup_.times_entered("VI_1", "MASTER") - takeovers_before_;
        result.master_losses = master_.state_changes("VI_1") - changes_before_;
        const auto adverts = adverts_->between(start_, end, from_source(master_ip, false));
        result.adverts = adverts.size();
        std::vector<double> gaps;
        for (std::size_t i = 1; i < adverts.size(); ++i) {
            const auto gap = adverts[i].at - adverts[i - 1].at;
            gaps.push_back(std::chrono::duration<double, std::milli>(gap).count());
            if (gap > 3 * advert_int) ++result.late;
        }
        result.p50_ms = quantile(gaps, 0.5);
        result.p99_ms = quantile(gaps, 0.99);
        result.max_ms = quantile(gaps, 1.0);
        return result;
    }

    std::string failure(std::string_view what) const {
        return failure_with_logs(name(), what, {&master_, &backup_});
    }

  private:
    test::Daemon daemon_;
    test::KeepalivedConfig master_config_;
    test::KeepalivedConfig backup_config_;
    std::unique_ptr<test::Lab> lab_;
    std::unique_ptr<test::AddressWatcher> watcher_;
    std::unique_ptr<AdvertRecorder> adverts_;
    test::RunningDaemon master_;
    test::RunningDaemon backup_;
    std::size_t takeovers_before_ = 0;
    std::size_t changes_before_ = 0;
    ProcessUsage usage_before_;
    Clock::time_point start_;
};

struct Row {
    std::string variant;
    Result keepalived;
    Result havipd;
};

std::string render(const std::vector<Row>& rows, const std::string& load) {
    std::string out = fmt::format(
        "| variant | daemon | spurious takeovers | master state changes | adverts | gaps > 30 ms "
        "| gap p50 (ms) | gap p99 (ms) | gap max (ms) | master CPU-s/s |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (const auto& row : rows) {
        for (const auto& [name, r] :
             {std::pair{"keepalived", row.keepalived}, std::pair{"havipd", row.havipd}}) {
            out +=
                fmt::format("| {} | {} | {} | {} | {} | {} | {:.3f} | {:.3f} | {:.3f} | {:.4f} |\n",
                            row.variant, name, r.takeovers, r.master_losses, r.adverts, r.late,
                            r.p50_ms, r.p99_ms, r.max_ms, r.master_cpu);
        }
    }
    out += fmt::format("\nLoad: {}.\n\n", load);
    for (const auto& row : rows) {
        const auto& h = row.havipd;
        const auto& k = row.keepalived;
        out += fmt::format(
            "- {}: havipd {} the target of zero spurious takeovers ({}; keepalived {}); p99 "
            "ratio havipd/keepalived {:.2f}, max ratio {:.2f}\n",
            row.variant, h.takeovers == 0 ? "meets" : "MISSES", h.takeovers, k.takeovers,
            k.p99_ms > 0 ? h.p99_ms / k.p99_ms : 0.0, k.max_ms > 0 ? h.max_ms / k.max_ms : 0.0);
    }
    return out;
}

int run(const Options& options, const std::string& command) {
    if (auto reason = skip_reason({options.havipd, options.keepalived})) {
        fmt::print("skipped: {}\n", *reason);
        return exit_skipped;
    }
    const bool stress = !options.smoke;
    if (stress && access(stress_ng, X_OK) != 0) {
        fmt::print("skipped: {} is not installed (apt-get install stress-ng)\n", stress_ng);
        return exit_skipped;
    }
    std::vector<Variant> variants = {
        {"as configured", {}},
        {"vrrp_rt_priority 50, vrrp_no_swap", {"vrrp_rt_priority 50", "vrrp_no_swap"}}};
    if (options.smoke) variants.resize(1);
    const std::string load =
        stress ? fmt::format(
                     "`stress-ng --cpu 2 --io 2 --vm 1 --vm-bytes 25% --timeout {}s` "
                     "for the {} s window, both pairs at once",
                     options.duration.count() + 5, options.duration.count())
               : fmt::format("none (smoke, {} s)", options.duration.count());
    std::vector<Row> rows;
    for (const auto& variant : variants) {
        Pair pairs[] = {Pair(test::keepalived(options.keepalived), variant),
                        Pair(test::havipd(options.havipd), variant)};
        for (auto& pair : pairs) {
            if (auto error = pair.start()) {
                fmt::print(stderr, "{}\n", *error);
                return 1;
            }
        }
        std::this_thread::sleep_for(1s);
        std::optional<test::Process> stressor;
        if (stress) {
            const auto log = std::filesystem::path(HAVIP_BINARY_DIR) / "bench-stress-ng.log";
            stressor.emplace(test::Process::start(
                "stress-ng",
                {stress_ng, "--cpu", "2", "--io", "2", "--vm", "1", "--vm-bytes", "25%",
                 "--timeout", fmt::format("{}s", options.duration.count() + 5)},
                log));
            std::this_thread::sleep_for(2s);  // the stressors are up before the window opens
        }
        for (auto& pair : pairs)
            pair.begin();
        for (auto left = options.duration; left > 0s && !interrupted().load(); left -= 1s)
            std::this_thread::sleep_for(1s);
        Row row{variant.name, pairs[0].finish(), pairs[1].finish()};
        if (stressor) stressor->stop(1s);
        if (interrupted().load()) return 130;
        for (const auto& [name, r] :
             {std::pair{"keepalived", row.keepalived}, std::pair{"havipd", row.havipd}}) {
            fmt::print(
                "{:<36} {:<10}: {} takeovers, {} adverts, gap p50 {:.3f} p99 {:.3f} max {:.3f} "
                "ms, {} gaps > 30 ms\n",
                row.variant, name, r.takeovers, r.adverts, r.p50_ms, r.p99_ms, r.max_ms, r.late);
        }
        std::fflush(stdout);
        rows.push_back(row);
    }
    const std::string table = render(rows, load);
    fmt::print("\n{}", table);
    const std::string results = fmt::format(
        "VRRPv3 pair, 10 ms adverts, {} s window; gaps between consecutive "
        "adverts of the master as the backup's interface received them.\n\n{}",
        options.duration.count(), table);
    if (!publish(options, "stability", "Stability", command, results)) return 1;
    // The smoke run fails on a takeover: with no load, a 10 ms pair must hold.
    if (options.smoke && rows[0].havipd.takeovers != 0) return 1;
    return 0;
}

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    Arguments args(argc, argv);
    while (args.next()) {
        if (args.common(options)) {
            if (args.is("--smoke")) options.duration = 3s;
        } else if (auto seconds = args.number("--seconds", 1, 3600)) {
            options.duration = std::chrono::seconds(*seconds);
        } else {
            return std::nullopt;
        }
    }
    return options;
}

}  // namespace
}  // namespace havip::bench

int main(int argc, char** argv) {
    return havip::bench::bench_main(
        argc, argv, havip::bench::parse, havip::bench::run,
        "usage: stability [--smoke] [--write-readme] [--seconds N] [--havipd PATH] "
        "[--keepalived PATH]\n"
        "  10 ms VRRPv3 pairs of keepalived and havipd under stress-ng (needs root);\n"
        "  --smoke: 3 s, no stress.\n");
}
