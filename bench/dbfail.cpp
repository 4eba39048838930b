// bench/dbfail: a database failure to the VIP moved, keepalived against havipd, each guarding a
// real MariaDB master-master pair in a lab of its own. Both run the HA guide's VRRP instance
// (shared/reference/000_64dba34eaf758da9.txt: VRRPv2, advert_int 1, auth PASS, node a MASTER
// priority 100, node b BACKUP priority 90, preempting); keepalived tracks the guide's check
// script (a TCP connect to port 3306 with nc, vrrp_script interval 1, fall/rise left at their
// default 1, weight 0 so a failure means FAULT), havipd tracks mysql_check (interval 0.2,
// timeout 0.4, fall 2, rise 1, weight 0). Injected on a's mysqld: SIGKILL, and SIGSTOP (a frozen
// server still completes TCP handshakes from its listen backlog). Measured: from the injection
// to the VIP on b (rtnetlink notification). Between repetitions a's mysqld is restarted or
// thawed and the VIP returns to a by preemption.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "bench/cli.hpp"
#include "bench/report.hpp"
#include "tests/harness/address_watcher.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* vip = "10.77.0.100";
constexpr const char* nc_bin = "/usr/bin/nc";

struct Options : CommonOptions {
    int runs = 5;
    milliseconds bound{10000};  // how long to wait for the VIP to move
};

enum class Injection { kill, freeze };
std::string_view to_string(Injection injection) {
    return injection == Injection::kill ? "mysqld killed (SIGKILL)" : "mysqld frozen (SIGSTOP)";
}

double ms(std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

class Site {
  public:
    // `fast`: VRRPv3 with 100 ms adverts instead of the guide's v2 1 s (the smoke run: the
    // pair settles in a fraction of the time).
    Site(test::Daemon daemon, bool fast) : daemon_(std::move(daemon)), fast_(fast) {}

    std::string_view name() const { return test::to_string(daemon_.kind); }

    std::optional<std::string> start() {
        lab_ = std::make_unique<test::Lab>();
        if (auto ready = lab_->ready(); !ready) return ready.message();
        for (const auto& [node, ip] : {std::pair{"a", "10.77.0.1"}, std::pair{"b", "10.77.0.2"}}) {
            if (auto added = lab_->add_node(node); !added) return added.message();
            if (auto added = lab_->add_address(node, fmt::format("{}/24", ip)); !added)
                return added.message();
        }
        watcher_ = std::make_unique<test::AddressWatcher>(
            std::vector<std::string>{lab_->ns("a"), lab_->ns("b")}, vip);
        if (auto ready = watcher_->ready(); !ready) return ready.message();
        db_a_ = std::make_unique<test::MariadbServer>(*lab_, "a", "10.77.0.1", 1);
        db_b_ = std::make_unique<test::MariadbServer>(*lab_, "b", "10.77.0.2", 2);
        for (auto* db : {db_a_.get(), db_b_.get()}) {
            if (auto started = db->start(); !started) return failure(started.message());
        }
        if (auto replicating = test::setup_master_master(*db_a_, *db_b_); !replicating)
            return failure(replicating.message());
        a_ = test::start_vrrp_daemon(*lab_, "a", daemon_, config("a"));
        if (!watcher_->wait_for(lab_->ns("a"), true, 10s)) return failure("no VIP on a");
        b_ = test::start_vrrp_daemon(*lab_, "b", daemon_, config("b"));
        if (auto state = b_.wait_for_state("VI_1", "BACKUP", 10s); !state)
            return failure(state.message());
        if (daemon_.kind == test::DaemonKind::havipd &&
            !test::wait_until([&] { return b_.log_mentions("mysql_check healthy"); }, 10s, 50ms))
            return failure("b's mysql_check never became healthy");
        return settle();
    }

    // One injection: the time to the VIP on b, or nullopt when it did not move within `bound`;
    // an error message when the site could not be measured or restored.
    std::variant<std::optional<milliseconds>, std::string> measure(Injection injection,
                                                                   milliseconds bound,
                                                                   bool restore) {
        if (auto unsettled = settle()) return *unsettled;
        const auto injected = Clock::now();
        const auto done = injection == Injection::kill ? db_a_->kill() : db_a_->freeze();
        if (!done) return failure(done.message());
        const auto moved = watcher_->wait_for(lab_->ns("b"), true, bound, injected);
        std::optional<milliseconds> result;
        if (moved) result = std::chrono::duration_cast<milliseconds>(moved->at - injected);
        if (!restore) return result;
        const auto back = injection == Injection::kill ? db_a_->start() : db_a_->thaw();
        if (!back) return failure(back.message());
        return result;
    }

    std::string failure(std::string_view what) const {
        return failure_with_logs(name(), what, {&a_, &b_});
    }

  private:
    // The guide's instance; the check is the guide's script for keepalived, mysql_check for
    // havipd.
    std::string config(std::string_view node) {
        const bool is_a = node == "a";
        auto& db = is_a ? *db_a_ : *db_b_;
        test::VrrpInstanceSpec instance;
        instance.vrid = 99;
        instance.version = fast_ ? 3 : 2;
        instance.advert_int = fast_ ? milliseconds(100) : milliseconds(1000);
        if (!fast_) instance.auth_pass = "havip";
        instance.state = is_a ? "MASTER" : "BACKUP";
        instance.priority = is_a ? 100 : 90;
        instance.vips = {fmt::format("{}/24", vip)};
        instance.extra_lines = {"track_script {", "    chk_mysql", "}"};
        test::KeepalivedConfig config;
        config.router_id = "onecloud";
        config.instances = {instance};
        if (daemon_.kind == test::DaemonKind::havipd) {
            test::MariadbServer::CheckSpec check;
            check.name = "chk_mysql";
            check.interval = 200ms;
            check.timeout = 400ms;
            check.fall = 2;
            check.rise = 1;
            return render_keepalived_conf(config) + "\n" + db.check_block(check) + "\n";
        }
        // The guide's script connects to 127.0.0.1:3306; the lab's servers listen on the node
        // address, so it connects there. -z: connect and close; -w 1: give up after 1 s.
        const auto script = lab_->dir() / fmt::format("chk_mysql-{}", node);
        {
            std::ofstream out(script, std::ios::trunc);
            out << fmt::format("#!/bin/sh\n{} -z -w 1 {} 3306 >/dev/null 2>&1\n", nc_bin,
                               db.address());
        }
        ::chmod(script.c_str(), 0755);
        config.global_extra_lines = {"script_user root"};
        // keepalived resolves track_script when it reads the instance: the script comes first.
        auto text = render_keepalived_conf(config);
        const auto at = text.find("vrrp_instance");
        text.insert(
            at == std::string::npos ? text.size() : at,
            fmt::format("vrrp_script chk_mysql {{\n    script \"{}\"\n    interval 1\n}}\n\n",
                        script.string()));
        return text;
    }

    // The VIP on a alone (after a restore, a preempts b once its check passes again).
    std::optional<std::string> settle() {
        const auto on_a = [&] {
            const auto holders = watcher_->holders();
            return holders.size() == 1 && holders[0] == lab_->ns("a");
        };
        if (!test::wait_until(on_a, 30s, 10ms)) return failure("the VIP did not return to a");
        // Past the preemption's GARP and a few adverts, and b's check healthy again.
        std::this_thread::sleep_for(fast_ ? 300ms : 2s);
        if (!on_a()) return failure("the VIP left a while settling");
        return std::nullopt;
    }

    test::Daemon daemon_;
    bool fast_ = false;
    std::unique_ptr<test::Lab> lab_;
    std::unique_ptr<test::AddressWatcher> watcher_;
    std::unique_ptr<test::MariadbServer> db_a_;
    std::unique_ptr<test::MariadbServer> db_b_;
    test::RunningDaemon a_;
    test::RunningDaemon b_;
};

struct Samples {
    std::vector<double> moved_ms;
    int not_moved = 0;
};

std::string cell(const Samples& s, milliseconds bound) {
    if (s.moved_ms.empty()) return fmt::format("not moved in {:.0f} s", ms(bound) / 1000);
    std::string out = fmt::format("{:.0f}", median(s.moved_ms));
    if (s.not_moved > 0) out += fmt::format(" ({} not moved)", s.not_moved);
    return out;
}

std::string render(const Samples (&samples)[2][2], milliseconds bound, int runs) {
    std::string out =
        "| failure | n | keepalived median (ms) | keepalived max (ms) | havipd median (ms) | "
        "havipd max (ms) | ratio |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto injection : {Injection::kill, Injection::freeze}) {
        const auto& k = samples[static_cast<int>(injection)][0];
        const auto& h = samples[static_cast<int>(injection)][1];
        if (k.moved_ms.empty() && k.not_moved == 0) continue;  // not run (smoke)
        const auto max_cell = [&](const Samples& s) {
            return s.moved_ms.empty() ? std::string("–")
                                      : fmt::format("{:.0f}", quantile(s.moved_ms, 1.0));
        };
        std::string ratio = "–";
        if (!k.moved_ms.empty() && !h.moved_ms.empty())
            ratio = fmt::format("{:.2f}", median(h.moved_ms) / median(k.moved_ms));
        else if (k.moved_ms.empty() && !h.moved_ms.empty())
            ratio = "keepalived never moves it";
        out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", to_string(injection), runs,
                           cell(k, bound), max_cell(k), cell(h, bound), max_cell(h), ratio);
    }
    const auto& hk = samples[0][1];
    const auto& kk = samples[0][0];
    const auto& hf = samples[1][1];
    out += "\n";
    if (!hk.moved_ms.empty() && !kk.moved_ms.empty()) {
        out += fmt::format(
            "- killed: havipd {} the target of no slower than keepalived (median {:.0f} ms, "
            "keepalived {:.0f} ms)\n",
            hk.not_moved == 0 && median(hk.moved_ms) <= median(kk.moved_ms) ? "meets" : "MISSES",
            median(hk.moved_ms), median(kk.moved_ms));
    }
    if (hf.moved_ms.empty() && hf.not_moved == 0) return out;  // not run (smoke)
    const bool frozen_ok =
        hf.not_moved == 0 && !hf.moved_ms.empty() && quantile(hf.moved_ms, 1.0) <= 4000;
    out += fmt::format("- frozen: havipd {} the target (every repetition within 4 s; max {})\n",
                       frozen_ok ? "meets" : "MISSES",
                       hf.moved_ms.empty() ? std::string("–")
                                           : fmt::format("{:.0f} ms", quantile(hf.moved_ms, 1.0)));
    return out;
}

int run(const Options& options, const std::string& command) {
    if (auto reason = skip_reason({options.havipd, options.keepalived, nc_bin}, true)) {
        fmt::print("skipped: {}\n", *reason);
        return exit_skipped;
    }
    Site sites[] = {Site(test::keepalived(options.keepalived), options.smoke),
                    Site(test::havipd(options.havipd), options.smoke)};
    for (auto& site : sites) {
        if (auto error = site.start()) {
            fmt::print(stderr, "{}\n", *error);
            return 1;
        }
    }
    std::vector<Injection> injections = {Injection::kill, Injection::freeze};
    const int runs = options.smoke ? 1 : options.runs;
    if (options.smoke) injections = {Injection::kill};
    Samples samples[2][2];
    for (int repetition = 0; repetition < runs; ++repetition) {
        for (const auto injection : injections) {
            for (int k = 0; k < 2; ++k) {
                const int which = (k + repetition) % 2;
                auto& site = sites[which];
                if (interrupted().load()) return 130;
                auto result = site.measure(injection, options.bound, !options.smoke);
                if (auto* error = std::get_if<std::string>(&result)) {
                    fmt::print(stderr, "{}\n", *error);
                    return 1;
                }
                const auto moved = std::get<std::optional<milliseconds>>(result);
                auto& s = samples[static_cast<int>(injection)][which];
                if (moved)
                    s.moved_ms.push_back(static_cast<double>(moved->count()));
                else
                    ++s.not_moved;
                fmt::print("{:<24} {:<10} run {}/{}: {}\n", to_string(injection), site.name(),
                           repetition + 1, runs,
                           moved ? fmt::format("VIP on b after {} ms", moved->count())
                                 : fmt::format("not moved in {} ms", options.bound.count()));
                std::fflush(stdout);
            }
        }
    }
    const std::string table = render(samples, options.bound, runs);
    fmt::print("\n{}", table);
    const std::string results = fmt::format(
        "From the injection on a's mysqld to the VIP on b; waits bounded at {} s. keepalived: "
        "the HA guide's nc script (interval 1, fall/rise 1); havipd: mysql_check (interval "
        "0.2, timeout 0.4, fall 2, rise 1). VRRPv2, advert_int 1, b's Skew_Time = 648 "
        "ms.\n\n{}",
        options.bound.count() / 1000, table);
    if (!publish(options, "dbfail", "Database failure to VIP moved", command, results)) return 1;
    // The smoke run fails if havipd did not move the VIP off a killed server.
    if (options.smoke && samples[0][1].moved_ms.empty()) return 1;
    return 0;
}

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    Arguments args(argc, argv);
    while (args.next()) {
        if (args.common(options)) continue;
        if (auto runs = args.number("--runs", 1, 1000)) options.runs = static_cast<int>(*runs);
        else return std::nullopt;
    }
    return options;
}

}  // namespace
}  // namespace havip::bench

int main(int argc, char** argv) {
    return havip::bench::bench_main(
        argc, argv, havip::bench::parse, havip::bench::run,
        "usage: dbfail [--smoke] [--write-readme] [--runs N] [--havipd PATH] "
        "[--keepalived PATH]\n"
        "  mysqld killed / frozen to VIP moved, keepalived (HA guide's nc script) against\n"
        "  havipd (mysql_check), each on a MariaDB master-master pair (needs root).\n"
        "  --smoke: one kill per daemon, no restore.\n");
}
