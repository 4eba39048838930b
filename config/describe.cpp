#include "config/describe.hpp"

#include <fmt/format.h>

#include "config/parser.hpp"

namespace havip::config {
namespace {

std::string weight_text(const std::optional<int>& weight, bool reverse) {
    if (!weight) return "";
    return fmt::format(" weight {}{}", *weight, reverse ? " reverse" : "");
}

std::string check_text(const Config& config, const TrackRef& ref) {
    if (const auto* s = config.find_script(ref.name)) {
        return fmt::format(
            "vrrp_script \"{}\" every {}s, timeout {}s, rise {}, fall {}, weight "
            "{}{}",
            s->script.raw, format_seconds(s->interval), format_seconds(s->timeout), s->rise,
            s->fall, s->weight, s->weight_reverse ? " reverse" : "");
    }
    if (const auto* m = config.find_mysql_check(ref.name)) {
        std::string target = m->socket ? fmt::format("socket {}", *m->socket)
                                       : fmt::format("{}:{}", m->host->to_string(), m->port);
        std::string lag = m->max_lag ? fmt::format(", max_lag {}s lag_weight {}",
                                                   format_seconds(*m->max_lag), m->lag_weight)
                                     : "";
        return fmt::format(
            "mysql_check {} every {}s, timeout {}s, rise {}, fall {}, weight "
            "{}{}{}{}",
            target, format_seconds(m->interval), format_seconds(m->timeout), m->rise, m->fall,
            m->weight, lag, m->manage_read_only ? ", manages read_only" : "",
            m->auto_rejoin ? fmt::format(", auto rejoin ({} timeout {}s)", m->rejoin_inventory,
                                         format_seconds(m->rejoin_timeout))
                           : ", no auto rejoin");
    }
    if (const auto* t = config.find_tcp_check(ref.name)) {
        return fmt::format("tcp_check {}:{} every {}s, timeout {}s, rise {}, fall {}, weight {}",
                           t->host.to_string(), t->port, format_seconds(t->interval),
                           format_seconds(t->timeout), t->rise, t->fall, t->weight);
    }
    return "undefined";
}

std::string vip_text(const VirtualAddress& vip) {
    std::string text = fmt::format("{}/{} dev {}", vip.address.to_string(), vip.prefix_length,
                                   vip.dev.empty() ? "-" : vip.dev);
    if (vip.broadcast) text += fmt::format(" brd {}", vip.broadcast->to_string());
    if (vip.scope != "global") text += fmt::format(" scope {}", vip.scope);
    if (vip.label) text += fmt::format(" label {}", *vip.label);
    if (vip.peer) text += fmt::format(" peer {}", vip.peer->to_string());
    if (vip.dad) text += " -nodad";
    if (vip.noprefixroute) text += " noprefixroute";
    if (vip.no_track) text += " no_track";
    return text;
}

}  // namespace

std::string describe(const Config& config) {
    std::string out;
    for (const auto& v : config.instances) {
        out += fmt::format("vrrp_instance {}\n", v.name);
        out += fmt::format("  state {}, interface {}, virtual_router_id {}, VRRPv{} {}\n",
                           v.state == InitialState::master ? "MASTER" : "BACKUP",
                           v.interface.empty() ? "-" : v.interface, v.virtual_router_id, v.version,
                           v.family == Family::ipv4 ? "IPv4" : "IPv6");
        std::string preempt =
            v.nopreempt ? "nopreempt"
            : v.preempt_delay > Duration(0)
                ? fmt::format("preempt after {}s", format_seconds(v.preempt_delay))
                : "preempt";
        out += fmt::format("  priority {}, advert_int {}s, {}\n", v.priority,
                           format_seconds(v.advert_int), preempt);
        out += fmt::format("  auth {}\n", v.auth_type == AuthType::pass
                                              ? fmt::format("PASS ({} bytes)", v.auth_pass.size())
                                              : std::string("none"));
        if (v.unicast()) {
            std::string peers;
            for (const auto& peer : v.unicast_peers)
                peers += " " + peer.to_string();
            out += fmt::format("  unicast from {} to{}\n",
                               v.unicast_src_ip ? v.unicast_src_ip->to_string() : "-", peers);
        }
        for (const auto& vip : v.virtual_addresses)
            out += "  vip " + vip_text(vip) + "\n";
        for (const auto& vip : v.excluded_addresses) {
            out += "  vip (excluded) " + vip_text(vip) + "\n";
        }
        if (v.virtual_addresses.empty() && v.excluded_addresses.empty()) out += "  vip none\n";
        if (!v.interface.empty() && !v.dont_track_primary) {
            out += fmt::format("  track interface {} (primary, FAULT when down)\n", v.interface);
        }
        for (const auto& track : v.track_interfaces) {
            out += fmt::format("  track interface {}{}\n", track.name,
                               track.weight == 0 ? std::string(" (FAULT when down)")
                                                 : weight_text(track.weight, track.reverse));
        }
        for (const auto& ref : v.track_scripts) {
            out += fmt::format("  check {}{}: {}\n", ref.name, weight_text(ref.weight, ref.reverse),
                               check_text(config, ref));
        }
        for (const auto& ref : v.track_files) {
            const auto* file = config.find_track_file(ref.name);
            out +=
                fmt::format("  track file {}{}: {}\n", ref.name,
                            weight_text(ref.weight, ref.reverse), file ? file->file : "undefined");
        }
        for (const auto& ref : v.track_processes) {
            const auto* process = config.find_track_process(ref.name);
            out += fmt::format("  track process {}{}: {}\n", ref.name,
                               weight_text(ref.weight, ref.reverse),
                               process ? process->process : "undefined");
        }
        const std::pair<const std::optional<Command>*, const char*> notifies[] = {
            {&v.notify.master, "notify_master"},
            {&v.notify.backup, "notify_backup"},
            {&v.notify.fault, "notify_fault"},
            {&v.notify.stop, "notify_stop"},
            {&v.notify.any, "notify"}};
        for (const auto& [slot, name] : notifies) {
            if (*slot) out += fmt::format("  {} \"{}\"\n", name, (*slot)->raw);
        }
        for (const auto& group : config.sync_groups) {
            for (const auto& member : group.instances) {
                if (member == v.name) out += fmt::format("  sync group {}\n", group.name);
            }
        }
        out += "\n";
    }
    return out;
}

}  // namespace havip::config
