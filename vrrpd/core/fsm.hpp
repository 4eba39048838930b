// The VRRP state machine (RFC 5798 §6.4, RFC 9568 §6.4, keepalived's choices where they
// differ) as a pure function: Router::handle(event, now) -> actions.
//
// The Router owns no timer and does no I/O. It returns "arm timer X at deadline D" and the
// caller delivers "timer X fired" when D is reached; sending, VIP changes and announcements are
// likewise returned as actions, in the order they must be executed.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/container/small_vector.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "vrrpd/core/timers.hpp"

namespace havip::vrrp {

// RFC 5798 §6.4 states. FAULT is keepalived's: a tracked item failed, the router neither
// listens nor advertises.
enum class State : std::uint8_t { init, backup, master, fault };

// "INIT", "BACKUP", "MASTER", "FAULT" (keepalived's spelling, used by notify scripts too).
std::string_view to_string(State state);

// The timers the caller runs on the Router's behalf (RFC 5798 §6.2).
enum class TimerId : std::uint8_t {
    master_down,  // Master_Down_Timer
    adver,        // Adver_Timer
};

std::string_view to_string(TimerId which);

// Priority 255 is reserved for the router that owns the virtual addresses (RFC 5798 §5.2.4).
inline constexpr std::uint8_t owner_priority = 255;

// Static configuration of one virtual router.
struct RouterConfig {
    std::uint8_t vrid = 1;
    std::uint8_t priority = 100;                    // base Priority; 255 = address owner
    ProtocolVersion version = ProtocolVersion::v2;  // keepalived's vrrp_version default
    Duration advertisement_interval = std::chrono::seconds{1};  // Advertisement_Interval
    bool preempt = true;                                        // Preempt_Mode
    // keepalived's preempt_delay: how long a starting backup still accepts a lower-priority
    // master before preempting it. Zero = off.
    Duration preempt_delay{0};
    unsigned down_timer_adverts = default_down_timer_adverts;
    // The address our adverts come from; compared with a peer master's for the tie-break.
    boost::asio::ip::address primary_address;
    // A member of a vrrp_sync_group: when its Master_Down_Timer expires it does not take over
    // alone but says it wants to (SyncWantsMaster); the group makes every member MASTER
    // (SyncMaster) once all want it, as keepalived does.
    bool sync_group = false;
};

// The RFC 5798 §6.1 variables, as currently in force.
struct RfcVariables {
    std::uint8_t priority = 100;         // Priority (the effective one)
    Duration advertisement_interval{0};  // Advertisement_Interval
    Duration master_adver_interval{0};   // Master_Adver_Interval (v3: learnt from the master)
    Duration skew_time{0};               // Skew_Time
    Duration master_down_interval{0};    // Master_Down_Interval
    bool preempt_mode = true;            // Preempt_Mode
};

// ---- Events -------------------------------------------------------------------------------

struct Startup {};
struct Shutdown {};
// A validated advert for our VRID from another router (the caller drops our own).
struct AdvertReceived {
    std::uint8_t priority = 0;
    Duration max_adver_int{0};  // v3 Max Adver Int, already converted from centiseconds
    boost::asio::ip::address source;
};
struct MasterDownTimerFired {};
struct AdverTimerFired {};
struct PriorityChanged {
    std::uint8_t effective_priority = 0;
};
struct FaultRaised {
    std::string reason;
};
struct FaultCleared {};
// A VIP was removed by someone else while we are MASTER: keepalived steps down with priority 0
// and takes the VIPs back after its own Skew_Time (keepalived_netlink.c set_vrrp_backup).
struct VipsLostExternally {};
// Failback gating (issue 9): while held, a BACKUP does not preempt a living lower-priority
// master — its adverts are accepted and the Master_Down_Timer restarts, as for a
// non-preempting backup — because what the VIP fronts (a database that has not applied
// everything its peer wrote) is not ready here. Takeover when the master goes silent or
// sends priority 0 is not affected: the hold only stops us from displacing a live master.
struct PreemptHold {
    bool held = false;
};

// vrrp_sync_group: every member wants MASTER, or another member became MASTER; a BACKUP
// becomes MASTER now.
struct SyncMaster {
    std::string reason;
};
// vrrp_sync_group: another member left MASTER for BACKUP; a MASTER follows (and sends
// priority 0, so its peer takes over after Skew_Time rather than a Master_Down_Interval).
struct SyncBackup {
    std::string reason;
};
// vrrp_sync_group: another member lost a VIP to someone else and is taking it back: a MASTER
// does as if it had lost one itself (priority 0, VIPs released, Master_Down_Timer at its
// Skew_Time), so the whole group retakes its VIPs on this node before any peer's skew runs
// out, rather than failing over (keepalived's set_vrrp_backup handles the group's masters so).
struct SyncRetake {
    std::string reason;
};

// A planned switchover (`havip switchover`): a MASTER hands the VIPs to its peer — priority 0,
// so the peer takes over after its Skew_Time, and BACKUP with a full Master_Down_Timer, so
// that if no peer takes over we become MASTER again by ourselves. The caller holds preemption
// (PreemptHold) so that we do not take the VIPs straight back from a lower-priority peer.
// The addresses stay until the new master's second advert (or until this router leaves
// BACKUP): until its gratuitous ARP / NA (sent before its first advert) the clients' caches
// point here, and a connection attempt answered by the read-only server fails at once where
// one to a removed address waits out TCP's 1 s SYN retransmission; for one more advert
// interval the answers to what clients sent before they moved can still leave from the VIP.
struct HandOver {
    std::string reason;
};

// A reload changed this router's configuration but not what it is (VRID, family, interface:
// keepalived's match): it keeps its state and timers and takes the new settings, with no
// transition and no priority-0 advert, as keepalived does. A MASTER's next advert carries the
// new priority and leaves within the new interval.
struct Reconfigure {
    RouterConfig config;
    std::uint8_t effective_priority = 0;  // config.priority with the tracked adjustments
};

using Event = std::variant<Startup, Shutdown, AdvertReceived, MasterDownTimerFired, AdverTimerFired,
                           PriorityChanged, FaultRaised, FaultCleared, VipsLostExternally,
                           PreemptHold, SyncMaster, SyncBackup, SyncRetake, HandOver, Reconfigure>;

// ---- Actions ------------------------------------------------------------------------------

struct SendAdvert {
    std::uint8_t priority = 0;
};
// (Re)arm: an armed timer gets the new deadline; the old one must not fire.
struct ArmTimer {
    TimerId which = TimerId::master_down;
    TimePoint deadline;
};
struct CancelTimer {
    TimerId which = TimerId::master_down;
};
struct AddVips {};
struct RemoveVips {};
// Gratuitous ARP / unsolicited NA burst for the VIPs.
struct Announce {
    // Heard a lower-priority master (garp_lower_prio_*), rather than became MASTER.
    bool lower_priority = false;
};
struct StateChanged {
    State from = State::init;
    State to = State::init;
    std::string reason;  // short and human: "master down timer expired"
    // MASTER -> BACKUP only to take the VIPs back after Skew_Time (VipsLostExternally,
    // SyncRetake): a sync group retakes with this member instead of following it to BACKUP.
    bool retake = false;
};

// A sync group member's Master_Down_Timer expired: it would take over, and waits for its group.
struct SyncWantsMaster {};

// As MASTER we heard another master that we outrank (lower priority, or equal priority and a
// lower address): the two of us were apart and both took over, and we stay MASTER (RFC 9568
// §6.4.3). What the VIP fronts may have taken writes on both sides meanwhile; the caller
// reconciles (manage_read_only fences the rival and waits for its writes).
struct RivalMaster {
    boost::asio::ip::address source;
    std::uint8_t priority = 0;
};

using Action = std::variant<SendAdvert, ArmTimer, CancelTimer, AddVips, RemoveVips, Announce,
                            StateChanged, SyncWantsMaster, RivalMaster>;
using Actions = boost::container::small_vector<Action, 6>;

// One line per action for logs and tests: "send advert priority 100",
// "arm master_down at 3.609375s" (deadline since the clock's epoch), "state BACKUP -> MASTER
// (master down timer expired)".
std::string describe(const Action& action);

// ---- The state machine --------------------------------------------------------------------

class Router {
  public:
    explicit Router(RouterConfig config);

    // Applies one event at time `now` and returns what the caller must do, in order.
    // Timer-fired events for a timer that is not armed, or delivered before its deadline
    // (a wait that completed just before a re-arm), are ignored.
    Actions handle(const Event& event, TimePoint now);

    State state() const { return state_; }
    const RouterConfig& config() const { return config_; }
    const RfcVariables& variables() const { return vars_; }
    bool fault_active() const { return fault_.has_value(); }
    bool preempt_held() const { return preempt_held_; }
    // A sync group member in BACKUP whose down timer expired with no master heard since.
    bool wants_master() const { return wants_master_; }
    // Deadline of an armed timer, or nothing.
    std::optional<TimePoint> deadline(TimerId which) const;
    // The master we last accepted an advert from (BACKUP), ourselves as MASTER.
    std::optional<boost::asio::ip::address> master_address() const { return master_address_; }

  private:
    void on_startup(TimePoint now, Actions& out);
    void on_shutdown(Actions& out);
    void on_advert(const AdvertReceived& advert, TimePoint now, Actions& out);
    void on_advert_backup(const AdvertReceived& advert, TimePoint now, Actions& out);
    void on_advert_master(const AdvertReceived& advert, TimePoint now, Actions& out);
    void on_master_down_fired(TimePoint now, Actions& out);
    void on_adver_fired(TimePoint now, Actions& out);
    void on_priority_changed(const PriorityChanged& change, TimePoint now, Actions& out);
    void on_reconfigure(const Reconfigure& change, TimePoint now, Actions& out);
    void on_fault_raised(const FaultRaised& fault, Actions& out);
    void on_fault_cleared(TimePoint now, Actions& out);
    void on_vips_lost(TimePoint now, Actions& out);
    // MASTER -> BACKUP with priority 0 and the VIPs released, back after Skew_Time.
    void retake_after_skew(std::string reason, TimePoint now, Actions& out);

    // Entering BACKUP or MASTER from INIT/FAULT (RFC 5798 §6.4.1).
    void start_up(std::string reason, TimePoint now, Actions& out);
    void become_master(std::string reason, TimePoint now, Actions& out);
    void become_backup(std::string reason, TimePoint now, Actions& out, bool keep_vips = false);
    void change_state(State to, std::string reason, Actions& out, bool retake = false);

    void arm(TimerId which, TimePoint deadline, Actions& out);
    void cancel(TimerId which, Actions& out);
    void cancel_all(Actions& out);
    bool due(TimerId which, TimePoint now) const;

    // Recomputes Skew_Time and Master_Down_Interval from Priority and Master_Adver_Interval.
    void recompute_intervals();
    bool is_owner() const { return config_.priority == owner_priority; }
    bool preempt_delay_running(TimePoint now) const;

    RouterConfig config_;
    RfcVariables vars_;
    State state_ = State::init;
    std::optional<std::string> fault_;  // reason of the fault in force
    std::optional<TimePoint> master_down_deadline_;
    std::optional<TimePoint> adver_deadline_;
    // End of the preempt_delay window, once started (at start-up or the first lower advert).
    std::optional<TimePoint> preempt_until_;
    std::optional<boost::asio::ip::address> master_address_;
    bool preempt_held_ = false;  // PreemptHold in force
    bool wants_master_ = false;  // see wants_master()
    // BACKUP after a HandOver: the new master's adverts still to hear before the VIPs go.
    int vips_kept_ = 0;
    // Why the master-down timer is running, for the StateChanged reason when it expires.
    std::string down_timer_reason_;
};

}  // namespace havip::vrrp
