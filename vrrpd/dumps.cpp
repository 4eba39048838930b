#include "vrrpd/dumps.hpp"

#include <ctime>

#include <fmt/format.h>

namespace havip::vrrp {

namespace {

using nlohmann::json;

// keepalived's VRRP_STATE_* numbers.
int keepalived_state(State s) {
    switch (s) {
        case State::init:
            return 0;
        case State::backup:
            return 1;
        case State::master:
            return 2;
        case State::fault:
            return 3;
    }
    return 0;
}

double seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

// keepalived prints whole seconds as integers ("adver_int":1) and fractions as decimals.
json seconds_json(Duration d) {
    if (d.count() % 1'000'000'000 == 0) return d.count() / 1'000'000'000;
    return seconds(d);
}

// "1796062810.136095 (Mon Nov 30 18:20:10.136095 2026)": keepalived's timestamp, local time.
std::string keepalived_time(WallTime t) {
    using namespace std::chrono;
    const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
    const auto secs = static_cast<std::time_t>(us / 1'000'000);
    const auto frac = us % 1'000'000;
    std::tm tm{};
    ::localtime_r(&secs, &tm);
    char day[32];
    char year[8];
    std::strftime(day, sizeof day, "%a %b %e %H:%M:%S", &tm);
    std::strftime(year, sizeof year, "%Y", &tm);
    return fmt::format("{}.{:06} ({}.{:06} {})", secs, frac, day, frac, year);
}

// "10.77.0.100/24 dev eth0 scope global set": keepalived's VIP line; "set" while it is up.
std::string vip_line(const VipSnapshot& v, bool set) {
    return fmt::format("{}/{} dev {} scope global{}", v.address, v.prefix_len, v.ifname,
                       set ? " set" : "");
}

std::string interval_text(Duration d) {
    if (d.count() % 1'000'000'000 == 0) return fmt::format("{} sec", d.count() / 1'000'000'000);
    return fmt::format("{} milli-sec",
                       std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

}  // namespace

DumpPaths dump_paths(const std::filesystem::path& directory) {
    return {directory / "keepalived.data", directory / "keepalived.stats",
            directory / "keepalived.json"};
}

std::string format_data_dump(const StatusSnapshot& snapshot) {
    std::string out = "------< Global definitions >------\n";
    out += " Network namespace = (default)\n";
    out += fmt::format(" Router ID = {}\n", snapshot.router_id);
    out += "------< VRRP Topology >------\n";
    for (const auto& i : snapshot.instances) {
        const bool master = i.state == State::master;
        out += fmt::format(" VRRP Instance = {}\n", i.name);
        out += fmt::format("   VRRP Version = {}\n", i.version);
        out += fmt::format("   State = {}\n", to_string(i.state));
        out += "   Flags: none\n";
        out += fmt::format("   Wantstate = {}\n", to_string(i.state));
        if (i.last_transition)
            out +=
                fmt::format("   Last transition = {}\n", keepalived_time(i.last_transition->time));
        out += fmt::format("   Interface = {}\n", i.interface);
        if (!i.source_ip.empty()) out += fmt::format("   Using src_ip = {}\n", i.source_ip);
        if (i.unicast) {
            out += "   Unicast Peer :\n";
            for (const auto& d : i.destinations)
                out += fmt::format("     {}\n", d);
        } else {
            for (const auto& d : i.destinations)
                out += fmt::format("   Multicast address {}\n", d);
        }
        out += fmt::format("   Gratuitous ARP delay = {}\n", seconds_json(i.garp_delay).dump());
        out += fmt::format("   Gratuitous ARP repeat = {}\n", i.garp_repeat);
        out += fmt::format("   Gratuitous ARP refresh = {}\n", seconds_json(i.garp_refresh).dump());
        out += fmt::format("   Gratuitous ARP refresh repeat = {}\n", i.garp_refresh_repeat);
        out += fmt::format("   Virtual Router ID = {}\n", i.vrid);
        out += fmt::format("   Priority = {}\n", i.priority);
        out += fmt::format("   Effective priority = {}\n", i.effective_priority);
        out += fmt::format("   Total priority = {}\n", i.effective_priority);
        out += fmt::format("   Advert interval = {}\n", interval_text(i.advert_interval));
        out += "   Accept = enabled\n";
        out += fmt::format("   Preempt = {}\n", i.preempt ? "enabled" : "disabled");
        if (i.preempt_delay.count() > 0)
            out += fmt::format("   Preempt delay = {} secs\n", seconds(i.preempt_delay));
        if (i.auth_pass) {
            out += "   Authentication type = SIMPLE_PASSWORD\n";
            out += fmt::format("   Password = {}\n", i.password);
        } else {
            out += "   Authentication type = none\n";
        }
        out += fmt::format("   Virtual IP ({}):\n", i.vips.size());
        for (const auto& v : i.vips)
            out += fmt::format("     {}\n", vip_line(v, master));
        std::vector<const CheckSnapshot*> scripts;
        for (const auto& c : i.checks)
            if (c.type != "interface") scripts.push_back(&c);
        if (!scripts.empty()) {
            out += "   Tracked scripts :\n";
            for (const auto* c : scripts)
                out += fmt::format("     {} {}\n", c->name, c->status);
        }
        out += "   Using smtp notification = no\n";
    }
    return out;
}

std::string format_stats_dump(const StatusSnapshot& snapshot) {
    std::string out;
    for (const auto& i : snapshot.instances) {
        const auto& s = i.stats;
        out += fmt::format("VRRP Instance: {}\n", i.name);
        out += "  Advertisements:\n";
        out += fmt::format("    Received: {}\n", s.advert_rcvd);
        out += fmt::format("    Sent: {}\n", s.advert_sent);
        out += fmt::format("  Became master: {}\n", s.become_master);
        out += fmt::format("  Released master: {}\n", s.release_master);
        out += "  Packet Errors:\n";
        out += fmt::format("    Length: {}\n", s.packet_len_err);
        out += fmt::format("    TTL: {}\n", s.ip_ttl_err);
        out += fmt::format("    Invalid Type: {}\n", s.invalid_type_rcvd);
        out += fmt::format("    Advertisement Interval: {}\n", s.advert_interval_err);
        out += fmt::format("    Address List: {}\n", s.addr_list_err);
        out += "  Authentication Errors:\n";
        out += fmt::format("    Invalid Type: {}\n", s.invalid_authtype);
        out += fmt::format("    Type Mismatch: {}\n", s.authtype_mismatch);
        out += fmt::format("    Failure: {}\n", s.auth_failure);
        out += "  Priority Zero:\n";
        out += fmt::format("    Received: {}\n", s.pri_zero_rcvd);
        out += fmt::format("    Sent: {}\n", s.pri_zero_sent);
    }
    return out;
}

std::string format_json_dump(const StatusSnapshot& snapshot) {
    json all = json::array();
    for (const auto& i : snapshot.instances) {
        const bool master = i.state == State::master;
        json vips = json::array();
        for (const auto& v : i.vips)
            vips.push_back(vip_line(v, master));
        json data = {
            {"iname", i.name},
            {"dont_track_primary", i.track_primary ? 0 : 1},
            {"skip_check_adv_addr", 0},
            {"strict_mode", 0},
            {"vmac_ifname", ""},
            {"ifp_ifname", i.interface},
            {"master_priority", 0},
            {"last_transition",
             i.last_transition ? seconds(i.last_transition->time.time_since_epoch()) : 0.0},
            // havipd has no lower/higher priority advert options.
            {"garp_delay", seconds_json(i.garp_delay)},
            {"garp_refresh", seconds_json(i.garp_refresh)},
            {"garp_rep", i.garp_repeat},
            {"garp_refresh_rep", i.garp_refresh_repeat},
            {"garp_lower_prio_delay", seconds_json(i.garp_lower_prio_delay)},
            {"garp_lower_prio_rep", i.garp_lower_prio_repeat},
            {"lower_prio_no_advert", 0},
            {"higher_prio_send_advert", 0},
            {"vrid", i.vrid},
            {"base_priority", i.priority},
            {"effective_priority", i.effective_priority},
            {"vipset", master},
            {"promote_secondaries", false},
            {"adver_int", seconds_json(i.advert_interval)},
            {"master_adver_int", seconds_json(i.advert_interval)},
            {"accept", 1},
            {"nopreempt", !i.preempt},
            {"preempt_delay", seconds_json(i.preempt_delay)},
            {"state", keepalived_state(i.state)},
            {"wantstate", keepalived_state(i.state)},
            {"version", i.version},
            {"smtp_alert", false},
            {"notify_deleted", false},
            {"vips", vips},
            {"auth_type", i.auth_pass ? 1 : 0},
        };
        if (i.auth_pass) data["auth_data"] = i.password;
        const auto& s = i.stats;
        json stats = {
            {"advert_rcvd", s.advert_rcvd},
            {"advert_sent", s.advert_sent},
            {"become_master", s.become_master},
            {"release_master", s.release_master},
            {"packet_len_err", s.packet_len_err},
            {"advert_interval_err", s.advert_interval_err},
            {"ip_ttl_err", s.ip_ttl_err},
            {"invalid_type_rcvd", s.invalid_type_rcvd},
            {"addr_list_err", s.addr_list_err},
            {"invalid_authtype", s.invalid_authtype},
            {"authtype_mismatch", s.authtype_mismatch},
            {"auth_failure", s.auth_failure},
            {"pri_zero_rcvd", s.pri_zero_rcvd},
            {"pri_zero_sent", s.pri_zero_sent},
        };
        all.push_back({{"data", data}, {"stats", stats}});
    }
    // Config strings are bytes (a Latin-1 auth_pass): replaced, never thrown on the loop.
    return all.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace havip::vrrp
