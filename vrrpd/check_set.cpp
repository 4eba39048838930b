#include "vrrpd/check_set.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "checks/auto_rejoin.hpp"
#include "checks/child_process.hpp"
#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "checks/mysql_history.hpp"
#include "checks/mysql_probe.hpp"
#include "checks/script.hpp"
#include "checks/tcp_check.hpp"
#include "checks/term.hpp"
#include "vrrpd/mysql_check_plan.hpp"
#include "vrrpd/mysql_check_verdict.hpp"
#include "vrrpd/read_only_report.hpp"
#include "vrrpd/status.hpp"

namespace havip::vrrp {

namespace asio = boost::asio;
using systemd::Level;

namespace {

using SteadyDuration = std::chrono::steady_clock::duration;

SteadyDuration steady(config::Duration d) {
    return std::chrono::duration_cast<SteadyDuration>(d);
}

// The fence's first contact with the peer: a plain TCP connect bounded in milliseconds, so a
// peer whose host is gone costs half a second rather than Connector/C's whole-second connect
// timeout (and the ARP timeout behind it). Refused or no answer: the peer is down.
std::optional<checks::SqlError> reachable(const std::string& host, unsigned port,
                                          std::chrono::milliseconds bound) {
    sockaddr_storage addr{};
    socklen_t len = 0;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        len = sizeof(sockaddr_in6);
    } else {
        return checks::SqlError{2005, fmt::format("{} is not an IP address", host)};
    }
    const auto fail = [&](int err) {
        // 2003: Connector/C's "Can't connect to server", so the step reads the same.
        return checks::SqlError{
            2003, fmt::format("cannot connect to {} port {}: {}", host, port, std::strerror(err))};
    };
    const int fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(errno);
    std::optional<checks::SqlError> result;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
        if (errno != EINPROGRESS) {
            result = fail(errno);
        } else {
            pollfd p{fd, POLLOUT, 0};
            const int n = ::poll(&p, 1, static_cast<int>(bound.count()));
            int err = 0;
            socklen_t err_len = sizeof(err);
            if (n == 0) {
                result =
                    checks::SqlError{2003, fmt::format("no answer from {} port {} within {} ms",
                                                       host, port, bound.count())};
            } else if (n < 0) {
                result = fail(errno);
            } else if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) != 0 || err != 0) {
                result = fail(err != 0 ? err : errno);
            }
        }
    }
    ::close(fd);
    return result;
}

// Opens the fence's session on the peer with the check's own login, on the worker thread.
checks::PeerConnector peer_connector(const checks::ConnectSettings& login) {
    return [login](const std::string& host, unsigned port) -> checks::PeerSession {
        if (auto e = reachable(host, port, std::chrono::milliseconds(500))) return *e;
        auto settings = login;
        settings.unix_socket.clear();
        settings.host = host;
        settings.port = port;
        auto c = std::make_unique<checks::MysqlConnection>(settings);
        if (auto e = c->ensure_connected()) return *e;
        return std::unique_ptr<checks::SqlSession>(std::move(c));
    };
}

}  // namespace

// One running check; the variant parts are owned here so CheckSet stays one list.
struct CheckSet::Runner {
    std::unique_ptr<checks::ScriptRunner> script;
    std::unique_ptr<asio::steady_timer> timer;  // tcp_check and mysql_check intervals
    std::unique_ptr<checks::MysqlProbe> probe;
    std::string history_path;  // mysql_check: where its history is saved
    checks::History history;
    std::optional<checks::Status> last_status;  // the last decision's
    bool held_vip = false;                      // as holders_changed() last saw it
    std::vector<std::string> last_alerts;       // logged when they change, not every interval
    bool in_flight = false;

    // mysql_check
    std::string name;
    MysqlCheckPlan plan;  // its settings (vrrpd/mysql_check_plan)
    // Start as the plan's and learn from the server (slave_net_timeout, semi-sync).
    checks::DecisionSettings decision;
    checks::PromoteSettings promote;
    // manage_read_only: what is wanted, what the last action achieved and what is owed
    // (vrrpd/core/read_only_role); a failed action waits for a snapshot, so liveness is still
    // judged before the retry.
    ReadOnlyRole role;
    // Terms: the peer's server, asked for its term while the data differ, on its own worker
    // so the check's deadline never waits for the peer.
    std::unique_ptr<checks::MysqlProbe> peer_probe;
    std::optional<checks::PeerAddress> peer_probe_at;
    bool asking_peer_term = false;
    // `havip switchover`: the switchover's own worker (this server, plan.local_login).
    std::unique_ptr<checks::MysqlProbe> switchover_probe;
    // The last START SLAVE IO_THREAD asked for by the decision (restart_io), at most 1/s.
    std::optional<std::chrono::steady_clock::time_point> last_io_restart;
    // auto_rejoin: the state and the running child.
    checks::AutoRejoin rejoin;
    checks::RejoinGo rejoin_go = checks::RejoinGo::not_needed;  // the last answer, logged on change
    std::shared_ptr<checks::ChildProcess> rejoin_child;
    std::optional<checks::WallClock::time_point> rejoin_started_at;
};

CheckSet::CheckSet(asio::io_context& io, systemd::Logger& log, std::string state_directory,
                   checks::HistoryWriter& history, Report report, HoldsVip holds_vip,
                   std::string control_socket)
    : io_{io},
      log_{log},
      state_directory_{std::move(state_directory)},
      history_{history},
      control_socket_{std::move(control_socket)},
      report_{std::move(report)},
      holds_vip_{std::move(holds_vip)} {}

CheckSet::~CheckSet() {
    stop();
}

void CheckSet::stop() {
    *alive_ = false;
    alive_ = std::make_shared<bool>(true);
    for (auto& r : runners_) {
        if (r->script) r->script->stop();
        if (r->timer) r->timer->cancel();
        // A reload or stop ends a running rejoin (its group is killed); the latch stays and the
        // next CheckSet starts it again: the node has nothing left to lose by then (its extra
        // transactions were saved before anything was dropped).
        if (r->rejoin_child) r->rejoin_child->abandon();
    }
    runners_.clear();
    ticks_.clear();
}

void CheckSet::deliver(const std::string& name, const std::string& type, Outcome outcome,
                       const std::string& status, const std::string& reason,
                       const std::string& failback_hold) {
    auto& last = last_[name];
    const bool changed = last.status != status;
    // The verdict is new; the rest (action, latch, term, rejoin) is kept as it was.
    last.type = type;
    last.outcome = outcome;
    last.status = status;
    last.reason = reason;
    last.failback_hold = failback_hold;
    if (changed)
        log_.log(outcome == Outcome::ok ? Level::notice : Level::warning,
                 fmt::format("{} {}: {}", type, status, reason),
                 {{"MESSAGE_ID", std::string{systemd::message_id_check_change}},
                  {"HAVIP_CHECK", name},
                  {"HAVIP_REASON", reason}});
    report_(name, outcome, reason);
}

bool CheckSet::start(const config::Config& config) {
    std::set<std::string> tracked;
    for (const auto& i : config.instances)
        for (const auto& t : i.track_scripts)
            tracked.insert(t.name);
    for (const auto& g : config.sync_groups)
        for (const auto& t : g.track_scripts)
            tracked.insert(t.name);
    bool ok = true;
    auto alive = alive_;

    for (const auto& s : config.scripts) {
        if (!tracked.count(s.name) || s.script.refused) continue;
        checks::ScriptSettings settings;
        settings.name = s.name;
        settings.command.argv = s.script.argv;
        // The user was looked up when the configuration was loaded, off the loop.
        if (s.script.run_user) {
            if (!s.script.run_ids) {
                log_.log(Level::err,
                         fmt::format("{}:{}:{}: vrrp_script {}: {}", s.where.file, s.where.line,
                                     s.where.column, s.name, config::unknown_ids(s.script)));
                ok = false;
                continue;
            }
            settings.command.credentials =
                checks::Credentials{s.script.run_ids->uid, s.script.run_ids->gid};
        }
        settings.interval = steady(s.interval);
        settings.timeout = steady(s.timeout);
        auto r = std::make_unique<Runner>();
        r->script = std::make_unique<checks::ScriptRunner>(
            io_, settings, [this, alive, name = s.name](const checks::ScriptReport& rep) {
                if (!*alive) return;
                if (rep.kind == checks::ScriptReport::Kind::skipped) {
                    log_.log(Level::warning, rep.reason, {{"HAVIP_CHECK", name}});
                    return;
                }
                const bool good = rep.success();
                deliver(name, "vrrp_script", good ? Outcome::ok : Outcome::failed,
                        good ? "ok" : "failed", rep.reason);
            });
        runners_.push_back(std::move(r));
    }

    for (const auto& t : config.tcp_checks) {
        if (!tracked.count(t.name)) continue;
        auto r = std::make_unique<Runner>();
        r->timer = std::make_unique<asio::steady_timer>(io_);
        auto* runner = r.get();
        const asio::ip::tcp::endpoint endpoint{t.host, static_cast<unsigned short>(t.port)};
        const auto interval = steady(t.interval), timeout = steady(t.timeout);
        auto tick = std::make_shared<std::function<void()>>();
        *tick = [this, alive, runner, endpoint, interval, timeout, name = t.name,
                 weak = std::weak_ptr<std::function<void()>>(tick)] {
            if (!*alive) return;
            runner->timer->expires_after(interval);
            if (!runner->in_flight) {
                runner->in_flight = true;
                checks::tcp_probe(io_, endpoint, timeout,
                                  [this, alive, runner, name](const checks::TcpProbeResult& res) {
                                      if (!*alive) return;
                                      runner->in_flight = false;
                                      deliver(name, "tcp_check",
                                              res.success ? Outcome::ok : Outcome::failed,
                                              res.success ? "ok" : "failed", res.reason);
                                  });
            }
            runner->timer->async_wait([weak](boost::system::error_code ec) {
                if (auto self = weak.lock(); self && !ec) (*self)();
            });
        };
        runners_.push_back(std::move(r));
        asio::post(io_, [tick] { (*tick)(); });
        ticks_.push_back(tick);
    }

    for (const auto& m : config.mysql_checks) {
        if (!tracked.count(m.name)) continue;
        checks::MysqlCredentials option_file_credentials;
        if (m.option_file) {
            auto creds = checks::read_option_file(*m.option_file);
            if (!creds.credentials) {
                log_.log(Level::err,
                         fmt::format("{}:{}:{}: mysql_check {}: {}", m.where.file, m.where.line,
                                     m.where.column, m.name, creds.error));
                ok = false;
                continue;
            }
            option_file_credentials = *creds.credentials;
        }
        const auto plan = resolve_mysql_check(m, option_file_credentials);

        auto r = std::make_unique<Runner>();
        auto* runner = r.get();
        runner->name = m.name;
        runner->plan = plan;
        runner->decision = plan.decision;
        runner->promote = plan.promote;
        // After a reload the instances keep their state: a MASTER stays writable.
        if (m.manage_read_only) runner->role.holds_vip(holds_vip_(m.name));
        const auto path = fmt::format("{}/{}.state", state_directory_, m.name);
        r->history_path = path;
        if (auto unwritten = history_.unwritten(path)) {
            // The check ran under the previous configuration and its last history is still on
            // its way to the disk: the file holds an older one.
            r->history = std::move(*unwritten);
        } else {
            auto loaded = checks::load_history(path);
            if (loaded.error && loaded.error != std::errc::no_such_file_or_directory)
                log_.log(Level::warning,
                         fmt::format("mysql_check history {}: {}; latched as diverged until an "
                                     "operator removes it (README, Data safety)",
                                     path, loaded.detail),
                         {{"HAVIP_CHECK", m.name}});
            r->history = loaded.history;
        }
        r->probe = std::make_unique<checks::MysqlProbe>(io_, plan.connect);
        // A server that dies closes the idle connection: probe now, not at the next interval.
        r->probe->on_idle_readable([this, alive, runner] {
            if (!*alive || runner->in_flight) return;
            log_.log(Level::info, "mysql_check: the server closed the idle connection, probing now",
                     {{"HAVIP_CHECK", runner->name}});
            poll_mysql(*runner);
        });
        r->timer = std::make_unique<asio::steady_timer>(io_);
        const auto interval = plan.interval;
        auto tick = std::make_shared<std::function<void()>>();
        *tick = [this, alive, runner, interval, weak = std::weak_ptr<std::function<void()>>(tick)] {
            if (!*alive) return;
            runner->timer->expires_after(interval);
            poll_mysql(*runner);
            runner->timer->async_wait([weak](boost::system::error_code ec) {
                if (auto self = weak.lock(); self && !ec) (*self)();
            });
        };
        runners_.push_back(std::move(r));
        asio::post(io_, [tick] { (*tick)(); });
        ticks_.push_back(tick);
    }

    for (auto& r : runners_)
        if (r->script) r->script->start();
    return ok;
}

void CheckSet::note_holder(Runner& runner, bool holds) {
    if (holds && !runner.held_vip) {
        // Taken while eligible: the writer from now on, however long the promote takes.
        checks::took_vip(runner.history, runner.last_status);
        save_history(runner);
    }
    runner.held_vip = holds;
}

void CheckSet::save_history(Runner& runner) {
    history_.store(runner.history_path, runner.history,
                   [this, io = &io_, alive = alive_, path = runner.history_path,
                    name = runner.name](std::error_code ec) {
                       // On the writer's thread, perhaps after this check set is gone: only
                       // the loop, which outlives it, looks at `alive` and `this`.
                       asio::post(*io, [this, alive, path, name, ec] {
                           if (!*alive) return;
                           log_.log(Level::warning,
                                    fmt::format("cannot save mysql_check history {}: {} (kept "
                                                "in memory)",
                                                path, ec.message()),
                                    {{"HAVIP_CHECK", name}});
                       });
                   });
}

void CheckSet::operator_change(const std::vector<std::string>& names,
                               const std::function<void(checks::History&)>& change) {
    for (auto& r : runners_) {
        if (!r->probe || std::find(names.begin(), names.end(), r->name) == names.end()) continue;
        change(r->history);
        save_history(*r);
        auto& last = last_[r->name];
        last.diverged = r->history.diverged;
        last.forced = r->history.forced_since.has_value();
        if (!r->in_flight) poll_mysql(*r);
    }
}

void CheckSet::clear_diverged(const std::vector<std::string>& names) {
    operator_change(names, [](checks::History& h) { checks::clear_diverged(h); });
}

void CheckSet::promote_force(const std::vector<std::string>& names, const std::string& by) {
    const auto now = checks::WallClock::now();
    operator_change(names, [&](checks::History& h) { checks::force_eligible(h, now, by); });
}

void CheckSet::holders_changed() {
    for (auto& r : runners_) {
        if (!r->probe) continue;
        const bool holds = holds_vip_(r->name);
        note_holder(*r, holds);
        if (!r->plan.manage_read_only || !r->role.holds_vip(holds)) continue;
        const bool want = r->role.wants_writable();
        log_.log(Level::notice,
                 fmt::format("manage_read_only: {} (an instance tracking {} {} MASTER)",
                             want ? "promoting" : "demoting", r->name, want ? "became" : "left"),
                 {{"HAVIP_CHECK", r->name}});
        if (!r->in_flight) run_owed_action(*r);
    }
}

void CheckSet::rival_master(const std::function<bool(const std::string&)>& tracks,
                            const std::string& rival) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& r : runners_) {
        if (!r->probe || !r->plan.manage_read_only || !tracks(r->name)) continue;
        if (r->role.rival(rival, now) && !r->in_flight) run_owed_action(*r);
    }
}

void CheckSet::restart_io(Runner& runner) {
    const auto now = std::chrono::steady_clock::now();
    if (runner.last_io_restart && now - *runner.last_io_restart < std::chrono::seconds(1)) return;
    runner.last_io_restart = now;
    runner.in_flight = true;
    const auto& channel = runner.promote.connection_name;
    const std::string sql = fmt::format("START SLAVE{} IO_THREAD",
                                        channel.empty() ? "" : " " + checks::sql_quote(channel));
    auto error = std::make_shared<std::optional<checks::SqlError>>();
    runner.probe->run(
        [sql, error](checks::MysqlConnection& c) {
            *error = c.ensure_connected();
            if (!*error) *error = c.execute(sql);
        },
        runner.plan.timeout,
        [this, alive = alive_, r = &runner, sql, error](checks::JobOutcome outcome) {
            if (!*alive) return;
            r->in_flight = false;
            if (outcome != checks::JobOutcome::completed || *error)
                log_.log(Level::warning,
                         fmt::format("{}: {}", sql,
                                     *error ? (*error)->describe() : std::string{"no answer"}),
                         {{"HAVIP_CHECK", r->name}});
            run_owed_action(*r);
        });
}

void CheckSet::ask_peer_term(Runner& runner, const checks::PeerAddress& at) {
    if (runner.asking_peer_term) return;
    if (auto why = checks::peer_term_unaskable(at)) {
        checks::record_peer_term(runner.history, std::nullopt, std::move(*why));
        return;
    }
    if (!runner.peer_probe || runner.peer_probe_at != at) {
        auto login = runner.plan.peer;
        login.host = at.host;
        login.port = at.port;
        runner.peer_probe = std::make_unique<checks::MysqlProbe>(io_, login);
        runner.peer_probe_at = at;
    }
    runner.asking_peer_term = true;
    constexpr std::chrono::seconds bound{3};
    using Answer = std::variant<std::uint64_t, checks::SqlError>;
    auto answer = std::make_shared<Answer>(checks::SqlError{0, "no answer"});
    runner.peer_probe->run(
        [answer](checks::MysqlConnection& c) { *answer = checks::read_peer_term(c); }, bound,
        [this, alive = alive_, r = &runner, answer, at, bound](checks::JobOutcome outcome) {
            if (!*alive) return;
            r->asking_peer_term = false;
            const auto got =
                checks::peer_term_answer(outcome == checks::JobOutcome::completed, *answer, bound);
            checks::record_peer_term(r->history, got.term, got.error);
            log_.log(got.term ? Level::notice : Level::warning, checks::describe(got, at),
                     {{"HAVIP_CHECK", r->name}});
            if (!r->in_flight) poll_mysql(*r);
        });
}

void CheckSet::run_owed_action(Runner& runner) {
    if (runner.in_flight || !runner.plan.manage_read_only) return;
    if (const auto action = runner.role.owed(); action != ReadOnlyRole::Action::none)
        run_read_only_action(runner, action);
}

void CheckSet::hold_writes(const std::string& name, bool hold) {
    for (auto& r : runners_) {
        if (!r->probe || r->name != name || !r->plan.manage_read_only) continue;
        // Held: the switchover sets read_only itself, on its own connection, and says when it
        // could not. Released: made writable again at once if the instance is MASTER.
        r->role.holds_vip(holds_vip_(r->name));
        r->role.hold_writes(hold);
        if (!r->in_flight) run_owed_action(*r);
        return;
    }
}

bool CheckSet::run_switchover_job(const std::string& name, SwitchoverJob job,
                                  std::chrono::steady_clock::duration deadline,
                                  std::function<void(bool completed)> done) {
    for (auto& r : runners_) {
        if (!r->probe || r->name != name) continue;
        if (!r->switchover_probe)
            r->switchover_probe = std::make_unique<checks::MysqlProbe>(io_, r->plan.local_login);
        r->switchover_probe->run(
            [job = std::move(job), connect_peer = peer_connector(r->plan.peer)](
                checks::MysqlConnection& c) { job(c, connect_peer); },
            deadline,
            [alive = alive_, done = std::move(done)](checks::JobOutcome outcome) {
                if (*alive) done(outcome == checks::JobOutcome::completed);
            });
        return true;
    }
    return false;
}

std::optional<CheckSet::SwitchoverFacts> CheckSet::switchover_facts(const std::string& name) const {
    for (const auto& r : runners_) {
        if (!r->probe || r->name != name) continue;
        return SwitchoverFacts{r->plan.manage_read_only, r->promote.connection_name,
                               r->plan.peer_server_id, r->role.writable(),
                               r->promote.semi_sync_master};
    }
    return std::nullopt;
}

void CheckSet::poll_mysql(Runner& runner) {
    if (runner.in_flight) return;
    // holders_changed() acts at once; this catches any change it was not told about.
    if (runner.plan.manage_read_only) runner.role.holds_vip(holds_vip_(runner.name));
    run_owed_action(runner);
    if (runner.in_flight) return;
    take_mysql_snapshot(runner);
}

void CheckSet::take_mysql_snapshot(Runner& runner) {
    runner.in_flight = true;
    runner.probe->snapshot(runner.plan.timeout,
                           [this, alive = alive_, r = &runner](const checks::Snapshot& snap) {
                               if (!*alive) return;
                               r->in_flight = false;
                               judge_mysql(*r, snap);
                               // What the snapshot found is acted on now, not an interval
                               // later: a standby found writable (an earlier check set's
                               // promote landing late) is demoted at once; a rival waited.
                               run_owed_action(*r);
                           });
}

void CheckSet::judge_mysql(Runner& runner, const checks::Snapshot& snap) {
    const std::string& name = runner.name;
    const bool holder = holds_vip_(name);
    note_holder(runner, holder);
    // Decided in vrrpd/mysql_check_verdict; logged and run here, in the verdict's order.
    const auto basis = judge_basis(snap, holder, runner.plan.manage_read_only, runner.role,
                                   runner.decision, runner.promote.semi_sync_master);
    runner.decision = basis.decision;
    runner.promote.semi_sync_master = basis.semi_sync_master;
    const auto d =
        checks::decide(snap, basis.role, runner.history, runner.decision,
                       checks::Now{checks::WallClock::now(), checks::SteadyClock::now()});
    runner.history = d.history;
    save_history(runner);
    const auto v = judge_verdict(snap, d, basis, runner.role, runner.in_flight, runner.last_alerts,
                                 std::chrono::steady_clock::now());
    if (v.warn_writable_standby)
        log_.log(Level::warning,
                 "manage_read_only: read_only=0 on a standby (set by someone else, or the "
                 "server started without read_only=1): demoting it again",
                 {{"HAVIP_CHECK", name}});
    if (v.alerts) {
        for (const auto& alert : *v.alerts)
            log_.log(Level::warning, alert, {{"HAVIP_CHECK", name}, {"HAVIP_REASON", d.positions}});
        runner.last_alerts = *v.alerts;
    }
    if (v.restart_io) restart_io(runner);
    if (v.ask_peer_term) ask_peer_term(runner, *v.ask_peer_term);
    runner.last_status = v.status;
    deliver(name, "mysql_check", v.outcome, checks::to_string(v.status), v.reason, v.failback_hold);
    last_[name].diverged = d.diverged;
    last_[name].forced = d.history.forced_since.has_value();
    last_[name].term = snap.term;
    last_[name].peer_term = d.history.peer_term;
    maybe_rejoin(runner, d.diverged, holder);
}

void CheckSet::maybe_rejoin(Runner& runner, bool diverged, bool holder) {
    const auto now = std::chrono::steady_clock::now();
    std::error_code ec;
    // A stat of two files, only while latched here.
    const bool files = diverged && !holder && runner.plan.auto_rejoin &&
                       std::filesystem::exists(runner.plan.rejoin_inventory, ec) &&
                       std::filesystem::exists(runner.plan.rejoin_admin_option_file, ec);
    const auto go =
        checks::should_rejoin(runner.plan.auto_rejoin, diverged, holder, runner.rejoin, files, now);
    const bool changed = go != runner.rejoin_go;
    runner.rejoin_go = go;
    if (go == checks::RejoinGo::missing_files) {
        runner.rejoin.last = fmt::format(
            "auto rejoin cannot start: {} or {} is missing (bootstrap's inventory and admin "
            "option file; README, Operations)",
            runner.plan.rejoin_inventory, runner.plan.rejoin_admin_option_file);
        if (changed)
            log_.log(Level::warning, runner.rejoin.last,
                     {{"MESSAGE_ID", std::string{systemd::message_id_rejoin}},
                      {"HAVIP_CHECK", runner.name}});
    }
    if (go != checks::RejoinGo::start) {
        rejoin_status(runner);
        return;
    }
    const auto dir = std::filesystem::path(state_directory_) / "rejoin";
    std::filesystem::create_directories(dir, ec);
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    const auto output = (dir / (runner.name + ".log")).string();
    const auto command =
        checks::rejoin_command(runner.plan.rejoin_inventory, runner.plan.rejoin_admin_option_file,
                               state_directory_, control_socket_, output);
    runner.rejoin.running = true;
    ++runner.rejoin.started;
    runner.rejoin_started_at = checks::WallClock::now();
    log_.log(
        Level::notice,
        fmt::format(
            "auto rejoin started: this node is latched diverged and does not hold "
            "the VIP; havip rejoin {} (output in {}, deadline {} s)",
            runner.plan.rejoin_inventory, output,
            std::chrono::duration_cast<std::chrono::seconds>(runner.plan.rejoin_timeout).count()),
        {{"MESSAGE_ID", std::string{systemd::message_id_rejoin}}, {"HAVIP_CHECK", runner.name}});
    runner.rejoin_child = checks::ChildProcess::start(
        io_, command, runner.plan.rejoin_timeout,
        [this, alive = alive_, r = &runner, output](const checks::RunResult& result) {
            if (!*alive) return;
            r->rejoin_child.reset();
            // A small file, read once per run.
            std::ifstream in(output);
            std::stringstream text;
            text << in.rdbuf();
            const auto method = checks::rejoin_ended(r->rejoin, result, text.str(),
                                                     format_time(checks::WallClock::now()),
                                                     std::chrono::steady_clock::now());
            const bool ok = result.success();
            log_.log(ok ? Level::notice : Level::warning, "auto rejoin " + r->rejoin.last,
                     {{"MESSAGE_ID", std::string{systemd::message_id_rejoin}},
                      {"HAVIP_CHECK", r->name},
                      {"HAVIP_REASON", result.describe()},
                      {"HAVIP_REJOIN_METHOD", method}});
            rejoin_status(*r);
            if (!r->in_flight) poll_mysql(*r);
        });
    rejoin_status(runner);
}

void CheckSet::rejoin_status(Runner& runner) {
    auto& last = last_[runner.name];
    last.rejoins_started = runner.rejoin.started;
    last.rejoins_succeeded = runner.rejoin.succeeded;
    last.rejoins_failed = runner.rejoin.failed;
    last.rejoins_deferred = runner.rejoin.deferred;
    last.rejoins_flashback = runner.rejoin.by_flashback;
    last.rejoins_reseed = runner.rejoin.by_reseed;
    if (runner.rejoin.running && runner.rejoin_started_at) {
        last.rejoin = fmt::format("auto rejoin running since {} (pid {})",
                                  format_time(*runner.rejoin_started_at),
                                  runner.rejoin_child ? runner.rejoin_child->pid() : 0);
    } else if (!runner.rejoin.last.empty()) {
        last.rejoin = "last auto rejoin " + runner.rejoin.last;
        if (runner.rejoin.last.starts_with("auto rejoin cannot start"))
            last.rejoin = runner.rejoin.last;
    } else {
        last.rejoin.clear();
    }
}

void CheckSet::run_read_only_action(Runner& runner, ReadOnlyRole::Action action) {
    const bool refence = action == ReadOnlyRole::Action::refence;
    const bool promote = action != ReadOnlyRole::Action::demote;
    runner.in_flight = true;
    auto result = std::make_shared<checks::ActionResult>();
    auto settings = runner.promote;
    settings.peer_diverged = runner.history.peer_diverged;
    const auto deadline = refence   ? runner.plan.refence_deadline
                          : promote ? runner.plan.promote_deadline
                                    : runner.plan.demote_deadline;
    // Set when the loop gives up on the job; the worker also stops on its own once the
    // deadline has passed, in case the loop's timer has not fired yet.
    auto cancelled = std::make_shared<std::atomic<bool>>(false);
    settings.cancelled = [cancelled, give_up = std::chrono::steady_clock::now() + deadline] {
        return cancelled->load() || std::chrono::steady_clock::now() >= give_up;
    };
    const auto rival = runner.role.started(action, std::chrono::steady_clock::now());
    const auto line = read_only_job_line(action, rival, settings.apply_timeout);
    if (rival)
        log_.log(Level::notice, line, {{"HAVIP_CHECK", runner.name}, {"HAVIP_REASON", *rival}});
    else
        log_.log(Level::notice, line, {{"HAVIP_CHECK", runner.name}});
    runner.probe->run(
        [promote, refence, settings, result,
         connect_peer = peer_connector(runner.plan.peer)](checks::MysqlConnection& c) {
            if (auto e = c.ensure_connected()) {
                result->steps.push_back({"connect", false, e->describe()});
                return;
            }
            *result = refence   ? checks::refence(c, settings, connect_peer)
                      : promote ? checks::promote(c, settings, connect_peer)
                                : checks::demote(c, settings.semi_sync_master);
        },
        deadline,
        [this, alive = alive_, r = &runner, action, promote, result, deadline, cancelled,
         started = std::chrono::steady_clock::now()](checks::JobOutcome outcome) {
            if (outcome != checks::JobOutcome::completed) cancelled->store(true);
            if (!*alive) return;
            r->in_flight = false;
            // The worker is done with `result` only when the job completed.
            const auto report = report_read_only_action(action, outcome, *result, deadline, r->role,
                                                        started, std::chrono::steady_clock::now(),
                                                        std::chrono::system_clock::now());
            for (const auto& step : report.steps)
                log_.log(step.ok ? Level::notice : Level::warning, step.line,
                         {{"HAVIP_CHECK", r->name}, {"HAVIP_STEP_MS", std::to_string(step.ms)}});
            const bool ok = report.ok;
            auto& last = last_[r->name];
            last.action = report.status;
            if (promote) last.promote_failure = ok ? std::string{} : last.action;
            log_.log(ok ? Level::notice : Level::warning, report.text,
                     {{"HAVIP_CHECK", r->name}, {"HAVIP_REASON", report.summary}});
            if (!ok && promote) {
                // Holding the VIP on a server that stays read-only helps nobody: say so now
                // rather than at the next snapshot.
                deliver(r->name, "mysql_check", Outcome::unsafe, "unsafe",
                        fmt::format("cannot become writable ({})", report.summary));
            }
            // The role may have changed while we worked, or a rival appeared.
            run_owed_action(*r);
        });
}

}  // namespace havip::vrrp
