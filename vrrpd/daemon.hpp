// The havipd daemon: owns the io_context's work — VRRP sockets per interface, the netlink
// monitor, the instances, their checks, signals (HUP reload, TERM/INT stop) and the
// systemd protocol. Built in main and run on one thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "checks/background.hpp"
#include "checks/history_writer.hpp"
#include "checks/mysql_client.hpp"
#include "checks/track_file.hpp"
#include "checks/track_process.hpp"
#include "config/load.hpp"
#include "config/model.hpp"
#include "netlink/monitor.hpp"
#include "netlink/rtnl_client.hpp"
#include "systemd/log.hpp"
#include "systemd/notify.hpp"
#include "vrrpd/check_set.hpp"
#include "vrrpd/control_socket.hpp"
#include "vrrpd/instance.hpp"
#include "vrrpd/metrics_server.hpp"
#include "vrrpd/options.hpp"
#include "vrrpd/packet_socket.hpp"
#include "vrrpd/status.hpp"
#include "vrrpd/switchover_run.hpp"
#include "vrrpd/vrrp_socket.hpp"

namespace havip::vrrp {

class Daemon {
  public:
    Daemon(boost::asio::io_context& io, systemd::Logger& log, systemd::Notifier& notifier,
           Options options, netlink::RtnlClient rtnl, netlink::Monitor monitor);
    ~Daemon();

    // Brings up every instance of `config`. False (and logged) when it cannot run it.
    bool start(const config::Config& config);
    // Re-reads the configuration file off the loop, then applies it on the loop; on any
    // error keeps running the old one.
    void reload();
    // Every MASTER sends priority 0 and removes its VIPs; then the io_context runs out.
    void stop();

    // "2 instances: VI_1 MASTER, VI_2 BACKUP": systemd's STATUS= line.
    std::string status_line() const;
    // Everything `havip status` and the dump files show, read from the running instances.
    StatusSnapshot snapshot() const;

  private:
    // One raw socket per interface and family, shared by its instances, multicast and
    // unicast alike (a raw socket sees every VRRP packet the interface receives).
    struct SocketKey {
        int ifindex;
        bool ipv6;
        auto operator<=>(const SocketKey&) const = default;
    };

    // The instances' settings from the interfaces as they are now; nullopt (and logged) when
    // one cannot run. With `only`, just that instance, whose interface came back
    // (follow_interfaces): a tracked interface still missing is tracked as down instead.
    std::optional<std::vector<InstanceSettings>> resolve(const config::Config& config,
                                                         std::string_view only = {});
    // Interfaces followed by name (vrrpd/core/interface_binding): after a link or address event,
    // instances whose interface is gone go to FAULT, and those whose interfaces are back
    // under a new ifindex are resolved again and moved onto them.
    // With an event's link (name, ifindex), only when it concerns an instance.
    void follow_interfaces(std::optional<std::pair<std::string, int>> link = std::nullopt);
    bool rebind(Instance& instance);
    // The address the instance's interface chose for its adverts was removed: it is resolved
    // again (sending from the address there is now), or is in FAULT until one is added.
    void source_removed(Instance& instance);
    // Closes the VRRP and announcement sockets no bound instance uses any more.
    void close_unused_sockets();
    bool open_sockets(const std::vector<InstanceSettings>& wanted);
    void remove_stale_vips(const std::vector<InstanceSettings>& wanted);
    // Each VRRP socket receives the multicast group its instances advertise to (a reload may
    // have changed vrrp_mcast_group4/6): joins the new one, leaves the old one.
    void join_configured_groups();
    void add_instance(InstanceSettings settings);
    bool start_checks(const config::Config& config);
    // The loaded file of a reload, on the loop: applied unless it has errors.
    void reloaded(config::LoadResult loaded);
    void apply_reload(config::LoadResult& loaded);
    // A member of `group` changed (Instance::Deps::on_sync): the group follows (sync_group.hpp).
    void sync_group_changed(const std::string& group, const SyncSignal& signal);
    // A reload put kept instances in `group` (joined_sync_groups): the group takes them as
    // they are, then judges their faults.
    void regroup(const std::string& group);
    // Runs a sync group's hook for `state` and its `notify` with "GROUP NAME STATE 0".
    void run_sync_notify(const std::string& group, const InstanceSettings::Notify& notify,
                         const std::optional<checks::Command>& specific, const char* label,
                         const std::string& state);
    void watch_track_files(const config::Config& config);
    void watch_track_processes(const config::Config& config,
                               checks::TrackProcessWatcher::FirstScan first);
    void report_links(Instance& instance);
    void on_packet(const SocketKey& key, const ReceivedPacket& packet);
    // The instances on that socket the advert is for (vrrpd/core/dispatch.hpp).
    std::vector<Instance*> receivers_of(const SocketKey& key, const Advert& advert);
    void watch_netlink();
    void on_netlink_event(const netlink::Event& event);
    void resync();
    void watch_signals();
    void watch_dog();
    void publish_status();
    // The instances' switchover holds, in <state dir>/switchover-hold: restored at start, so a
    // restarted old master does not preempt; written when they change.
    void restore_switchover_holds();
    void save_switchover_holds();
    void open_control_socket();
    // One control request: status, or an operator's write command (executed on the checks and
    // audited in the journal with MESSAGE_ID message_id_operator_command).
    nlohmann::json control_request(std::string_view line, const Caller& caller);
    // The Prometheus listener of `havip_metrics_listen`: opened, moved or closed to match.
    void configure_metrics(const config::Config& config);
    // keepalived's USR1 / USR2 / RTMIN+2 dump files (vrrpd/dumps.hpp).
    void write_dump(int signo);

    boost::asio::io_context& io_;
    systemd::Logger& log_;
    systemd::Notifier& notifier_;
    Options options_;
    netlink::RtnlClient rtnl_;
    netlink::Monitor monitor_;
    boost::asio::posix::stream_descriptor monitor_fd_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer watchdog_timer_;
    std::map<SocketKey, std::unique_ptr<VrrpSocket>> sockets_;
    std::map<int, std::unique_ptr<PacketSocket>> announcers_;  // by ifindex
    std::vector<std::shared_ptr<Instance>> instances_;
    // The configuration running now, for resolving an instance again (follow_interfaces).
    std::shared_ptr<const config::Config> config_;
    // libmariadb initialised only once a mysql_check is configured: its OpenSSL set-up costs
    // ~2.3 MB of RSS a daemon without one should not pay. Declared before checks_ so the
    // probes' threads are gone before it ends.
    std::optional<checks::MysqlLibrary> mysql_library_;
    // Before checks_, so it outlives every CheckSet: it writes the last histories when the
    // daemon ends, after the loop.
    checks::HistoryWriter history_writer_;
    std::unique_ptr<CheckSet> checks_;
    std::unique_ptr<SwitchoverRunner> switchover_;
    // The switchover holds as last written to <state dir>/switchover-hold (by instance).
    std::map<std::string, std::string> saved_holds_;
    std::unique_ptr<checks::TrackFileWatcher> track_files_;
    std::unique_ptr<checks::TrackProcessWatcher> track_processes_;
    bool stopping_ = false;
    // A reload reads, parses and validates the file here: validation looks user names up
    // (NSS, which may wait seconds on LDAP or sssd) and stats every script.
    checks::Background loader_;
    bool reload_running_ = false;
    bool reload_again_ = false;  // a SIGHUP came while a reload was loading
    std::unique_ptr<ControlSocket> control_;
    std::optional<gid_t> control_group_;  // havip_control_group, resolved at start
    std::unique_ptr<MetricsServer> metrics_;
    std::string router_id_;
    // When each check's status last changed, for `havip status` ("since").
    struct CheckSince {
        std::string status;
        WallTime since;
    };
    std::map<std::string, CheckSince> check_since_;
    // vrrp_sync_group: the last state each group announced, and its notify hooks' queue.
    std::map<std::string, std::optional<State>> sync_states_;
    std::map<std::string, std::unique_ptr<checks::NotifyQueue>> sync_notify_;
};

}  // namespace havip::vrrp
