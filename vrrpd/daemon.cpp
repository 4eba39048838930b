#include "vrrpd/daemon.hpp"

#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "checks/atomic_file.hpp"
#include "config/diagnostic.hpp"
#include "config/load.hpp"
#include "vrrpd/core/dispatch.hpp"
#include "vrrpd/dumps.hpp"
#include "vrrpd/metrics.hpp"
#include "vrrpd/process.hpp"
#include "vrrpd/resolve.hpp"

namespace havip::vrrp {

namespace asio = boost::asio;
using systemd::Level;

namespace {

constexpr int vrrp_receive_buffer = 1 << 20;  // absorbs bursts without dropping adverts

// A dump is a few kilobytes to a local file: written at once, mode 0600 as keepalived's, and
// never through a symlink planted in /tmp.
std::error_code write_file(const std::filesystem::path& path, const std::string& text) {
    ::unlink(path.c_str());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return {errno, std::generic_category()};
    std::size_t done = 0;
    while (done < text.size()) {
        const auto n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::error_code ec{errno, std::generic_category()};
            ::close(fd);
            return ec;
        }
        done += static_cast<std::size_t>(n);
    }
    return ::close(fd) == 0 ? std::error_code{} : std::error_code{errno, std::generic_category()};
}

std::optional<gid_t> group_id(const std::string& name) {
    group grp{};
    group* found = nullptr;
    std::vector<char> buffer(16384);
    if (::getgrnam_r(name.c_str(), &grp, buffer.data(), buffer.size(), &found) != 0 || !found)
        return std::nullopt;
    return found->gr_gid;
}

std::string interface_name(int ifindex) {
    char name[IF_NAMESIZE] = {};
    return ::if_indextoname(static_cast<unsigned>(ifindex), name) ? name
                                                                  : fmt::format("#{}", ifindex);
}

// Whether the interface forwards IPv6 (net.ipv6.conf.IF.forwarding), read as keepalived
// does when it sets an NA's Router flag. Unreadable (no IPv6) reads as no.
bool ipv6_forwarding(const std::string& ifname) {
    std::ifstream in("/proc/sys/net/ipv6/conf/" + ifname + "/forwarding");
    int value = 0;
    return in >> value && value != 0;
}

std::string check_status(const ItemStatus& item) {
    return item.state == ItemState::ok ? "ok" : to_string(item.state);
}

}  // namespace

Daemon::Daemon(asio::io_context& io, systemd::Logger& log, systemd::Notifier& notifier,
               Options options, netlink::RtnlClient rtnl, netlink::Monitor monitor)
    : io_{io},
      log_{log},
      notifier_{notifier},
      options_{std::move(options)},
      rtnl_{std::move(rtnl)},
      monitor_{std::move(monitor)},
      monitor_fd_{io, ::fcntl(monitor_.fd(), F_DUPFD_CLOEXEC, 0)},  // no script inherits it
      signals_{io, SIGHUP, SIGTERM, SIGINT},
      watchdog_timer_{io},
      loader_{io} {
    // keepalived's dump signals must not kill us (their default action) when its tooling
    // sends them; havipd answers them through the control socket instead.
    signals_.add(SIGUSR1);
    signals_.add(SIGUSR2);
    signals_.add(SIGRTMIN + 2);
    switchover_ = std::make_unique<SwitchoverRunner>(
        SwitchoverRunner::Deps{io_, log_,
                               [this](const std::string& name) -> Instance* {
                                   for (auto& i : instances_)
                                       if (i->settings().name == name) return i.get();
                                   return nullptr;
                               },
                               [this] { return checks_.get(); }});
}

Daemon::~Daemon() = default;

std::optional<std::vector<InstanceSettings>> Daemon::resolve(const config::Config& config,
                                                             std::string_view only) {
    ResolveHost host{rtnl_, rtnl_,
                     [](int ifindex) { return ipv6_forwarding(interface_name(ifindex)); }};
    auto resolved = resolve_instances(config, host, only);
    for (const auto& note : resolved.notes) {
        switch (note.kind) {
            case ResolveNote::Kind::error:
                log_.log(Level::err, note.message);
                break;
            case ResolveNote::Kind::warning:
                log_.log(Level::warning, note.message);
                break;
            case ResolveNote::Kind::waiting:
                log_.log(Level::notice, note.message, {{"HAVIP_INSTANCE", std::string{only}}});
                break;
        }
    }
    if (!resolved.ok) return std::nullopt;
    return std::move(resolved.settings);
}

bool Daemon::open_sockets(const std::vector<InstanceSettings>& wanted) {
    std::set<SocketKey> keys;
    for (const auto& s : wanted)
        keys.insert({s.ifindex, s.ipv6});
    bool ok = true;
    for (const auto& key : keys) {
        if (sockets_.count(key)) continue;
        const auto& first = *std::find_if(wanted.begin(), wanted.end(), [&](const auto& s) {
            return s.ifindex == key.ifindex && s.ipv6 == key.ipv6;
        });
        std::error_code ec;
        std::optional<asio::ip::address> group = first.policy.multicast_group;
        auto sock = VrrpSocket::open(io_, key.ipv6, first.ifname, key.ifindex, group, 255,
                                     vrrp_receive_buffer, ec);
        if (!sock) {
            log_.log(Level::err,
                     fmt::format("cannot open the VRRP {} socket on {}: {}",
                                 key.ipv6 ? "IPv6" : "IPv4", first.ifname, ec.message()));
            ok = false;
            continue;
        }
        auto owned = std::make_unique<VrrpSocket>(std::move(*sock));
        owned->start([this, key](const ReceivedPacket& p) { on_packet(key, p); });
        sockets_.emplace(key, std::move(owned));
    }
    for (const auto& s : wanted) {
        for (const auto& [ifindex, link] : s.announce_links) {
            if (announcers_.count(ifindex)) continue;
            auto ps = std::make_unique<PacketSocket>();
            if (auto ec = ps->open(ifindex)) {
                log_.log(Level::err, fmt::format("cannot open the announcement socket on {}: {}",
                                                 interface_name(ifindex), ec.message()));
                ok = false;
                continue;
            }
            announcers_.emplace(ifindex, std::move(ps));
        }
    }
    return ok;
}

void Daemon::join_configured_groups() {
    const auto list = [](const std::set<asio::ip::address>& groups) {
        std::vector<std::string> names;
        for (const auto& g : groups)
            names.push_back(g.to_string());
        return names.empty() ? std::string{"none"} : fmt::format("{}", fmt::join(names, ", "));
    };
    for (auto& [key, sock] : sockets_) {
        // Every group an instance on the interface sends to (vrrp_mcast_group4/6, or its own
        // mcast_dst_ip), so each hears its peers.
        std::set<asio::ip::address> groups;
        std::string ifname;
        for (const auto& i : instances_) {
            const auto& s = i->settings();
            if (s.ifindex != key.ifindex || s.ipv6 != key.ipv6) continue;
            groups.insert(s.policy.multicast_group);
            ifname = s.ifname;
        }
        if (groups.empty() || groups == sock->groups()) continue;
        const auto before = sock->groups();
        if (auto ec = sock->set_groups(groups))
            log_.log(Level::err, fmt::format("cannot join every VRRP group ({}) on {}: {}",
                                             list(groups), ifname, ec.message()));
        else
            log_.log(Level::notice, fmt::format("VRRP groups on {}: {} (were {})", ifname,
                                                list(groups), list(before)));
    }
}

void Daemon::remove_stale_vips(const std::vector<InstanceSettings>& wanted) {
    // A VIP left behind by a killed daemon (ours or keepalived) must not stay up on a node
    // that is not MASTER (keepalived issues #2361, #672): remove configured VIPs at start-up.
    for (const auto& s : wanted) {
        for (const auto* list : {&s.vips, &s.excluded_vips}) {
            for (const auto& vip : *list) {
                auto r = rtnl_.remove(vip);
                if (r && *r == netlink::Change::applied)
                    log_.log(Level::notice,
                             fmt::format("removed stale VIP {}", netlink::to_string(vip)),
                             {{"HAVIP_INSTANCE", s.name}});
            }
        }
    }
}

void Daemon::report_links(Instance& instance) {
    for (int idx : instance.settings().tracked_ifindexes) {
        auto l = rtnl_.link(idx);
        instance.link_state(idx, l && l->up() && l->running());
    }
}

void Daemon::add_instance(InstanceSettings settings) {
    auto key = SocketKey{settings.ifindex, settings.ipv6};
    Instance::Deps deps{io_,
                        log_,
                        rtnl_,
                        sockets_.at(key).get(),
                        [this](int ifindex, std::span<const std::uint8_t> frame) {
                            const auto a = announcers_.find(ifindex);
                            return a == announcers_.end()
                                       ? std::make_error_code(std::errc::no_such_device)
                                       : a->second->send(frame);
                        },
                        [this] {
                            publish_status();
                            if (checks_) checks_->holders_changed();  // manage_read_only
                            save_switchover_holds();                  // a MASTER again has none
                        },
                        {},
                        [this](const Instance& instance, const RivalMaster& rival) {
                            if (!checks_) return;  // partition heal: manage_read_only
                            checks_->rival_master(
                                [&](const std::string& name) {
                                    return instance.tracker().index_of(name).has_value();
                                },
                                rival.source.to_string());
                        }};
    // After the member's own handling, never inside it: the orders re-enter members. The
    // group is the one the member is in when it signals: a reload may change it.
    deps.on_sync = [this](const std::string& group, const SyncSignal& signal) {
        asio::post(io_, [this, group, signal] { sync_group_changed(group, signal); });
    };
    auto instance = std::make_shared<Instance>(std::move(settings), deps);
    report_links(*instance);
    instances_.push_back(std::move(instance));
}

void Daemon::sync_group_changed(const std::string& group, const SyncSignal& signal) {
    std::vector<InstanceCore*> members;
    const Instance* first = nullptr;
    for (auto& i : instances_)
        if (i->settings().sync_group == group) {
            members.push_back(&i->core());
            if (!first) first = i.get();
        }
    if (members.empty()) return;  // removed by a reload meanwhile
    const auto state = route_sync(group, members, signal, Clock::now());
    // The group's own notify hooks, once per group state (keepalived passes "GROUP NAME
    // STATE PRIORITY" to `notify`; a group has no priority: 0).
    auto& last = sync_states_[group];
    if (!state || state == last) return;
    last = state;
    log_.log(Level::notice, fmt::format("sync group {}: {}", group, to_string(*state)),
             {{"HAVIP_SYNC_GROUP", group}});
    // Its members stepped down only to take their VIPs back after Skew_Time: keepalived's
    // set_vrrp_backup marks the group BACKUP without its hooks; MASTER's run when it is back.
    if (signal.retake && *state == State::backup) return;
    const auto& n = first->settings().sync_notify;
    const auto* specific = *state == State::master   ? &n.master
                           : *state == State::backup ? &n.backup
                                                     : &n.fault;
    const char* label = *state == State::master   ? "notify_master"
                        : *state == State::backup ? "notify_backup"
                                                  : "notify_fault";
    run_sync_notify(group, n, *specific, label, std::string{to_string(*state)});
}

void Daemon::regroup(const std::string& group) {
    std::vector<SyncMemberView> views;
    for (const auto& i : instances_)
        if (i->settings().sync_group == group) views.push_back(i->sync_view());
    if (views.empty()) return;
    // A group new to this run (formed or renamed by the reload) is in its members' state
    // already: no transition happened, so its notify hooks do not run for it.
    if (auto& last = sync_states_[group]; !last) last = group_state(views);
    // A member's own fault now faults the others, as after any change of a member.
    const auto& first = views.front();
    sync_group_changed(group, {first.name, SyncSignal::Kind::changed, first.state, first.state});
}

void Daemon::run_sync_notify(const std::string& group, const InstanceSettings::Notify& n,
                             const std::optional<checks::Command>& specific, const char* label,
                             const std::string& state) {
    auto& queue = sync_notify_[group];
    if (!queue)
        queue = std::make_unique<checks::NotifyQueue>(io_, [this, group](const auto& report) {
            log_.log(report.result.success() ? Level::info : Level::warning,
                     fmt::format("sync group {}: {}", group, report.reason),
                     {{"HAVIP_SYNC_GROUP", group}});
        });
    std::vector<checks::NotifyJob> hooks;  // superseded together by a newer state
    if (specific) hooks.push_back({label, *specific});
    if (n.any) {
        auto command = *n.any;
        command.argv.insert(command.argv.end(), {"GROUP", group, state, "0"});
        hooks.push_back({"notify", std::move(command)});
    }
    if (!hooks.empty()) queue->enqueue(std::move(hooks));
}

bool Daemon::start_checks(const config::Config& config) {
    if (checks_) checks_->stop();
    // Before the first probe thread exists (mysql_library_init is not thread-safe).
    if (!config.mysql_checks.empty() && !mysql_library_) mysql_library_.emplace();
    checks_ = std::make_unique<CheckSet>(
        io_, log_, options_.state_directory, history_writer_,
        [this](const std::string& name, Outcome outcome, const std::string& reason) {
            for (auto& i : instances_)
                i->check_result(name, outcome, reason);
            const auto& last = checks_->last();
            const auto it = last.find(name);
            const std::string status = it != last.end() ? it->second.status : "";
            const std::string hold = it != last.end() ? it->second.failback_hold : "";
            for (auto& i : instances_)
                i->failback_hold(name, hold);  // issue 9
            auto& since = check_since_[name];
            if (since.status != status || since.since == WallTime{})
                since = {status, std::chrono::system_clock::now()};
        },
        [this](const std::string& name) {
            return std::any_of(instances_.begin(), instances_.end(), [&](const auto& i) {
                return i->state() == State::master && i->tracker().index_of(name).has_value();
            });
        },
        options_.control_socket);
    return checks_->start(config);
}

// keepalived reads a track file only when an instance tracks it.
void Daemon::watch_track_files(const config::Config& config) {
    std::vector<checks::TrackFileWatcher::File> files;
    for (const auto& f : config.track_files) {
        const bool tracked = std::any_of(instances_.begin(), instances_.end(), [&](const auto& i) {
            return std::any_of(i->settings().track_files.begin(), i->settings().track_files.end(),
                               [&](const auto& t) { return t.name == f.name; });
        });
        if (!tracked) continue;
        files.push_back({f.name, f.file, f.init_file, f.init_overwrite});
    }
    track_files_.reset();
    if (files.empty()) return;
    track_files_ = std::make_unique<checks::TrackFileWatcher>(
        io_, std::move(files),
        [this](const std::string& name, long long value, const std::string& reason) {
            for (auto& i : instances_)
                i->track_file_value(name, value, reason);
        },
        [this](const std::string& message) { log_.log(Level::warning, message); });
    track_files_->start();
}

// Like track files, a vrrp_track_process is watched only when an instance tracks it.
void Daemon::watch_track_processes(const config::Config& config,
                                   checks::TrackProcessWatcher::FirstScan first) {
    std::vector<checks::TrackProcessWatcher::Process> processes;
    for (const auto& p : config.track_processes) {
        const std::string item = "process " + p.name;
        const bool tracked = std::any_of(instances_.begin(), instances_.end(), [&](const auto& i) {
            return i->tracker().index_of(item).has_value();
        });
        if (!tracked) continue;
        checks::TrackProcessWatcher::Process w;
        w.name = p.name;
        w.match.process = p.process;
        w.match.params = p.params;
        if (p.param_match)
            w.match.param_match = *p.param_match == config::ParamMatch::initial
                                      ? checks::ParamMatch::initial
                                      : checks::ParamMatch::partial;
        w.match.full_command = p.full_command;
        w.quorum = p.quorum;
        w.quorum_max = p.quorum_max;
        w.terminate_delay = p.terminate_delay;
        w.fork_delay = p.fork_delay;
        processes.push_back(std::move(w));
    }
    track_processes_.reset();
    if (processes.empty()) return;
    track_processes_ = std::make_unique<checks::TrackProcessWatcher>(
        io_, std::move(processes),
        [this](const std::string& name, bool running, const std::string& reason) {
            for (auto& i : instances_)
                i->check_result("process " + name, running ? Outcome::ok : Outcome::failed,
                                running ? reason : "not running: " + reason);
        },
        [this](const std::string& message) { log_.log(Level::warning, message); });
    track_processes_->start(first);
}

bool Daemon::start(const config::Config& config) {
    router_id_ = config.global.router_id.value_or(short_host_name());
    config_ = std::make_shared<const config::Config>(config);
    auto wanted = resolve(config);
    if (!wanted) return false;
    remove_stale_vips(*wanted);
    if (!open_sockets(*wanted)) return false;
    for (auto& s : *wanted)
        add_instance(std::move(s));
    join_configured_groups();  // instances of one interface may send to different groups
    if (!start_checks(config)) return false;
    watch_track_files(config);
    // Before the loop runs: instances start with every process's state.
    watch_track_processes(config, checks::TrackProcessWatcher::FirstScan::now);
    for (auto& i : instances_)
        i->start();
    restore_switchover_holds();
    watch_netlink();
    watch_signals();
    watch_dog();
    if (const auto& group = config.global.control_group) {
        if (auto gid = group_id(*group)) {
            control_group_ = *gid;
        } else {
            log_.log(Level::err, fmt::format("{}havip_control_group: no group \"{}\"; the "
                                             "control socket stays root only",
                                             where(config.global.control_group_where), *group));
        }
    }
    open_control_socket();
    configure_metrics(config);
    notifier_.ready(status_line());
    log_.log(Level::notice, fmt::format("started: {}", status_line()));
    return true;
}

void Daemon::reload() {
    if (stopping_) return;
    if (reload_running_) {
        reload_again_ = true;  // the file may have changed after it was read: read it again
        return;
    }
    reload_running_ = true;
    notifier_.reloading();
    log_.log(Level::notice, fmt::format("reloading {}", options_.config_file));
    config::LoadOptions lo;
    lo.config_id = options_.config_id.value_or(short_host_name());
    lo.interface_exists = [](std::string_view name) {
        return ::if_nametoindex(std::string{name}.c_str()) != 0;
    };
    lo.refused_scripts_are_errors = false;  // runs without them, as keepalived
    // Off the loop: the adverts go on while the file is read, its users looked up and its
    // scripts checked.
    loader_.run([path = options_.config_file, lo] { return config::load_file(path, lo); },
                [this](config::LoadResult loaded) { reloaded(std::move(loaded)); });
}

void Daemon::reloaded(config::LoadResult loaded) {
    reload_running_ = false;
    if (stopping_) return;
    apply_reload(loaded);
    if (reload_again_) {
        reload_again_ = false;
        reload();
    }
}

void Daemon::apply_reload(config::LoadResult& loaded) {
    for (const auto& d : loaded.diagnostics)
        log_.log(d.severity == config::Severity::error ? Level::err : Level::warning,
                 config::format(d));
    std::optional<std::vector<InstanceSettings>> wanted;
    if (loaded.ok() && loaded.config) wanted = resolve(*loaded.config);
    if (!wanted || !open_sockets(*wanted)) {
        log_.log(Level::err,
                 "reload refused: the new configuration has errors; still running "
                 "the previous one");
        notifier_.ready(status_line());
        return;
    }
    // Instances the reload matches keep their state, VIPs and counters and take their new
    // settings: editing a priority or a VIP list must not move the VIP (vrrpd/core/reload_plan).
    std::vector<RouterKey> running_keys, wanted_keys;
    for (const auto& i : instances_)
        running_keys.push_back(router_key(i->settings()));
    for (const auto& s : *wanted)
        wanted_keys.push_back(router_key(s));
    const auto plan = plan_reload(running_keys, wanted_keys);
    std::vector<std::string> running_groups, wanted_groups;
    for (const auto& i : instances_)
        running_groups.push_back(i->settings().sync_group);
    for (const auto& s : *wanted)
        wanted_groups.push_back(s.sync_group);
    const auto joined = joined_sync_groups(plan, running_groups, wanted_groups);
    std::vector<std::shared_ptr<Instance>> old = instances_, kept;
    for (const auto& k : plan.keep)
        kept.push_back(old[k.running]);
    const std::size_t first_new = kept.size();
    std::size_t changed = 0;
    for (const auto& step : reload_program(plan, joined)) {
        switch (step.kind) {
            case ReloadStep::Kind::list_kept:
                instances_ = kept;
                break;
            case ReloadStep::Kind::stop:
                log_.log(Level::notice, "stopping instance (removed or replaced by the reload)",
                         {{"HAVIP_INSTANCE", old[step.index]->settings().name}});
                old[step.index]->stop();
                old[step.index].reset();
                break;
            case ReloadStep::Kind::release_dropped: {
                // A VIP moved between two kept MASTERs stays on the interface.
                std::vector<KeptVips> kept_vips;
                for (std::size_t k = 0; k < plan.keep.size(); ++k) {
                    const auto& s = (*wanted)[plan.keep[k].wanted];
                    auto& v =
                        kept_vips.emplace_back(KeptVips{kept[k]->state() == State::master, {}});
                    for (const auto* list : {&s.vips, &s.excluded_vips})
                        for (const auto& vip : *list)
                            v.wanted.push_back(netlink::to_string(vip));
                }
                const auto taken_over = vips_taken_over(kept_vips);
                for (std::size_t k = 0; k < plan.keep.size(); ++k)
                    kept[k]->release_dropped_vips(
                        (*wanted)[plan.keep[k].wanted], [&](const netlink::Vip& vip) {
                            return taken_over[k].count(netlink::to_string(vip)) > 0;
                        });
                break;
            }
            case ReloadStep::Kind::reconfigure: {
                auto& s = (*wanted)[plan.keep[step.index].wanted];
                if (!kept[step.index]->settings().same_as(s)) ++changed;
                kept[step.index]->reconfigure(std::move(s));
                break;
            }
            case ReloadStep::Kind::create:
                add_instance(std::move((*wanted)[plan.start[step.index]]));
                break;
            case ReloadStep::Kind::replace_checks:
                router_id_ = loaded.config->global.router_id.value_or(short_host_name());
                config_ = std::make_shared<const config::Config>(*loaded.config);
                switchover_->interrupt("a reload");  // its check set is replaced
                if (!start_checks(*loaded.config))
                    log_.log(Level::err,
                             "reload: some checks cannot run; their instances count them as "
                             "failed until the next good reload");
                watch_track_files(*loaded.config);
                // On the running loop: the first scan too runs in the background.
                watch_track_processes(*loaded.config,
                                      checks::TrackProcessWatcher::FirstScan::background);
                break;
            case ReloadStep::Kind::report_links:
                report_links(*kept[step.index]);  // interfaces the reload added to track_interface
                break;
            case ReloadStep::Kind::sockets:
                // Sockets no instance uses any more; the others receive the group the reload
                // names.
                std::erase_if(sockets_, [&](const auto& kv) {
                    return std::none_of(instances_.begin(), instances_.end(), [&](const auto& i) {
                        return i->settings().ifindex == kv.first.ifindex &&
                               i->settings().ipv6 == kv.first.ipv6;
                    });
                });
                join_configured_groups();
                break;
            case ReloadStep::Kind::start:
                instances_[first_new + step.index]->start();
                break;
            case ReloadStep::Kind::forget_groups:
                // Groups the reload did away with (renamed, say).
                std::erase_if(sync_states_, [&](const auto& kv) {
                    return std::none_of(instances_.begin(), instances_.end(), [&](const auto& i) {
                        return i->settings().sync_group == kv.first;
                    });
                });
                break;
            case ReloadStep::Kind::regroup:
                regroup(step.group);
                break;
        }
    }
    configure_metrics(*loaded.config);
    log_.log(Level::notice,
             fmt::format("reloaded: {} kept, {} started ({} kept with changed settings)", first_new,
                         instances_.size() - first_new, changed));
    notifier_.ready(status_line());
}

void Daemon::stop() {
    if (stopping_) return;
    stopping_ = true;
    notifier_.stopping();
    log_.log(Level::notice, "stopping");
    if (control_) control_->close();
    if (metrics_) metrics_->close();
    switchover_->interrupt("havipd stopping");
    if (checks_) checks_->stop();
    track_files_.reset();  // its pending inotify read would keep the loop alive
    track_processes_.reset();
    // The instances stay until the loop ends: their notify_stop hooks run to completion
    // (bounded by the hook timeout) before havipd exits.
    for (auto& i : instances_)
        i->stop(options_.dont_release_vrrp);
    // Each sync group's notify_stop (and `notify … GROUP NAME STOP 0`) once, after its
    // members' own; like theirs, it runs to completion before havipd exits.
    std::set<std::string> groups;
    for (auto& i : instances_)
        if (const auto& g = i->settings().sync_group; !g.empty() && groups.insert(g).second)
            run_sync_notify(g, i->settings().sync_notify, i->settings().sync_notify.stop,
                            "notify_stop", "STOP");
    for (auto& [key, sock] : sockets_)
        sock->cancel();
    sockets_.clear();
    boost::system::error_code ignored;
    signals_.cancel(ignored);
    monitor_fd_.cancel(ignored);
    watchdog_timer_.cancel();
}

void Daemon::on_packet(const SocketKey& key, const ReceivedPacket& packet) {
    DecodeResult decoded =
        key.ipv6 ? decode_ipv6(packet.bytes, packet.source.to_v6(), packet.destination.to_v6(),
                               static_cast<std::uint8_t>(std::clamp(packet.hop_limit, 0, 255)))
                 : decode_ipv4(packet.bytes);
    if (const auto* error = std::get_if<DecodeError>(&decoded);
        error && *error == DecodeError::checksum_err && !key.ipv6) {
        // Right over the multicast group's pseudo-header? keepalived before 1.3.6 checksums
        // unicast VRRPv3 that way; the instances it is for decide (old_unicast_checksum).
        DecodeOptions old;
        old.accept_v3_ipv4_group_pseudo_header = true;
        const auto again = decode_ipv4(packet.bytes, old);
        if (const auto* advert = std::get_if<Advert>(&again);
            advert && !advert->destination.is_multicast()) {
            for (auto* i : receivers_of(key, *advert))
                i->receive_old_checksum(*advert);
            return;
        }
    }
    if (const auto* error = std::get_if<DecodeError>(&decoded)) {
        // A packet that does not decode has no trustworthy VRID. Charge it to the instances
        // on this socket whose VRID sits where a VRRP header would put it, when the bytes
        // reach that far; otherwise there is no instance to charge and it is dropped.
        if (packet.bytes.empty()) return;
        const std::size_t vrid_at = key.ipv6 ? 1 : (packet.bytes[0] & 0x0fu) * 4u + 1u;
        if (packet.bytes.size() <= vrid_at) return;
        const auto vrid = packet.bytes[vrid_at];
        for (auto& i : instances_)
            if (i->settings().ifindex == key.ifindex && i->settings().ipv6 == key.ipv6 &&
                i->settings().router.vrid == vrid)
                i->reject(*error, packet.source);
        return;
    }
    // Adverts for other VRIDs are not ours: ignored without a counter (RFC 5798 §7.1).
    const auto& advert = std::get<Advert>(decoded);
    for (auto* i : receivers_of(key, advert))
        i->receive(advert);
}

std::vector<Instance*> Daemon::receivers_of(const SocketKey& key, const Advert& advert) {
    std::vector<Instance*> on_socket;
    std::vector<Receiver> views;
    for (auto& i : instances_) {
        const auto& s = i->settings();
        if (s.ifindex != key.ifindex || s.ipv6 != key.ipv6) continue;
        on_socket.push_back(i.get());
        views.push_back({s.router.vrid, !s.policy.unicast_peers.empty(), s.policy.unicast_peers,
                         i->last_advert_source()});
    }
    std::vector<Instance*> out;
    for (const auto index : advert_receivers(views, advert.vrid, advert.source))
        out.push_back(on_socket[index]);
    return out;
}

void Daemon::watch_netlink() {
    monitor_fd_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [this](boost::system::error_code ec) {
                               if (ec) return;
                               for (const auto& e : monitor_.read_ready())
                                   on_netlink_event(e);
                               watch_netlink();
                           });
}

void Daemon::on_netlink_event(const netlink::Event& event) {
    std::visit(
        [this](const auto& e) {
            using T = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<T, netlink::LinkChanged>) {
                for (auto& i : instances_)
                    i->link_state(e.link.ifindex, e.link.up() && e.link.running());
                follow_interfaces({{e.link.name, e.link.ifindex}});  // one of ours back?
            } else if constexpr (std::is_same_v<T, netlink::LinkRemoved>) {
                follow_interfaces({{e.name, e.ifindex}});  // first: FAULT says it was deleted
                for (auto& i : instances_)
                    i->link_state(e.ifindex, false);
            } else if constexpr (std::is_same_v<T, netlink::AddressAdded>) {
                // A re-created interface got the address its instance sends adverts from.
                if (std::any_of(instances_.begin(), instances_.end(),
                                [](const auto& i) { return i->interface_is_lost(); }))
                    follow_interfaces();
            } else if constexpr (std::is_same_v<T, netlink::AddressRemoved>) {
                // Addresses that went with their interface (deleted) were not removed by
                // someone else: the interface's loss is followed by name (follow_interfaces).
                if (!rtnl_.link(e.address.ifindex)) return;
                // Held here: a state change below publishes the status, which reads every
                // instance.
                const auto instances = instances_;
                for (auto& i : instances) {
                    const auto& s = i->settings();
                    if (s.source_chosen && !i->interface_is_lost() &&
                        chosen_source_removed({s.ifindex, s.router.primary_address},
                                              e.address.ifindex, e.address.address))
                        source_removed(*i);
                    i->address_removed(e.address.ifindex, e.address.address);
                }
            } else if constexpr (std::is_same_v<T, netlink::Resync>) {
                resync();
            }
        },
        event);
}

void Daemon::follow_interfaces(std::optional<std::pair<std::string, int>> link) {
    if (!config_ || stopping_) return;
    std::vector<InstanceInterfaces> bound;
    for (const auto& i : instances_) {
        const auto& s = i->settings();
        bound.push_back({{s.ifname, s.ifindex}, i->interface_is_lost(), s.other_interfaces});
    }
    if (link && !concerns(bound, link->first, link->second)) return;
    PresentInterfaces present;
    auto look_up = [&](const std::string& name) {
        if (present.count(name)) return;
        if (auto idx = rtnl_.ifindex(name)) present[name] = *idx;
    };
    for (const auto& b : bound) {
        look_up(b.own.name);
        for (const auto& o : b.others)
            look_up(o.name);
    }
    const auto plan = plan_interfaces(bound, present);
    if (plan.empty()) return;
    // Held here: a state change below publishes the status, which reads every instance.
    const auto instances = instances_;
    for (auto k : plan.lose) {
        const auto& s = instances[k]->settings();
        instances[k]->interface_lost(
            present.count(s.ifname) ? fmt::format("interface {} was replaced", s.ifname)
                                    : fmt::format("interface {} deleted (or renamed)", s.ifname));
    }
    for (auto k : plan.rebind)
        rebind(*instances[k]);
    close_unused_sockets();
}

bool Daemon::rebind(Instance& instance) {
    auto resolved = resolve(*config_, instance.settings().name);
    // E.g. no address on the new interface yet: tried again at the next event.
    if (!resolved || resolved->size() != 1) return false;
    auto s = std::move(resolved->front());
    if (!open_sockets({s})) return false;
    const auto key = SocketKey{s.ifindex, s.ipv6};
    if (s.ifindex != instance.settings().ifindex)
        log_.log(Level::notice,
                 fmt::format("following interface {} (ifindex {} now)", s.ifname, s.ifindex),
                 {{"HAVIP_INSTANCE", s.name}});
    instance.rebind(std::move(s), *sockets_.at(key));
    join_configured_groups();
    report_links(instance);
    return true;
}

void Daemon::source_removed(Instance& instance) {
    const auto old = instance.settings().router.primary_address.to_string();
    if (rebind(instance)) {
        log_.log(Level::notice,
                 fmt::format("advert source {} was removed from {}: sending from {} now", old,
                             instance.settings().ifname,
                             instance.settings().router.primary_address.to_string()),
                 {{"HAVIP_INSTANCE", instance.settings().name}});
        return;
    }
    const auto& s = instance.settings();
    instance.interface_lost(fmt::format("advert source {} was removed from {}", old, s.ifname),
                            "it has an address to send from again");
}

void Daemon::close_unused_sockets() {
    std::set<SocketKey> used;
    std::set<int> announcing;
    for (const auto& i : instances_) {
        if (i->interface_is_lost()) continue;
        used.insert({i->settings().ifindex, i->settings().ipv6});
        for (const auto& [ifindex, link] : i->settings().announce_links)
            announcing.insert(ifindex);
    }
    std::erase_if(sockets_, [&](auto& kv) {
        if (used.count(kv.first)) return false;
        kv.second->cancel();
        return true;
    });
    std::erase_if(announcers_, [&](const auto& kv) { return !announcing.count(kv.first); });
}

void Daemon::resync() {
    // Notifications were lost: rebuild link state and check our VIPs from full dumps.
    log_.log(Level::warning, "netlink notifications lost (ENOBUFS): resynchronising");
    follow_interfaces();
    for (auto& i : instances_)
        report_links(*i);
    auto all = rtnl_.dump_addresses();
    if (!all) return;
    for (auto& i : instances_) {
        if (i->state() != State::master) continue;
        const auto& s = i->settings();
        for (const auto* list : {&s.vips, &s.excluded_vips})
            for (const auto& vip : *list) {
                bool present = std::any_of(all->begin(), all->end(), [&](const auto& a) {
                    return a.ifindex == vip.ifindex && a.address == vip.address;
                });
                // The first one found missing steps the instance down; the others are ignored.
                if (!present) i->address_removed(vip.ifindex, vip.address);
            }
    }
}

void Daemon::watch_signals() {
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            reload();
        } else if (signo == SIGTERM || signo == SIGINT) {
            stop();
            return;
        } else {
            write_dump(signo);
        }
        watch_signals();
    });
}

void Daemon::watch_dog() {
    auto interval = notifier_.watchdog_interval();
    if (!interval) return;
    // Fed from the loop thread only: a stuck loop stops feeding and systemd restarts us.
    notifier_.watchdog();
    watchdog_timer_.expires_after(*interval);
    watchdog_timer_.async_wait([this](boost::system::error_code ec) {
        if (!ec) watch_dog();
    });
}

std::string Daemon::status_line() const {
    std::string out =
        fmt::format("{} instance{}", instances_.size(), instances_.size() == 1 ? "" : "s");
    const char* sep = ": ";
    for (const auto& i : instances_) {
        out += fmt::format("{}{} {}", sep, i->settings().name, to_string(i->state()));
        sep = ", ";
    }
    return out;
}

void Daemon::publish_status() {
    notifier_.status(status_line());
}

}  // namespace havip::vrrp

namespace havip::vrrp {

void Daemon::open_control_socket() {
    ControlSettings settings;
    settings.path = options_.control_socket;
    settings.group = control_group_;
    std::error_code ec;
    std::string detail;
    control_ = ControlSocket::open(
        io_, settings,
        [this](std::string_view line, const Caller& caller) {
            return control_request(line, caller);
        },
        ec, &detail);
    // VRRP matters more than its status: without the socket the daemon still runs.
    if (!control_)
        log_.log(Level::err, fmt::format("control socket {}: {}; `havip status` will not answer",
                                         settings.path, detail.empty() ? ec.message() : detail));
}

nlohmann::json Daemon::control_request(std::string_view line, const Caller& caller) {
    auto answer = plan_request(line, caller, [this] { return snapshot(); });
    if (answer.action && checks_) {
        const auto& a = *answer.action;
        if (a.command == WriteCommand::clear_diverged) {
            checks_->clear_diverged(a.checks);
        } else if (a.command == WriteCommand::promote_force) {
            checks_->promote_force(a.checks, a.by);
        } else if (a.command == WriteCommand::end_hold) {
            for (auto& i : instances_)
                if (i->settings().name == a.instance) i->switchover_hold("");
            save_switchover_holds();
        } else {
            switchover_->start(
                {a.instance, a.checks.front(), a.to, a.dry_run,
                 std::chrono::duration_cast<Duration>(std::chrono::duration<double>(a.timeout_s)),
                 a.by});
            save_switchover_holds();
        }
    }
    if (const auto& audit = answer.audit) {
        std::string checks;
        for (const auto& c : audit->checks)
            checks += (checks.empty() ? "" : ",") + c;
        log_.log(audit->refused ? Level::warning : Level::notice, audit->message,
                 {{"MESSAGE_ID", std::string{systemd::message_id_operator_command}},
                  {"HAVIP_COMMAND", audit->command},
                  {"HAVIP_CALLER_UID", std::to_string(caller.uid)},
                  {"HAVIP_CALLER_PID", std::to_string(caller.pid)},
                  {"HAVIP_INSTANCE", audit->instance},
                  {"HAVIP_CHECK", checks}});
    }
    return answer.reply;
}

void Daemon::configure_metrics(const config::Config& config) {
    const auto& listen = config.global.metrics_listen;
    if (!listen) {
        metrics_.reset();
        return;
    }
    const asio::ip::tcp::endpoint endpoint{listen->address, listen->port};
    if (metrics_ && metrics_->local_endpoint() == endpoint) return;
    metrics_.reset();  // a moved listener releases its old port first
    MetricsSettings settings;
    settings.endpoint = endpoint;
    std::error_code ec;
    metrics_ = MetricsServer::open(
        io_, settings, [this] { return format_metrics(snapshot()); }, ec);
    // Like the control socket: VRRP runs on without its metrics.
    if (!metrics_) {
        const auto address = listen->address.is_v6() ? "[" + listen->address.to_string() + "]"
                                                     : listen->address.to_string();
        log_.log(Level::err, fmt::format("{}havip_metrics_listen {}:{}: {}", where(listen->where),
                                         address, listen->port, ec.message()));
    }
}

void Daemon::write_dump(int signo) {
    const auto paths = dump_paths(options_.dump_dir);
    const auto snap = snapshot();
    std::filesystem::path path;
    std::string text;
    if (signo == SIGUSR1) {
        path = paths.data;
        text = format_data_dump(snap);
    } else if (signo == SIGUSR2) {
        path = paths.stats;
        text = format_stats_dump(snap);
    } else {
        path = paths.json;
        text = format_json_dump(snap);
    }
    if (auto ec = write_file(path, text))
        log_.log(Level::err, fmt::format("cannot write {}: {}", path.string(), ec.message()));
    else
        log_.log(Level::info, fmt::format("wrote {}", path.string()));
}

void Daemon::restore_switchover_holds() {
    const auto path = std::filesystem::path(options_.state_directory) / "switchover-hold";
    std::ifstream in(path);  // a small regular file in root's state directory
    if (!in) return;
    const auto holds = nlohmann::json::parse(in, nullptr, false);
    if (!holds.is_object()) {
        log_.log(Level::warning,
                 fmt::format("{}: not a JSON object; no switchover hold restored", path.string()));
        return;
    }
    constexpr std::string_view restored = " (restored at start)";
    for (auto& i : instances_)
        if (auto it = holds.find(i->settings().name);
            it != holds.end() && it->is_string() && i->state() != State::master) {
            auto hold = it->get<std::string>();
            if (!hold.ends_with(restored)) hold += restored;
            i->switchover_hold(hold);
        }
    save_switchover_holds();
}

void Daemon::save_switchover_holds() {
    std::map<std::string, std::string> holds;
    for (const auto& i : instances_)
        if (const auto& h = i->switchover_hold()) holds[i->settings().name] = *h;
    if (holds == saved_holds_) return;
    saved_holds_ = holds;
    const auto path = std::filesystem::path(options_.state_directory) / "switchover-hold";
    std::error_code ec;
    if (holds.empty()) {
        std::filesystem::remove(path, ec);
    } else {
        // Small and rare (a switchover): written on the loop, not made durable.
        ec = checks::write_file_atomically(path.string(), nlohmann::json(holds).dump() + "\n", 0600,
                                           false);
    }
    if (ec)
        log_.log(Level::warning, fmt::format("cannot write {}: {}; a restart of havipd forgets "
                                             "the switchover hold",
                                             path.string(), ec.message()));
}

StatusSnapshot Daemon::snapshot() const {
    StatusSnapshot out;
    out.now = std::chrono::system_clock::now();
    out.daemon_version = HAVIP_VERSION;
    out.pid = static_cast<int>(::getpid());
    out.router_id = router_id_;
    for (const auto& i : instances_) {
        const auto& s = i->settings();
        InstanceSnapshot is;
        is.name = s.name;
        is.state = i->state();
        is.vrid = s.router.vrid;
        is.interface = s.ifname;
        is.version = s.router.version == ProtocolVersion::v3 ? 3 : 2;
        is.priority = s.router.priority;
        is.effective_priority = i->tracker().effective_priority();
        for (const auto& v : s.vips) {
            const auto ifname = v.ifindex == s.ifindex ? s.ifname : interface_name(v.ifindex);
            is.vips.push_back({v.address.to_string(), v.prefix_len, ifname});
        }
        if (i->state() == State::master)
            is.master_ip = s.router.primary_address.to_string();
        else if (auto m = i->router().master_address())
            is.master_ip = m->to_string();
        if (!s.sync_group.empty()) is.sync_group = s.sync_group;
        if (const auto& t = i->last_transition())
            is.last_transition = TransitionSnapshot{t->time, t->from, t->to, t->reason};
        for (const auto& item : i->tracker().items()) {
            CheckSnapshot c;
            c.name = item.settings.name;
            c.status = check_status(item);
            c.reason = item.reason;
            if (c.name.starts_with("interface ")) {
                c.type = "interface";
            } else if (c.name.starts_with("process ")) {
                c.type = "track_process";
            } else if (c.name.starts_with("file ")) {
                c.type = "track_file";
            } else if (checks_) {
                if (auto it = checks_->last().find(c.name); it != checks_->last().end()) {
                    c.type = it->second.type;
                    c.status = it->second.status;
                    if (c.reason.empty()) c.reason = it->second.reason;
                    c.read_only_action = it->second.action;
                    c.promote_failure = it->second.promote_failure;
                    c.diverged = it->second.diverged;
                    c.forced = it->second.forced;
                    c.term = it->second.term;
                    c.peer_term = it->second.peer_term;
                    c.rejoin = it->second.rejoin;
                    c.rejoins_started = it->second.rejoins_started;
                    c.rejoins_succeeded = it->second.rejoins_succeeded;
                    c.rejoins_failed = it->second.rejoins_failed;
                    c.rejoins_deferred = it->second.rejoins_deferred;
                    c.rejoins_flashback = it->second.rejoins_flashback;
                    c.rejoins_reseed = it->second.rejoins_reseed;
                }
                if (auto it = check_since_.find(c.name); it != check_since_.end())
                    c.since = it->second.since;
                if (auto facts = checks_->switchover_facts(c.name))
                    c.manage_read_only = facts->manage_read_only;
            }
            is.checks.push_back(std::move(c));
        }
        for (const auto& d : s.disabled_checks)
            is.checks.push_back({d.name, "vrrp_script", "disabled", d.reason, std::nullopt, ""});
        is.switchover_hold = i->switchover_hold().value_or("");
        is.switchover = switchover_->snapshot(s.name);
        if (auto it = switchover_->counts().find(s.name); it != switchover_->counts().end())
            is.switchovers = it->second;
        const auto& st = i->stats();
        auto& o = is.stats;
        o.advert_rcvd = st.advert_rcvd;
        o.advert_sent = st.advert_sent;
        o.become_master = st.become_master;
        o.release_master = st.release_master;
        o.pri_zero_rcvd = st.pri_zero_rcvd;
        o.pri_zero_sent = st.pri_zero_sent;
        o.packet_len_err = st.of(DecodeError::packet_len_err);
        o.ip_ttl_err = st.of(DecodeError::ip_ttl_err);
        o.invalid_type_rcvd = st.of(DecodeError::invalid_type_rcvd);
        o.advert_interval_err = st.of(DecodeError::advert_interval_err);
        o.addr_list_err = st.of(DecodeError::addr_list_err);
        o.invalid_authtype = st.of(DecodeError::invalid_authtype);
        o.authtype_mismatch = st.of(DecodeError::authtype_mismatch);
        o.auth_failure = st.of(DecodeError::auth_failure);
        for (auto e : {DecodeError::version_err, DecodeError::checksum_err,
                       DecodeError::ip_header_err, DecodeError::ip_protocol_err,
                       DecodeError::destination_err, DecodeError::unicast_src_err})
            o.extra[std::string(counter_name(e))] = st.of(e);
        o.extra["send_err"] = st.send_err;
        is.notify = {i->notify_queue().pending(), i->notify_queue().superseded(),
                     i->notify_queue().dropped()};
        const auto& retries = i->vip_retries();
        const auto now_steady = Clock::now();
        for (const auto& [vip, r] : retries.pending())
            is.vip_retries.push_back({vip, std::string{to_string(r.op)}, r.failures, r.error,
                                      std::max(Duration{0}, Duration{r.next - now_steady})});
        is.vip_add_failures = retries.failures(VipOp::add);
        is.vip_remove_failures = retries.failures(VipOp::remove);
        const auto j = i->jitter().summary();
        is.jitter = {j.p50, j.p99, j.max, j.samples};
        is.source_ip = s.router.primary_address.to_string();
        for (const auto& d : s.destinations)
            is.destinations.push_back(d.to_string());
        is.unicast = !s.policy.unicast_peers.empty();
        is.advert_interval = s.router.advertisement_interval;
        is.preempt = s.router.preempt;
        is.preempt_delay = s.router.preempt_delay;
        is.auth_pass = s.policy.auth_type == AuthType::simple_text;
        if (is.auth_pass) {
            const auto& p = s.policy.password;
            is.password.assign(p.begin(), std::find(p.begin(), p.end(), std::uint8_t{0}));
        }
        is.garp_delay = s.announce.master_delay;
        is.garp_repeat = s.announce.master_repeat;
        is.garp_refresh = s.announce.master_refresh;
        is.garp_refresh_repeat = s.announce.refresh_repeat;
        is.garp_lower_prio_delay = s.announce.lower_prio_delay;
        is.garp_lower_prio_repeat = s.announce.lower_prio_repeat;
        is.track_primary = !s.tracks.empty() && s.tracks.front().name == "interface " + s.ifname;
        out.instances.push_back(std::move(is));
    }
    return out;
}

}  // namespace havip::vrrp
