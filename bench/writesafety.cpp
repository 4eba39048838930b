// bench/writesafety: what a failover does to the writes of a client (issue 8, item 6). A client
// in a third namespace writes numbered rows through the VIP at a steady rate while the VIP
// holder fails, again and again: its mysqld SIGKILLed, its VRRP daemon SIGKILLed (the VIP stays
// on the node until the daemon is restarted), its switch port down; or the VIP is moved on
// purpose (issue 19), by `havip switchover` or the HA guide's way with keepalived (stop it on
// the holder, start it again). Each row records which
// server executed it (@@server_id). After each series the acknowledged ids missing on either
// node, the rows only one node has or that differ between the nodes, and the state of the
// replication in both directions are counted. Each (failure, replication mode, daemon) series
// gets a fresh lab: nodes a, b (MariaDB GTID master-master, VRRPv3 100 ms or, with --vrrp 2,
// VRRPv2 1 s, priorities 150/100, preempting) and c (the client). havipd tracks mysql_check with
// manage_read_only as in tests/netns/data_safety_test.cpp; keepalived tracks the HA guide's nc
// script, with both servers writable as in the guide (nothing manages read_only). Replication is
// asynchronous, or semi-synchronous (AFTER_SYNC) with the settings `havip generate` writes for
// `replication: semi-sync`.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "bench/cli.hpp"
#include "bench/report.hpp"
#include "checks/mysql_client.hpp"
#include "tests/harness/address_watcher.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/wait.hpp"
#include "tests/harness/writer.hpp"

namespace havip::bench {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* vip = "10.77.0.100";
constexpr const char* nc_bin = "/usr/bin/nc";
constexpr const char* writer_password = "w-lab-secret";
constexpr const char* admin_password = "admin-lab-secret";

struct Options : CommonOptions {
    std::optional<int> runs;  // both daemons; unset: the defaults below
    int havipd_runs = 10;
    int keepalived_runs = 5;
    int rate = 1000;            // writes per second
    milliseconds bound{10000};  // how long to wait for the VIP on the peer
    milliseconds hold{3000};    // writing through the peer before the restore
    milliseconds steady{2000};  // writing through the settled pair before the next injection
    // havip generate's default database.semi_sync_timeout.
    milliseconds semi_sync_timeout{10000};
    // Planned switchovers: VIP moves per series, for both daemons.
    int switchover_moves = 10;
    // VRRPv3 with 100 ms adverts, or (2) VRRPv2 with the HA guide's 1 s adverts.
    int vrrp_version = 3;
    // Copy each lab's logs and configs to this directory before the lab goes.
    std::string keep_logs;
    // Only these (empty: all), for a partial run.
    std::vector<std::string> kinds;    // mysqld, daemon, link, switchover
    std::vector<std::string> modes;    // semi-sync, async
    std::vector<std::string> daemons;  // keepalived, havipd
};

bool selected(const std::vector<std::string>& only, std::string_view name) {
    return only.empty() || std::find(only.begin(), only.end(), name) != only.end();
}

// The failures, and the planned switchover (nothing fails: the VIP is moved on purpose).
enum class Kind { mysqld_kill, daemon_kill, link_down, switchover };
constexpr Kind all_kinds[] = {Kind::mysqld_kill, Kind::daemon_kill, Kind::link_down,
                              Kind::switchover};
std::string_view short_name(Kind kind) {
    switch (kind) {
        case Kind::mysqld_kill:
            return "mysqld";
        case Kind::daemon_kill:
            return "daemon";
        case Kind::link_down:
            return "link";
        case Kind::switchover:
            return "switchover";
    }
    return "?";
}
std::string_view to_string(Kind kind) {
    switch (kind) {
        case Kind::mysqld_kill:
            return "mysqld SIGKILL";
        case Kind::daemon_kill:
            return "VRRP daemon SIGKILL";
        case Kind::link_down:
            return "link down";
        case Kind::switchover:
            return "planned switchover";
    }
    return "?";
}

enum class Mode { semi_sync, async };
constexpr Mode all_modes[] = {Mode::semi_sync, Mode::async};
std::string_view to_string(Mode mode) {
    return mode == Mode::semi_sync ? "semi-sync" : "async";
}

// One node's copy of the writer's table: id → server_id that executed the INSERT.
using Rows = std::map<std::uint64_t, int>;

Rows parse_rows(const std::string& text) {
    Rows rows;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        std::uint64_t id = 0;
        int server = 0;
        const auto a = std::from_chars(line.data(), line.data() + tab, id);
        const auto b = std::from_chars(line.data() + tab + 1, line.data() + line.size(), server);
        if (a.ec == std::errc{} && b.ec == std::errc{}) rows[id] = server;
    }
    return rows;
}

// What one injection gave; for the planned switchover, what one VIP move gave (the injection
// is the move's start: SIGTERM to keepalived, keepalived started again, `havip switchover`
// run; the restore is the end of the writing through the new holder after it).
struct Injected {
    std::optional<milliseconds> moved;  // injection → VIP on the peer
    Clock::time_point at;
    Clock::time_point restored;
    bool replication_healthy = false;  // both directions running after the restore
    bool settled = false;              // one holder, stable, after the restore
    bool semi_sync_active = false;     // the holder's Rpl_semi_sync_master_status before
    // `havip switchover` refused or rolled back (exit 1): the first line of what it said.
    std::string refused;
    // After a move by `havip switchover`, the VIP was back on the old holder once the pair
    // settled: the switchover hold did not hold.
    bool went_back = false;
};

// What one series (failure kind × replication mode × daemon) gave.
struct Series {
    Kind kind = Kind::mysqld_kill;
    Mode mode = Mode::async;
    test::DaemonKind daemon = test::DaemonKind::havipd;
    int planned = 0;
    std::vector<Injected> injections;
    test::WriterFigures writer;
    std::vector<double> gaps_ms;  // longest write gap of each injection
    std::string final_holder;     // "a", "b", "a+b", "none"
    std::optional<std::size_t> missing_on_holder;
    std::optional<std::size_t> missing_on_other;
    std::size_t conflicting = 0;  // on both nodes, executed by different servers
    std::size_t only_a = 0;
    std::size_t only_b = 0;
    bool replication_ok = false;
    std::string replication;  // "running both ways" or what is wrong
    // havipd's automatic rejoins: the files `havip rejoin` saved on either node (the
    // transactions a diverged node had and the authority lacked, dropped from the node).
    std::size_t rejoin_files = 0;
    std::size_t saved_transactions = 0;        // the files' headers: "N transaction(s)"
    std::optional<std::size_t> missing_saved;  // acknowledged, missing on the holder, saved
    std::optional<std::size_t> lost_silently;  // acknowledged, missing on a node, not saved
    std::string error;                         // the series stopped early: why
    bool ran() const { return !injections.empty(); }
    int not_moved() const {
        return static_cast<int>(std::count_if(injections.begin(), injections.end(),
                                              [](const Injected& i) { return !i.moved; }));
    }
};

class Site {
  public:
    Site(test::Daemon daemon, Mode mode, const Options& options)
        : daemon_(std::move(daemon)), mode_(mode), options_(options) {}
    ~Site() {
        if (writer_) writer_->stop();
        writer_.reset();
        watcher_.reset();  // its sockets keep the namespaces alive
        if (!options_.keep_logs.empty() && lab_) keep_logs();
    }
    Site(const Site&) = delete;
    Site& operator=(const Site&) = delete;

    bool is_havipd() const { return daemon_.kind == test::DaemonKind::havipd; }
    // Names the series' directory under --keep-logs.
    void set_label(std::string label) { label_ = std::move(label); }
    // The writer's shortest recorded gap (gaps below it count as 0).
    void set_gap_threshold(std::chrono::milliseconds threshold) { gap_threshold_ = threshold; }

    // Lab, databases, daemons, the writer running; an error message when that failed.
    std::optional<std::string> start() {
        lab_ = std::make_unique<test::Lab>();
        if (auto ready = lab_->ready(); !ready) return ready.message();
        for (const auto& [node, ip] : {std::pair{"a", "10.77.0.1"}, std::pair{"b", "10.77.0.2"},
                                       std::pair{"c", "10.77.0.3"}}) {
            if (auto added = lab_->add_node(node); !added) return added.message();
            if (auto added = lab_->add_address(node, fmt::format("{}/24", ip)); !added)
                return added.message();
        }
        watcher_ = std::make_unique<test::AddressWatcher>(
            std::vector<std::string>{lab_->ns("a"), lab_->ns("b")}, vip);
        if (auto ready = watcher_->ready(); !ready) return ready.message();
        db_a_ = std::make_unique<test::MariadbServer>(*lab_, "a", "10.77.0.1", 1);
        db_b_ = std::make_unique<test::MariadbServer>(*lab_, "b", "10.77.0.2", 2);
        for (const char* node : {"a", "b"}) {
            write_extra_cnf(node, false);
            db(node).include_config(extra_cnf(node));
            if (auto started = db(node).start(); !started) return failure(started.message());
        }
        if (is_havipd()) {
            if (auto prepared = prepare_rejoin()) return failure(*prepared);
        }
        if (auto replicating = test::setup_master_master(*db_a_, *db_b_); !replicating)
            return failure(replicating.message());
        // The client has no READ_ONLY ADMIN: with havipd, read_only=1 refuses its writes (1290).
        if (auto made = db_a_->exec(fmt::format(
                "CREATE TABLE lab.w (id BIGINT PRIMARY KEY, server INT NOT NULL DEFAULT 0,"
                " at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6)) ENGINE=InnoDB;"
                "CREATE USER 'w'@'10.77.0.%' IDENTIFIED BY '{}';"
                "GRANT INSERT, SELECT ON lab.* TO 'w'@'10.77.0.%';",
                writer_password));
            !made)
            return failure(made.message());
        if (auto caught = test::wait_caught_up(*db_a_, *db_b_, 10s); !caught)
            return failure(caught.message());
        a_ = start_daemon("a");
        if (!watcher_->wait_for(lab_->ns("a"), true, 10s)) return failure("no VIP on a");
        b_ = start_daemon("b");
        if (auto state = b_.wait_for_state("VI_1", "BACKUP", 10s); !state)
            return failure(state.message());
        if (is_havipd()) {
            if (!test::wait_until([&] { return b_.log_mentions("mysql_check healthy"); }, 10s,
                                  50ms))
                return failure("b's mysql_check never became healthy");
            if (!test::wait_until([&] { return db_a_->read_only() == false; }, 10s, 50ms))
                return failure("havipd on a never cleared read_only");
        }
        test::WriterSettings ws{lab_->ns("c"), vip, 3306, "w", writer_password};
        ws.write_interval = std::chrono::microseconds(1'000'000 / std::max(1, options_.rate));
        ws.server_column = "server";
        ws.gap_threshold = gap_threshold_;
        writer_.emplace(ws);
        writer_->start();
        if (!test::wait_until([&] { return writer_->figures().acked > 0; }, 10s, 50ms))
            return failure(
                fmt::format("the writer acknowledged nothing: {}", writer_->last_error()));
        std::this_thread::sleep_for(options_.smoke ? 500ms : 2s);
        return std::nullopt;
    }

    // One injection on the node holding the VIP, its restore and the wait for a settled pair.
    // An error message when the site can no longer be driven (a restore that failed).
    std::variant<Injected, std::string> inject(Kind kind) {
        Injected result;
        const auto holder = single_holder();
        if (!holder) return failure("no single VIP holder before the injection");
        const std::string node = *holder;
        const std::string peer = node == "a" ? "b" : "a";
        result.semi_sync_active = semi_sync_on(node);
        result.at = Clock::now();
        switch (kind) {
            case Kind::mysqld_kill:
                if (auto done = db(node).kill(); !done) return failure(done.message());
                break;
            case Kind::daemon_kill: {
                auto& daemon = node == "a" ? a_ : b_;
                daemon.process->signal_group(SIGKILL);
                if (!daemon.process->wait_exit(5s)) return failure("the daemon survived SIGKILL");
                break;
            }
            case Kind::link_down:
                if (auto done = lab_->set_port(node, false); !done) return failure(done.message());
                break;
            case Kind::switchover:  // not a failure: switchover()
                return failure("a switchover is no injection");
        }
        if (auto moved = watcher_->wait_for(lab_->ns(peer), true, options_.bound, result.at))
            result.moved = std::chrono::duration_cast<milliseconds>(moved->at - result.at);
        std::this_thread::sleep_for(options_.hold);

        result.restored = Clock::now();
        switch (kind) {
            case Kind::mysqld_kill:
                // As in tests/netns/data_safety_test.cpp: with semi-sync the crashed server
                // starts as a slave, so crash recovery truncates what its peer never
                // acknowledged (MariaDB's init_rpl_role).
                if (mode_ == Mode::semi_sync) write_extra_cnf(node, true);
                if (auto back = db(node).start(); !back) return failure(back.message());
                break;
            case Kind::daemon_kill:
                (node == "a" ? a_ : b_) = start_daemon(node);
                break;
            case Kind::link_down:
                if (auto done = lab_->set_port(node, true); !done) return failure(done.message());
                break;
            case Kind::switchover:
                break;
        }
        // Replication restarts by itself (MASTER_CONNECT_RETRY=1), unless it broke.
        result.replication_healthy =
            test::wait_until([&] { return interrupted().load() || replication_running(); },
                             options_.smoke ? 10s : 20s, 200ms)
                .has_value();
        // A healthy pair fails back to a (priority 150) once a is fit; havipd holds the
        // failback until a has caught up.
        if (result.replication_healthy)
            test::wait_until([&] { return interrupted().load() || single_holder() == "a"; }, 15s,
                             50ms);
        result.settled =
            test::wait_until([&] { return interrupted().load() || quiet(1500ms); }, 10s, 100ms)
                .has_value();
        // Steady writing through the settled pair before the next injection, so failures do
        // not pile onto a pair still recovering from the last one.
        if (!interrupted().load()) std::this_thread::sleep_for(options_.steady);
        return result;
    }

    // One planned switchover from the node holding the VIP, and the wait for a settled pair.
    // havipd: `havip switchover` on the holder, one move. keepalived, the HA guide's way:
    // SIGTERM to keepalived on the holder, the maintenance (--hold) once the VIP is on the
    // peer, keepalived started again; when that takes the VIP back (a's higher priority and
    // preempt), that is a second move of the same switchover. One Injected per move; an error
    // message when the site can no longer be driven.
    std::variant<std::vector<Injected>, std::string> switchover() {
        const auto holder = single_holder();
        if (!holder) return failure("no single VIP holder before the switchover");
        const std::string node = *holder;
        const std::string peer = node == "a" ? "b" : "a";
        std::vector<Injected> moves(1);
        Injected& away = moves[0];
        away.semi_sync_active = semi_sync_on(node);
        away.at = Clock::now();
        if (is_havipd()) {
            const auto run = run_switchover(node);
            // 0: moved; 1: refused or rolled back, the VIP where it was. Anything else (could
            // not reach havipd, usage, a hang) means the bench cannot drive the command.
            if (run.timed_out || (run.exit_code != 0 && run.exit_code != 1))
                return failure(fmt::format("havip switchover on {} {}: {}", node,
                                           run.timed_out ? "did not finish in 60 s"
                                                         : fmt::format("exited {}", run.exit_code),
                                           first_line(run.err.empty() ? run.out : run.err)));
            if (run.exit_code == 1) {
                away.refused = first_line(run.err);
                if (away.refused.empty()) away.refused = "(nothing on stderr)";
            }
        } else {
            auto& daemon = node == "a" ? a_ : b_;
            if (!daemon.process->signal(SIGTERM)) return failure("cannot signal keepalived");
            if (!daemon.process->wait_exit(10s))
                return failure("keepalived did not stop within 10 s of SIGTERM");
        }
        if (auto moved = watcher_->wait_for(lab_->ns(peer), true,
                                            away.refused.empty() ? options_.bound : 0ms, away.at))
            away.moved = std::chrono::duration_cast<milliseconds>(moved->at - away.at);
        // The maintenance of the old holder (keepalived) or writing through the new one.
        std::this_thread::sleep_for(options_.hold);
        away.restored = Clock::now();
        settle(away);
        if (is_havipd()) away.went_back = away.moved && single_holder() == node;
        if (!is_havipd()) {
            Injected back;
            back.semi_sync_active = semi_sync_on(peer);
            back.at = Clock::now();
            (node == "a" ? a_ : b_) = start_daemon(node);
            if (auto moved = watcher_->wait_for(lab_->ns(node), true, options_.bound, back.at)) {
                back.moved = std::chrono::duration_cast<milliseconds>(moved->at - back.at);
                std::this_thread::sleep_for(options_.hold);
                back.restored = Clock::now();
                settle(back);
                moves.push_back(back);
            } else {
                // Not taken back: keepalived started again as a backup, no second move. The
                // next switchover starts from the peer.
                (void)test::wait_until([&] { return interrupted().load() || quiet(1500ms); }, 10s,
                                       100ms);
            }
        }
        if (!interrupted().load()) std::this_thread::sleep_for(options_.steady);
        return moves;
    }

    // Stops the writer, lets replication drain and counts.
    void finish(Series& series) {
        writer_->stop();
        series.writer = writer_->figures();
        const auto gaps = writer_->gaps();
        for (const auto& injected : series.injections) {
            // The longest stretch without an acknowledged write that overlaps the time from
            // the injection to the restore.
            milliseconds longest{0};
            for (const auto& gap : gaps) {
                if (gap.to > injected.at && gap.from < injected.restored)
                    longest = std::max(longest,
                                       std::chrono::duration_cast<milliseconds>(gap.to - gap.from));
            }
            series.gaps_ms.push_back(static_cast<double>(longest.count()));
        }
        const auto holders = watcher_->holders();
        std::vector<std::string> names;
        for (const char* node : {"a", "b"}) {
            if (std::find(holders.begin(), holders.end(), lab_->ns(node)) != holders.end())
                names.emplace_back(node);
        }
        series.final_holder = names.empty() ? "none" : fmt::format("{}", fmt::join(names, "+"));
        // What each node will ever have: let replication drain where it runs.
        if (replication_running()) {
            (void)test::wait_caught_up(*db_a_, *db_b_, 20s);
            (void)test::wait_caught_up(*db_b_, *db_a_, 20s);
        } else {
            std::this_thread::sleep_for(2s);
        }
        const auto acked = writer_->acked();
        std::optional<Rows> rows[2];
        for (int i = 0; i < 2; ++i) {
            auto& server = i == 0 ? *db_a_ : *db_b_;
            if (!server.running()) continue;
            auto r = server.sql("SELECT id, server FROM lab.w", 60s);
            if (r.ok()) rows[i] = parse_rows(r.out);
        }
        const auto missing = [&](const std::optional<Rows>& on) -> std::optional<std::size_t> {
            if (!on) return std::nullopt;
            return static_cast<std::size_t>(std::count_if(
                acked.begin(), acked.end(), [&](std::uint64_t id) { return !on->contains(id); }));
        };
        const int holder = series.final_holder == "b" ? 1 : 0;
        series.missing_on_holder = missing(rows[holder]);
        series.missing_on_other = missing(rows[1 - holder]);
        if (rows[0] && rows[1]) {
            for (const auto& [id, server] : *rows[0]) {
                auto other = rows[1]->find(id);
                if (other == rows[1]->end())
                    ++series.only_a;
                else if (other->second != server)
                    ++series.conflicting;
            }
            for (const auto& [id, server] : *rows[1])
                if (!rows[0]->contains(id)) ++series.only_b;
        }
        {
            const auto saved = saved_by_rejoins();  // none with keepalived
            series.rejoin_files = saved.files;
            series.saved_transactions = saved.transactions;
            // Every acknowledged id missing on either node must be in a saved file: else it
            // was lost silently.
            if (rows[0] && rows[1]) {
                std::size_t on_holder = 0;
                std::size_t silent = 0;
                for (const auto id : acked) {
                    const bool saved_id = saved.ids.contains(id);
                    const bool off_holder = !rows[holder]->contains(id);
                    const bool off_other = !rows[1 - holder]->contains(id);
                    if (off_holder && saved_id) ++on_holder;
                    if ((off_holder || off_other) && !saved_id) ++silent;
                }
                series.missing_saved = on_holder;
                series.lost_silently = silent;
            }
        }
        series.replication_ok = replication_running();
        series.replication = series.replication_ok ? "running both ways" : replication_problem();
    }

    std::string failure(std::string_view what) const {
        return failure_with_logs(test::to_string(daemon_.kind), what, {&a_, &b_});
    }

  private:
    test::MariadbServer& db(std::string_view node) { return node == "a" ? *db_a_ : *db_b_; }

    // The node's Rpl_semi_sync_master_status is ON (false in async mode).
    bool semi_sync_on(std::string_view node) {
        if (mode_ != Mode::semi_sync) return false;
        auto status = db(node).sql("SHOW GLOBAL STATUS LIKE 'Rpl_semi_sync_master_status'", 5s);
        return status.ok() && status.out.find("ON") != std::string::npos;
    }

    // After a switchover's move and the writing through the new holder: replication running
    // both ways (up to 20 s), then one holder for 1.5 s (up to 10 s), as after a restore.
    void settle(Injected& move) {
        move.replication_healthy =
            test::wait_until([&] { return interrupted().load() || replication_running(); },
                             options_.smoke ? 10s : 20s, 200ms)
                .has_value();
        move.settled =
            test::wait_until([&] { return interrupted().load() || quiet(1500ms); }, 10s, 100ms)
                .has_value();
    }

    // havipd's control socket on the node: the path the harness gave it (--socket).
    std::string control_socket(std::string_view node) const {
        const auto argv =
            test::daemon_command(daemon_, lab_->dir() / "unused.conf", lab_->dir(), node);
        const auto at = std::find(argv.begin(), argv.end(), "--socket");
        return at == argv.end() || at + 1 == argv.end() ? std::string() : *(at + 1);
    }

    // `havip switchover` on the node, as an operator runs it on the VIP holder; what it
    // printed is kept in <lab dir>/switchover-<n>-<node>.log (--keep-logs copies it).
    test::CommandResult run_switchover(std::string_view node) {
        const std::vector<std::string> argv = {std::string(HAVIP_BINARY_DIR) + "/havip/havip",
                                               "switchover",
                                               "--socket",
                                               control_socket(node),
                                               "--timeout",
                                               "30"};
        const auto started = Clock::now();
        auto result = lab_->run(node, argv, 60s);
        const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - started);
        std::ofstream(lab_->dir() / fmt::format("switchover-{}-{}.log", ++switchovers_, node))
            << fmt::format("$ {}\nexit {}{}, {} ms\n--- stdout\n{}--- stderr\n{}",
                           test::describe(argv), result.exit_code,
                           result.timed_out ? " (timed out)" : "", took.count(), result.out,
                           result.err);
        return result;
    }

    static std::string first_line(const std::string& text) {
        const auto start = text.find_first_not_of(" \n");
        if (start == std::string::npos) return {};
        return text.substr(start, text.find('\n', start) - start);
    }

    // What havipd's automatic rejoin takes, as in tests/netns/rejoin_test.cpp (bootstrap's
    // inputs): an admin account on both servers (unlogged), its option file, an inventory with
    // the lab's two nodes and the harness's replication and monitor passwords in secrets/ next
    // to it. `havip` itself is found through PATH (set in run()).
    std::optional<std::string> prepare_rejoin() {
        namespace fs = std::filesystem;
        for (const char* node : {"a", "b"}) {
            if (auto made = db(node).exec(fmt::format(
                    "SET sql_log_bin=0; CREATE USER 'admin'@'10.77.0.%' IDENTIFIED BY '{}';"
                    " GRANT ALL PRIVILEGES ON *.* TO 'admin'@'10.77.0.%' WITH GRANT OPTION;",
                    admin_password));
                !made)
                return made.message();
        }
        const auto write = [](const fs::path& path, const std::string& text, fs::perms mode) {
            std::ofstream(path, std::ios::trunc) << text;
            fs::permissions(path, mode);
        };
        const auto owner = fs::perms::owner_read | fs::perms::owner_write;
        write(admin_cnf(), fmt::format("[client]\nuser = admin\npassword = {}\n", admin_password),
              owner);
        fs::create_directories(lab_->dir() / "secrets");
        write(lab_->dir() / "secrets" / "repl.password", "repl-lab-secret\n", owner);
        write(lab_->dir() / "secrets" / "chk.password", "chk-lab-secret\n", owner);
        write(inventory(),
              fmt::format("cluster: lab\n"
                          "topology: 5-node\n"
                          "database:\n"
                          "  vip: {}/24\n"
                          "  vrid: 97\n"
                          "  interface: eth0\n"
                          "  advert_interval: {}\n"
                          "  users:\n"
                          "    monitor: {{name: chk}}\n"
                          "    replication: {{name: repl}}\n"
                          "  nodes:\n"
                          "    - {{name: a, address: 10.77.0.1}}\n"
                          "    - {{name: b, address: 10.77.0.2}}\n",
                          vip, options_.vrrp_version == 2 ? "1" : "0.1"),
              fs::perms(0644));
        return std::nullopt;
    }
    std::filesystem::path admin_cnf() const { return lab_->dir() / "admin.cnf"; }
    std::filesystem::path inventory() const { return lab_->dir() / "inventory.yaml"; }

    // The files havipd's automatic rejoins saved on either node (<state dir>/rejoin/*.sql):
    // their number, the transactions their headers count, and the writer's ids in them (the
    // `@1=` of each decoded `### INSERT INTO `lab`.`w`` row).
    struct Saved {
        std::size_t files = 0;
        std::size_t transactions = 0;
        std::set<std::uint64_t> ids;
    };
    Saved saved_by_rejoins() const {
        namespace fs = std::filesystem;
        Saved saved;
        for (const char* node : {"a", "b"}) {
            const auto dir = lab_->dir() / fmt::format("{}-havipd-state", node) / "rejoin";
            std::error_code ec;
            if (!fs::exists(dir, ec)) continue;
            for (const auto& entry : fs::directory_iterator(dir, ec)) {
                if (entry.path().extension() != ".sql") continue;
                ++saved.files;
                std::ifstream in(entry.path());
                bool in_insert = false;
                for (std::string line; std::getline(in, line);) {
                    if (line.starts_with("-- havip rejoin: ")) {
                        std::size_t n = 0;
                        const char* from = line.data() + 17;
                        if (std::from_chars(from, line.data() + line.size(), n).ec == std::errc{})
                            saved.transactions += n;
                    } else if (line.starts_with("### INSERT INTO `lab`.`w`")) {
                        in_insert = true;
                    } else if (in_insert && line.starts_with("###   @1=")) {
                        std::uint64_t id = 0;
                        if (std::from_chars(line.data() + 9, line.data() + line.size(), id).ec ==
                            std::errc{})
                            saved.ids.insert(id);
                        in_insert = false;
                    }
                }
            }
        }
        return saved;
    }

    // Logs, configs and the servers' error logs, not the datadirs.
    void keep_logs() const {
        namespace fs = std::filesystem;
        // One directory per series: the labs of one run share a prefix and their file names.
        const fs::path to = fs::path(options_.keep_logs) / lab_->prefix() / label_;
        std::error_code ec;
        for (auto it = fs::recursive_directory_iterator(lab_->dir(), ec);
             it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const auto ext = it->path().extension();
            // .sql: the files automatic rejoins saved.
            if (!it->is_regular_file() ||
                (ext != ".log" && ext != ".conf" && ext != ".cnf" && ext != ".sql"))
                continue;
            const auto target = to / fs::relative(it->path(), lab_->dir());
            fs::create_directories(target.parent_path(), ec);
            fs::copy_file(it->path(), target, fs::copy_options::overwrite_existing, ec);
        }
        fmt::print("logs of {} kept in {}\n", lab_->prefix(), to.string());
    }
    std::filesystem::path extra_cnf(std::string_view node) const {
        return lab_->dir() / fmt::format("writesafety-{}.cnf", node);
    }

    // Included after the harness's settings, so these win.
    void write_extra_cnf(std::string_view node, bool recovering_as_slave) {
        std::ofstream out(extra_cnf(node), std::ios::trunc);
        out << "[mariadbd]\n"
            << "bind-address = 0.0.0.0\n";  // clients come through the VIP
        // The HA guide's master-master: both servers writable, nothing manages read_only.
        if (!is_havipd()) out << "read_only = OFF\n";
        if (mode_ == Mode::semi_sync) {
            // havip generate, `replication: semi-sync` (havip/generate.cpp): havipd moves the
            // master side with the VIP. The HA guide's keepalived has nothing to move it, so
            // there it is on for both servers, as in a plain semi-sync master-master pair.
            out << "rpl_semi_sync_master_enabled = " << (is_havipd() ? "OFF" : "ON") << "\n"
                << "rpl_semi_sync_slave_enabled = ON\n"
                << "rpl_semi_sync_master_wait_point = AFTER_SYNC\n"
                << fmt::format("rpl_semi_sync_master_timeout = {}\n",
                               options_.semi_sync_timeout.count());
            if (recovering_as_slave) out << "init_rpl_role = SLAVE\n";
        }
    }

    std::string config(std::string_view node) {
        const bool is_a = node == "a";
        test::VrrpInstanceSpec instance;
        instance.vrid = 97;
        instance.version = options_.vrrp_version;
        instance.advert_int = options_.vrrp_version == 2 ? milliseconds(1000) : 100ms;
        instance.state = "BACKUP";
        instance.priority = is_a ? 150 : 100;
        instance.vips = {fmt::format("{}/24", vip)};
        instance.extra_lines = {"track_script {", "    chk_db", "}"};
        test::KeepalivedConfig config;
        config.router_id = fmt::format("ws_{}", node);
        config.instances = {instance};
        if (is_havipd()) {
            test::MariadbServer::CheckSpec check;
            check.interval = 200ms;
            check.timeout = 400ms;
            check.fall = 2;
            check.manage_read_only = true;
            // The check block ends with "}\n": the rejoin settings go before it.
            auto block = db(node).check_block(check);
            block.erase(block.rfind('}'));
            block += fmt::format("    rejoin_inventory {}\n    rejoin_admin_option_file {}\n}}\n",
                                 inventory().string(), admin_cnf().string());
            return render_keepalived_conf(config) + "\n" + block + "\n";
        }
        // The HA guide's check (see bench/dbfail.cpp): a TCP connect to the server's port.
        const auto script = lab_->dir() / fmt::format("chk_db-{}", node);
        {
            std::ofstream out(script, std::ios::trunc);
            out << fmt::format("#!/bin/sh\n{} -z -w 1 {} 3306 >/dev/null 2>&1\n", nc_bin,
                               db(node).address());
        }
        ::chmod(script.c_str(), 0755);
        config.global_extra_lines = {"script_user root"};
        auto text = render_keepalived_conf(config);
        const auto at = text.find("vrrp_instance");
        text.insert(at == std::string::npos ? text.size() : at,
                    fmt::format("vrrp_script chk_db {{\n    script \"{}\"\n    interval 1\n}}\n\n",
                                script.string()));
        return text;
    }

    // The daemon on the node; each start logs to a file of its own (<node>-<kind>-<n>.log).
    test::RunningDaemon start_daemon(std::string_view node) {
        const std::string base = fmt::format("{}-{}", node, test::to_string(daemon_.kind));
        const auto path = lab_->dir() / (base + ".conf");
        std::ofstream(path, std::ios::trunc) << config(node);
        const int n = ++starts_[node == "a" ? 0 : 1];
        test::RunningDaemon running{daemon_, std::string(node), path, nullptr};
        running.process = &lab_->start(node, fmt::format("{}-{}", base, n),
                                       test::daemon_command(daemon_, path, lab_->dir(), node));
        return running;
    }

    std::optional<std::string> single_holder() const {
        const auto holders = watcher_->holders();
        if (holders.size() != 1) return std::nullopt;
        return holders[0] == lab_->ns("a") ? "a" : "b";
    }
    // One holder and no change of the VIP for `quiet`.
    bool quiet(milliseconds quiet) const {
        if (!single_holder()) return false;
        const auto events = watcher_->events();
        return events.empty() || Clock::now() - events.back().at >= quiet;
    }

    bool replication_running() const {
        for (const auto* d : {db_a_.get(), db_b_.get()}) {
            if (!d->running() || d->slave_status("Slave_IO_Running") != "Yes" ||
                d->slave_status("Slave_SQL_Running") != "Yes")
                return false;
        }
        return true;
    }
    std::string replication_problem() const {
        std::vector<std::string> out;
        for (const auto* d : {db_a_.get(), db_b_.get()}) {
            const std::string from = d == db_a_.get() ? "b→a" : "a→b";
            if (!d->running()) {
                out.push_back(fmt::format("{}: mariadbd on {} down", from, d->node()));
                continue;
            }
            const auto io = d->slave_status("Slave_IO_Running").value_or("?");
            const auto sql = d->slave_status("Slave_SQL_Running").value_or("?");
            if (io == "Yes" && sql == "Yes") continue;
            std::string what = fmt::format("{}: IO {}, SQL {}", from, io, sql);
            for (const char* column : {"Last_SQL_Error", "Last_IO_Error"}) {
                auto text = d->slave_status(column).value_or("");
                if (text.size() > 160) text = text.substr(0, 157) + "...";
                if (!text.empty()) what += fmt::format(" ({})", text);
            }
            out.push_back(what);
        }
        return fmt::format("{}", fmt::join(out, "; "));
    }

    test::Daemon daemon_;
    Mode mode_;
    const Options& options_;
    std::unique_ptr<test::Lab> lab_;  // first: destroyed last
    std::unique_ptr<test::AddressWatcher> watcher_;
    std::unique_ptr<test::MariadbServer> db_a_;
    std::unique_ptr<test::MariadbServer> db_b_;
    test::RunningDaemon a_;
    test::RunningDaemon b_;
    int starts_[2] = {0, 0};
    int switchovers_ = 0;
    std::optional<test::Writer> writer_;
    std::string label_;
    std::chrono::milliseconds gap_threshold_{100};
};

// One series in a fresh lab; a failure is recorded in the series, not thrown.
Series run_series(Kind kind, Mode mode, const test::Daemon& daemon, int runs,
                  const Options& options) {
    Series series;
    series.kind = kind;
    series.mode = mode;
    series.daemon = daemon.kind;
    series.planned = runs;
    Site site(daemon, mode, options);
    site.set_label(fmt::format("{}-{}-{}{}", short_name(kind), to_string(mode),
                               test::to_string(daemon.kind),
                               options.vrrp_version == 2 ? "-v2" : ""));
    // A planned switchover's gaps are short: count them from 10 ms (a write every 1 ms).
    if (kind == Kind::switchover) site.set_gap_threshold(std::chrono::milliseconds(10));
    if (auto error = site.start()) {
        series.error = *error;
        fmt::print(stderr, "{}\n", *error);
        return series;
    }
    // A keepalived switchover can move the VIP twice (away and, on the restart, back): the
    // series counts moves, so its last switchover may end one past `runs`.
    while (static_cast<int>(series.injections.size()) < runs && !interrupted().load()) {
        std::vector<Injected> injected;
        if (kind == Kind::switchover) {
            auto result = site.switchover();
            if (auto* error = std::get_if<std::string>(&result)) {
                series.error = *error;
                fmt::print(stderr, "{}\n", *error);
                break;
            }
            injected = std::move(std::get<std::vector<Injected>>(result));
        } else {
            auto result = site.inject(kind);
            if (auto* error = std::get_if<std::string>(&result)) {
                series.error = *error;
                fmt::print(stderr, "{}\n", *error);
                break;
            }
            injected.push_back(std::get<Injected>(result));
        }
        for (const auto& one : injected) {
            series.injections.push_back(one);
            fmt::print("{:<20} {:<9} {:<10} {}/{}: {}{}{}, replication {}, {}{}\n", to_string(kind),
                       to_string(mode), test::to_string(daemon.kind), series.injections.size(),
                       runs,
                       mode == Mode::async    ? ""
                       : one.semi_sync_active ? "semi-sync on, "
                                              : "semi-sync OFF, ",
                       one.moved ? fmt::format("VIP on the peer after {} ms", one.moved->count())
                       : one.refused.empty()
                           ? fmt::format("VIP not on the peer in {} ms", options.bound.count())
                           : "VIP not moved",
                       one.refused.empty() ? "" : fmt::format(" (refused: {})", one.refused),
                       one.replication_healthy ? "running" : "NOT running",
                       one.settled ? "settled" : "NOT settled",
                       one.went_back ? ", VIP back on the old holder" : "");
        }
        std::fflush(stdout);
    }
    if (interrupted().load()) return series;  // the lab goes at once
    site.finish(series);
    return series;
}

std::string count_cell(const std::optional<std::size_t>& value) {
    return value ? fmt::format("{}", *value) : std::string("–");
}

// Issue 19's target for havipd's planned switchovers: the median write gap.
double switchover_gap_target_ms(int vrrp_version) {
    return vrrp_version == 2 ? 1500.0 : 500.0;
}

std::string render(const std::vector<Series>& all, long bound_s, int vrrp_version) {
    std::string out =
        "| failure | replication | daemon | injections done | VIP moved median (ms) | not moved | "
        "acked | write errors | longest gap (ms) | gap median (ms) | missing on holder | saved in "
        "rejoin files | lost silently | missing on other | rejoin files (transactions) | "
        "conflicting | only on a / b | final holders | replication both ways at end |\n"
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
        "| ---: | ---: | ---: | ---: | --- | --- |\n";
    std::vector<std::string> notes;
    for (const auto& s : all) {
        std::vector<double> moved;
        for (const auto& i : s.injections)
            if (i.moved) moved.push_back(static_cast<double>(i.moved->count()));
        const bool single = s.final_holder == "a" || s.final_holder == "b";
        const bool havipd = s.daemon == test::DaemonKind::havipd;
        out += fmt::format(
            "| {} | {} | {} | {} of {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} "
            "| {} / {} | {} | {} |\n",
            to_string(s.kind), to_string(s.mode), test::to_string(s.daemon), s.injections.size(),
            s.planned, moved.empty() ? std::string("–") : fmt::format("{:.0f}", median(moved)),
            s.not_moved(), s.writer.acked, s.writer.errors, s.writer.longest_gap.count(),
            s.gaps_ms.empty() ? std::string("–") : fmt::format("{:.0f}", median(s.gaps_ms)),
            single ? count_cell(s.missing_on_holder) : std::string("–"),
            single && havipd ? count_cell(s.missing_saved) : std::string("–"),
            count_cell(s.lost_silently),
            single ? count_cell(s.missing_on_other)
                   : fmt::format("a {} / b {}", count_cell(s.missing_on_holder),
                                 count_cell(s.missing_on_other)),
            havipd ? fmt::format("{} ({})", s.rejoin_files, s.saved_transactions)
                   : std::string("–"),
            s.conflicting, s.only_a, s.only_b, s.final_holder.empty() ? "–" : s.final_holder,
            s.replication_ok ? "yes" : "**no**");
        if (!s.replication_ok && !s.replication.empty())
            notes.push_back(fmt::format("{}, {}, {}: replication at the end: {}", to_string(s.kind),
                                        to_string(s.mode), test::to_string(s.daemon),
                                        s.replication));
        if (!s.error.empty()) {
            auto first_line = s.error.substr(0, s.error.find('\n'));
            notes.push_back(fmt::format("{}, {}, {}: series stopped early: {}", to_string(s.kind),
                                        to_string(s.mode), test::to_string(s.daemon), first_line));
        }
        const auto unhealthy =
            std::count_if(s.injections.begin(), s.injections.end(),
                          [](const Injected& i) { return !i.replication_healthy; });
        const auto unsettled = std::count_if(s.injections.begin(), s.injections.end(),
                                             [](const Injected& i) { return !i.settled; });
        const auto semi_sync_off =
            std::count_if(s.injections.begin(), s.injections.end(),
                          [](const Injected& i) { return !i.semi_sync_active; });
        if (s.mode == Mode::semi_sync && semi_sync_off > 0)
            notes.push_back(fmt::format(
                "{}, {}, {}: semi-sync was off on the holder (Rpl_semi_sync_master_status, fallen "
                "back to async) at {} of {} injections",
                to_string(s.kind), to_string(s.mode), test::to_string(s.daemon), semi_sync_off,
                s.injections.size()));
        if (unhealthy > 0 || unsettled > 0)
            notes.push_back(fmt::format(
                "{}, {}, {}: after {} of {} {} replication was not running both ways "
                "within 20 s, after {} the VIP did not settle on one node",
                to_string(s.kind), to_string(s.mode), test::to_string(s.daemon), unhealthy,
                s.injections.size(), s.kind == Kind::switchover ? "moves" : "restores", unsettled));
        for (std::size_t i = 0; i < s.injections.size(); ++i) {
            const auto& one = s.injections[i];
            if (!one.refused.empty())
                notes.push_back(fmt::format("{}, {}, {}: switchover {} refused or rolled back: {}",
                                            to_string(s.kind), to_string(s.mode),
                                            test::to_string(s.daemon), i + 1, one.refused));
            if (one.went_back)
                notes.push_back(fmt::format(
                    "{}, {}, {}: after switchover {} the VIP went back to the old holder",
                    to_string(s.kind), to_string(s.mode), test::to_string(s.daemon), i + 1));
        }
    }
    out += "\n";
    // Verdicts: havipd against keepalived on the same failure and mode.
    for (const auto kind : all_kinds) {
        for (const auto mode : all_modes) {
            const Series* h = nullptr;
            const Series* k = nullptr;
            for (const auto& s : all) {
                if (s.kind != kind || s.mode != mode || !s.ran()) continue;
                (s.daemon == test::DaemonKind::havipd ? h : k) = &s;
            }
            if (h == nullptr) continue;
            const auto diverged = [](const Series& s) {
                return s.only_a + s.only_b + s.conflicting;
            };
            const auto describe = [&](const Series& s) -> std::string {
                const bool single = s.final_holder == "a" || s.final_holder == "b";
                const std::string missing =
                    single ? fmt::format(
                                 "{} acknowledged writes missing on the final holder ({} of "
                                 "them saved in rejoin files), {} on the other node",
                                 count_cell(s.missing_on_holder),
                                 s.daemon == test::DaemonKind::havipd ? count_cell(s.missing_saved)
                                                                      : std::string("none"),
                                 count_cell(s.missing_on_other))
                           : fmt::format(
                                 "VIP on {} at the end, acknowledged writes missing on a "
                                 "{}, on b {}",
                                 s.final_holder, count_cell(s.missing_on_holder),
                                 count_cell(s.missing_on_other));
                return fmt::format(
                    "{} of {} injections, {}, {} lost silently, {} rows not the same on both, "
                    "replication {}, {} failovers not within {} s",
                    s.injections.size(), s.planned, missing, count_cell(s.lost_silently),
                    diverged(s), s.replication_ok ? "running" : "broken", s.not_moved(), bound_s);
            };
            std::string line =
                fmt::format("- {}, {}: havipd: {}", to_string(kind), to_string(mode), describe(*h));
            if (k != nullptr) line += fmt::format("; keepalived: {}", describe(*k));
            if (kind == Kind::switchover) {
                // Issue 19's target: every move made, none refused, one holder, replication
                // both ways, no acknowledged write missing anywhere, and the median write gap.
                const bool single = h->final_holder == "a" || h->final_holder == "b";
                const bool all_moved =
                    static_cast<int>(h->injections.size()) >= h->planned && h->not_moved() == 0;
                const bool safe = h->missing_on_holder == std::size_t{0} &&
                                  h->missing_on_other == std::size_t{0} &&
                                  h->lost_silently == std::size_t{0};
                const double target = switchover_gap_target_ms(vrrp_version);
                const double gap = h->gaps_ms.empty() ? 1e9 : median(h->gaps_ms);
                const auto gap_of = [](const Series& s) {
                    return s.gaps_ms.empty() ? std::string("–")
                                             : fmt::format("{:.0f} ms", median(s.gaps_ms));
                };
                line += fmt::format(
                    "; write gap median havipd {}{} — havipd {} the target (every move made, one "
                    "holder, replication both ways, no acknowledged write missing anywhere, write "
                    "gap median at most {:.0f} ms with VRRPv{} {} adverts)",
                    gap_of(*h), k != nullptr ? fmt::format(", keepalived {}", gap_of(*k)) : "",
                    all_moved && single && h->replication_ok && safe && gap <= target ? "meets"
                                                                                      : "MISSES",
                    target, vrrp_version, vrrp_version == 2 ? "1 s" : "100 ms");
                out += line + "\n";
                continue;
            }
            // Issue 15's target: every injection done, one holder, replication both ways at
            // the end; semi-sync: no acknowledged write missing anywhere; async: the ones
            // missing on the holder all saved in rejoin files, none lost silently.
            const bool single = h->final_holder == "a" || h->final_holder == "b";
            const bool available =
                static_cast<int>(h->injections.size()) == h->planned && single && h->replication_ok;
            const bool safe = mode == Mode::semi_sync
                                  ? h->missing_on_holder == std::size_t{0} &&
                                        h->missing_on_other == std::size_t{0}
                                  : h->lost_silently == std::size_t{0} && h->missing_on_holder &&
                                        h->missing_saved == h->missing_on_holder;
            line += fmt::format(
                " — havipd {} the target ({})", available && safe ? "meets" : "MISSES",
                mode == Mode::semi_sync
                    ? "all injections, one holder, replication both ways, no acknowledged write "
                      "missing anywhere"
                    : "all injections, one holder, replication both ways, the acknowledged "
                      "writes missing on the holder all in rejoin files, none lost silently");
            out += line + "\n";
        }
    }
    if (!notes.empty()) {
        out += "\nNotes:\n";
        for (const auto& note : notes)
            out += "- " + note + "\n";
    }
    return out;
}

int run(const Options& options, const std::string& command) {
    std::vector<std::string> binaries = {options.havipd};
    if (!options.smoke)
        binaries.insert(binaries.end(), {options.keepalived, nc_bin,
                                         std::string(HAVIP_BINARY_DIR) + "/havip/havip"});
    if (auto reason = skip_reason(binaries, true)) {
        fmt::print("skipped: {}\n", *reason);
        return exit_skipped;
    }
    // havipd's automatic rejoin runs `havip rejoin` through PATH, as installed; here the build
    // tree's (as tests/netns/rejoin_test.cpp does).
    {
        const std::string path = ::getenv("PATH") ? ::getenv("PATH") : "/usr/bin:/bin";
        ::setenv("PATH", (std::string(HAVIP_BINARY_DIR) + "/havip:" + path).c_str(), 1);
    }
    checks::MysqlLibrary library;  // before the writers' threads
    const int havipd_runs = options.smoke ? 1 : options.runs.value_or(options.havipd_runs);
    const int keepalived_runs = options.runs.value_or(options.keepalived_runs);
    const int switchover_moves = options.runs.value_or(options.switchover_moves);
    std::vector<Series> all;
    const auto started = Clock::now();
    if (options.smoke) {
        // The machinery only: havipd killed once (its mysqld keeps running), async.
        all.push_back(run_series(Kind::daemon_kill, Mode::async, test::havipd(options.havipd),
                                 havipd_runs, options));
    } else {
        for (const auto mode : all_modes) {
            for (const auto kind : all_kinds) {
                for (const auto& daemon :
                     {test::keepalived(options.keepalived), test::havipd(options.havipd)}) {
                    if (!selected(options.modes, to_string(mode)) ||
                        !selected(options.kinds, short_name(kind)) ||
                        !selected(options.daemons, test::to_string(daemon.kind)))
                        continue;
                    if (interrupted().load()) return 130;
                    const int runs = kind == Kind::switchover                  ? switchover_moves
                                     : daemon.kind == test::DaemonKind::havipd ? havipd_runs
                                                                               : keepalived_runs;
                    all.push_back(run_series(kind, mode, daemon, runs, options));
                }
            }
        }
    }
    if (interrupted().load()) return 130;
    const std::string table = render(all, options.bound.count() / 1000, options.vrrp_version);
    fmt::print("\n{}\n(took {} s)\n", table,
               std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count());
    const std::string results = fmt::format(
        "VRRPv{} with {} adverts; {} injections per series for havipd, {} for keepalived, {} "
        "VIP moves per planned switchover series for both; writes every {} µs through "
        "the VIP; VIP wait bounded at {} s, {} s of writing through the peer before each "
        "restore, {} s through the settled pair before the next injection; semi-sync: "
        "AFTER_SYNC, rpl_semi_sync_master_timeout {} ms.\n\n{}",
        options.vrrp_version, options.vrrp_version == 2 ? "1 s" : "100 ms", havipd_runs,
        keepalived_runs, switchover_moves, 1'000'000 / std::max(1, options.rate),
        options.bound.count() / 1000, options.hold.count() / 1000.0,
        options.steady.count() / 1000.0, options.semi_sync_timeout.count(), table);
    if (!publish(options, "writesafety", "Write safety", command, results)) return 1;
    // The figures were produced when every series got its injections and counts.
    for (const auto& s : all)
        if (!s.ran() || !s.missing_on_holder) return options.smoke ? 1 : 0;
    return 0;
}

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    Arguments args(argc, argv);
    constexpr long most = 1'000'000;
    while (args.next()) {
        if (args.common(options)) {
            if (args.is("--smoke")) {
                options.hold = 1s;
                options.steady = 0ms;
            }
        } else if (auto version = args.number("--vrrp", 2, 3)) {
            options.vrrp_version = static_cast<int>(*version);
        } else if (auto runs = args.number("--runs", 1, 1000)) {
            options.runs = static_cast<int>(*runs);
        } else if (auto rate = args.number("--rate", 1, most)) {
            options.rate = static_cast<int>(*rate);
        } else if (auto timeout = args.number("--semi-sync-timeout", 1, most)) {
            options.semi_sync_timeout = milliseconds(*timeout);
        } else if (auto steady = args.number("--steady", 0, most)) {
            options.steady = milliseconds(*steady);
        } else if (auto hold = args.number("--hold", 0, most)) {
            options.hold = milliseconds(*hold);
        } else if (auto dir = args.value("--keep-logs")) {
            options.keep_logs = *dir;
        } else if (auto kind = args.value("--kind")) {
            options.kinds.push_back(*kind);
        } else if (auto mode = args.value("--mode")) {
            options.modes.push_back(*mode);
        } else if (auto daemon = args.value("--daemon")) {
            options.daemons.push_back(*daemon);
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
        "usage: writesafety [--smoke] [--write-readme] [--runs N] [--rate WRITES_PER_S]\n"
        "                   [--hold MS] [--steady MS] [--semi-sync-timeout MS]\n"
        "                   [--havipd PATH] [--vrrp 2|3]\n"
        "                   [--keepalived PATH] [--kind mysqld|daemon|link|switchover]...\n"
        "                   [--mode semi-sync|async]... [--daemon keepalived|havipd]...\n"
        "                   [--keep-logs DIR]\n"
        "  A client writes through the VIP while the holder's mysqld is SIGKILLed, its VRRP\n"
        "  daemon SIGKILLed, its link downed, N times per series (default 10 for havipd, 5\n"
        "  for keepalived), async and semi-sync; counts acknowledged writes lost, rows that\n"
        "  differ between the nodes, replication state. Needs root.\n"
        "  --kind switchover: planned VIP moves instead (default 10 per series for both):\n"
        "  `havip switchover` on the holder, or keepalived stopped (SIGTERM) on the holder and\n"
        "  started again once the VIP is on the peer, each move counted.\n"
        "  --vrrp 2: VRRPv2 with 1 s adverts (the HA guide's) instead of VRRPv3 with 100 ms.\n"
        "  --smoke: one havipd SIGKILL for havipd only (async), seconds.\n");
}
