// The checks the instances track: vrrp_script, tcp_check and mysql_check runners built from
// the configuration, each result routed to every instance that tracks the check. Checks run
// off the advert path (child processes, async connects, the mysql worker thread); their
// deadlines are timers on the loop.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "checks/history_writer.hpp"
#include "checks/mysql_actions.hpp"
#include "checks/mysql_decision.hpp"
#include "config/model.hpp"
#include "systemd/log.hpp"
#include "vrrpd/core/read_only_role.hpp"
#include "vrrpd/core/track.hpp"

namespace havip::vrrp {

class CheckSet {
  public:
    // Where results go: the check's name, its verdict and a reason a person understands.
    using Report =
        std::function<void(const std::string& name, Outcome outcome, const std::string& reason)>;
    // Whether an instance tracking `name` holds the VIP (mysql_check judges the holder and
    // the standby differently).
    using HoldsVip = std::function<bool(const std::string& name)>;

    // control_socket: havipd's, passed to `havip rejoin` so it clears the latch when done.
    // history: the daemon's writer of mysql_check histories, which outlives this check set so
    // that a check removed and added back by reloads writes its file in order.
    CheckSet(boost::asio::io_context& io, systemd::Logger& log, std::string state_directory,
             checks::HistoryWriter& history, Report report, HoldsVip holds_vip,
             std::string control_socket = {});
    ~CheckSet();
    CheckSet(const CheckSet&) = delete;
    CheckSet& operator=(const CheckSet&) = delete;

    // Builds and starts a runner for every check some instance tracks. False (logged) when a
    // check cannot run — an unknown user, an unreadable option file: refusing to start beats
    // running an instance with no health check, which is what keepalived does.
    bool start(const config::Config& config);
    void stop();

    // An instance changed state. For each mysql_check with manage_read_only whose "an instance
    // tracking it is MASTER" changed, promote (wait for the relay log, read_only=0) or demote
    // (read_only=1 with a lock-wait bound) on the check's worker, never on the loop.
    void holders_changed();

    // Partition heal (Router's RivalMaster): an instance heard a lower-priority master at
    // `rival` while MASTER itself. Each mysql_check with manage_read_only that `tracks` and that
    // is writable goes read_only=1, then promotes again, fencing the rival first, so what the
    // rival accepted while we were apart is applied here before we are writable again. Deferred
    // while a snapshot runs, skipped while a promote/demote runs (that one fences or demotes
    // anyway), and at most once a second per check: a rival that never yields must not toggle
    // us at every advert.
    void rival_master(const std::function<bool(const std::string&)>& tracks,
                      const std::string& rival);

    // Operator commands from the control socket (vrrpd/control_command): change the named
    // mysql_checks' history — forget the diverged latch, or make an unsafe verdict count as
    // healthy by decision of `by` — save it, and probe again at once so status shows the result
    // without a restart.
    void clear_diverged(const std::vector<std::string>& names);
    void promote_force(const std::vector<std::string>& names, const std::string& by);

    // `havip switchover` holds writes off (the server stays read-only although the instance is
    // MASTER: the switchover sets read_only itself) and releases them (writable again at once
    // if the instance is MASTER, by the usual promote).
    void hold_writes(const std::string& name, bool hold);
    // Runs `job` for a switchover on a worker of the check's own (a connection to its server
    // with the check's login; `connect_peer` logs in on the peer as the fence does), bounded by
    // `deadline`; `done(completed)` on the loop. False: no such mysql_check.
    using SwitchoverJob =
        std::function<void(checks::MysqlConnection& local, const checks::PeerConnector& peer)>;
    bool run_switchover_job(const std::string& name, SwitchoverJob job,
                            std::chrono::steady_clock::duration deadline,
                            std::function<void(bool completed)> done);
    // What a switchover needs to know of a mysql_check; nothing for an unknown check.
    struct SwitchoverFacts {
        bool manage_read_only = false;
        std::string connection_name;
        std::optional<std::uint32_t> peer_server_id;
        std::optional<bool> writable;          // as the last promote/demote left it
        std::optional<bool> semi_sync_master;  // demote also switches the master side off
    };
    std::optional<SwitchoverFacts> switchover_facts(const std::string& name) const;

    // The last verdict of each check, for status output.
    struct Last {
        std::string type;  // "vrrp_script", "tcp_check", "mysql_check"
        Outcome outcome = Outcome::ok;
        std::string status;  // healthy / degraded / unsafe / down, or ok / failed
        std::string reason;
        std::string action;  // manage_read_only: the last promote/demote and how it ended
        // manage_read_only: the last failed promote while promotes fail in a row (a demote
        // after it replaces `action`); empty once one succeeds.
        std::string promote_failure;
        // mysql_check on a standby that is not caught up: why a BACKUP tracking it must not
        // preempt a live master yet (Instance::failback_hold). Empty: no objection.
        std::string failback_hold;
        bool diverged = false;  // mysql_check: latched diverged
        bool forced = false;    // mysql_check: eligible by operator decision
        // mysql_check: the highest term in this node's data (nullopt: none recorded or not
        // readable), and the peer's, read while the two nodes' data differ.
        std::optional<std::uint64_t> term{}, peer_term{};
        // mysql_check auto_rejoin: running now, or the last run's result; and the counts.
        std::string rejoin;
        std::uint64_t rejoins_started = 0, rejoins_succeeded = 0, rejoins_failed = 0;
        std::uint64_t rejoins_deferred = 0;
        std::uint64_t rejoins_flashback = 0, rejoins_reseed = 0;  // succeeded, by method
    };
    const std::map<std::string, Last>& last() const { return last_; }

  private:
    struct Runner;
    void deliver(const std::string& name, const std::string& type, Outcome outcome,
                 const std::string& status, const std::string& reason,
                 const std::string& failback_hold = {});
    // mysql_check: starts the next job on the worker (an owed promote/demote, else a snapshot).
    void poll_mysql(Runner& runner);
    void take_mysql_snapshot(Runner& runner);
    // A promote, a demote or the partition-heal re-fence (read_only=1, then promote) against
    // the rival pending in the runner's role, on the check's worker.
    void run_read_only_action(Runner& runner, ReadOnlyRole::Action action);
    // What the runner's role owes, if anything and no job is running (vrrpd/core/read_only_role).
    void run_owed_action(Runner& runner);
    // START SLAVE IO_THREAD on the worker, at most once a second (Decision::restart_io).
    void restart_io(Runner& runner);
    void ask_peer_term(Runner& runner, const checks::PeerAddress& at);
    void judge_mysql(Runner& runner, const checks::Snapshot& snapshot);
    // mysql_check: the VIP is (or is no longer) on an instance tracking the runner's check.
    void note_holder(Runner& runner, bool holds);
    // Hands the runner's history to the writer (never waits for the disk).
    void save_history(Runner& runner);
    // Applies `change` to the history of each named mysql_check, saves it, probes again.
    void operator_change(const std::vector<std::string>& names,
                         const std::function<void(checks::History&)>& change);
    // auto_rejoin: starts `havip rejoin` as a child when the check is latched diverged here and
    // this node does not hold the VIP (checks/auto_rejoin); never waits for it.
    void maybe_rejoin(Runner& runner, bool diverged, bool holder);
    void rejoin_status(Runner& runner);

    boost::asio::io_context& io_;
    systemd::Logger& log_;
    std::string state_directory_;
    checks::HistoryWriter& history_;
    std::string control_socket_;
    Report report_;
    HoldsVip holds_vip_;
    std::vector<std::unique_ptr<Runner>> runners_;
    // The periodic tasks of tcp_check and mysql_check; their timer waits hold weak references.
    std::vector<std::shared_ptr<std::function<void()>>> ticks_;
    std::map<std::string, Last> last_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace havip::vrrp
