#include "vrrpd/check_set.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

#include <cmath>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "checks/mysql_client.hpp"
#include "checks/mysql_history.hpp"
#include "checks/mysql_probe.hpp"
#include "checks/script.hpp"
#include "checks/tcp_check.hpp"

namespace havip::vrrp {

namespace asio = boost::asio;
using systemd::Level;

namespace {

using SteadyDuration = std::chrono::steady_clock::duration;

SteadyDuration steady(config::Duration d) { return std::chrono::duration_cast<SteadyDuration>(d); }

unsigned whole_seconds_at_least_one(config::Duration d) {
    return static_cast<unsigned>(std::max<long long>(
        1, static_cast<long long>(std::ceil(std::chrono::duration<double>(d).count()))));
}

// Writes the mysql_check history off the loop: the write ends in fsync, which a busy or full
// disk can stall for seconds. Latest wins: only the newest history matters.
class HistoryWriter {
public:
    HistoryWriter(asio::io_context& io, std::string path,
                  std::function<void(std::error_code)> on_error)
        : io_{io}, path_{std::move(path)}, on_error_{std::move(on_error)},
          thread_{[this] { loop(); }} {}
    // Errors after this are not reported: the CheckSet that would log them is going away.
    void detach_callbacks() { *alive_ = false; }
    ~HistoryWriter() {
        {
            std::lock_guard lock{mutex_};
            stopping_ = true;
        }
        wake_.notify_one();
        thread_.join();
    }
    void store(const checks::History& h) {
        {
            std::lock_guard lock{mutex_};
            pending_ = h;
        }
        wake_.notify_one();
    }

private:
    void loop() {
        std::unique_lock lock{mutex_};
        for (;;) {
            wake_.wait(lock, [&] { return stopping_ || pending_; });
            if (!pending_) return;  // stopping with nothing left to write
            auto h = std::move(*pending_);
            pending_.reset();
            lock.unlock();
            auto ec = checks::save_history(path_, h);
            if (ec) asio::post(io_, [alive = alive_, cb = on_error_, ec] {
                    if (*alive) cb(ec);
                });
            lock.lock();
            if (stopping_ && !pending_) return;
        }
    }

    asio::io_context& io_;
    std::string path_;
    std::function<void(std::error_code)> on_error_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::optional<checks::History> pending_;
    bool stopping_ = false;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
    std::thread thread_;
};

}  // namespace

// One running check; the variant parts are owned here so CheckSet stays one list.
struct CheckSet::Runner {
    std::unique_ptr<checks::ScriptRunner> script;
    std::unique_ptr<asio::steady_timer> timer;  // tcp_check and mysql_check intervals
    std::unique_ptr<checks::MysqlProbe> probe;
    std::unique_ptr<HistoryWriter> writer;
    checks::History history;
    std::optional<checks::Status> last_status;
    bool in_flight = false;
};

CheckSet::CheckSet(asio::io_context& io, systemd::Logger& log, std::string state_directory,
                   Report report, HoldsVip holds_vip)
    : io_{io},
      log_{log},
      state_directory_{std::move(state_directory)},
      report_{std::move(report)},
      holds_vip_{std::move(holds_vip)} {}

CheckSet::~CheckSet() { stop(); }

void CheckSet::stop() {
    *alive_ = false;
    alive_ = std::make_shared<bool>(true);
    for (auto& r : runners_) {
        if (r->script) r->script->stop();
        if (r->timer) r->timer->cancel();
        if (r->writer) r->writer->detach_callbacks();
    }
    runners_.clear();
    ticks_.clear();
}

void CheckSet::deliver(const std::string& name, const std::string& type, checks::Outcome outcome,
                       const std::string& status, const std::string& reason) {
    auto& last = last_[name];
    const bool changed = last.status != status;
    last = Last{type, outcome, status, reason};
    if (changed)
        log_.log(outcome == checks::Outcome::ok ? Level::notice : Level::warning,
                 fmt::format("{} {}: {}", type, status, reason),
                 {{"MESSAGE_ID", std::string{systemd::message_id_check_change}},
                  {"HAVIP_CHECK", name},
                  {"HAVIP_REASON", reason}});
    report_(name, outcome, reason);
}

bool CheckSet::start(const config::Config& config) {
    std::set<std::string> tracked;
    for (const auto& i : config.instances)
        for (const auto& t : i.track_scripts) tracked.insert(t.name);
    for (const auto& g : config.sync_groups)
        for (const auto& t : g.track_scripts) tracked.insert(t.name);
    bool ok = true;
    auto alive = alive_;

    for (const auto& s : config.scripts) {
        if (!tracked.count(s.name)) continue;
        checks::ScriptSettings settings;
        settings.name = s.name;
        settings.command.argv = s.script.argv;
        auto user = s.user ? s.user : config.global.script_user;
        auto group = s.user ? s.group : config.global.script_group;
        if (user) {
            auto cred = checks::resolve_credentials(*user, group.value_or(""));
            if (!cred.credentials) {
                log_.log(Level::err, fmt::format("{}:{}:{}: vrrp_script {}: {}", s.where.file,
                                                 s.where.line, s.where.column, s.name, cred.error));
                ok = false;
                continue;
            }
            settings.command.credentials = cred.credentials;
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
                deliver(name, "vrrp_script", good ? checks::Outcome::ok : checks::Outcome::failed,
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
                                              res.success ? checks::Outcome::ok
                                                          : checks::Outcome::failed,
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
        checks::ConnectSettings cs;
        if (m.socket) cs.unix_socket = *m.socket;
        if (m.host) cs.host = m.host->to_string();
        cs.port = static_cast<unsigned>(m.port);
        if (m.option_file) {
            auto creds = checks::read_option_file(*m.option_file);
            if (!creds.credentials) {
                log_.log(Level::err, fmt::format("{}:{}:{}: mysql_check {}: {}", m.where.file,
                                                 m.where.line, m.where.column, m.name, creds.error));
                ok = false;
                continue;
            }
            cs.credentials = *creds.credentials;
        } else {
            cs.credentials.user = m.user.value_or("");
            cs.credentials.password = m.password.value_or("");
        }
        cs.connect_timeout_s = cs.read_timeout_s = cs.write_timeout_s =
            whole_seconds_at_least_one(m.timeout);
        cs.statement_timeout_s = std::chrono::duration<double>(m.timeout).count();

        checks::DecisionSettings ds;
        ds.connection_name = m.connection;
        ds.interval = std::chrono::duration<double>(m.interval);
        if (m.max_lag) {
            ds.lag_warn = std::chrono::duration<double>(*m.max_lag);
            ds.max_lag = std::max(ds.max_lag, 4 * ds.lag_warn);
        }
        ds.manage_read_only = m.manage_read_only;

        auto r = std::make_unique<Runner>();
        auto* runner = r.get();
        const auto path = fmt::format("{}/{}.state", state_directory_, m.name);
        auto loaded = checks::load_history(path);
        if (loaded.error && loaded.error != std::errc::no_such_file_or_directory)
            log_.log(Level::warning, fmt::format("mysql_check history {}: {}", path, loaded.detail),
                     {{"HAVIP_CHECK", m.name}});
        r->history = loaded.history;
        r->writer = std::make_unique<HistoryWriter>(io_, path, [this, path, name = m.name](auto ec) {
            log_.log(Level::warning,
                     fmt::format("cannot save mysql_check history {}: {} (kept in memory)", path,
                                 ec.message()),
                     {{"HAVIP_CHECK", name}});
        });
        r->probe = std::make_unique<checks::MysqlProbe>(io_, cs);
        r->timer = std::make_unique<asio::steady_timer>(io_);
        const auto interval = steady(m.interval), timeout = steady(m.timeout);
        auto tick = std::make_shared<std::function<void()>>();
        *tick = [this, alive, runner, interval, timeout, ds, name = m.name,
                 weak = std::weak_ptr<std::function<void()>>(tick)] {
            if (!*alive) return;
            runner->timer->expires_after(interval);
            if (!runner->in_flight) {
                runner->in_flight = true;
                runner->probe->snapshot(timeout, [this, alive, runner, ds,
                                                  name](const checks::Snapshot& snap) {
                    if (!*alive) return;
                    runner->in_flight = false;
                    const auto role = holds_vip_(name) ? checks::Role::holder
                                                       : checks::Role::standby;
                    auto d = checks::decide(snap, role, runner->history, ds,
                                            checks::WallClock::now());
                    runner->history = d.history;
                    runner->writer->store(d.history);
                    for (const auto& alert : d.alerts)
                        log_.log(Level::warning, alert, {{"HAVIP_CHECK", name}});
                    checks::Outcome outcome = checks::Outcome::ok;
                    switch (d.status) {
                        case checks::Status::healthy: outcome = checks::Outcome::ok; break;
                        case checks::Status::degraded: outcome = checks::Outcome::degraded; break;
                        case checks::Status::unsafe: outcome = checks::Outcome::failed; break;
                        case checks::Status::down: outcome = checks::Outcome::down; break;
                    }
                    deliver(name, "mysql_check", outcome, checks::to_string(d.status), d.reason);
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

    for (auto& r : runners_)
        if (r->script) r->script->start();
    return ok;
}

}  // namespace havip::vrrp
