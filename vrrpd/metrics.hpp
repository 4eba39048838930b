// Prometheus metrics: the status snapshot (vrrpd/status.hpp) in the text exposition format
// 0.0.4, what the opt-in HTTP listener (vrrpd/metrics_server.hpp) serves at /metrics. Pure: the
// snapshot carries every value, nothing is read here.
//
// Families (every VRRP series is labelled instance, vrid, interface):
//   havip_build_info{version}                           gauge, always 1
//   havip_vrrp_state{…,state}                           gauge, 1 for the current state, 0 for
//                                                       the others (INIT BACKUP MASTER FAULT)
//   havip_vrrp_priority / havip_vrrp_effective_priority gauges
//   havip_vrrp_last_transition_timestamp_seconds        gauge (only after a transition)
//   havip_vrrp_become_master_total, havip_vrrp_release_master_total   counters
//   havip_vrrp_adverts_received_total, havip_vrrp_adverts_sent_total  counters
//   havip_vrrp_adverts_priority_zero_received_total / _sent_total     counters
//   havip_vrrp_adverts_rejected_total{…,reason}        counter per keepalived error counter
//                                                       (packet_len_err, …) and havip's own
//   havip_vrrp_adverts_send_errors_total                counter
//   havip_vrrp_advert_send_jitter_seconds{…,stat}       gauge, stat = p50 | p99 | max
//   havip_vrrp_advert_send_jitter_samples               gauge
//   havip_vrrp_vip_failures_total{…,operation}          counter, add / remove refused
//   havip_vrrp_vip_retries_pending                      gauge, VIPs being retried
//   havip_vrrp_notify_pending                           gauge, hooks waiting or running
//   havip_vrrp_notify_superseded_total                  counter, removed unstarted by a newer
//                                                       state's hooks
//   havip_vrrp_notify_dropped_total                     counter, removed by the queue's bound
//   havip_check_status{check,type,status}               gauge, 1 for the current status, 0 for
//                                                       the type's others (ok/failed, or
//                                                       healthy/degraded/unsafe/down)
//   havip_check_rejoins_total{check,result}             counter, mysql_check auto_rejoin runs:
//                                                       started | succeeded | failed |
//                                                       deferred (the peer was unreachable)
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "vrrpd/status.hpp"

namespace havip::vrrp {

// The Content-Type of format_metrics' text.
inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

// The whole exposition: HELP and TYPE lines, then the family's samples, one family after the
// other, ending with a newline.
std::string format_metrics(const StatusSnapshot& snapshot);

// A label value with `\`, `"` and newline escaped as the exposition format requires.
std::string escape_label_value(std::string_view value);

// The HTTP answer to one request head (request line and headers, up to the blank line) for
// the metrics listener: `GET /metrics` (a query string is ignored) → 200 with `metrics()`;
// `HEAD /metrics` → the same headers without the body; another path → 404; another method →
// 405; a head that is not HTTP/1.x → 400. Every answer closes the connection, so it is a whole
// HTTP/1.0 or 1.1 response. `metrics` is called only for a 200.
std::string metrics_http_answer(std::string_view head, const std::function<std::string()>& metrics);

}  // namespace havip::vrrp
