#include "config/validate.hpp"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>
#include <tuple>

#include <fmt/format.h>

#include "config/parser.hpp"
#include "config/script_security.hpp"

namespace havip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string_view family_name(Family family) {
    return family == Family::ipv4 ? "IPv4" : "IPv6";
}
Family family_of(const IpAddress& address) {
    return address.is_v4() ? Family::ipv4 : Family::ipv6;
}

class Validator {
  public:
    Validator(Config& config, const LoadOptions& options, Diagnostics& diagnostics)
        : c_(config), o_(options), d_(diagnostics) {}

    void run() {
        for (auto& script : c_.scripts)
            check_command(script.script, fmt::format("vrrp_script \"{}\"", script.name),
                          script.user, script.group, &script.name);
        for (auto& instance : c_.instances)
            complete_instance(instance);
        duplicate_router_ids();
        duplicate_addresses();
        for (auto& group : c_.sync_groups)
            sync_group(group);
    }

  private:
    void interface_exists(const std::string& name, const SourceLocation& where) {
        if (!o_.interface_exists || name.empty() || o_.interface_exists(name)) return;
        d_.error(where, fmt::format("interface \"{}\" does not exist", name));
    }

    // keepalived resolves the program through PATH and, when it is missing or not
    // executable, disables the check with one log line: the instance then runs with no health
    // check at all. Here that is an error.
    void check_command(Command& command, std::string_view owner,
                       const std::optional<std::string>& own_user,
                       const std::optional<std::string>& own_group,
                       const std::string* track_script = nullptr) {
        const auto& g = c_.global;
        if (!o_.check_scripts) {
            // Nothing is looked up: the user the configuration names, else the daemon's own.
            const auto run_as = choose_run_as(own_user, own_group, g.script_user,
                                              g.script_group, false, false);
            command.run_user = run_as->user;
            command.run_group = run_as->group;
        }
        if (!c_.global.enable_script_security) {
            d_.warning(command.where,
                       fmt::format("{} runs without enable_script_security in global_defs "
                                   "(keepalived warns and runs it as root)",
                                   owner));
        }
        if (!o_.check_scripts || command.argv.empty()) return;
        const std::string& program = command.argv[0];
        std::string resolved;
        if (program.find('/') != std::string::npos) {
            resolved = program;
        } else {
            std::string_view path = o_.script_search_path;
            while (!path.empty()) {
                const std::size_t colon = path.find(':');
                std::string dir(path.substr(0, colon));
                path =
                    colon == std::string_view::npos ? std::string_view() : path.substr(colon + 1);
                if (dir.empty()) continue;
                std::string candidate = dir + "/" + program;
                if (::access(candidate.c_str(), F_OK) == 0) {
                    resolved = candidate;
                    break;
                }
            }
            if (resolved.empty()) {
                d_.error(command.where,
                         fmt::format("program \"{}\" of {} is not found in {} (keepalived would "
                                     "disable it)",
                                     program, owner, o_.script_search_path));
                return;
            }
        }
        struct stat st {};
        if (::stat(resolved.c_str(), &st) != 0) {
            d_.error(command.where, fmt::format("program \"{}\" of {} does not exist (keepalived "
                                                "would disable it)",
                                                resolved, owner));
            return;
        }
        if (!S_ISREG(st.st_mode) || (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) == 0) {
            d_.error(command.where, fmt::format("program \"{}\" of {} is not executable "
                                                "(keepalived would disable it)",
                                                resolved, owner));
            return;
        }
        script_security(command, resolved, owner, own_user, own_group, track_script);
    }

    using Ids = LoadOptions::Ids;
    // A user's uid and primary gid (or `group`'s gid); nullopt when either does not exist.
    std::optional<Ids> lookup_ids(const std::string& user,
                                  const std::optional<std::string>& group) const {
        if (o_.lookup_user) return o_.lookup_user(user, group);
        std::vector<char> buffer(16384);
        passwd pw{};
        passwd* found = nullptr;
        if (::getpwnam_r(user.c_str(), &pw, buffer.data(), buffer.size(), &found) != 0 || !found)
            return std::nullopt;
        Ids ids{pw.pw_uid, pw.pw_gid};
        if (group) {
            struct group gr {};
            struct group* gfound = nullptr;
            if (::getgrnam_r(group->c_str(), &gr, buffer.data(), buffer.size(), &gfound) != 0 ||
                !gfound)
                return std::nullopt;
            ids.gid = gr.gr_gid;
        }
        return ids;
    }

    // keepalived's script_user and enable_script_security (lib/notify.c in 2.2.7): who runs
    // the script, and whether it may run at all when that is root.
    void script_security(Command& command, const std::string& program, std::string_view owner,
                         const std::optional<std::string>& own_user,
                         const std::optional<std::string>& own_group,
                         const std::string* track_script) {
        const auto& g = c_.global;
        const bool enforce = g.enable_script_security;
        if (!default_user_exists_)
            default_user_exists_ = lookup_ids(default_script_user, std::nullopt).has_value();
        const auto run_as = choose_run_as(own_user, own_group, g.script_user, g.script_group,
                                          *default_user_exists_, enforce);
        const auto refuse = [&](const std::string& message) {
            command.refused = message;
            d_.add(o_.refused_scripts_are_errors ? Severity::error : Severity::warning,
                   command.where, message);
            if (track_script)
                d_.add(o_.refused_scripts_are_errors ? Severity::error : Severity::warning,
                       command.where,
                       fmt::format("Disabling track script {} due to insecure", *track_script));
        };
        if (!run_as) {
            refuse(track_script
                       ? fmt::format("Unable to set default user for vrrp script {} - removing "
                                     "(no script_user in global_defs, and user {} does not "
                                     "exist)",
                                     *track_script, default_script_user)
                       : fmt::format("Failed to set default user for {} script {} - ignoring "
                                     "(no script_user in global_defs, and user {} does not "
                                     "exist)",
                                     owner, program, default_script_user));
            return;
        }
        command.run_user = run_as->user;
        command.run_group = run_as->group;
        Ids ids{::geteuid(), ::getegid()};
        if (run_as->user) {
            auto found = lookup_ids(*run_as->user, run_as->group);
            if (!found) {
                // The daemon refuses to run it and says why (as before the lookup moved here);
                // it never looks a name up itself.
                command.ids_unknown = true;
                return;
            }
            ids = *found;
            command.run_ids = ids;
        }
        const auto inspected = inspect_script_path(program);
        if (!inspected.path) {
            refuse(inspected.error);
            return;
        }
        const auto verdict = judge_script(*inspected.path, ids.uid, ids.gid, enforce);
        if (verdict.safety == ScriptSafety::refused)
            refuse(verdict.message);
        else if (verdict.safety == ScriptSafety::unsafe)
            d_.warning(command.where, verdict.message);
    }

    void check_notify(Notify& notify, const std::string& owner) {
        const std::pair<std::optional<Command>*, std::string_view> slots[] = {
            {&notify.master, "notify_master"},
            {&notify.backup, "notify_backup"},
            {&notify.fault, "notify_fault"},
            {&notify.stop, "notify_stop"},
            {&notify.any, "notify"}};
        for (const auto& [slot, name] : slots) {
            if (*slot)
                check_command(**slot, fmt::format("{} of {}", name, owner), (*slot)->user,
                              (*slot)->group);
        }
    }

    int check_weight(const TrackRef& ref) const {
        if (ref.weight) return *ref.weight;
        if (auto* s = c_.find_script(ref.name)) return s->weight;
        if (auto* m = c_.find_mysql_check(ref.name))
            return m->weight != 0 ? m->weight : m->lag_weight;
        if (auto* t = c_.find_tcp_check(ref.name)) return t->weight;
        return 0;
    }

    void track_scripts(const std::vector<TrackRef>& refs) {
        for (const TrackRef& ref : refs) {
            if (!c_.has_check(ref.name)) {
                d_.error(ref.where, fmt::format("track_script \"{}\" names no vrrp_script, "
                                                "mysql_check or tcp_check",
                                                ref.name));
            }
        }
    }

    void track_files(const std::vector<TrackRef>& refs) {
        for (const TrackRef& ref : refs)
            if (!c_.find_track_file(ref.name))
                d_.error(ref.where,
                         fmt::format("track_file \"{}\" names no track_file block", ref.name));
    }

    void track_processes(const std::vector<TrackRef>& refs) {
        for (const TrackRef& ref : refs)
            if (!c_.find_track_process(ref.name))
                d_.error(ref.where, fmt::format("track_process \"{}\" names no "
                                                "vrrp_track_process block",
                                                ref.name));
    }

    // keepalived skips an mcast_dst_ip of the wrong family or that is not (link-local)
    // multicast, and ignores one with unicast peers.
    void mcast_dst_ip(VrrpInstance& v) {
        if (!v.mcast_dst_ip) return;
        const IpAddress group = *v.mcast_dst_ip;
        const auto& at = v.where.mcast_dst_ip;
        if (v.unicast()) {
            d_.warning(at, fmt::format("mcast_dst_ip {} is ignored: vrrp_instance \"{}\" sends to "
                                       "its unicast_peer addresses (as keepalived)",
                                       group.to_string(), v.name));
            v.mcast_dst_ip.reset();
            return;
        }
        if (family_of(group) != v.family) {
            d_.error(at, fmt::format("mcast_dst_ip {} is {} but vrrp_instance \"{}\" is {}",
                                     group.to_string(), family_name(family_of(group)), v.name,
                                     family_name(v.family)));
            v.mcast_dst_ip.reset();
            return;
        }
        // IPv6: link-local scope (ff02::/16 and the other ffX2:: flags), as keepalived.
        const bool ok =
            group.is_v4() ? group.to_v4().is_multicast() : group.to_v6().is_multicast_link_local();
        if (!ok) {
            d_.error(at, fmt::format("mcast_dst_ip {} is not {}multicast", group.to_string(),
                                     group.is_v4() ? "" : "link-local "));
            v.mcast_dst_ip.reset();
        }
    }

    void complete_instance(VrrpInstance& v) {
        const std::string quoted = fmt::format("\"{}\"", v.name);
        if (v.virtual_router_id == 0 && !v.where.virtual_router_id.known()) {
            d_.error(v.where.name, fmt::format("vrrp_instance {} has no virtual_router_id "
                                               "(required, 1..255)",
                                               quoted));
        }

        // The family is the first virtual address's; keepalived drops addresses of the
        // other family from virtual_ipaddress.
        if (!v.virtual_addresses.empty()) {
            v.family = family_of(v.virtual_addresses.front().address);
        } else if (v.unicast_src_ip) {
            v.family = family_of(*v.unicast_src_ip);
        } else if (!v.unicast_peers.empty()) {
            v.family = family_of(v.unicast_peers.front());
        } else if (v.mcast_src_ip) {
            v.family = family_of(*v.mcast_src_ip);
        } else if (v.mcast_dst_ip) {
            v.family = family_of(*v.mcast_dst_ip);
        }
        mcast_dst_ip(v);
        std::vector<VirtualAddress> kept;
        for (auto& vip : v.virtual_addresses) {
            if (family_of(vip.address) != v.family) {
                d_.error(vip.where,
                         fmt::format("{} is {} but vrrp_instance {} is {} (its first virtual "
                                     "address); keepalived drops it: put it in "
                                     "virtual_ipaddress_excluded",
                                     vip.address.to_string(), family_name(family_of(vip.address)),
                                     quoted, family_name(v.family)));
            } else {
                kept.push_back(std::move(vip));
            }
        }
        v.virtual_addresses = std::move(kept);

        if (!v.where.version.known()) v.version = c_.global.vrrp_version;
        if (v.family == Family::ipv6 && v.version == 2) {
            const SourceLocation& at = v.where.version.known() ? v.where.version : v.where.name;
            d_.warning(at, fmt::format("VRRPv2 has no IPv6: vrrp_instance {} uses version 3 (as "
                                       "keepalived does)",
                                       quoted));
            v.version = 3;
        }

        advert_int(v);

        if (v.version == 3 && v.auth_type != AuthType::none) {
            d_.warning(v.where.authentication,
                       "authentication is ignored with VRRP version 3 (RFC 5798 has none)");
            v.auth_type = AuthType::none;
            v.auth_pass.clear();
        }

        if (v.state == InitialState::master) {
            if (!v.where.priority.known()) {
                v.priority = 255;
            } else if (v.priority < 255) {
                d_.warning(v.where.state,
                           fmt::format("state MASTER with priority {} starts as BACKUP and "
                                       "becomes MASTER only by election (only priority 255 "
                                       "starts as MASTER)",
                                       v.priority));
            }
            if (v.nopreempt) {
                d_.warning(v.where.nopreempt,
                           "nopreempt is ignored with state MASTER (keepalived clears it); use "
                           "state BACKUP on every node");
                v.nopreempt = false;
            }
            if (v.preempt_delay > Duration(0)) {
                d_.warning(v.where.preempt_delay,
                           "preempt_delay is ignored with state MASTER (keepalived clears it); "
                           "use state BACKUP on every node");
                v.preempt_delay = Duration(0);
            }
        }

        if (v.priority == 255 && v.nopreempt) {
            d_.warning(v.where.nopreempt,
                       "nopreempt is ignored with priority 255 (keepalived clears it: the "
                       "address owner always preempts)");
            v.nopreempt = false;
        }

        if (v.interface.empty()) {
            if (!(v.unicast() && v.unicast_src_ip)) {
                d_.error(v.where.name,
                         fmt::format("vrrp_instance {} has no interface (required unless "
                                     "unicast_src_ip and unicast_peer are set)",
                                     quoted));
            }
        } else {
            interface_exists(v.interface, v.where.interface);
        }
        for (auto* list : {&v.virtual_addresses, &v.excluded_addresses}) {
            for (auto& vip : *list) {
                if (vip.dev.empty()) {
                    vip.dev = v.interface;
                } else {
                    interface_exists(vip.dev, vip.dev_where);
                }
            }
        }
        for (const auto& track : v.track_interfaces) {
            interface_exists(track.name, track.where);
            if (track.name == v.interface)
                d_.warning(track.where,
                           fmt::format("track_interface {} is the instance's own interface: "
                                       "ignored, as keepalived does (its own interface is "
                                       "tracked unless dont_track_primary)",
                                       track.name));
        }

        if (v.version == 3 && v.virtual_addresses.empty()) {
            d_.error(v.where.name,
                     fmt::format("VRRPv3 vrrp_instance {} has no virtual_ipaddress (keepalived "
                                 "refuses to start)",
                                 quoted));
        }

        track_scripts(v.track_scripts);
        track_files(v.track_files);
        track_processes(v.track_processes);
        check_notify(v.notify, fmt::format("vrrp_instance \"{}\"", v.name));
        if (v.nopreempt) never_moves_vip(v);

        // Per-instance settings global_defs gives a default for, wherever it sits.
        if (!v.where.down_timer_adverts.known()) {
            v.down_timer_adverts = c_.global.vrrp_down_timer_adverts;
        }
        // Gratuitous ARP settings.
        if (!v.where.garp_master_delay.known()) {
            v.garp_master_delay = c_.global.vrrp_garp_master_delay;
        }
        if (!v.where.garp_master_repeat.known()) {
            v.garp_master_repeat = c_.global.vrrp_garp_master_repeat;
        }
        if (!v.where.garp_master_refresh.known()) {
            v.garp_master_refresh = c_.global.vrrp_garp_master_refresh;
        }
        if (!v.where.garp_master_refresh_repeat.known()) {
            v.garp_master_refresh_repeat = c_.global.vrrp_garp_master_refresh_repeat;
        }
        // keepalived: the instance's, else global_defs' lower_prio ones, else global_defs'
        // vrrp_garp_master_repeat / _delay (not the instance's garp_master_*).
        if (!v.garp_lower_prio_repeat)
            v.garp_lower_prio_repeat =
                c_.global.vrrp_garp_lower_prio_repeat.value_or(c_.global.vrrp_garp_master_repeat);
        if (!v.garp_lower_prio_delay)
            v.garp_lower_prio_delay =
                c_.global.vrrp_garp_lower_prio_delay.value_or(c_.global.vrrp_garp_master_delay);
    }

    // v2 adverts carry whole seconds (RFC 3768 §5.3.7); v3 centiseconds, 12 bits (RFC 5798
    // §5.2.7).
    void advert_int(VrrpInstance& v) {
        if (!v.where.advert_int.known()) return;
        const std::string written = format_seconds(v.advert_int);
        if (v.version == 2) {
            const long long micros = v.advert_int.count();
            long long whole = (micros + 500'000) / 1'000'000;
            if (whole < 1) whole = 1;
            if (whole > 255) {
                d_.error(v.where.advert_int,
                         fmt::format("advert_int {} is out of range for VRRPv2 (valid: 1..255)",
                                     written));
                v.advert_int = seconds(1);
                return;
            }
            if (micros % 1'000'000 != 0) {
                d_.warning(v.where.advert_int,
                           fmt::format("advert_int {} is rounded to {}: VRRPv2 adverts carry "
                                       "whole seconds",
                                       written, whole));
            }
            v.advert_int = seconds(whole);
            return;
        }
        if (v.advert_int > milliseconds(40950)) {
            d_.error(v.where.advert_int,
                     fmt::format("advert_int {} is out of range for VRRPv3 (valid: 0.01..40.95)",
                                 written));
            v.advert_int = seconds(1);
            return;
        }
        const long long centis = (v.advert_int.count() + 5'000) / 10'000;
        if (centis * 10'000 != v.advert_int.count()) {
            const Duration rounded = milliseconds(centis * 10);
            d_.warning(v.where.advert_int,
                       fmt::format("advert_int {} is rounded to {}: VRRPv3 adverts carry "
                                   "hundredths of a second",
                                   written, format_seconds(rounded)));
            v.advert_int = rounded;
        }
    }

    // With nopreempt a backup never displaces a live master, so weights change priorities
    // nobody acts on; only FAULT (weight 0) or a stop moves the VIP (reference §5.4).
    void never_moves_vip(const VrrpInstance& v) {
        for (const auto& ref : v.track_scripts) {
            if (!c_.has_check(ref.name)) continue;
            const int weight = check_weight(ref);
            if (weight == 0) continue;
            d_.warning(ref.where,
                       fmt::format("weight {} of \"{}\" can never move the VIP: with nopreempt a "
                                   "live master is never displaced (use weight 0 to enter FAULT "
                                   "on failure)",
                                   weight, ref.name));
        }
        for (const auto& track : v.track_interfaces) {
            if (track.weight == 0) continue;
            d_.warning(track.where,
                       fmt::format("weight {} of interface \"{}\" can never move the VIP: with "
                                   "nopreempt a live master is never displaced (use weight 0 to "
                                   "enter FAULT on failure)",
                                   track.weight, track.name));
        }
    }

    // keepalived refuses two multicast instances with the same VRID on one interface and
    // family: their adverts would be indistinguishable.
    void duplicate_router_ids() {
        std::map<std::tuple<int, std::string, Family>, const VrrpInstance*> seen;
        for (const auto& v : c_.instances) {
            if (v.virtual_router_id == 0 || v.unicast()) continue;
            auto key = std::make_tuple(v.virtual_router_id, v.interface, v.family);
            auto [it, inserted] = seen.emplace(key, &v);
            if (inserted) continue;
            d_.error(
                v.where.virtual_router_id,
                fmt::format(
                    "virtual_router_id {} is already used on {} ({}) by "
                    "vrrp_instance \"{}\" ({})",
                    v.virtual_router_id, v.interface, family_name(v.family), it->second->name,
                    refer_to(it->second->where.virtual_router_id, v.where.virtual_router_id.file)));
        }
    }

    void duplicate_addresses() {
        std::map<IpAddress, std::pair<const VrrpInstance*, const VirtualAddress*>> seen;
        for (const auto& v : c_.instances) {
            for (const auto* list : {&v.virtual_addresses, &v.excluded_addresses}) {
                for (const auto& vip : *list) {
                    auto [it, inserted] = seen.emplace(vip.address, std::make_pair(&v, &vip));
                    if (inserted) continue;
                    if (it->second.first == &v) {
                        d_.error(vip.where,
                                 fmt::format("{} is listed twice in vrrp_instance "
                                             "\"{}\" ({})",
                                             vip.address.to_string(), v.name,
                                             refer_to(it->second.second->where, vip.where.file)));
                    } else {
                        d_.error(vip.where,
                                 fmt::format("{} is already a virtual address of vrrp_instance "
                                             "\"{}\" ({})",
                                             vip.address.to_string(), it->second.first->name,
                                             refer_to(it->second.second->where, vip.where.file)));
                    }
                }
            }
        }
    }

    void sync_group(SyncGroup& g) {
        for (std::size_t i = 0; i < g.instances.size(); ++i) {
            const std::string& name = g.instances[i];
            if (!c_.find_instance(name)) {
                d_.error(g.instance_where[i],
                         fmt::format("vrrp_sync_group \"{}\" names unknown vrrp_instance \"{}\"",
                                     g.name, name));
                continue;
            }
            auto [it, inserted] = group_of_.emplace(name, &g);
            if (!inserted && it->second != &g) {
                d_.error(g.instance_where[i],
                         fmt::format("vrrp_instance \"{}\" is already in vrrp_sync_group \"{}\"",
                                     name, it->second->name));
            }
        }
        if (g.instances.empty()) {
            d_.error(g.where, fmt::format("vrrp_sync_group \"{}\" has no group {{ … }} of "
                                          "instances",
                                          g.name));
        }
        track_scripts(g.track_scripts);
        track_files(g.track_files);
        track_processes(g.track_processes);
        for (const auto& track : g.track_interfaces)
            interface_exists(track.name, track.where);
        check_notify(g.notify, fmt::format("vrrp_sync_group \"{}\"", g.name));
    }

    Config& c_;
    const LoadOptions& o_;
    Diagnostics& d_;
    std::optional<bool> default_user_exists_;  // keepalived_script, looked up once
    std::map<std::string, const SyncGroup*> group_of_;
};

}  // namespace

void validate(Config& config, const LoadOptions& options, Diagnostics& diagnostics) {
    Validator(config, options, diagnostics).run();
}

}  // namespace havip::config
