#include "vrrpd/instance.hpp"

#include "checks/track_file.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <utility>

namespace havip::vrrp {

namespace asio = boost::asio;
using systemd::Field;
using systemd::Level;

namespace {

// One log line per rejected-advert rule per this period; the rest are counted.
constexpr auto reject_log_period = std::chrono::seconds{10};

// Whether `vip` is one of `in`'s VIPs or eVIPs.
bool listed(const InstanceSettings& in, const netlink::Vip& vip) {
    const auto key = netlink::to_string(vip);
    for (const auto* list : {&in.vips, &in.excluded_vips})
        for (const auto& v : *list)
            if (netlink::to_string(v) == key) return true;
    return false;
}

bool same_vips(const std::vector<netlink::Vip>& a, const std::vector<netlink::Vip>& b) {
    auto key = [](const netlink::Vip& v) { return netlink::to_string(v); };
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (key(a[i]) != key(b[i])) return false;
    return true;
}

std::vector<AnnounceFrame> announce_frames(const InstanceSettings& settings) {
    std::vector<AnnouncedAddress> addresses;
    for (const auto* list : {&settings.vips, &settings.excluded_vips})
        for (const auto& vip : *list)
            addresses.push_back({vip.address, vip.ifindex});
    return vrrp::announce_frames(addresses, settings.announce_links);
}

bool same_tracks(const std::vector<TrackSettings>& a, const std::vector<TrackSettings>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto &x = a[i], &y = b[i];
        if (x.name != y.name || x.weight != y.weight || x.reverse != y.reverse ||
            x.rise != y.rise || x.fall != y.fall || x.init_fail != y.init_fail ||
            x.lag_weight != y.lag_weight || x.down_means_fault != y.down_means_fault)
            return false;
    }
    return true;
}

}  // namespace

void SendJitter::record(Duration late) {
    using std::chrono::microseconds;
    const auto us = std::chrono::duration_cast<microseconds>(late).count();
    samples_[next_] = static_cast<std::uint16_t>(
        std::clamp<decltype(us)>(us, 0, std::numeric_limits<std::uint16_t>::max()));
    next_ = (next_ + 1) % capacity;
    count_ = std::min(count_ + 1, capacity);
    max_ = std::max(max_, late);
}

SendJitter::Summary SendJitter::summary() const {
    Summary s;
    s.samples = count_;
    if (count_ == 0) return s;
    std::vector<std::uint16_t> v(samples_.begin(), samples_.begin() + static_cast<long>(count_));
    std::sort(v.begin(), v.end());
    s.p50 = std::chrono::microseconds{v[(count_ - 1) / 2]};
    s.p99 = std::chrono::microseconds{v[std::min(count_ - 1, (count_ * 99) / 100)]};
    s.max = max_;
    return s;
}

bool InstanceSettings::same_as(const InstanceSettings& o) const {
    const auto &r = router, &orr = o.router;
    const auto &p = policy, &op = o.policy;
    return name == o.name && ifname == o.ifname && ifindex == o.ifindex && ipv6 == o.ipv6 &&
           r.vrid == orr.vrid && r.priority == orr.priority && r.version == orr.version &&
           r.advertisement_interval == orr.advertisement_interval && r.preempt == orr.preempt &&
           r.preempt_delay == orr.preempt_delay && r.down_timer_adverts == orr.down_timer_adverts &&
           r.primary_address == orr.primary_address && source_chosen == o.source_chosen &&
           p.auth_type == op.auth_type && p.password == op.password && p.vips == op.vips &&
           p.unicast_peers == op.unicast_peers && p.unicast_source == op.unicast_source &&
           p.check_unicast_src == op.check_unicast_src && same_vips(vips, o.vips) &&
           same_vips(excluded_vips, o.excluded_vips) && destinations == o.destinations &&
           mac == o.mac && announce_links == o.announce_links &&
           announce.master_delay == o.announce.master_delay &&
           announce.master_repeat == o.announce.master_repeat &&
           announce.interval == o.announce.interval &&
           announce.master_refresh == o.announce.master_refresh &&
           announce.refresh_repeat == o.announce.refresh_repeat && same_tracks(tracks, o.tracks) &&
           tracked_ifindexes == o.tracked_ifindexes && disabled_checks == o.disabled_checks &&
           untracked_vips == o.untracked_vips && sync_group == o.sync_group &&
           r.sync_group == orr.sync_group;
}

RouterKey router_key(const InstanceSettings& s) {
    const bool unicast = !s.policy.unicast_peers.empty();
    return {s.router.vrid, s.ipv6, s.ifindex, unicast,
            unicast ? s.router.primary_address.to_string() : s.policy.multicast_group.to_string()};
}

Instance::Instance(InstanceSettings settings, Deps deps)
    : settings_{std::move(settings)},
      deps_{deps},
      core_{settings_.name, settings_.router, settings_.tracks, settings_.sync_group,
            InstanceCore::Outputs{[this](const Actions& actions) { apply(actions); },
                                  [this](const SyncSignal& signal) {
                                      if (deps_.on_sync) deps_.on_sync(core_.sync_group(), signal);
                                  },
                                  [this](const CoreNote& note) {
                                      log(note.warning ? Level::warning : Level::notice,
                                          note.message,
                                          note.check.empty() ? std::initializer_list<Field>{}
                                                             : std::initializer_list<Field>{
                                                                   {"HAVIP_CHECK", note.check},
                                                                   {"HAVIP_REASON", note.reason}});
                                  }}},
      master_down_timer_{deps.io},
      adver_timer_{deps.io},
      announce_timer_{deps.io},
      vip_retry_timer_{deps.io},
      notify_queue_{deps.io,
                    [this](const checks::NotifyReport& r) {
                        log(r.result.success() ? Level::info : Level::warning, r.reason);
                    },
                    // Hooks that finish after a reload removed the instance (its notify_stop).
                    [&log = deps.log, name = settings_.name,
                     vrid = std::to_string(settings_.router.vrid)](const checks::NotifyReport& r) {
                        log.log(r.result.success() ? Level::info : Level::warning,
                                r.reason + " (instance removed)",
                                {{"HAVIP_INSTANCE", name}, {"HAVIP_VRID", vrid}});
                    }},
      announce_schedule_{announcement_schedule(settings_.announce)},
      lower_priority_schedule_{lower_priority_schedule(settings_.announce)},
      announce_frames_{announce_frames(settings_)} {
    old_checksum_active_ = settings_.old_checksum == InstanceSettings::OldChecksum::always;
}

Instance::~Instance() {
    master_down_timer_.cancel();
    adver_timer_.cancel();
    announce_timer_.cancel();
    vip_retry_timer_.cancel();
}

std::vector<Field> Instance::fields() const {
    return {{"HAVIP_INSTANCE", settings_.name},
            {"HAVIP_VRID", std::to_string(settings_.router.vrid)},
            {"HAVIP_STATE", std::string{to_string(state())}}};
}

void Instance::log(Level level, const std::string& message, std::initializer_list<Field> extra) {
    auto f = fields();
    f.insert(f.end(), extra.begin(), extra.end());
    deps_.log.log(level, message, f);
}

void Instance::start() {
    core_.start(Clock::now());
}

void Instance::release_dropped_vips(const InstanceSettings& next,
                                    const std::function<bool(const netlink::Vip&)>& taken_over) {
    if (state() != State::master) return;
    for (auto* list : {&settings_.vips, &settings_.excluded_vips})
        std::erase_if(*list, [&](const netlink::Vip& vip) {
            if (listed(next, vip)) return false;
            const bool handed = taken_over(vip);
            log(Level::notice,
                fmt::format("VIP {} dropped by the reload: {}", netlink::to_string(vip),
                            handed ? "left in place for the kept master that takes "
                                     "it over"
                                   : "removed"));
            if (!handed) change_vip(vip, VipOp::remove);
            return true;
        });
}

void Instance::reconfigure(InstanceSettings next) {
    InstanceSettings before =
        adopt(std::move(next), "settings changed by the reload: applied in place, state kept");
    core_.reconfigure(settings_.router, settings_.tracks, settings_.sync_group, Clock::now());
    update_vips(before);
}

InstanceSettings Instance::adopt(InstanceSettings next, std::string_view changed_note) {
    const bool changed = !settings_.same_as(next);
    InstanceSettings before = std::exchange(settings_, std::move(next));
    sent_payloads_.reset();
    // A switch made on hearing an old peer stays, unless the reload now says never.
    old_checksum_active_ = settings_.old_checksum == InstanceSettings::OldChecksum::always ||
                           (settings_.old_checksum == InstanceSettings::OldChecksum::automatic &&
                            old_checksum_active_);
    announce_frames_ = announce_frames(settings_);
    announce_schedule_ = announcement_schedule(settings_.announce);
    lower_priority_schedule_ = lower_priority_schedule(settings_.announce);
    if (changed) log(Level::notice, std::string{changed_note});
    return before;
}

void Instance::update_vips(const InstanceSettings& before) {
    if (state() != State::master) return;
    // The VIPs the reload took away (unless release_dropped_vips did), then those it added: a
    // MASTER holds exactly the new list.
    bool added = false;
    for (const auto* list : {&before.vips, &before.excluded_vips})
        for (const auto& vip : *list)
            if (!listed(settings_, vip)) change_vip(vip, VipOp::remove);
    for (const auto* list : {&settings_.vips, &settings_.excluded_vips})
        for (const auto& vip : *list)
            if (!listed(before, vip)) {
                added = true;
                change_vip(vip, VipOp::add);
            }
    if (added) start_announcements();
}

void Instance::interface_lost(const std::string& reason, std::string_view until) {
    if (core_.interface_is_lost()) return;
    log(Level::warning, fmt::format("{}: FAULT until {}", reason, until),
        {{"HAVIP_REASON", "interface deleted"}});
    core_.lose_interface(reason, Clock::now());
    // Its socket went with the interface; nothing is sent until rebind().
    deps_.socket = nullptr;
}

void Instance::rebind(InstanceSettings next, VrrpSocket& socket) {
    deps_.socket = &socket;
    if (core_.interface_is_lost() && next.ifindex == settings_.ifindex)
        log(Level::notice, fmt::format("interface {} has an address again: sending from {}",
                                       next.ifname, next.router.primary_address.to_string()));
    else if (core_.interface_is_lost())
        log(Level::notice,
            fmt::format("interface {} is back (ifindex {})", next.ifname, next.ifindex));
    // The router keeps its state and takes the new indexes, MAC, source address and VIP
    // interfaces, and leaves FAULT when nothing else holds it there.
    InstanceSettings before =
        adopt(std::move(next), "resolved again on the interfaces present now, state kept");
    core_.rebind(settings_.router, settings_.tracks, settings_.sync_group, Clock::now());
    update_vips(before);
}

void Instance::stop(bool keep_vips) {
    if (keep_vips && state() == State::master) {
        // -V: leave the VIPs for whoever starts next; still tell the peer we are leaving.
        send_advert(0);
        master_down_timer_.cancel();
        adver_timer_.cancel();
        announce_timer_.cancel();
        vip_retry_timer_.cancel();
        return;
    }
    handle(Shutdown{});
    master_down_timer_.cancel();
    adver_timer_.cancel();
    announce_timer_.cancel();
}

void Instance::receive(const Advert& advert) {
    const State s = state();
    if (s == State::init || s == State::fault) return;  // keepalived ignores everything then
    last_advert_source_ = advert.source;
    if (auto error = validate(advert, settings_.policy)) {
        reject(*error, advert.source);
        return;
    }
    ++stats_.advert_rcvd;
    if (advert.priority == 0) ++stats_.pri_zero_rcvd;
    AdvertReceived event{advert.priority, std::chrono::duration_cast<Duration>(advert.interval),
                         advert.source};
    handle(event);
}

void Instance::receive_old_checksum(const Advert& advert) {
    using Mode = InstanceSettings::OldChecksum;
    if (settings_.old_checksum == Mode::never) {
        reject(DecodeError::checksum_err, advert.source);
        return;
    }
    if (!old_checksum_active_) {
        old_checksum_active_ = true;
        sent_payloads_.reset();
        log(Level::info, fmt::format("setting unicast VRRPv3 checksum to the old version: {} "
                                     "sends it (keepalived before 1.3.6)",
                                     advert.source.to_string()));
    }
    receive(advert);
}

void Instance::reject(DecodeError error, const asio::ip::address& source) {
    ++stats_.of(error);
    const auto i = static_cast<std::size_t>(error);
    const auto now = Clock::now();
    if (now - last_reject_log_[i] < reject_log_period) {
        ++reject_suppressed_[i];
        return;
    }
    std::string more = reject_suppressed_[i] > 0
                           ? fmt::format(" ({} more since the last report)", reject_suppressed_[i])
                           : std::string{};
    log(Level::warning,
        fmt::format("rejected advert from {}: {} [{}]{}", source.to_string(), describe(error),
                    counter_name(error), more),
        {{"HAVIP_REASON", std::string{counter_name(error)}}});
    last_reject_log_[i] = now;
    reject_suppressed_[i] = 0;
}

void Instance::link_state(int ifindex, bool running) {
    for (std::size_t i = 0; i < settings_.tracked_ifindexes.size(); ++i) {
        if (settings_.tracked_ifindexes[i] != ifindex) continue;
        core_.report(i, running ? Outcome::ok : Outcome::failed, running ? "link up" : "link down",
                     Clock::now());
    }
}

void Instance::check_result(const std::string& name, Outcome outcome, std::string reason) {
    core_.report(name, outcome, std::move(reason), Clock::now());
}

void Instance::failback_hold(const std::string& name, const std::string& reason) {
    if (!core_.failback_hold(name, reason, Clock::now())) return;
    if (core_.switchover_hold()) return;  // the switchover's hold was said when it started
    // Only a preempting BACKUP is affected; say so when it is (issue 9: the journal tells why
    // the VIP stays where it is).
    if (!settings_.router.preempt || state() == State::master) return;
    if (core_.preempt_held())
        log(Level::notice,
            fmt::format("failback held: {} not caught up: {}; a live lower-priority master keeps "
                        "the VIP until it is",
                        name, reason),
            {{"HAVIP_CHECK", name}, {"HAVIP_REASON", reason}});
    else
        log(Level::notice,
            fmt::format("failback hold released: {} caught up; preempting a lower-priority "
                        "master is allowed again",
                        name),
            {{"HAVIP_CHECK", name}});
}

void Instance::hand_over(const std::string& reason, const std::string& hold) {
    if (state() != State::master) return;
    switchover_hold(hold);
    handle(HandOver{reason});
}

void Instance::switchover_hold(const std::string& hold) {
    if (!core_.switchover_hold(hold, Clock::now())) return;
    if (!hold.empty())
        log(Level::notice,
            fmt::format("switchover hold: {}; this node does not preempt the peer until `havip "
                        "switchover` moves the VIP back or `havip switchover --end-hold` ends "
                        "the hold",
                        hold),
            {{"HAVIP_REASON", hold}});
    else
        log(Level::notice, "switchover hold ended");
}

void Instance::track_file_value(const std::string& name, long long value,
                                const std::string& reason) {
    for (const auto& file : settings_.track_files) {
        if (file.name != name) continue;
        const auto index = tracker().index_of("file " + name);
        if (!index) return;
        const auto effect = checks::track_file_effect(value, file.weight, file.reverse);
        TrackSettings item = tracker().items()[*index].settings;
        if (item.weight != effect.weight) {
            item.weight = effect.weight;
            core_.update_track(*index, item, Clock::now());
        }
        core_.report(*index, effect.outcome, reason, Clock::now());
    }
}

void Instance::address_removed(int ifindex, const asio::ip::address& address) {
    if (state() != State::master) return;
    std::vector<HeldAddress> held;
    for (const auto* list : {&settings_.vips, &settings_.excluded_vips})
        for (const auto& v : *list)
            held.push_back({v.ifindex, v.address});
    if (!answers_removal(held, settings_.untracked_vips, {ifindex, address})) return;
    log(Level::warning, fmt::format("VIP {} was removed by someone else", address.to_string()),
        {{"HAVIP_REASON", "vip removed externally"}});
    handle(VipsLostExternally{});
}

void Instance::handle(const Event& event) {
    core_.handle(event, Clock::now());
}

void Instance::apply(const Actions& actions) {
    // The wire and the VIPs first, in the FSM's order; the log line and status callbacks of a
    // state change after them, so logging never delays a takeover.
    for (const auto& a : actions)
        if (!std::holds_alternative<StateChanged>(a)) apply(a);
    for (const auto& a : actions)
        if (std::holds_alternative<StateChanged>(a)) apply(a);
}

void Instance::apply(const Action& action) {
    std::visit(
        [this](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, SendAdvert>) {
                send_advert(a.priority);
            } else if constexpr (std::is_same_v<T, ArmTimer>) {
                arm(a.which, a.deadline);
            } else if constexpr (std::is_same_v<T, CancelTimer>) {
                (a.which == TimerId::master_down ? master_down_timer_ : adver_timer_).cancel();
            } else if constexpr (std::is_same_v<T, AddVips>) {
                add_vips();
            } else if constexpr (std::is_same_v<T, RemoveVips>) {
                remove_vips();
            } else if constexpr (std::is_same_v<T, Announce>) {
                start_announcements(a.lower_priority);
            } else if constexpr (std::is_same_v<T, StateChanged>) {
                last_transition_ =
                    Transition{std::chrono::system_clock::now(), a.from, a.to, a.reason};
                if (a.to == State::master) ++stats_.become_master;
                if (a.from == State::master) ++stats_.release_master;
                log(a.to == State::fault ? Level::warning : Level::notice,
                    fmt::format("{} -> {}: {}", to_string(a.from), to_string(a.to), a.reason),
                    {{"MESSAGE_ID", std::string{systemd::message_id_state_change}},
                     {"HAVIP_PREV_STATE", std::string{to_string(a.from)}},
                     {"HAVIP_REASON", a.reason}});
                run_notify(a.to);
                if (deps_.on_state_change) deps_.on_state_change();
            } else if constexpr (std::is_same_v<T, SyncWantsMaster>) {
                log(Level::info, "master down timer expired: waiting for the sync group");
            } else if constexpr (std::is_same_v<T, RivalMaster>) {
                // Logged where it is acted on, at most once a second (CheckSet::rival_master).
                if (deps_.on_rival_master) deps_.on_rival_master(*this, a);
            }
        },
        action);
}

void Instance::run_notify(State to) {
    // Hooks run one at a time in transition order (checks::NotifyQueue), unlike keepalived's.
    const auto& n = settings_.notify;
    const std::optional<checks::Command>* specific = nullptr;
    const char* label = nullptr;
    switch (to) {
        case State::master:
            specific = &n.master;
            label = "notify_master";
            break;
        case State::backup:
            specific = &n.backup;
            label = "notify_backup";
            break;
        case State::fault:
            specific = &n.fault;
            label = "notify_fault";
            break;
        case State::init:
            specific = &n.stop;
            label = "notify_stop";
            break;
    }
    // One transition's hooks go together: a newer state supersedes them while they wait.
    std::vector<checks::NotifyJob> hooks;
    if (*specific) hooks.push_back({label, **specific});
    if (n.any) {
        auto command = *n.any;
        command.argv.insert(command.argv.end(),
                            {"INSTANCE", settings_.name,
                             to == State::init ? std::string{"STOP"} : std::string{to_string(to)},
                             std::to_string(tracker().effective_priority())});
        hooks.push_back({"notify", std::move(command)});
    }
    if (hooks.empty()) return;
    const auto superseded = notify_queue_.superseded();
    notify_queue_.enqueue(std::move(hooks));
    if (const auto n_superseded = notify_queue_.superseded() - superseded)
        log(Level::info, fmt::format("{} waiting notify hook{} of an older state superseded by "
                                     "{}",
                                     n_superseded, n_superseded == 1 ? "" : "s", label));
}

void Instance::send_advert(std::uint8_t priority) {
    // The settings are fixed for the instance's life, so the bytes only change with the
    // priority: encode once per priority, not ten times a second.
    if (!sent_payloads_ || sent_payloads_->priority != priority) {
        Advert advert;
        advert.version = settings_.router.version;
        advert.vrid = settings_.router.vrid;
        advert.priority = priority;
        advert.interval =
            std::chrono::duration_cast<Centiseconds>(settings_.router.advertisement_interval);
        advert.auth_type = settings_.policy.auth_type;
        advert.auth_data = settings_.policy.password;
        advert.addresses.reserve(settings_.vips.size());
        for (const auto& v : settings_.vips)
            advert.addresses.push_back(v.address);
        advert.source = settings_.router.primary_address;
        EncodedAdverts encoded{priority, {}};
        for (const auto& destination : settings_.destinations) {
            advert.destination = destination;
            // IPv4 sockets are IP_HDRINCL (VrrpSocket::send): the whole packet, id 0 for the
            // kernel to fill in.
            EncodeOptions options;
            if (old_checksum_active_)
                options.v3_ipv4_checksum = V3Ipv4Checksum::group_pseudo_header;
            auto bytes = settings_.ipv6 ? encode_payload(advert) : encode_ipv4(advert, options);
            if (const auto* e = std::get_if<EncodeError>(&bytes)) {
                // The configuration was validated: this is a bug, not a runtime condition.
                log(Level::err, fmt::format("cannot encode advert: {}", describe(*e)));
                encoded.payloads.emplace_back();
                continue;
            }
            encoded.payloads.push_back(std::move(std::get<Bytes>(bytes)));
        }
        sent_payloads_ = std::move(encoded);
    }
    for (std::size_t i = 0; i < settings_.destinations.size(); ++i) {
        const auto& destination = settings_.destinations[i];
        const auto& payload = sent_payloads_->payloads[i];
        if (payload.empty()) {
            ++stats_.send_err;
            continue;
        }
        if (!deps_.socket) {  // the interface is gone: nowhere to send (interface_lost)
            ++stats_.send_err;
            continue;
        }
        if (auto ec = deps_.socket->send(payload, settings_.router.primary_address, destination)) {
            ++stats_.send_err;
            log(Level::warning,
                fmt::format("advert to {} not sent: {}", destination.to_string(), ec.message()));
            continue;
        }
        ++stats_.advert_sent;
        if (priority == 0) ++stats_.pri_zero_sent;
    }
}

void Instance::arm(TimerId which, TimePoint deadline) {
    auto& timer = which == TimerId::master_down ? master_down_timer_ : adver_timer_;
    auto fire_at =
        Clock::time_point{std::chrono::duration_cast<Clock::duration>(deadline.time_since_epoch())};
    if (which == TimerId::adver) {
        // Batching (issue 7): advert deadlines are rounded up to a 5 ms slot of the steady
        // clock, so the adverts of many instances leave in one wake-up instead of one each.
        // Intervals are whole centiseconds and the FSM's deadlines absolute, so the slots
        // repeat exactly: only the first timer after a transition moves, by under 5 ms. The
        // master-down timer stays exact: it bounds failover.
        constexpr auto slot = std::chrono::duration_cast<Clock::duration>(advert_slot);
        const auto since = fire_at.time_since_epoch();
        fire_at = Clock::time_point{(since + slot - Clock::duration{1}) / slot * slot};
    }
    timer.expires_at(fire_at);
    timer.async_wait([weak = weak_from_this(), which, fire_at](boost::system::error_code ec) {
        if (ec) return;  // re-armed or cancelled
        auto self = weak.lock();
        if (!self) return;
        if (which == TimerId::master_down) {
            self->handle(MasterDownTimerFired{});
        } else {
            self->jitter_.record(Clock::now() - fire_at);
            self->handle(AdverTimerFired{});
        }
    });
}

void Instance::add_vips() {
    for (const auto* list : {&settings_.vips, &settings_.excluded_vips})
        for (const auto& vip : *list)
            change_vip(vip, VipOp::add);
}

void Instance::remove_vips() {
    announce_timer_.cancel();
    for (const auto* list : {&settings_.vips, &settings_.excluded_vips})
        for (const auto& vip : *list)
            change_vip(vip, VipOp::remove);
}

void Instance::change_vip(const netlink::Vip& vip, VipOp op) {
    const auto key = netlink::to_string(vip);
    auto r = op == VipOp::add ? deps_.addresses.add(vip) : deps_.addresses.remove(vip);
    if (!r && op == VipOp::add && r.error() == std::errc::no_such_device) {
        // Its interface is gone (deleted, to be re-created): as keepalived, not added and
        // not retried; the daemon follows the name and adds it on the new interface
        // (Instance::rebind). Any retry of the address on the dead interface ends here.
        vip_retries_.forget(key);
        retry_targets_.erase(key);
        arm_vip_retry();
        log(Level::notice,
            fmt::format("VIP {} not added: its interface is gone; added when an interface of "
                        "that name is back",
                        key));
        return;
    }
    const auto note = vip_retries_.record(key, op, static_cast<bool>(r),
                                          r ? std::string{} : r.error().message(), Clock::now());
    if (r)
        retry_targets_.erase(key);
    else
        retry_targets_.insert_or_assign(key, vip);
    switch (note.kind) {
        case VipNote::Kind::none:
            break;
        case VipNote::Kind::recovered:
            log(Level::notice, fmt::format("VIP {} {} after {} failed attempt{}", key,
                                           op == VipOp::add ? "added" : "removed", note.failures,
                                           note.failures == 1 ? "" : "s"));
            break;
        case VipNote::Kind::failed:
            log(Level::err,
                fmt::format(
                    "cannot {} VIP {}: {}; retrying in {} ms (attempt {})", to_string(op), key,
                    r.error().message(),
                    std::chrono::duration_cast<std::chrono::milliseconds>(note.retry_in).count(),
                    note.failures + 1),
                {{"HAVIP_REASON", fmt::format("vip {} failed", to_string(op))}});
            break;
    }
    arm_vip_retry();
}

void Instance::arm_vip_retry() {
    const auto next = vip_retries_.next_due();
    if (!next) {
        vip_retry_timer_.cancel();
        return;
    }
    vip_retry_timer_.expires_at(
        Clock::time_point{std::chrono::duration_cast<Clock::duration>(next->time_since_epoch())});
    vip_retry_timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        if (ec) return;
        if (auto self = weak.lock()) self->retry_vips();
    });
}

void Instance::retry_vips() {
    bool added = false;
    for (const auto& [key, op] : vip_retries_.due(Clock::now())) {
        const auto it = retry_targets_.find(key);
        if (it == retry_targets_.end()) continue;
        const auto vip = it->second;
        change_vip(vip, op);
        added = added || (op == VipOp::add && !vip_retries_.pending().count(key));
    }
    arm_vip_retry();
    // A VIP that is finally there is announced as on becoming MASTER.
    if (added && state() == State::master) start_announcements();
}

void Instance::announce_burst(unsigned count) {
    for (unsigned n = 0; n < count; ++n)
        for (const auto& frame : announce_frames_)
            if (deps_.announce(frame.ifindex, frame.bytes)) ++stats_.send_err;
}

void Instance::start_announcements(bool lower_priority) {
    announce_timer_.cancel();
    announcing_lower_priority_ = lower_priority;
    schedule_announcements(0, Clock::now());
}

// Walks the schedule: the bursts after becoming MASTER, then refresh bursts every period.
// `next_burst` indexes on_master first, then each_refresh of successive periods.
void Instance::schedule_announcements(std::size_t next_burst, Clock::time_point start) {
    const auto now = Clock::now();
    const auto next = vrrp::next_burst(
        announcing_lower_priority_ ? lower_priority_schedule_ : announce_schedule_, next_burst,
        std::chrono::duration_cast<std::chrono::microseconds>(now - start));
    if (!next) return;
    next_burst = next->index;
    const unsigned count = next->burst.count;
    const auto at = start + next->burst.offset;
    if (at <= now) {
        announce_burst(count);
        schedule_announcements(next_burst + 1, start);
        return;
    }
    announce_timer_.expires_at(at);
    announce_timer_.async_wait(
        [weak = weak_from_this(), next_burst, start, count](boost::system::error_code ec) {
            if (ec) return;
            auto self = weak.lock();
            if (!self || self->state() != State::master) return;
            self->announce_burst(count);
            self->schedule_announcements(next_burst + 1, start);
        });
}

}  // namespace havip::vrrp
