#include "vrrpd/status.hpp"

#include <ctime>

#include <fmt/format.h>

namespace havip::vrrp {

namespace {

using nlohmann::json;

double to_ms(Duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

json stats_json(const StatsSnapshot& s) {
    json out = {
        {"advert_rcvd", s.advert_rcvd},
        {"advert_sent", s.advert_sent},
        {"become_master", s.become_master},
        {"release_master", s.release_master},
        {"packet_len_err", s.packet_len_err},
        {"ip_ttl_err", s.ip_ttl_err},
        {"invalid_type_rcvd", s.invalid_type_rcvd},
        {"advert_interval_err", s.advert_interval_err},
        {"addr_list_err", s.addr_list_err},
        {"invalid_authtype", s.invalid_authtype},
        {"authtype_mismatch", s.authtype_mismatch},
        {"auth_failure", s.auth_failure},
        {"pri_zero_rcvd", s.pri_zero_rcvd},
        {"pri_zero_sent", s.pri_zero_sent},
    };
    // keepalived's names stay authoritative: an extra counter never shadows one of them.
    for (const auto& [name, value] : s.extra)
        if (!out.contains(name)) out[name] = value;
    return out;
}

json instance_json(const InstanceSnapshot& i) {
    json vips = json::array();
    for (const auto& v : i.vips)
        vips.push_back(fmt::format("{}/{}", v.address, v.prefix_len));
    json checks = json::array();
    for (const auto& c : i.checks) {
        checks.push_back({{"name", c.name},
                          {"type", c.type},
                          {"status", c.status},
                          {"reason", c.reason},
                          {"since", c.since ? json(format_time(*c.since)) : json(nullptr)}});
        if (!c.read_only_action.empty()) checks.back()["read_only_action"] = c.read_only_action;
        if (!c.promote_failure.empty()) checks.back()["promote_failure"] = c.promote_failure;
        if (c.type == "mysql_check") {
            checks.back()["diverged"] = c.diverged;
            checks.back()["forced"] = c.forced;
            checks.back()["term"] = c.term ? json(*c.term) : json(nullptr);
            checks.back()["peer_term"] = c.peer_term ? json(*c.peer_term) : json(nullptr);
            if (!c.rejoin.empty()) checks.back()["rejoin"] = c.rejoin;
            checks.back()["rejoins"] = {{"started", c.rejoins_started},
                                        {"succeeded", c.rejoins_succeeded},
                                        {"failed", c.rejoins_failed},
                                        {"deferred", c.rejoins_deferred},
                                        {"flashback", c.rejoins_flashback},
                                        {"reseed", c.rejoins_reseed}};
        }
    }
    json vip_retries = json::array();
    for (const auto& r : i.vip_retries)
        vip_retries.push_back({{"vip", r.vip},
                               {"operation", r.operation},
                               {"failures", r.failures},
                               {"error", r.error},
                               {"next_attempt_in_ms", to_ms(r.next_in)}});
    json transition = nullptr;
    if (i.last_transition) {
        const auto& t = *i.last_transition;
        transition = {{"time", format_time(t.time)},
                      {"from", std::string(to_string(t.from))},
                      {"to", std::string(to_string(t.to))},
                      {"reason", t.reason}};
    }
    json switchover = nullptr;
    if (const auto& sw = i.switchover) {
        json steps = json::array();
        for (const auto& st : sw->steps)
            steps.push_back(
                {{"step", st.step}, {"ok", st.ok}, {"detail", st.detail}, {"ms", st.ms}});
        switchover = {{"running", sw->running},
                      {"step", sw->running ? json(sw->step) : json(nullptr)},
                      {"result", sw->result},
                      {"summary", sw->summary},
                      {"target", sw->target},
                      {"by", sw->by},
                      {"started", format_time(sw->started)},
                      {"steps", steps}};
    }
    json instance = {
        {"name", i.name},
        {"state", std::string(to_string(i.state))},
        {"vrid", i.vrid},
        {"interface", i.interface},
        {"version", i.version},
        {"priority", i.priority},
        {"effective_priority", i.effective_priority},
        {"vips", vips},
        {"master_ip", i.master_ip ? json(*i.master_ip) : json(nullptr)},
        {"sync_group", i.sync_group ? json(*i.sync_group) : json(nullptr)},
        {"last_transition", transition},
        {"checks", checks},
        {"stats", stats_json(i.stats)},
        {"timing",
         {{"advert_send_jitter_ms",
           {{"p50", to_ms(i.jitter.p50)},
            {"p99", to_ms(i.jitter.p99)},
            {"max", to_ms(i.jitter.max)},
            {"samples", i.jitter.samples}}}}},
        {"vip_retries", vip_retries},
        {"vip_failures", {{"add", i.vip_add_failures}, {"remove", i.vip_remove_failures}}},
        {"notify",
         {{"pending", i.notify.pending},
          {"superseded", i.notify.superseded},
          {"dropped", i.notify.dropped}}},
    };
    if (!i.switchover_hold.empty()) instance["switchover_hold"] = i.switchover_hold;
    if (!switchover.is_null()) instance["switchover"] = switchover;
    if (!i.switchovers.empty()) instance["switchovers"] = i.switchovers;
    return instance;
}

json error(std::string message) {
    return {{"version", control_protocol_version}, {"error", std::move(message)}};
}

}  // namespace

std::string format_time(WallTime time) {
    using namespace std::chrono;
    const auto ms = duration_cast<milliseconds>(time.time_since_epoch()).count();
    auto secs = static_cast<std::time_t>(ms / 1000);
    auto frac = ms % 1000;
    if (frac < 0) {
        frac += 1000;
        --secs;
    }
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

nlohmann::json status_document(const StatusSnapshot& snapshot) {
    json instances = json::array();
    for (const auto& i : snapshot.instances)
        instances.push_back(instance_json(i));
    return {
        {"version", control_protocol_version},
        {"daemon",
         {{"version", snapshot.daemon_version},
          {"pid", snapshot.pid},
          {"router_id", snapshot.router_id},
          {"time", format_time(snapshot.now)}}},
        {"instances", instances},
    };
}

nlohmann::json answer_request(std::string_view line,
                              const std::function<StatusSnapshot()>& status) {
    auto request = json::parse(line.begin(), line.end(), nullptr, false);
    if (request.is_discarded() || !request.is_object())
        return error("the request is not a JSON object");
    const auto version = request.find("version");
    if (version == request.end() || !version->is_number_integer())
        return error("the request has no \"version\"");
    if (version->get<long long>() != control_protocol_version)
        return error(fmt::format("protocol version {} is not supported (this daemon speaks {})",
                                 version->dump(), control_protocol_version));
    const auto command = request.find("command");
    if (command == request.end() || !command->is_string())
        return error("the request has no \"command\"");
    if (*command == "status") return status_document(status());
    return error(fmt::format("unknown command {}", command->dump()));
}

}  // namespace havip::vrrp
