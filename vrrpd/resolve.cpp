#include "vrrpd/resolve.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "netlink/address.hpp"
#include "vrrpd/core/packet.hpp"

namespace havip::vrrp {

namespace asio = boost::asio;

namespace {

netlink::Scope scope_of(const std::string& s) {
    if (s == "site") return netlink::Scope::site;
    if (s == "link") return netlink::Scope::link;
    if (s == "host") return netlink::Scope::host;
    if (s == "nowhere") return netlink::Scope::nowhere;
    return netlink::Scope::global;
}

}  // namespace

std::string where(const config::SourceLocation& at) {
    return at.known() ? fmt::format("{}:{}:{}: ", at.file, at.line, at.column) : std::string{};
}

Resolution resolve_instances(const config::Config& config, ResolveHost& host,
                             std::string_view only) {
    Resolution out;
    std::set<asio::ip::address> vips;
    for (const auto& ci : config.instances)
        for (const auto* list : {&ci.virtual_addresses, &ci.excluded_addresses})
            for (const auto& va : *list)
                vips.insert(va.address);
    const auto is_vip = [&](const asio::ip::address& a) { return vips.count(a) > 0; };
    // Following a re-created interface (`only`), a missing piece (its address not added yet)
    // is a wait, not a configuration error: the next link or address event tries again.
    const bool rebinding = !only.empty();
    auto fail = [&](const config::SourceLocation& at, const std::string& message) {
        if (rebinding)
            out.notes.push_back(
                {ResolveNote::Kind::waiting, fmt::format("{} (FAULT until it is there)", message)});
        else
            out.notes.push_back({ResolveNote::Kind::error, where(at) + message});
        out.ok = false;
    };
    for (const auto& ci : config.instances) {
        if (rebinding && ci.name != only) continue;
        InstanceSettings s;
        s.name = ci.name;
        s.ipv6 = ci.family == config::Family::ipv6;
        s.ifname = ci.interface;
        if (s.ifname.empty() && ci.unicast_src_ip) {
            // Unicast without `interface`: the interface holding unicast_src_ip.
            if (auto all = host.addresses.dump_addresses()) {
                for (const auto& a : *all)
                    if (a.address == *ci.unicast_src_ip) s.ifindex = a.ifindex;
            }
            if (s.ifindex > 0) {
                if (auto l = host.links.link(s.ifindex)) s.ifname = l->name;
            }
        } else if (auto idx = host.links.ifindex(s.ifname)) {
            s.ifindex = *idx;
        }
        if (s.ifindex <= 0) {
            fail(ci.where.interface,
                 fmt::format("vrrp_instance {}: interface {} not found", ci.name, s.ifname));
            continue;
        }

        std::optional<asio::ip::address> source =
            ci.unicast_src_ip ? ci.unicast_src_ip : ci.mcast_src_ip;
        if (!source) {
            if (s.ipv6) {
                if (auto a = host.links.ipv6_link_local(s.ifindex)) source = *a;
            } else if (auto a = host.links.primary_ipv4(s.ifindex)) {
                source = *a;
                // The node's own address gone, a VIP may be the interface's first primary (in
                // its own subnet, or promoted by promote_secondaries): another address of the
                // node's, primary or not, rather than a VIP.
                if (is_vip(*source))
                    if (auto all = host.addresses.addresses(s.ifindex)) {
                        if (auto other = netlink::primary_ipv4(*all, s.ifindex, is_vip)) {
                            source = *other;
                        } else {
                            for (const auto& info : *all)
                                if (info.address.is_v4() && info.scope == netlink::Scope::global &&
                                    !is_vip(info.address)) {
                                    source = info.address;
                                    break;
                                }
                        }
                    }
            }
        }
        if (!source) {
            fail(ci.where.interface,
                 fmt::format("vrrp_instance {}: {} has no {} address to send adverts from", ci.name,
                             s.ifname, s.ipv6 ? "IPv6 link-local" : "IPv4"));
            continue;
        }

        auto& r = s.router;
        r.vrid = static_cast<std::uint8_t>(ci.virtual_router_id);
        r.priority = static_cast<std::uint8_t>(ci.priority);
        r.version = ci.version == 3 ? ProtocolVersion::v3 : ProtocolVersion::v2;
        r.advertisement_interval = std::chrono::duration_cast<Duration>(ci.advert_int);
        r.preempt = !ci.nopreempt;
        r.preempt_delay = std::chrono::duration_cast<Duration>(ci.preempt_delay);
        r.down_timer_adverts = static_cast<unsigned>(ci.down_timer_adverts);
        r.primary_address = *source;
        s.source_chosen = !ci.unicast_src_ip && !ci.mcast_src_ip;

        auto& p = s.policy;
        p.version = r.version;
        p.auth_type =
            ci.auth_type == config::AuthType::pass ? AuthType::simple_text : AuthType::none;
        p.password = make_auth_data(ci.auth_pass);
        p.advert_interval = std::chrono::duration_cast<Centiseconds>(ci.advert_int);
        p.unicast_peers = ci.unicast_peers;
        p.unicast_source = ci.unicast_src_ip;
        p.check_unicast_src = ci.check_unicast_src;
        if (ci.mcast_dst_ip)
            p.multicast_group = *ci.mcast_dst_ip;
        else if (s.ipv6)
            p.multicast_group = config.global.vrrp_mcast_group6.value_or(vrrp_group_v6());
        else
            p.multicast_group = config.global.vrrp_mcast_group4.value_or(vrrp_group_v4());
        if (ci.unicast())
            s.destinations = ci.unicast_peers;
        else
            s.destinations = {p.multicast_group};
        if (ci.unicast() && !s.ipv6 && r.version == ProtocolVersion::v3) {
            using Old = config::VrrpInstance::OldUnicastChecksum;
            s.old_checksum =
                ci.old_unicast_checksum == Old::always  ? InstanceSettings::OldChecksum::always
                : ci.old_unicast_checksum == Old::never ? InstanceSettings::OldChecksum::never
                                                        : InstanceSettings::OldChecksum::automatic;
        }

        auto to_vip = [&](const config::VirtualAddress& va) -> std::optional<netlink::Vip> {
            netlink::Vip v;
            v.address = va.address;
            v.prefix_len = static_cast<std::uint8_t>(va.prefix_length);
            v.ifindex = s.ifindex;
            if (!va.dev.empty() && va.dev != s.ifname) {
                auto idx = host.links.ifindex(va.dev);
                if (!idx) {
                    fail(va.where, fmt::format("VIP {}: interface {} not found",
                                               va.address.to_string(), va.dev));
                    return std::nullopt;
                }
                v.ifindex = *idx;
                s.other_interfaces.push_back({va.dev, *idx});
            }
            if (va.broadcast && va.broadcast->is_v4()) v.broadcast = va.broadcast->to_v4();
            v.label = va.label;
            v.scope = scope_of(va.scope);
            v.peer = va.peer;
            v.nodad = va.nodad();
            v.noprefixroute = va.noprefixroute;
            return v;
        };
        for (const auto& va : ci.virtual_addresses) {
            auto v = to_vip(va);
            if (!v) continue;
            if (va.no_track) s.untracked_vips.push_back({v->ifindex, v->address});
            // Only the instance's family is advertised (RFC 5798 §5.2.9); keepalived raises
            // the others with the VIPs, as if they were excluded.
            if (va.address.is_v6() == s.ipv6) {
                s.vips.push_back(*v);
                p.vips.push_back(va.address);
            } else {
                s.excluded_vips.push_back(*v);
            }
        }
        const auto link = host.links.link(s.ifindex);
        const std::size_t capacity =
            advert_address_capacity(s.ipv6, r.version, link && link->mtu ? *link->mtu : 1500);
        if (s.vips.size() > capacity) {
            out.notes.push_back(
                {ResolveNote::Kind::warning,
                 fmt::format("{}vrrp_instance {}: {} VIPs do not fit in an advert on {} "
                             "(at most {}): the other {} are held but not advertised, as "
                             "keepalived does",
                             where(ci.where.name), ci.name, s.vips.size(), s.ifname, capacity,
                             s.vips.size() - capacity)});
            s.excluded_vips.insert(s.excluded_vips.begin(), s.vips.begin() + capacity,
                                   s.vips.end());
            s.vips.resize(capacity);
            p.vips.resize(capacity);
        }
        for (const auto& va : ci.excluded_addresses)
            if (auto v = to_vip(va)) {
                s.excluded_vips.push_back(*v);
                if (va.no_track) s.untracked_vips.push_back({v->ifindex, v->address});
            }

        if (auto mac = host.links.mac(s.ifindex)) s.mac = *mac;
        for (const auto* list : {&s.vips, &s.excluded_vips})
            for (const auto& v : *list) {
                if (s.announce_links.count(v.ifindex)) continue;
                const auto mac = host.links.mac(v.ifindex);
                s.announce_links[v.ifindex] = {mac ? *mac : MacAddress{},
                                               host.ipv6_forwarding(v.ifindex)};
            }
        s.announce.master_delay = ci.garp_master_delay;
        s.announce.master_repeat = static_cast<unsigned>(ci.garp_master_repeat);
        s.announce.interval =
            s.ipv6 ? config.global.vrrp_gna_interval : config.global.vrrp_garp_interval;
        s.announce.master_refresh = ci.garp_master_refresh;
        s.announce.refresh_repeat = static_cast<unsigned>(ci.garp_master_refresh_repeat);
        s.announce.lower_prio_repeat = static_cast<unsigned>(ci.garp_lower_prio_repeat.value_or(5));
        s.announce.lower_prio_delay = std::chrono::duration_cast<std::chrono::microseconds>(
            ci.garp_lower_prio_delay.value_or(std::chrono::seconds(5)));

        auto command =
            [&](const std::optional<config::Command>& c) -> std::optional<checks::Command> {
            // A script refused by script security never runs (keepalived drops it); loading
            // the configuration said why.
            if (!c || c->refused) return std::nullopt;
            checks::Command cmd;
            cmd.argv = c->argv;
            // Looked up when the configuration was loaded: never here, on the loop.
            if (c->run_user) {
                if (!c->run_ids) {
                    fail(c->where, fmt::format("notify command: {}", config::unknown_ids(*c)));
                    return std::nullopt;
                }
                cmd.credentials = checks::Credentials{c->run_ids->uid, c->run_ids->gid};
            }
            return cmd;
        };
        s.notify.master = command(ci.notify.master);
        s.notify.backup = command(ci.notify.backup);
        s.notify.fault = command(ci.notify.fault);
        s.notify.stop = command(ci.notify.stop);
        s.notify.any = command(ci.notify.any);

        // Interfaces first: the instance's own (weight 0: down = FAULT, as keepalived) unless
        // dont_track_primary, then track_interface.
        auto track_interface = [&](const std::string& name, int weight, bool reverse) {
            auto idx = host.links.ifindex(name);
            // Gone since start-up while the instance follows its own interface back: tracked
            // as down (ifindex 0 is no link) until it is back too (vrrpd/core/interface_binding).
            if (!idx && !rebinding)
                return fail(ci.where.name, fmt::format("track_interface {} not found", name));
            const int ifindex = idx ? *idx : 0;
            if (name != s.ifname) s.other_interfaces.push_back({name, ifindex});
            TrackSettings t;
            t.name = fmt::format("interface {}", name);
            t.weight = weight;
            t.reverse = reverse;
            s.tracks.push_back(t);
            s.tracked_ifindexes.push_back(ifindex);
        };
        if (!ci.dont_track_primary) track_interface(s.ifname, 0, false);
        for (const auto& ti : ci.track_interfaces)
            if (ti.name != s.ifname)  // the own interface: ignored, as keepalived (validate)
                track_interface(ti.name, ti.weight, ti.reverse);
        // A vrrp_sync_group's own track_* apply to every member, as a fault (keepalived
        // ignores their weights: a failed group item puts the whole group in FAULT).
        const auto* group = config.find_sync_group_of(ci.name);
        if (group && group->instances.size() > 1) {
            s.sync_group = group->name;
            r.sync_group = true;
            s.sync_notify.master = command(group->notify.master);
            s.sync_notify.backup = command(group->notify.backup);
            s.sync_notify.fault = command(group->notify.fault);
            s.sync_notify.stop = command(group->notify.stop);
            s.sync_notify.any = command(group->notify.any);
        } else {
            group = nullptr;  // a group of one is just its instance
        }
        // An item the member tracks too: the group's tracking wins. A member's weight only
        // moves its priority, while for keepalived the group's failed item still faults the
        // whole group; one item with weight 0 does both.
        auto tracked_by_group = [&](const std::string& name) {
            auto it = std::find_if(s.tracks.begin(), s.tracks.end(),
                                   [&](const auto& t) { return t.name == name; });
            if (it == s.tracks.end()) return false;
            it->weight = 0;
            it->lag_weight = 0;
            return true;
        };
        if (group)
            for (const auto& ti : group->track_interfaces)
                if (!tracked_by_group(fmt::format("interface {}", ti.name)))
                    track_interface(ti.name, 0, false);
        // A reference's own weight wins over its block's; a sync group's items only fault.
        auto weigh = [](TrackSettings& t, const config::TrackRef& ref, bool of_group) {
            if (ref.weight) {
                t.weight = *ref.weight;
                t.reverse = ref.reverse;
            }
            if (of_group) t.weight = 0;
        };
        auto track_script = [&](const config::TrackRef& ref, bool of_group) {
            if (of_group && tracked_by_group(ref.name)) return;
            TrackSettings t;
            t.name = ref.name;
            if (const auto* sc = config.find_script(ref.name)) {
                // Refused by script security: keepalived removes it from the instance.
                if (sc->script.refused) {
                    const bool listed =
                        std::any_of(s.disabled_checks.begin(), s.disabled_checks.end(),
                                    [&](const auto& d) { return d.name == ref.name; });
                    if (!listed) s.disabled_checks.push_back({ref.name, *sc->script.refused});
                    return;
                }
                t.weight = sc->weight;
                t.reverse = sc->weight_reverse;
                t.rise = sc->rise;
                t.fall = sc->fall;
                t.init_fail = sc->init_fail;
            } else if (const auto* mc = config.find_mysql_check(ref.name)) {
                t.weight = mc->weight;
                t.rise = mc->rise;
                t.fall = mc->fall;
                t.lag_weight = mc->lag_weight;
            } else if (const auto* tc = config.find_tcp_check(ref.name)) {
                t.weight = tc->weight;
                t.rise = tc->rise;
                t.fall = tc->fall;
            }
            weigh(t, ref, of_group);
            s.tracks.push_back(t);
        };
        for (const auto& ref : ci.track_scripts)
            track_script(ref, false);
        if (group)
            for (const auto& ref : group->track_scripts)
                track_script(ref, true);
        auto track_file = [&](const config::TrackRef& ref, bool of_group) {
            const auto* file = config.find_track_file(ref.name);
            if (!file) return;  // validation already said so
            if (of_group && tracked_by_group("file " + ref.name)) {
                for (auto& f : s.track_files)
                    if (f.name == ref.name) f.weight = 0;
                return;
            }
            InstanceSettings::TrackedFile f{ref.name, file->weight, file->weight_reverse};
            if (ref.weight) {
                f.weight = *ref.weight;
                f.reverse = ref.reverse;
            }
            if (of_group) f.weight = 0;
            TrackSettings t;
            t.name = "file " + ref.name;
            t.weight = f.weight;
            t.reverse = false;  // track_file_effect applies the sign
            s.tracks.push_back(t);
            s.track_files.push_back(f);
        };
        for (const auto& ref : ci.track_files)
            track_file(ref, false);
        if (group)
            for (const auto& ref : group->track_files)
                track_file(ref, true);
        // track_process items ("process NAME"): running is ok, not running failed, and the
        // tracker's weight rules are keepalived's for track_process.
        auto track_process = [&](const config::TrackRef& ref, bool of_group) {
            const auto* process = config.find_track_process(ref.name);
            if (!process) return;  // validation already said so
            const std::string item = "process " + ref.name;
            if (of_group && tracked_by_group(item)) return;
            TrackSettings t;
            t.name = item;
            t.weight = process->weight;
            t.reverse = process->weight_reverse;
            weigh(t, ref, of_group);
            s.tracks.push_back(t);
        };
        for (const auto& ref : ci.track_processes)
            track_process(ref, false);
        if (group)
            for (const auto& ref : group->track_processes)
                track_process(ref, true);
        out.settings.push_back(std::move(s));
    }
    return out;
}

}  // namespace havip::vrrp
