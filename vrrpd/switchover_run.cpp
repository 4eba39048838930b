#include "vrrpd/switchover_run.hpp"

#include <fmt/format.h>

namespace havip::vrrp {

namespace asio = boost::asio;
using systemd::Level;

struct SwitchoverRunner::Running {
    SwitchoverRequest request;
    Switchover plan;
    WallTime started;
    checks::SwitchoverSettings db;
    std::optional<checks::SwitchoverTarget> target;
    asio::steady_timer timer;
    std::uint64_t job = 0;  // the step's job: a late answer of an earlier one is ignored
};

SwitchoverRunner::SwitchoverRunner(Deps deps) : deps_{std::move(deps)} {}

SwitchoverRunner::~SwitchoverRunner() = default;

void SwitchoverRunner::start(SwitchoverRequest request) {
    if (running_) return;
    Instance* instance = deps_.instance(request.instance);
    SwitchoverSettings settings;
    settings.timeout = request.timeout;
    settings.dry_run = request.dry_run;
    if (instance) {
        // The peer's Skew_Time and a few of its adverts; nobody taking over shows as our own
        // Master_Down_Timer making us MASTER again, which ends the step earlier.
        const auto& v = instance->router().variables();
        settings.hand_over_bound = v.master_down_interval + std::chrono::seconds(2);
        settings.roll_back_bound = v.master_down_interval + std::chrono::seconds(20);
    }
    running_ = std::unique_ptr<Running>(new Running{request,
                                                    Switchover(settings, Clock::now()),
                                                    std::chrono::system_clock::now(),
                                                    {},
                                                    std::nullopt,
                                                    asio::steady_timer(deps_.io),
                                                    0});
    auto& db = running_->db;
    if (auto* checks = deps_.checks())
        if (auto facts = checks->switchover_facts(request.check)) {
            db.connection_name = facts->connection_name;
            db.target_server_id = facts->peer_server_id;
        }
    db.target_host = request.to;
    deps_.log.log(Level::notice,
                  fmt::format("switchover of {} started by {}{}{}", request.instance, request.by,
                              request.to ? " to " + *request.to : std::string{},
                              request.dry_run ? " (dry run)" : ""),
                  {{"MESSAGE_ID", std::string{systemd::message_id_switchover}},
                   {"HAVIP_INSTANCE", request.instance},
                   {"HAVIP_CHECK", request.check}});
    run_step();
}

void SwitchoverRunner::run_step() {
    auto& r = *running_;
    ++r.job;
    Instance* instance = deps_.instance(r.request.instance);
    CheckSet* checks = deps_.checks();
    const auto step = r.plan.step();
    if (!instance || !checks) {
        ended(false, "the instance or its checks are gone (a reload?)");
        return;
    }
    switch (step) {
        case SwitchoverStep::preflight:
            if (instance->state() != State::master)
                return ended(false, fmt::format("{} is {} here, not MASTER", r.request.instance,
                                                to_string(instance->state())));
            return database_step(step);
        case SwitchoverStep::read_only:
            // The check stops making the server writable; the switchover's own connection sets
            // read_only=1 (bounded by its lock wait) and, when a lock keeps it from that, lists
            // the sessions that may hold it.
            checks->hold_writes(r.request.check, true);
            return database_step(step);
        case SwitchoverStep::catch_up:
        case SwitchoverStep::target_writable:
            return database_step(step);
        case SwitchoverStep::hand_over: {
            const auto hold =
                fmt::format("handed the VIP to {} at {} (switchover by {})",
                            r.target ? r.target->host : std::string{"the peer"},
                            format_time(std::chrono::system_clock::now()), r.request.by);
            instance->hand_over(fmt::format("switchover to {}",
                                            r.target ? r.target->host : std::string{"the peer"}),
                                hold);
            return watch_hand_over();
        }
        case SwitchoverStep::roll_back:
            // The hold ends: a MASTER is writable again at once; a BACKUP (nobody took the VIP)
            // becomes MASTER by its own Master_Down_Timer and is promoted then.
            instance->switchover_hold("");
            checks->hold_writes(r.request.check, false);
            return watch_roll_back();
    }
}

void SwitchoverRunner::database_step(SwitchoverStep step) {
    auto& r = *running_;
    const auto budget = r.plan.budget(Clock::now());
    const double seconds = std::chrono::duration<double>(budget).count();
    struct Answer {
        checks::ActionResult result;
        std::optional<checks::SwitchoverTarget> target;
    };
    auto answer = std::make_shared<Answer>();
    const auto db = r.db;
    const auto target = r.target;
    std::optional<bool> semi_sync;
    if (auto facts = deps_.checks()->switchover_facts(r.request.check))
        semi_sync = facts->semi_sync_master;
    CheckSet::SwitchoverJob job = [step, answer, db, target, seconds, semi_sync](
                                      checks::MysqlConnection& local,
                                      const checks::PeerConnector& peer) {
        if (step != SwitchoverStep::target_writable) {
            if (auto e = local.ensure_connected()) {
                answer->result.steps.push_back(
                    {"connect to this node's server", false, e->describe()});
                return;
            }
        }
        if (step == SwitchoverStep::preflight) {
            auto p = checks::switchover_preflight(local, db, peer);
            answer->result = std::move(p.result);
            answer->target = p.target;
        } else if (step == SwitchoverStep::read_only) {
            answer->result = checks::demote(local, semi_sync);
            auto& last = answer->result.steps.back();
            if (answer->result.ok)
                last.detail = "read_only=1: no new write commits";
            else
                last.detail += "; " + checks::blocking_sessions(local);
        } else if (step == SwitchoverStep::catch_up) {
            answer->result = checks::switchover_catch_up(local, *target, db, peer,
                                                         std::chrono::duration<double>(seconds));
        } else {
            answer->result = checks::switchover_target_writable(
                *target, db, peer, std::chrono::duration<double>(seconds));
        }
    };
    // The worker's own bound a little past the budget: the steps bound their waits themselves.
    const auto deadline = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        budget + std::chrono::seconds(4));
    const bool started = deps_.checks()->run_switchover_job(
        r.request.check, std::move(job), deadline,
        [this, alive = alive_, answer, job = r.job](bool completed) {
            if (!*alive || !running_ || running_->job != job) return;
            if (!completed) return ended(false, "no answer within the step's bound");
            const auto& steps = answer->result.steps;
            if (answer->target) running_->target = answer->target;
            std::string detail;
            if (steps.empty())
                detail = "nothing done";
            else if (answer->result.ok)
                detail = steps.back().detail;
            else
                detail = fmt::format("{}: {}", steps.back().description, steps.back().detail);
            ended(answer->result.ok, detail);
        });
    if (!started) ended(false, fmt::format("no mysql_check {}", r.request.check));
}

void SwitchoverRunner::watch_hand_over() {
    auto& current = *running_;
    current.timer.expires_after(std::chrono::milliseconds(20));
    current.timer.async_wait([this, alive = alive_,
                              job = current.job](boost::system::error_code ec) {
        if (ec || !*alive || !running_ || running_->job != job) return;
        auto& r = *running_;
        Instance* instance = deps_.instance(r.request.instance);
        if (!instance) return ended(false, "the instance is gone (a reload?)");
        const auto master = instance->router().master_address();
        if (instance->state() == State::master)
            return ended(false, "nobody took the VIP: this node is MASTER again");
        if (instance->state() == State::backup && master)
            return ended(true, fmt::format("{} is MASTER", master->to_string()));
        if (r.plan.budget(Clock::now()) <= Duration{0})
            return ended(
                false,
                fmt::format(
                    "no peer MASTER heard within {:.1f} s",
                    std::chrono::duration<double>(Clock::now() - r.plan.step_started()).count()));
        watch_hand_over();
    });
}

void SwitchoverRunner::watch_roll_back() {
    auto& current = *running_;
    current.timer.expires_after(std::chrono::milliseconds(50));
    current.timer.async_wait([this, alive = alive_,
                              job = current.job](boost::system::error_code ec) {
        if (ec || !*alive || !running_ || running_->job != job) return;
        auto& r = *running_;
        Instance* instance = deps_.instance(r.request.instance);
        CheckSet* checks = deps_.checks();
        const auto facts = checks ? checks->switchover_facts(r.request.check) : std::nullopt;
        if (!instance || !facts) return ended(false, "the instance or its check is gone");
        if (instance->state() == State::master && facts->writable == true)
            return ended(true, "this node is MASTER and writable again");
        if (instance->state() == State::backup && instance->router().master_address() &&
            r.plan.records().back().step == SwitchoverStep::target_writable)
            // The peer holds the VIP and stays read-only; with the hold ended a higher priority
            // here preempts it. Nothing more to wait for.
            return ended(true, fmt::format("the hold is ended; {} holds the VIP",
                                           instance->router().master_address()->to_string()));
        if (r.plan.budget(Clock::now()) <= Duration{0})
            return ended(false, fmt::format("this node is {} and {}", to_string(instance->state()),
                                            facts->writable == true ? "writable" : "not writable"));
        watch_roll_back();
    });
}

void SwitchoverRunner::ended(bool ok, std::string detail) {
    auto& r = *running_;
    const auto step = r.plan.step();
    const auto took =
        std::chrono::duration<double, std::milli>(Clock::now() - r.plan.step_started());
    deps_.log.log(ok ? Level::notice : Level::warning,
                  fmt::format("switchover of {}: {} {} in {:.0f} ms: {}", r.request.instance,
                              to_string(step), ok ? "done" : "failed", took.count(), detail),
                  {{"HAVIP_INSTANCE", r.request.instance},
                   {"HAVIP_STEP", std::string{to_string(step)}},
                   {"HAVIP_STEP_MS", fmt::format("{:.0f}", took.count())}});
    r.plan.ended(ok, std::move(detail), Clock::now());
    if (r.plan.finished()) return finish();
    run_step();
}

void SwitchoverRunner::finish(bool release_writes) {
    auto& r = *running_;
    // The check decides read_only again: a MASTER (rolled back) is made writable, a BACKUP
    // (handed over) stays read-only.
    if (auto* checks = deps_.checks(); checks && release_writes)
        checks->hold_writes(r.request.check, false);
    const auto result = std::string{to_string(r.plan.result())};
    ++counts_[r.request.instance][result];
    const bool ok = r.plan.result() == SwitchoverResult::switched ||
                    r.plan.result() == SwitchoverResult::dry_run;
    deps_.log.log(ok ? Level::notice : Level::warning,
                  fmt::format("switchover of {} {}", r.request.instance, r.plan.summary()),
                  {{"MESSAGE_ID", std::string{systemd::message_id_switchover}},
                   {"HAVIP_INSTANCE", r.request.instance},
                   {"HAVIP_RESULT", result}});
    r.timer.cancel();
    last_[r.request.instance] = describe(r);
    running_.reset();
}

void SwitchoverRunner::interrupt(const std::string& why) {
    if (!running_) return;
    auto& r = *running_;
    r.plan.ended(false, fmt::format("interrupted by {}", why), Clock::now());
    if (!r.plan.finished())  // in roll_back now: nothing more runs
        r.plan.ended(true, "the new configuration decides read_only", Clock::now());
    // The check set under it is replaced (reload) or stopped: releasing the writes there would
    // start a promote on the way out — in a stopping havipd, one that still writes a term on
    // this server after the peer has taken over.
    finish(false);
}

std::optional<SwitchoverSnapshot> SwitchoverRunner::snapshot(const std::string& instance) const {
    if (running_ && running_->request.instance == instance) return describe(*running_);
    if (auto it = last_.find(instance); it != last_.end()) return it->second;
    return std::nullopt;
}

SwitchoverSnapshot SwitchoverRunner::describe(const Running& r) const {
    SwitchoverSnapshot s;
    s.running = !r.plan.finished();
    s.step = std::string{to_string(r.plan.step())};
    s.result = std::string{to_string(r.plan.result())};
    s.summary = r.plan.summary();
    s.target = r.target ? r.target->where() : std::string{};
    s.by = r.request.by;
    s.started = r.started;
    for (const auto& rec : r.plan.records())
        s.steps.push_back({std::string{to_string(rec.step)}, rec.ok, rec.detail,
                           std::chrono::duration<double, std::milli>(rec.took).count()});
    return s;
}

}  // namespace havip::vrrp
