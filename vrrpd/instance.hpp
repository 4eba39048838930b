// One vrrp_instance at run time: binds the pure state machine (vrrpd/core/fsm) to Asio timers,
// the shared VRRP socket of its interface, rtnetlink for its VIPs, the packet socket for its
// announcements, and the tracker of what it watches. Everything runs on the daemon's one
// io_context thread; nothing here may block it.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "checks/notify.hpp"
#include "netlink/address_control.hpp"
#include "netlink/vip.hpp"
#include "systemd/log.hpp"
#include "vrrpd/core/announce.hpp"
#include "vrrpd/core/fsm.hpp"
#include "vrrpd/core/instance_core.hpp"
#include "vrrpd/core/interface_binding.hpp"
#include "vrrpd/core/packet.hpp"
#include "vrrpd/core/packet_validate.hpp"
#include "vrrpd/core/reload_plan.hpp"
#include "vrrpd/core/sync_group.hpp"
#include "vrrpd/core/track.hpp"
#include "vrrpd/core/vip_removal.hpp"
#include "vrrpd/core/vip_retry.hpp"
#include "vrrpd/packet_socket.hpp"
#include "vrrpd/vrrp_socket.hpp"

namespace havip::vrrp {

// What one instance runs with, resolved from the configuration and the interfaces.
struct InstanceSettings {
    std::string name;
    std::string ifname;
    int ifindex = 0;
    bool ipv6 = false;
    RouterConfig router;  // primary_address: the advert source
    // The interface chose the advert source (no mcast_src_ip or unicast_src_ip): removed from
    // it, the instance is resolved again (chosen_source_removed).
    bool source_chosen = false;
    ReceivePolicy policy;                     // what a received advert must satisfy
    std::vector<netlink::Vip> vips;           // advertised, of the instance's family
    std::vector<netlink::Vip> excluded_vips;  // virtual_ipaddress_excluded: raised, not advertised
    // VIPs and excluded VIPs marked `no_track`: removed by someone else, they are left so.
    std::vector<HeldAddress> untracked_vips;
    std::vector<boost::asio::ip::address> destinations;  // the multicast group, or unicast peers
    // keepalived's old_unicast_checksum, for unicast VRRPv3 over IPv4 (never otherwise): the
    // checksum over the multicast group's pseudo-header that keepalived before 1.3.6 sent.
    // automatic: switch to it on an advert that carries it; always: send it from the start.
    enum class OldChecksum { never, automatic, always };
    OldChecksum old_checksum = OldChecksum::never;
    MacAddress mac{};  // the interface's
    // Every interface a VIP or excluded VIP is raised on: announcements go out there.
    std::map<int, AnnounceLink> announce_links;
    AnnounceSettings announce;
    // Everything the instance's priority depends on, in one tracker: interfaces first
    // (named "interface IF"), then checks (by their configured name).
    std::vector<TrackSettings> tracks;
    std::vector<int> tracked_ifindexes;  // parallel to the interface items of `tracks`
    // Every other interface the instance resolved by name (track_interface, a VIP's `dev`),
    // with the ifindex it got: followed by name when re-created (vrrpd/core/interface_binding).
    std::vector<BoundInterface> other_interfaces;
    // vrrp_scripts the instance names in track_script that script security refused: not
    // tracked (keepalived removes them), but shown in status as "disabled" with the reason.
    struct DisabledCheck {
        std::string name;
        std::string reason;
        bool operator==(const DisabledCheck&) const = default;
    };
    std::vector<DisabledCheck> disabled_checks;
    // track_file items (named "file NAME" in `tracks`): the file's value times this weight
    // becomes the item's contribution (checks/track_file.hpp).
    struct TrackedFile {
        std::string name;  // the track_file block
        int weight = 1;
        bool reverse = false;
    };
    std::vector<TrackedFile> track_files;
    // keepalived's notify hooks: notify_master/backup/fault/stop run as written; `notify`
    // gets "INSTANCE NAME STATE PRIORITY" appended.
    struct Notify {
        std::optional<checks::Command> master, backup, fault, stop, any;
    } notify;
    // The vrrp_sync_group this instance changes state with ("" for none; a group of one is
    // none), and the group's own notify hooks (run once per group state change).
    std::string sync_group;
    Notify sync_notify;

    // Whether a reload may keep the running instance as it is.
    bool same_as(const InstanceSettings& other) const;
};

// What a reload matches a running instance on (vrrpd/core/reload_plan.hpp).
RouterKey router_key(const InstanceSettings& settings);

// keepalived's vrrp_statistics counter names, plus havip's for the rules keepalived checks
// without counting (see DecodeError).
struct InstanceStats {
    std::uint64_t advert_rcvd = 0;
    std::uint64_t advert_sent = 0;
    std::uint64_t become_master = 0;
    std::uint64_t release_master = 0;
    std::uint64_t pri_zero_rcvd = 0;
    std::uint64_t pri_zero_sent = 0;
    std::uint64_t send_err = 0;
    std::array<std::uint64_t, all_decode_errors.size()> rejected{};

    std::uint64_t& of(DecodeError e) { return rejected[static_cast<std::size_t>(e)]; }
    std::uint64_t of(DecodeError e) const { return rejected[static_cast<std::size_t>(e)]; }
};

// The last state change, for `havip status`.
struct Transition {
    std::chrono::system_clock::time_point time;
    State from = State::init;
    State to = State::init;
    std::string reason;
};

// How late adverts leave compared with their deadline: the last `capacity` samples.
// The slot advert timers are rounded up to (Instance::arm), so instances share wake-ups.
inline constexpr std::chrono::milliseconds advert_slot{5};

class SendJitter {
  public:
    // 256 samples: enough for a p99, covering the last 25 s at 100 ms adverts. Each is kept in
    // whole microseconds in 16 bits (512 bytes an instance, not 2 KiB: 380 KiB less RSS at 255
    // instances), so p50 and p99 saturate at 65.535 ms; max is exact.
    static constexpr std::size_t capacity = 256;
    void record(Duration late);
    struct Summary {
        Duration p50{0}, p99{0}, max{0};
        std::size_t samples = 0;
    };
    Summary summary() const;

  private:
    std::array<std::uint16_t, capacity> samples_{};  // microseconds
    std::size_t next_ = 0;
    std::size_t count_ = 0;
    Duration max_{0};  // since start, not just the window
};

class Instance : public std::enable_shared_from_this<Instance> {
  public:
    struct Deps {
        boost::asio::io_context& io;
        systemd::Logger& log;
        netlink::AddressControl& addresses;
        // The VRRP socket of its interface; null while the interface is gone.
        VrrpSocket* socket;
        // Sends an announcement frame on the interface with this ifindex.
        std::function<std::error_code(int ifindex, std::span<const std::uint8_t>)> announce;
        // Called after every state change, e.g. to update the daemon's STATUS=.
        std::function<void()> on_state_change;
        // Sync group members: every state change and every wish for MASTER, for the group the
        // instance is in now (vrrpd/core/sync_group.hpp; a reload may move it to another).
        // Called from inside the instance: defer what it triggers.
        std::function<void(const std::string& group, const SyncSignal&)> on_sync;
        // As MASTER we answered a master we outrank (Router's RivalMaster): a partition healed
        // with both of us MASTER. manage_read_only re-fences (CheckSet::rival_master).
        std::function<void(const Instance&, const RivalMaster&)> on_rival_master;
    };

    Instance(InstanceSettings settings, Deps deps);
    ~Instance();
    Instance(const Instance&) = delete;
    Instance& operator=(const Instance&) = delete;

    // Enters BACKUP (or MASTER as address owner, or FAULT when a tracked item is down).
    void start();
    // A reload changed the settings of this running instance (router_key): it keeps its
    // state, timers, counters and what its tracked items last said, and takes the new
    // settings — no transition, no priority-0 advert (as keepalived). A MASTER adds and
    // removes the VIPs the reload added and removed, and announces the added ones.
    void reconfigure(InstanceSettings next);
    // A reload's first phase, on every kept instance before any takes its new settings: a
    // MASTER lets go of the VIPs `next` no longer lists, so one dropped by a reload that also
    // faults this instance does not stay behind. It removes them from the interface, except
    // those `taken_over` says another kept MASTER lists now: those stay where they are, and
    // the address never goes (removed here and added there, its RTM_DELADDR would reach the
    // new owner after its add, as a VIP removed by someone else).
    void release_dropped_vips(const InstanceSettings& next,
                              const std::function<bool(const netlink::Vip&)>& taken_over);
    // The instance's interface was deleted (or replaced by a new one of the same name): FAULT
    // with `reason`, as keepalived; a MASTER sends priority 0 and releases its VIPs, then the
    // socket on the dead interface is no longer used. Ends with rebind().
    void interface_lost(const std::string& reason,
                        std::string_view until = "an interface of that name is back");
    bool interface_is_lost() const { return core_.interface_is_lost(); }
    // Resolved again on the interfaces of the same names as they are now (new ifindexes, MAC,
    // source address), on `socket` opened there: as reconfigure(), and a lost interface is
    // back. The daemon reports the new links' state right after (link_state).
    void rebind(InstanceSettings next, VrrpSocket& socket);
    // keepalived's stop: a MASTER sends priority 0 and removes its VIPs (unless `keep_vips`,
    // -V). Synchronous: when it returns the advert has been handed to the kernel.
    void stop(bool keep_vips = false);

    // A structurally valid advert for our VRID arrived on our socket.
    void receive(const Advert& advert);
    // A packet for our VRID failed decoding (the rule it broke).
    void reject(DecodeError error, const boost::asio::ip::address& source);
    // An advert whose checksum is right only over the multicast group's pseudo-header (a
    // keepalived before 1.3.6 on unicast): taken, and from now on answered in that form, unless
    // old_unicast_checksum says never (then rejected as a checksum error, as keepalived does).
    void receive_old_checksum(const Advert& advert);
    bool sends_old_checksum() const { return old_checksum_active_; }
    // Where the last advert it took came from: tells unicast instances sharing a VRID apart.
    const std::optional<boost::asio::ip::address>& last_advert_source() const {
        return last_advert_source_;
    }

    // Interface state from the netlink monitor (tracked interfaces only).
    void link_state(int ifindex, bool running);
    // An address disappeared from one of our interfaces (netlink monitor): a MASTER losing one
    // of its VIPs or excluded VIPs, unless no_track (vrrpd/core/vip_removal), steps down with
    // priority 0 and takes them back after Skew_Time; its sync group retakes with it.
    void address_removed(int ifindex, const boost::asio::ip::address& address);
    // A tracked check reported (checks/).
    void check_result(const std::string& name, Outcome outcome, std::string reason);
    // A track_file's value was read (at start-up or after the file was written).
    void track_file_value(const std::string& name, long long value, const std::string& reason);
    // A tracked mysql_check says this node's database is not caught up (`reason`) or is
    // again (empty): while any tracked check objects, the router does not preempt a live
    // lower-priority master (PreemptHold). Logged when the hold starts and ends.
    void failback_hold(const std::string& name, const std::string& reason);
    // `havip switchover`: a MASTER hands the VIPs to its peer (priority 0, then BACKUP; with
    // nobody taking over it becomes MASTER again after Master_Down_Interval) and holds
    // preemption with `hold` (the why, for status) so it does not take them straight back.
    void hand_over(const std::string& reason, const std::string& hold);
    // Sets the switchover hold (restored from the state directory) or ends it (empty). It also
    // ends when the instance next becomes MASTER.
    void switchover_hold(const std::string& hold);
    const std::optional<std::string>& switchover_hold() const { return core_.switchover_hold(); }
    SyncMemberView sync_view() const { return core_.sync_view(); }
    // Its decisions (route_sync hands the group's orders to the members' cores).
    InstanceCore& core() { return core_; }

    const InstanceSettings& settings() const { return settings_; }
    const InstanceStats& stats() const { return stats_; }
    State state() const { return core_.state(); }
    const Router& router() const { return core_.router(); }
    const Tracker& tracker() const { return core_.tracker(); }
    const std::optional<Transition>& last_transition() const { return last_transition_; }
    const SendJitter& jitter() const { return jitter_; }
    const checks::NotifyQueue& notify_queue() const { return notify_queue_; }
    // VIP adds and removes that failed and are being retried.
    const VipRetries& vip_retries() const { return vip_retries_; }

  private:
    // reconfigure() and rebind(): the new settings in place, logging `changed_note` if any
    // setting differs; returns the old ones.
    InstanceSettings adopt(InstanceSettings next, std::string_view changed_note);
    // After the core took the new settings: a MASTER removes the VIPs `before` had and the
    // new settings do not, adds the new ones and announces them.
    void update_vips(const InstanceSettings& before);
    void handle(const Event& event);
    void apply(const Actions& actions);
    void apply(const Action& action);
    void send_advert(std::uint8_t priority);
    void arm(TimerId which, TimePoint deadline);
    void add_vips();
    void remove_vips();
    // Adds or removes one VIP; a failure is retried with backoff (vrrpd/core/vip_retry).
    void change_vip(const netlink::Vip& vip, VipOp op);
    void arm_vip_retry();
    void retry_vips();
    // The announcements after becoming MASTER, or after hearing a lower-priority master.
    void start_announcements(bool lower_priority = false);
    void announce_burst(unsigned count);
    void schedule_announcements(std::size_t next_burst, Clock::time_point start);
    void run_notify(State to);
    std::vector<systemd::Field> fields() const;
    void log(systemd::Level level, const std::string& message,
             std::initializer_list<systemd::Field> extra = {});

    InstanceSettings settings_;
    Deps deps_;
    InstanceCore core_;
    InstanceStats stats_;
    std::optional<Transition> last_transition_;
    SendJitter jitter_;
    boost::asio::steady_timer master_down_timer_;
    boost::asio::steady_timer adver_timer_;
    boost::asio::steady_timer announce_timer_;
    boost::asio::steady_timer vip_retry_timer_;
    VipRetries vip_retries_;
    std::map<std::string, netlink::Vip> retry_targets_;  // by the retry's key
    checks::NotifyQueue notify_queue_;
    AnnounceSchedule announce_schedule_;
    AnnounceSchedule lower_priority_schedule_;    // after hearing a lower-priority master
    bool announcing_lower_priority_ = false;      // which of the two runs
    std::vector<AnnounceFrame> announce_frames_;  // one per VIP and excluded VIP
    // Rate limit of "rejected advert" log lines: at most one per rule per 10 s, with a count.
    std::array<Clock::time_point, all_decode_errors.size()> last_reject_log_{};
    std::array<std::uint64_t, all_decode_errors.size()> reject_suppressed_{};
    struct EncodedAdverts {
        std::uint8_t priority = 0;
        std::vector<Bytes> payloads;  // one per settings_.destinations entry; empty: unencodable
    };
    std::optional<boost::asio::ip::address> last_advert_source_;
    bool old_checksum_active_ = false;  // sending keepalived < 1.3.6's unicast checksum
    std::optional<EncodedAdverts> sent_payloads_;
};

}  // namespace havip::vrrp
