// bench/dbfail: a database failure to the VIP moved, keepalived against havipd, each guarding a
// real MariaDB master-master pair in a lab of its own. Every site runs the HA guide's VRRP
// instance (shared/reference/000_64dba34eaf758da9.txt: advert_int 1, auth PASS, node a MASTER
// priority 100, node b BACKUP priority 90, preempting), once as the guide has it (VRRPv2, 1 s
// adverts) and once with VRRPv3 100 ms adverts. Three sites side by side in the same run:
// - keepalived + nc: the guide's check script (a TCP connect to port 3306 with nc, vrrp_script
//   interval 1, fall/rise left at their default 1, weight 0 so a failure means FAULT);
// - havipd, tuned: mysql_check interval 0.2, timeout 0.4, fall 2, rise 1, weight 0;
// - havipd, generated defaults: mysql_check with the timing `havip generate` writes
//   (havip/generate.cpp: interval 0.5, timeout 0.4, rise 2, fall 2, weight 0, max_lag 5).
// Injected on a's mysqld: SIGKILL; SIGSTOP (a frozen server still completes TCP handshakes
// from its listen backlog); SIGTERM (a clean shutdown, as systemctl stop or mysqladmin
// shutdown); and the server out of connections (max_connections taken by idle clients of an
// unprivileged account). Measured: from the injection to the VIP on b (rtnetlink
// notification). Between repetitions a's server is restored and the VIP returns to a by
// preemption.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
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
#include "tests/harness/process.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"

namespace havip::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* vip = "10.77.0.100";
constexpr const char* nc_bin = "/usr/bin/nc";
constexpr int priority_a = 100;
constexpr int priority_b = 90;

struct Options : CommonOptions {
    int runs = 5;
    milliseconds bound{10000};  // how long to wait for the VIP to move
    // --stress SECONDS: instead of the failures, healthy pairs under stress-ng that long.
    std::optional<std::chrono::seconds> stress;
};

constexpr const char* stress_ng = "/usr/bin/stress-ng";

enum class Injection { kill, freeze, stop, connections };
constexpr Injection all_injections[] = {Injection::kill, Injection::freeze, Injection::stop,
                                        Injection::connections};
std::string_view to_string(Injection injection) {
    switch (injection) {
        case Injection::kill:
            return "mysqld killed (SIGKILL)";
        case Injection::freeze:
            return "mysqld frozen (SIGSTOP)";
        case Injection::stop:
            return "mysqld stopped cleanly (SIGTERM)";
        case Injection::connections:
            return "server out of connections";
    }
    return "?";
}

enum class Variant { keepalived_nc, havipd_tuned, havipd_generated };
constexpr Variant all_variants[] = {Variant::keepalived_nc, Variant::havipd_tuned,
                                    Variant::havipd_generated};
std::string_view to_string(Variant variant) {
    switch (variant) {
        case Variant::keepalived_nc:
            return "keepalived+nc";
        case Variant::havipd_tuned:
            return "havipd tuned";
        case Variant::havipd_generated:
            return "havipd generated";
    }
    return "?";
}

struct Protocol {
    std::string_view name;
    int version;
    milliseconds advert;
};
constexpr Protocol v2_1s{"VRRPv2, 1 s adverts", 2, 1000ms};
constexpr Protocol v3_100ms{"VRRPv3, 100 ms adverts", 3, 100ms};

// RFC 5798 §6.1: Skew_Time = ((256 - Priority) × Master_Adver_Interval) / 256, b's.
double skew_ms(const Protocol& protocol) {
    return (256 - priority_b) * static_cast<double>(protocol.advert.count()) / 256;
}

double ms(std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

class Site {
  public:
    Site(test::Daemon daemon, Variant variant, Protocol protocol)
        : daemon_(std::move(daemon)), variant_(variant), protocol_(protocol) {}

    Variant variant() const { return variant_; }
    std::string_view name() const { return to_string(variant_); }

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
        // The unprivileged account whose idle clients take every connection (replicated to b).
        if (auto created = db_a_->exec("CREATE USER IF NOT EXISTS 'app'@'localhost' "
                                       "IDENTIFIED BY 'app'");
            !created)
            return failure(created.message());
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

    // An injection that could not be made (the idle clients did not fill the server): no
    // sample, the site restored.
    struct Skipped {
        std::string why;
    };

    // One injection: the time to the VIP on b, or nullopt when it did not move within `bound`;
    // an error message when the site could not be measured or restored.
    std::variant<std::optional<milliseconds>, std::string, Skipped> measure(Injection injection,
                                                                            milliseconds bound,
                                                                            bool restore) {
        if (auto unsettled = settle()) return *unsettled;
        auto injected = Clock::now();
        const auto since = injected;
        testing::AssertionResult done = testing::AssertionSuccess();
        switch (injection) {
            case Injection::kill:
                done = db_a_->kill();
                break;
            case Injection::freeze:
                done = db_a_->freeze();
                break;
            // Returns once mariadbd has exited; the VIP's arrival is stamped by the watcher.
            case Injection::stop:
                done = db_a_->stop();
                break;
            case Injection::connections: {
                auto full = fill_connections();
                if (!full) {
                    drop_clients();
                    if (auto reset = db_a_->exec("SET GLOBAL max_connections = 151"); !reset)
                        return failure(reset.message());
                    return Skipped{full.error};
                }
                injected = full.at;  // from the moment a new client is refused
                break;
            }
        }
        if (!done) return failure(done.message());
        const auto moved = watcher_->wait_for(lab_->ns("b"), true, bound, since);
        std::optional<milliseconds> result;
        if (moved) result = std::chrono::duration_cast<milliseconds>(moved->at - injected);
        if (!restore) return result;
        switch (injection) {
            case Injection::kill:
            case Injection::stop:
                done = db_a_->start();
                break;
            case Injection::freeze:
                done = db_a_->thaw();
                break;
            case Injection::connections:
                drop_clients();
                done = db_a_->exec("SET GLOBAL max_connections = 151");
                break;
        }
        if (!done) return failure(done.message());
        return result;
    }

    std::string failure(std::string_view what) const {
        return failure_with_logs(name(), what, {&a_, &b_});
    }

    // For the stress window: what a healthy pair must not show.
    struct Alarms {
        std::size_t vip_on_b = 0;        // the VIP appearing on b
        std::size_t state_changes = 0;   // a's or b's VRRP instance changing state
        std::size_t check_failures = 0;  // a check reporting the healthy server failed
    };
    Alarms alarms(Clock::time_point since) const {
        Alarms out;
        for (const auto& event : watcher_->events())
            if (event.ns == lab_->ns("b") && event.present && event.at >= since) ++out.vip_on_b;
        out.state_changes = a_.state_changes("VI_1") + b_.state_changes("VI_1");
        // havipd: "mysql_check down: ..." / "mysql_check unsafe: ..."; keepalived:
        // "VRRP_Script(chk_mysql) failed" / "timed_out".
        const std::vector<std::string_view> markers =
            daemon_.kind == test::DaemonKind::havipd
                ? std::vector<std::string_view>{"mysql_check down", "mysql_check unsafe"}
                : std::vector<std::string_view>{"VRRP_Script(chk_mysql) failed",
                                                "VRRP_Script(chk_mysql) timed_out"};
        for (const auto* daemon : {&a_, &b_}) {
            const auto log = daemon->process->log();
            for (const auto marker : markers)
                for (auto at = log.find(marker); at != std::string::npos;
                     at = log.find(marker, at + 1))
                    ++out.check_failures;
        }
        return out;
    }

  private:
    struct Filled {
        Clock::time_point at;
        std::string error;
        explicit operator bool() const { return error.empty(); }
    };

    // max_connections is lowered to 20 and idle clients of 'app' (no privileges: no extra
    // connection for them) take every one: each waits on a pipe that never closes. Done when a
    // new client of 'app' is refused (ER_CON_COUNT_ERROR 1040). A short-lived connection (the
    // nc probe, a reconnecting check, b's replication) can hold a slot while the clients start
    // and leave it free after they were refused: while a new client still gets in, one more
    // idle client is started.
    Filled fill_connections() {
        if (auto set = db_a_->exec("SET GLOBAL max_connections = 20"); !set)
            return {{}, set.message()};
        const std::string client =
            fmt::format("mariadb --no-defaults --protocol=socket --socket={} -uapp -papp",
                        db_a_->socket().string());
        ++fills_;
        const auto idle = [&](int count) {
            clients_.push_back(
                &lab_->start("a", fmt::format("idle-clients-{}-{}", fills_, clients_.size()),
                             {"/bin/sh", "-c",
                              fmt::format("for i in $(seq {}); do sleep 100000 | {} & done; wait",
                                          count, client)}));
        };
        idle(24);
        const auto deadline = Clock::now() + 20s;
        std::string last;
        while (Clock::now() < deadline) {
            auto probe = lab_->run("a", {"/bin/sh", "-c", client + " -e 'SELECT 1' 2>&1"}, 5s);
            if (probe.out.find("1040") != std::string::npos) return {Clock::now(), {}};
            last = probe.out + probe.err;
            if (probe.ok()) idle(1);  // a slot was free
            std::this_thread::sleep_for(50ms);
        }
        return {{},
                fmt::format("the idle clients never took every connection: the last new client "
                            "said \"{}\"; Threads_connected {}, max_connections {}",
                            last,
                            db_a_
                                ->value("SELECT VARIABLE_VALUE FROM information_schema."
                                        "GLOBAL_STATUS WHERE VARIABLE_NAME='THREADS_CONNECTED'")
                                .value_or("?"),
                            db_a_->value("SELECT @@max_connections").value_or("?"))};
    }

    void drop_clients() {
        for (auto* clients : clients_)
            clients->kill_group();
        clients_.clear();
    }

    // The guide's instance; the check is the guide's script for keepalived, mysql_check for
    // havipd.
    std::string config(std::string_view node) {
        const bool is_a = node == "a";
        auto& db = is_a ? *db_a_ : *db_b_;
        test::VrrpInstanceSpec instance;
        instance.vrid = 99;
        instance.version = protocol_.version;
        instance.advert_int = protocol_.advert;
        if (protocol_.version == 2) instance.auth_pass = "havip";
        instance.state = is_a ? "MASTER" : "BACKUP";
        instance.priority = is_a ? priority_a : priority_b;
        instance.vips = {fmt::format("{}/24", vip)};
        instance.extra_lines = {"track_script {", "    chk_mysql", "}"};
        test::KeepalivedConfig config;
        config.router_id = "onecloud";
        config.instances = {instance};
        if (variant_ == Variant::havipd_tuned) {
            test::MariadbServer::CheckSpec check;
            check.name = "chk_mysql";
            check.interval = 200ms;
            check.timeout = 400ms;
            check.fall = 2;
            check.rise = 1;
            return render_keepalived_conf(config) + "\n" + db.check_block(check) + "\n";
        }
        if (variant_ == Variant::havipd_generated) {
            // havip/generate.cpp's mysql_check, whatever the advert interval. manage_read_only
            // is left off: it runs after the VIP is added, so it does not change the time
            // measured, and the restore between repetitions stays the same for every site.
            test::MariadbServer::CheckSpec check;
            check.name = "chk_mysql";
            check.interval = 500ms;
            check.timeout = 400ms;
            check.rise = 2;
            check.fall = 2;
            check.max_lag = 5000ms;
            check.lag_weight =
                -(std::max(0, instance.priority - (is_a ? priority_b : priority_a)) + 10);
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
        std::this_thread::sleep_for(protocol_.version == 3 ? 1s : 2s);
        if (!on_a()) return failure("the VIP left a while settling");
        return std::nullopt;
    }

    test::Daemon daemon_;
    Variant variant_;
    Protocol protocol_;
    std::unique_ptr<test::Lab> lab_;
    std::unique_ptr<test::AddressWatcher> watcher_;
    std::unique_ptr<test::MariadbServer> db_a_;
    std::unique_ptr<test::MariadbServer> db_b_;
    test::RunningDaemon a_;
    test::RunningDaemon b_;
    std::vector<test::Process*> clients_;
    int fills_ = 0;
};

struct Samples {
    std::vector<double> moved_ms;
    int not_moved = 0;
    int skipped = 0;  // the injection could not be made
    bool run() const { return !moved_ms.empty() || not_moved > 0; }
};

constexpr int variant_count = 3;
constexpr int injection_count = 4;
using Table = Samples[injection_count][variant_count];

std::string median_cell(const Samples& s, milliseconds bound) {
    std::string out;
    if (s.moved_ms.empty()) {
        out = fmt::format("not moved in {:.0f} s", ms(bound) / 1000);
    } else {
        out = fmt::format("{:.0f}", median(s.moved_ms));
        if (s.not_moved > 0) out += fmt::format(" ({} not moved)", s.not_moved);
    }
    if (s.skipped > 0) out += fmt::format(" ({} skipped)", s.skipped);
    return out;
}

std::string max_cell(const Samples& s) {
    return s.moved_ms.empty() ? std::string("–") : fmt::format("{:.0f}", quantile(s.moved_ms, 1.0));
}

std::string ratio_cell(const Samples& havipd, const Samples& keepalived) {
    if (havipd.moved_ms.empty()) return "–";
    if (keepalived.moved_ms.empty()) return "keepalived never moves it";
    return fmt::format("{:.2f}", median(havipd.moved_ms) / median(keepalived.moved_ms));
}

std::string render(const Protocol& protocol, const Table& samples, milliseconds bound) {
    std::string out = fmt::format(
        "**{}** (b's Skew_Time {:.0f} ms)\n\n"
        "| failure | n | keepalived+nc median / max (ms) | havipd tuned median / max (ms) | "
        "ratio tuned | havipd generated median / max (ms) | ratio generated |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        protocol.name, skew_ms(protocol));
    for (const auto injection : all_injections) {
        const auto& row = samples[static_cast<int>(injection)];
        if (!row[0].run()) continue;  // not run (smoke)
        const auto both = [&](const Samples& s) {
            return fmt::format("{} / {}", median_cell(s, bound), max_cell(s));
        };
        const auto n = row[0].moved_ms.size() + static_cast<std::size_t>(row[0].not_moved);
        out += fmt::format("| {} | {} | {} | {} | {} | {} | {} |\n", to_string(injection), n,
                           both(row[0]), both(row[1]), ratio_cell(row[1], row[0]), both(row[2]),
                           ratio_cell(row[2], row[0]));
    }
    return out + "\n";
}

// The targets for the generated defaults (issue 18), one line each.
std::string verdict(const Table& v2, const Table& v3) {
    std::string out;
    const auto& gk = v2[static_cast<int>(Injection::kill)][2];
    const auto& kk = v2[static_cast<int>(Injection::kill)][0];
    if (gk.run() && !gk.moved_ms.empty()) {
        const double over = median(gk.moved_ms) - skew_ms(v2_1s);
        out += fmt::format(
            "- v2 killed, generated: median {:.0f} ms, {:+.0f} ms from b's Skew_Time ({:.0f} "
            "ms): {} the target of within 100 ms\n",
            median(gk.moved_ms), over, skew_ms(v2_1s),
            gk.not_moved == 0 && over <= 100 ? "meets" : "MISSES");
        if (!kk.moved_ms.empty()) {
            const double k = median(kk.moved_ms);
            bool every = gk.not_moved == 0;
            for (double t : gk.moved_ms)
                every = every && t < k;
            out += fmt::format(
                "- v2 killed, generated: {} below keepalived+nc's median ({:.0f} ms) in every "
                "repetition (max {:.0f} ms)\n",
                every ? "is" : "is NOT", k, quantile(gk.moved_ms, 1.0));
        }
    }
    const auto& gk3 = v3[static_cast<int>(Injection::kill)][2];
    if (gk3.run()) {
        const bool ok = gk3.not_moved == 0 && !gk3.moved_ms.empty() && median(gk3.moved_ms) <= 250;
        out += fmt::format(
            "- v3 killed, generated: median {} ms: {} the target of at most 250 ms\n",
            gk3.moved_ms.empty() ? std::string("–") : fmt::format("{:.0f}", median(gk3.moved_ms)),
            ok ? "meets" : "MISSES");
    }
    const auto& gf = v2[static_cast<int>(Injection::freeze)][2];
    if (gf.run()) {
        const bool ok =
            gf.not_moved == 0 && !gf.moved_ms.empty() && quantile(gf.moved_ms, 1.0) <= 2500;
        out += fmt::format(
            "- v2 frozen, generated: max {}: {} the target of every repetition within 2.5 s\n",
            gf.moved_ms.empty() ? std::string("–")
                                : fmt::format("{:.0f} ms", quantile(gf.moved_ms, 1.0)),
            ok ? "meets" : "MISSES");
    }
    return out;
}

// Every repetition of every injection on the protocol's three sites, which go in a rotating
// order so load drift on the machine hits each. An error message, or nullopt.
std::optional<std::string> run_protocol(const Options& options, const Protocol& protocol,
                                        Table& samples) {
    std::vector<std::unique_ptr<Site>> sites;
    sites.push_back(std::make_unique<Site>(test::keepalived(options.keepalived),
                                           Variant::keepalived_nc, protocol));
    sites.push_back(
        std::make_unique<Site>(test::havipd(options.havipd), Variant::havipd_tuned, protocol));
    sites.push_back(
        std::make_unique<Site>(test::havipd(options.havipd), Variant::havipd_generated, protocol));
    for (auto& site : sites) {
        if (auto error = site->start()) return error;
    }
    std::vector<Injection> injections(std::begin(all_injections), std::end(all_injections));
    const int runs = options.smoke ? 1 : options.runs;
    if (options.smoke) injections = {Injection::kill};
    for (int repetition = 0; repetition < runs; ++repetition) {
        for (const auto injection : injections) {
            for (int k = 0; k < variant_count; ++k) {
                const int which = (k + repetition) % variant_count;
                auto& site = *sites[static_cast<std::size_t>(which)];
                if (interrupted().load()) return "interrupted";
                auto result = site.measure(injection, options.bound, !options.smoke);
                if (auto* error = std::get_if<std::string>(&result)) return *error;
                if (auto* skipped = std::get_if<Site::Skipped>(&result)) {
                    ++samples[static_cast<int>(injection)][which].skipped;
                    fmt::print("{} | {:<32} {:<16} run {}/{}: skipped: {}\n", protocol.name,
                               to_string(injection), site.name(), repetition + 1, runs,
                               skipped->why);
                    std::fflush(stdout);
                    continue;
                }
                const auto moved = std::get<std::optional<milliseconds>>(result);
                auto& s = samples[static_cast<int>(injection)][which];
                if (moved)
                    s.moved_ms.push_back(static_cast<double>(moved->count()));
                else
                    ++s.not_moved;
                fmt::print("{} | {:<32} {:<16} run {}/{}: {}\n", protocol.name,
                           to_string(injection), site.name(), repetition + 1, runs,
                           moved ? fmt::format("VIP on b after {} ms", moved->count())
                                 : fmt::format("not moved in {} ms", options.bound.count()));
                std::fflush(stdout);
            }
        }
    }
    return std::nullopt;
}

// Healthy pairs (VRRPv2, 1 s adverts, the three sites at once) under `stress-ng --cpu 2 --io 2`
// for the whole window: a failover, a state change or a failed check is spurious.
int run_stress(const Options& options, const std::string& command) {
    if (access(stress_ng, X_OK) != 0) {
        fmt::print("skipped: {} is not installed (apt-get install stress-ng)\n", stress_ng);
        return exit_skipped;
    }
    const auto window = *options.stress;
    std::vector<std::unique_ptr<Site>> sites;
    sites.push_back(std::make_unique<Site>(test::keepalived(options.keepalived),
                                           Variant::keepalived_nc, v2_1s));
    sites.push_back(
        std::make_unique<Site>(test::havipd(options.havipd), Variant::havipd_tuned, v2_1s));
    sites.push_back(
        std::make_unique<Site>(test::havipd(options.havipd), Variant::havipd_generated, v2_1s));
    for (auto& site : sites) {
        if (auto error = site->start()) {
            fmt::print(stderr, "{}\n", *error);
            return 1;
        }
    }
    std::vector<Site::Alarms> before;
    for (auto& site : sites)
        before.push_back(site->alarms(Clock::now()));
    const auto log = std::filesystem::path(HAVIP_BINARY_DIR) / "bench-dbfail-stress-ng.log";
    auto stressor = test::Process::start(
        "stress-ng",
        {stress_ng, "--cpu", "2", "--io", "2", "--timeout", fmt::format("{}s", window.count() + 5)},
        log);
    std::this_thread::sleep_for(2s);  // the stressors are up before the window opens
    const auto opened = Clock::now();
    for (auto left = window; left > 0s && !interrupted().load(); left -= 1s) {
        std::this_thread::sleep_for(1s);
        if (left.count() % 60 == 0) {
            fmt::print("stress: {} s left\n", left.count());
            std::fflush(stdout);
        }
    }
    std::string table =
        "| site | window (s) | VIP on b | state changes | check failures |\n"
        "| --- | ---: | ---: | ---: | ---: |\n";
    bool generated_clean = true;
    for (std::size_t i = 0; i < sites.size(); ++i) {
        const auto after = sites[i]->alarms(opened);
        const auto changes = after.state_changes - before[i].state_changes;
        const auto failures = after.check_failures - before[i].check_failures;
        table += fmt::format("| {} | {} | {} | {} | {} |\n", sites[i]->name(), window.count(),
                             after.vip_on_b, changes, failures);
        if (sites[i]->variant() == Variant::havipd_generated)
            generated_clean = after.vip_on_b == 0 && changes == 0 && failures == 0;
    }
    stressor.stop(1s);
    if (interrupted().load()) return 130;
    table +=
        fmt::format("\n- generated defaults: {} the target of no spurious failover under load\n",
                    generated_clean ? "meet" : "MISS");
    fmt::print("\n{}", table);
    const std::string results = fmt::format(
        "Three healthy MariaDB master-master pairs at once (VRRPv2, 1 s adverts, a 100 / b 90; "
        "keepalived+nc, havipd tuned, havipd with the generated mysql_check timing) while "
        "`stress-ng --cpu 2 --io 2 --timeout {}s` loads the machine for a {} s window. Counted "
        "in the window: the VIP appearing on b, state changes of either node, and check "
        "failures logged (havipd: mysql_check down/unsafe; keepalived: VRRP_Script failed or "
        "timed out); all should be 0.\n\n{}",
        window.count() + 5, window.count(), table);
    if (!publish(options, "dbfail-stress", "Healthy database pair under load", command, results))
        return 1;
    return generated_clean ? 0 : 1;
}

int run(const Options& options, const std::string& command) {
    if (auto reason = skip_reason({options.havipd, options.keepalived, nc_bin}, true)) {
        fmt::print("skipped: {}\n", *reason);
        return exit_skipped;
    }
    if (options.stress) return run_stress(options, command);
    Table v2{};
    Table v3{};
    // The smoke run: v3 alone (the pairs settle in a fraction of the time).
    std::vector<std::pair<const Protocol*, Table*>> protocols = {{&v2_1s, &v2}, {&v3_100ms, &v3}};
    if (options.smoke) protocols.erase(protocols.begin());
    for (const auto& [protocol, table] : protocols) {
        if (auto error = run_protocol(options, *protocol, *table)) {
            fmt::print(stderr, "{}\n", *error);
            return interrupted().load() ? 130 : 1;
        }
    }
    std::string tables;
    for (const auto& [protocol, table] : protocols)
        tables += render(*protocol, *table, options.bound);
    tables += verdict(v2, v3);
    fmt::print("\n{}", tables);
    const std::string results = fmt::format(
        "From the injection on a's mysqld to the VIP on b (rtnetlink); for \"out of "
        "connections\" from the first client refused with 1040. Waits bounded at {} s; n "
        "repetitions per site, medians and maxima in ms; ratio = havipd median ÷ keepalived+nc "
        "median, same run. keepalived+nc: the HA guide's nc script (interval 1, fall/rise 1); "
        "havipd tuned: mysql_check interval 0.2, timeout 0.4, fall 2, rise 1; havipd "
        "generated: the timing `havip generate` writes (interval 0.5, timeout 0.4, rise 2, "
        "fall 2, max_lag 5). a priority 100, b 90.\n\n{}",
        options.bound.count() / 1000, tables);
    if (!publish(options, "dbfail", "Database failure to VIP moved", command, results)) return 1;
    // The smoke run fails if havipd did not move the VIP off a killed server.
    if (options.smoke && (v3[0][1].moved_ms.empty() || v3[0][2].moved_ms.empty())) return 1;
    return 0;
}

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    Arguments args(argc, argv);
    while (args.next()) {
        if (args.common(options)) continue;
        if (auto runs = args.number("--runs", 1, 1000))
            options.runs = static_cast<int>(*runs);
        else if (auto seconds = args.number("--stress", 1, 7200))
            options.stress = std::chrono::seconds(*seconds);
        else
            return std::nullopt;
    }
    return options;
}

}  // namespace
}  // namespace havip::bench

int main(int argc, char** argv) {
    return havip::bench::bench_main(
        argc, argv, havip::bench::parse, havip::bench::run,
        "usage: dbfail [--smoke] [--write-readme] [--runs N] [--havipd PATH] "
        "[--keepalived PATH] [--stress SECONDS]\n"
        "  mysqld killed / frozen / stopped, server out of connections, to VIP moved:\n"
        "  keepalived (HA guide's nc script), havipd tuned and havipd with the generated\n"
        "  mysql_check, each on a MariaDB master-master pair, VRRPv2 1 s and VRRPv3 100 ms\n"
        "  adverts (needs root). --smoke: one kill per site, no restore.\n"
        "  --stress SECONDS: no failure; the three pairs (v2) stay healthy under\n"
        "  stress-ng --cpu 2 --io 2 for that long, spurious failovers and failed checks\n"
        "  counted (README section dbfail-stress).\n");
}
