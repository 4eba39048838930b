// bench/failover: keepalived and havipd on the same configuration, side by side in one run,
// each pair in a lab of its own (two namespaces on a bridge). For every repetition it takes
// the master away — its switch port cut (master loss) or SIGTERM (graceful stop) — and times
// the VIP's appearance on the backup against the master's last advert, or its priority-0
// advert, as the backup's side received it. The result is the time past the RFC bound
// (Master_Down_Interval, or Skew_Time after priority 0), RFC 3768 §6.4.2 / RFC 5798 §6.4.2.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "bench/advert_recorder.hpp"
#include "bench/cli.hpp"
#include "bench/report.hpp"
#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

constexpr const char* master_ip = "10.77.0.1";
constexpr const char* backup_ip = "10.77.0.2";
constexpr const char* vip = "10.77.0.100";
constexpr int master_priority = 150;
constexpr int backup_priority = 100;  // the backup's priority sets Skew_Time and the bound

// Set by SIGINT/SIGTERM so a run stops between steps and the labs are torn down by their
// destructors. A signal handler can only reach a flag with static storage.
struct Protocol {
    std::string name;  // "v2 1 s"
    int version = 2;
    milliseconds advert_int{1000};
};

enum class Trigger { master_loss, graceful_stop };

struct Options : CommonOptions {
    int runs = 10;
    bool keep_logs = false;
};

// A pair of one daemon kind in its own lab: node a is the master, node b the backup.
class Pair {
  public:
    Pair(test::Daemon daemon, const Protocol& protocol) : daemon_(std::move(daemon)) {
        for (const auto& [node, priority, state] : {std::tuple{"a", master_priority, "MASTER"},
                                                    std::tuple{"b", backup_priority, "BACKUP"}}) {
            test::VrrpInstanceSpec instance;
            instance.version = protocol.version;
            instance.advert_int = protocol.advert_int;
            instance.priority = priority;
            instance.state = state;
            instance.vrid = 51;
            instance.vips = {fmt::format("{}/24", vip)};
            if (protocol.version == 2) instance.auth_pass = "havip";
            auto& config = std::string_view(node) == "a" ? master_config_ : backup_config_;
            config.router_id = fmt::format("bench_{}", node);
            config.instances = {instance};
        }
        timing_ = test::rfc_timing(protocol.version, backup_priority, protocol.advert_int);
        interval_ = protocol.advert_int;
    }

    std::string_view name() const { return test::to_string(daemon_.kind); }
    const test::VrrpTiming& timing() const { return timing_; }

    // Builds the lab and starts the master, then the backup; an error message on failure.
    std::optional<std::string> start() {
        lab_ = std::make_unique<test::Lab>();
        if (auto ready = lab_->ready(); !ready) return ready.message();
        for (const auto& [node, cidr] : {std::pair{"a", master_ip}, std::pair{"b", backup_ip}}) {
            if (auto added = lab_->add_node(node); !added) return added.message();
            if (auto added = lab_->add_address(node, fmt::format("{}/24", cidr)); !added) {
                return added.message();
            }
        }
        watcher_ = std::make_unique<test::AddressWatcher>(
            std::vector<std::string>{lab_->ns("a"), lab_->ns("b")}, vip);
        if (auto ready = watcher_->ready(); !ready) return ready.message();
        adverts_ = std::make_unique<AdvertRecorder>(lab_->ns("b"), lab_->ifname("b"));
        if (!adverts_->error().empty()) return adverts_->error();

        master_ = test::start_vrrp_daemon(*lab_, "a", daemon_, master_config_);
        if (!watcher_->wait_for(lab_->ns("a"), true, startup_timeout())) {
            return failure("the master never took the VIP");
        }
        backup_ = test::start_vrrp_daemon(*lab_, "b", daemon_, backup_config_);
        if (auto state = backup_.wait_for_state("VI_1", "BACKUP", 10s); !state) {
            return failure(state.message());
        }
        return settle();
    }

    // One repetition: the time past the bound, or why it could not be measured.
    std::variant<nanoseconds, std::string> measure(Trigger trigger, std::mt19937& random) {
        if (auto unsettled = settle()) return *unsettled;
        // A random phase against the advert timer, as a real failure would have.
        std::uniform_int_distribution<long> phase(0, interval_.count() - 1);
        std::this_thread::sleep_for(milliseconds(phase(random)));
        return trigger == Trigger::master_loss ? cut_master() : stop_master();
    }

    // Copies the lab directory (configs, logs) beside the build tree before the Lab removes it.
    std::string keep_logs(const std::filesystem::path& where) const {
        if (!lab_) return "";
        std::error_code error;
        const auto target = where / lab_->dir().filename();
        std::filesystem::create_directories(target, error);
        std::filesystem::copy(lab_->dir(), target,
                              std::filesystem::copy_options::recursive |
                                  std::filesystem::copy_options::overwrite_existing,
                              error);
        return target.string();
    }

  private:
    milliseconds startup_timeout() const { return 3 * interval_ + 1s + 5s; }
    milliseconds takeover_timeout() const { return 4 * interval_ + 3s; }

    std::string failure(std::string_view what) const {
        return failure_with_logs(name(), what, {&master_, &backup_});
    }

    // Waits until the master alone holds the VIP and the backup has heard it since.
    std::optional<std::string> settle() {
        const auto holds = [&] {
            const auto holders = watcher_->holders();
            return holders.size() == 1 && holders[0] == lab_->ns("a");
        };
        if (!test::wait_until(holds, startup_timeout() * 2, 2ms)) {
            return failure("the VIP did not settle on the master alone");
        }
        if (!adverts_->wait_for(Clock::now(), from_source(master_ip, false), 3 * interval_)) {
            return failure("the backup hears no adverts from the master");
        }
        if (!holds()) return failure("the VIP moved while settling");
        return std::nullopt;
    }

    std::variant<nanoseconds, std::string> cut_master() {
        const auto start = Clock::now();
        if (auto cut = lab_->set_port("a", false); !cut) return failure(cut.message());
        const auto appeared = watcher_->wait_for(lab_->ns("b"), true, takeover_timeout(), start);
        if (auto restored = lab_->set_port("a", true); !restored)
            return failure(restored.message());
        if (!appeared) return failure("the backup never took the VIP after the cut");
        const auto last = adverts_->last_before(appeared->at, from_source(master_ip, false));
        if (!last || last->at < start - 2 * interval_) {
            return failure("no advert from the master recorded before the cut");
        }
        return appeared->at - last->at - timing_.master_down;
    }

    std::variant<nanoseconds, std::string> stop_master() {
        const auto start = Clock::now();
        // keepalived's parent forwards the signal to its VRRP child; havipd is one process.
        if (!master_.process->signal(SIGTERM)) return failure("cannot signal the master");
        const auto zero = adverts_->wait_for(start, from_source(master_ip, true), 3s);
        const auto appeared = watcher_->wait_for(lab_->ns("b"), true, takeover_timeout(), start);
        const auto exited = master_.process->wait_exit(5s);
        if (!exited) master_.process->kill_group();
        if (!zero) return failure("no priority-0 advert from the stopping master");
        if (!appeared) return failure("the backup never took the VIP after the stop");
        // The next repetition needs a master again.
        master_ = test::start_vrrp_daemon(*lab_, "a", daemon_, master_config_);
        return appeared->at - zero->at - timing_.skew;
    }

    test::Daemon daemon_;
    test::KeepalivedConfig master_config_;
    test::KeepalivedConfig backup_config_;
    test::VrrpTiming timing_{};
    milliseconds interval_{};
    // Destroyed in reverse: daemons' records, then the recorder and watcher, then the lab.
    std::unique_ptr<test::Lab> lab_;
    std::unique_ptr<test::AddressWatcher> watcher_;
    std::unique_ptr<AdvertRecorder> adverts_;
    test::RunningDaemon master_;
    test::RunningDaemon backup_;
};

std::string trigger_name(Trigger trigger) {
    return trigger == Trigger::master_loss ? "master cut off" : "graceful stop (SIGTERM)";
}

constexpr const char* usage =
    "usage: failover [--runs N] [--smoke] [--write-readme] [--havipd PATH] "
    "[--keepalived PATH]\n"
    "  Times VIP failover of keepalived and havipd side by side (needs root).\n"
    "  --runs N         repetitions per scenario and daemon (default 10, about 4 minutes)\n"
    "  --smoke          one repetition of v3 100 ms master loss per daemon (seconds)\n"
    "  --write-readme   also write the table into bench/README.md\n"
    "  --keep-logs      keep each lab's configs and daemon logs under <build>/bench-runs\n";

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    Arguments args(argc, argv);
    while (args.next()) {
        if (args.common(options)) continue;
        if (args.is("--keep-logs")) options.keep_logs = true;
        else if (auto runs = args.number("--runs", 1, 1000)) options.runs = static_cast<int>(*runs);
        else return std::nullopt;
    }
    return options;
}

int run(const Options& options, const std::string& command) {
    if (auto reason = skip_reason({options.havipd, options.keepalived})) {
        fmt::print("skipped: {}\n", *reason);
        return exit_skipped;
    }
    std::vector<Protocol> protocols = {{"v2 1 s", 2, 1000ms}, {"v3 100 ms", 3, 100ms}};
    std::vector<Trigger> triggers = {Trigger::master_loss, Trigger::graceful_stop};
    int runs = options.runs;
    if (options.smoke) {
        protocols = {{"v3 100 ms", 3, 100ms}};
        triggers = {Trigger::master_loss};
        runs = 1;
    }
    const std::filesystem::path kept = std::filesystem::path(HAVIP_BINARY_DIR) / "bench-runs";
    std::mt19937 random(std::random_device{}());
    std::vector<Row> rows;
    const auto started = Clock::now();

    for (const auto& protocol : protocols) {
        Pair pairs[] = {Pair(test::keepalived(options.keepalived), protocol),
                        Pair(test::havipd(options.havipd), protocol)};
        const auto first_row = rows.size();
        for (const auto trigger : triggers) {
            const bool loss = trigger == Trigger::master_loss;
            rows.push_back(Row{fmt::format("{}, {}", protocol.name, trigger_name(trigger)),
                               loss ? "Master_Down_Interval" : "Skew_Time",
                               loss ? pairs[0].timing().master_down : pairs[0].timing().skew,
                               {},
                               {}});
        }
        for (auto& pair : pairs) {
            if (auto error = pair.start()) {
                fmt::print(stderr, "{}\nlogs kept in {}\n", *error, pair.keep_logs(kept));
                return 1;
            }
        }
        for (int repetition = 0; repetition < runs; ++repetition) {
            for (std::size_t t = 0; t < triggers.size(); ++t) {
                // Alternate which daemon goes first, so drift in the machine's load is shared.
                for (int k = 0; k < 2; ++k) {
                    auto& pair = pairs[(k + repetition) % 2];
                    if (interrupted().load()) {
                        fmt::print(stderr, "interrupted\n");
                        return 130;
                    }
                    auto result = pair.measure(triggers[t], random);
                    if (auto* error = std::get_if<std::string>(&result)) {
                        fmt::print(stderr, "{}\nlogs kept in {}\n", *error, pair.keep_logs(kept));
                        return 1;
                    }
                    const auto past = std::get<nanoseconds>(result);
                    auto& row = rows[first_row + t];
                    (pair.name() == "keepalived" ? row.keepalived : row.havipd)
                        .past_bound.push_back(past);
                    fmt::print("{:<44} {:<10} run {:>2}/{}: {:+8.3f} ms past the bound\n",
                               row.scenario, pair.name(), repetition + 1, runs,
                               std::chrono::duration<double, std::milli>(past).count());
                    std::fflush(stdout);
                }
            }
        }
        if (options.keep_logs) {
            for (const auto& pair : pairs)
                fmt::print("{} logs kept in {}\n", pair.name(), pair.keep_logs(kept));
        }
    }

    const std::string table = render_table(rows);
    const std::string verdict = render_verdict(rows, 1ms);
    const auto elapsed = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started);
    fmt::print("\n{}\n{}\n({} repetitions per scenario and daemon, {} s)\n", table, verdict, runs,
               elapsed.count());
    const std::string results = fmt::format(
        "{} repetitions per scenario and daemon; times in ms past the bound.\n\n{}\n{}", runs,
        table, verdict);
    return publish(options, "failover", "Failover", command, results) ? 0 : 1;
}

}  // namespace
}  // namespace havip::bench

int main(int argc, char** argv) {
    return havip::bench::bench_main(argc, argv, havip::bench::parse, havip::bench::run,
                                    havip::bench::usage);
}
