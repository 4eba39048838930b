#include "vrrpd/metrics.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <functional>
#include <set>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace havip::vrrp {

namespace {

constexpr std::array all_states{State::init, State::backup, State::master, State::fault};

// The statuses a check of each type can report, so every one has a series (0 or 1) and a
// change shows as one series dropping rather than a series vanishing.
std::vector<std::string_view> statuses_of(std::string_view type) {
    if (type == "mysql_check") return {"healthy", "degraded", "unsafe", "down"};
    return {"ok", "failed"};
}

std::string escape_help(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

double seconds(Duration d) {
    return std::chrono::duration<double>(d).count();
}

// Label pairs already rendered: `instance="VI_1",vrid="51",interface="eth0"`.
class Labels {
  public:
    Labels& add(std::string_view name, std::string_view value) {
        if (!text_.empty()) text_ += ',';
        text_ += fmt::format("{}=\"{}\"", name, escape_label_value(value));
        return *this;
    }
    Labels with(std::string_view name, std::string_view value) const {
        Labels out = *this;
        return out.add(name, value);
    }
    const std::string& text() const { return text_; }

  private:
    std::string text_;
};

class Writer {
  public:
    // One family: HELP and TYPE once, then its samples (the exposition format wants a
    // family's samples together).
    void family(std::string_view name, std::string_view type, std::string_view help,
                const std::function<void()>& samples) {
        out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(help), name, type);
        name_ = name;
        samples();
    }
    void sample(const Labels& labels, std::uint64_t value) {
        out_ += fmt::format("{}{{{}}} {}\n", name_, labels.text(), value);
    }
    void sample(const Labels& labels, int value) {
        out_ += fmt::format("{}{{{}}} {}\n", name_, labels.text(), value);
    }
    void sample(const Labels& labels, double value) {
        out_ += fmt::format("{}{{{}}} {}\n", name_, labels.text(), value);
    }
    std::string take() { return std::move(out_); }

  private:
    std::string out_;
    std::string_view name_;
};

Labels instance_labels(const InstanceSnapshot& i) {
    Labels l;
    l.add("instance", i.name).add("vrid", fmt::format("{}", i.vrid)).add("interface", i.interface);
    return l;
}

// keepalived's per-rule error counters by their names, then havip's extra rules (send errors
// are not rejected adverts: they have their own family).
std::vector<std::pair<std::string, std::uint64_t>> rejected_counters(const StatsSnapshot& s) {
    std::vector<std::pair<std::string, std::uint64_t>> out{
        {"packet_len_err", s.packet_len_err},       {"ip_ttl_err", s.ip_ttl_err},
        {"invalid_type_rcvd", s.invalid_type_rcvd}, {"advert_interval_err", s.advert_interval_err},
        {"addr_list_err", s.addr_list_err},         {"invalid_authtype", s.invalid_authtype},
        {"authtype_mismatch", s.authtype_mismatch}, {"auth_failure", s.auth_failure},
    };
    for (const auto& extra : s.extra) {
        const std::string& name = extra.first;  // clang 14 cannot capture a structured binding
        if (name == "send_err") continue;
        const bool shadows =
            std::any_of(out.begin(), out.end(), [&](const auto& kv) { return kv.first == name; });
        if (!shadows) out.emplace_back(name, extra.second);
    }
    return out;
}

std::uint64_t send_errors(const StatsSnapshot& s) {
    auto it = s.extra.find("send_err");
    return it == s.extra.end() ? 0 : it->second;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

std::string format_metrics(const StatusSnapshot& snapshot) {
    Writer w;
    const auto& instances = snapshot.instances;
    // A counter family per StatsSnapshot field.
    auto counter = [&](std::string_view name, std::string_view help,
                       std::uint64_t StatsSnapshot::*field) {
        w.family(name, "counter", help, [&] {
            for (const auto& i : instances)
                w.sample(instance_labels(i), i.stats.*field);
        });
    };

    w.family("havip_build_info", "gauge", "The running havipd's version; always 1.",
             [&] { w.sample(Labels().add("version", snapshot.daemon_version), 1); });
    w.family("havip_vrrp_state", "gauge",
             "VRRP state of the instance: 1 for the current state, 0 for the others.", [&] {
                 for (const auto& i : instances) {
                     const auto labels = instance_labels(i);
                     for (auto s : all_states)
                         w.sample(labels.with("state", to_string(s)), i.state == s ? 1 : 0);
                 }
             });
    w.family("havip_vrrp_priority", "gauge", "Configured VRRP priority of the instance.", [&] {
        for (const auto& i : instances)
            w.sample(instance_labels(i), i.priority);
    });
    w.family("havip_vrrp_effective_priority", "gauge",
             "Priority the instance advertises: configured plus check weights, 0..255.", [&] {
                 for (const auto& i : instances)
                     w.sample(instance_labels(i), i.effective_priority);
             });
    w.family("havip_vrrp_last_transition_timestamp_seconds", "gauge",
             "Unix time of the instance's last state change.", [&] {
                 for (const auto& i : instances) {
                     if (!i.last_transition) continue;
                     const auto since_epoch = i.last_transition->time.time_since_epoch();
                     w.sample(instance_labels(i),
                              std::chrono::duration<double>(since_epoch).count());
                 }
             });
    counter("havip_vrrp_become_master_total", "Times the instance became MASTER.",
            &StatsSnapshot::become_master);
    counter("havip_vrrp_release_master_total", "Times the instance left MASTER.",
            &StatsSnapshot::release_master);
    counter("havip_vrrp_adverts_received_total", "VRRP adverts received for the instance.",
            &StatsSnapshot::advert_rcvd);
    counter("havip_vrrp_adverts_sent_total", "VRRP adverts sent by the instance.",
            &StatsSnapshot::advert_sent);
    counter("havip_vrrp_adverts_priority_zero_received_total",
            "Priority-0 adverts received (a master releasing the VIPs).",
            &StatsSnapshot::pri_zero_rcvd);
    counter("havip_vrrp_adverts_priority_zero_sent_total",
            "Priority-0 adverts sent (releasing the VIPs).", &StatsSnapshot::pri_zero_sent);
    w.family("havip_vrrp_adverts_rejected_total", "counter",
             "Adverts dropped, by the rule they broke (keepalived's counter names).", [&] {
                 for (const auto& i : instances) {
                     const auto labels = instance_labels(i);
                     for (const auto& [reason, value] : rejected_counters(i.stats))
                         w.sample(labels.with("reason", reason), value);
                 }
             });
    w.family("havip_vrrp_adverts_send_errors_total", "counter",
             "Adverts the kernel refused to send.", [&] {
                 for (const auto& i : instances)
                     w.sample(instance_labels(i), send_errors(i.stats));
             });
    w.family("havip_vrrp_advert_send_jitter_seconds", "gauge",
             "How late adverts left after their deadline over the recent samples (p50, p99, "
             "max).",
             [&] {
                 for (const auto& i : instances) {
                     const auto labels = instance_labels(i);
                     w.sample(labels.with("stat", "p50"), seconds(i.jitter.p50));
                     w.sample(labels.with("stat", "p99"), seconds(i.jitter.p99));
                     w.sample(labels.with("stat", "max"), seconds(i.jitter.max));
                 }
             });
    w.family("havip_vrrp_advert_send_jitter_samples", "gauge",
             "Adverts the jitter figures are computed over.", [&] {
                 for (const auto& i : instances)
                     w.sample(instance_labels(i), static_cast<std::uint64_t>(i.jitter.samples));
             });
    w.family("havip_vrrp_vip_failures_total", "counter",
             "VIP adds and removes the kernel refused (each is retried with backoff).", [&] {
                 for (const auto& i : instances) {
                     const auto labels = instance_labels(i);
                     w.sample(labels.with("operation", "add"), i.vip_add_failures);
                     w.sample(labels.with("operation", "remove"), i.vip_remove_failures);
                 }
             });
    w.family("havip_vrrp_vip_retries_pending", "gauge",
             "VIPs whose add or remove failed and is being retried.", [&] {
                 for (const auto& i : instances)
                     w.sample(instance_labels(i), static_cast<std::uint64_t>(i.vip_retries.size()));
             });
    w.family("havip_vrrp_notify_pending", "gauge",
             "Notify hooks waiting or running for the instance.", [&] {
                 for (const auto& i : instances)
                     w.sample(instance_labels(i), static_cast<std::uint64_t>(i.notify.pending));
             });
    w.family("havip_vrrp_notify_superseded_total", "counter",
             "Notify hooks removed before they started because a newer state's were queued.", [&] {
                 for (const auto& i : instances)
                     w.sample(instance_labels(i), i.notify.superseded);
             });
    w.family("havip_vrrp_notify_dropped_total", "counter",
             "Notify hooks removed before they started because the queue was full.", [&] {
                 for (const auto& i : instances)
                     w.sample(instance_labels(i), i.notify.dropped);
             });
    w.family(
        "havip_check_status", "gauge",
        "Health check status: 1 for the current status, 0 for the type's others.", [&] {
            // Two instances tracking one check show it once: its status is the same.
            std::set<std::string> seen;
            for (const auto& i : instances) {
                for (const auto& c : i.checks) {
                    if (!seen.insert(c.name).second) continue;
                    auto statuses = statuses_of(c.type);
                    if (std::find(statuses.begin(), statuses.end(), c.status) == statuses.end())
                        statuses.push_back(c.status);
                    const auto labels = Labels().add("check", c.name).add("type", c.type);
                    for (auto s : statuses)
                        w.sample(labels.with("status", s), s == c.status ? 1 : 0);
                }
            }
        });
    // Each mysql_check once (two instances tracking one check show it once), with its labels.
    auto each_mysql_check = [&](auto&& sample) {
        std::set<std::string> seen;
        for (const auto& i : instances)
            for (const auto& c : i.checks)
                if (c.type == "mysql_check" && seen.insert(c.name).second)
                    sample(c, Labels().add("check", c.name));
    };
    w.family("havip_check_rejoins_total", "counter",
             "Automatic rejoins (havip rejoin run by havipd) of a mysql_check's node, by result.",
             [&] {
                 each_mysql_check([&](const auto& c, const Labels& labels) {
                     w.sample(labels.with("result", "started"), c.rejoins_started);
                     w.sample(labels.with("result", "succeeded"), c.rejoins_succeeded);
                     w.sample(labels.with("result", "failed"), c.rejoins_failed);
                     w.sample(labels.with("result", "deferred"), c.rejoins_deferred);
                 });
             });
    w.family("havip_check_rejoin_methods_total", "counter",
             "Succeeded automatic rejoins of a mysql_check's node, by how it was brought back: "
             "flashback (its extra transactions rolled back) or reseed (a dump of the peer).",
             [&] {
                 each_mysql_check([&](const auto& c, const Labels& labels) {
                     w.sample(labels.with("method", "flashback"), c.rejoins_flashback);
                     w.sample(labels.with("method", "reseed"), c.rejoins_reseed);
                 });
             });
    w.family("havip_switchovers_total", "counter",
             "Finished `havip switchover` runs of an instance, by result.", [&] {
                 for (const auto& i : instances)
                     for (const auto result :
                          {"switched", "dry_run", "refused", "rolled_back", "failed"}) {
                         const auto it = i.switchovers.find(result);
                         w.sample(instance_labels(i).with("result", result),
                                  it == i.switchovers.end() ? 0 : it->second);
                     }
             });
    return w.take();
}

namespace {

std::string http_response(std::string_view status, std::string_view content_type,
                          const std::string& body, bool with_body,
                          std::string_view extra_header = {}) {
    auto out = fmt::format(
        "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n{}"
        "Connection: close\r\n\r\n",
        status, content_type, body.size(), extra_header);
    if (with_body) out += body;
    return out;
}

std::string plain(std::string_view status, std::string_view extra_header = {}) {
    return http_response(status, "text/plain; charset=utf-8", fmt::format("{}\n", status), true,
                         extra_header);
}

}  // namespace

std::string metrics_http_answer(std::string_view head,
                                const std::function<std::string()>& metrics) {
    // RFC 9112 §3: request-line = method SP request-target SP HTTP-version.
    const auto line_end = head.find("\r\n");
    const auto line = head.substr(0, line_end);
    const auto sp1 = line.find(' ');
    const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
        return plain("400 Bad Request");
    const auto method = line.substr(0, sp1);
    auto target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    const auto version = line.substr(sp2 + 1);
    if (version != "HTTP/1.0" && version != "HTTP/1.1") return plain("400 Bad Request");
    if (method != "GET" && method != "HEAD")
        return plain("405 Method Not Allowed", "Allow: GET, HEAD\r\n");
    target = target.substr(0, target.find('?'));
    if (target != "/metrics") return plain("404 Not Found");
    return http_response("200 OK", metrics_content_type, metrics(), method == "GET");
}

}  // namespace havip::vrrp
