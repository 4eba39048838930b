#include "vrrpd/control_command.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace havip::vrrp {

namespace {

using nlohmann::json;

json error_reply(std::string message) {
    return {{"version", control_protocol_version}, {"error", std::move(message)}};
}

// The mysql_checks an instance tracks, with what the daemon last said of them.
std::vector<const CheckSnapshot*> mysql_checks(const InstanceSnapshot& i) {
    std::vector<const CheckSnapshot*> out;
    for (const auto& c : i.checks)
        if (c.type == "mysql_check") out.push_back(&c);
    return out;
}

ControlAnswer refuse(Audit audit, std::string message, bool permission = false) {
    ControlAnswer a;
    a.reply = error_reply(message);
    if (permission) a.reply["refused"] = "permission";
    audit.refused = true;
    audit.message = fmt::format("{} refused: {}", audit.message, message);
    a.audit = std::move(audit);
    return a;
}

// switchover and end_hold: one instance, named or the only one tracking a mysql_check.
ControlAnswer plan_switchover(const json& request, WriteCommand what, const std::string& by,
                              Audit audit, const std::optional<std::string>& instance,
                              const StatusSnapshot& snap) {
    std::vector<const InstanceSnapshot*> chosen;
    for (const auto& i : snap.instances)
        if (instance ? i.name == *instance : !mysql_checks(i).empty()) chosen.push_back(&i);
    if (instance && chosen.empty())
        return refuse(audit, fmt::format("no instance '{}'", *instance));
    if (chosen.empty()) return refuse(audit, "no instance tracks a mysql_check");
    if (chosen.size() > 1) {
        std::vector<std::string> names;
        for (const auto* i : chosen)
            names.push_back(i->name);
        return refuse(audit, fmt::format("several instances track a mysql_check ({}): name one",
                                         fmt::join(names, ", ")));
    }
    const InstanceSnapshot& i = *chosen.front();
    audit.instance = i.name;
    ControlAction action;
    action.command = what;
    action.by = by;
    action.instance = i.name;
    std::string message;
    if (what == WriteCommand::end_hold) {
        if (i.switchover_hold.empty())
            return refuse(audit, fmt::format("{} has no switchover hold", i.name));
        message = fmt::format(
            "ended the switchover hold of {}: it preempts a lower-priority "
            "master again",
            i.name);
    } else {
        for (const auto& s : snap.instances)
            if (s.switchover && s.switchover->running)
                return refuse(audit, fmt::format("a switchover of {} is running (step {})", s.name,
                                                 s.switchover->step));
        if (i.state != State::master)
            return refuse(
                audit,
                fmt::format("{} is {} on this node: run `havip switchover` on the node holding "
                            "the VIP{}",
                            i.name, to_string(i.state),
                            i.master_ip ? fmt::format(" ({})", *i.master_ip) : std::string{}));
        const auto checks = mysql_checks(i);
        std::vector<const CheckSnapshot*> managed;
        for (const auto* c : checks)
            if (c->manage_read_only) managed.push_back(c);
        if (managed.size() != 1)
            return refuse(audit,
                          fmt::format("{} tracks {} mysql_check with manage_read_only: a "
                                      "switchover needs exactly one (it sets read_only on both "
                                      "servers)",
                                      i.name, managed.size()));
        const auto& c = *managed.front();
        if (c.status != "healthy" && c.status != "degraded")
            return refuse(audit,
                          fmt::format("{} is {} here ({}): fix this node first", c.name,
                                      c.status.empty() ? "not probed yet" : c.status, c.reason));
        action.checks = {c.name};
        audit.checks = {c.name};
        if (const auto to = request.find("to"); to != request.end() && !to->is_null()) {
            if (!to->is_string()) return refuse(audit, "\"to\" must be a string");
            action.to = to->get<std::string>();
        }
        action.dry_run = request.value("dry_run", json(false)) == true;
        if (const auto t = request.find("timeout"); t != request.end() && !t->is_null()) {
            if (!t->is_number() || t->get<double>() < 1 || t->get<double>() > 3600)
                return refuse(audit, "\"timeout\" must be a number of seconds from 1 to 3600");
            action.timeout_s = t->get<double>();
        }
        message = fmt::format("switchover of {} started{}; `havip status` shows its steps", i.name,
                              action.dry_run ? " (dry run)" : "");
    }
    audit.message = fmt::format("{}: {}", audit.message, message);
    ControlAnswer answer;
    answer.reply = {{"version", control_protocol_version},
                    {"command", audit.command},
                    {"instance", i.name},
                    {"started", what == WriteCommand::switchover},
                    {"message", message}};
    answer.action = std::move(action);
    answer.audit = std::move(audit);
    return answer;
}

}  // namespace

const char* to_string(WriteCommand command) {
    switch (command) {
        case WriteCommand::clear_diverged:
            return "clear-diverged";
        case WriteCommand::promote_force:
            return "promote --force";
        case WriteCommand::switchover:
            return "switchover";
        case WriteCommand::end_hold:
            return "switchover --end-hold";
    }
    return "?";
}

ControlAnswer plan_request(std::string_view line, const Caller& caller,
                           const std::function<StatusSnapshot()>& status) {
    auto request = json::parse(line.begin(), line.end(), nullptr, false);
    const auto command = request.is_object() ? request.find("command") : request.end();
    const bool write =
        request.is_object() && command != request.end() &&
        (*command == "clear-diverged" || *command == "promote" || *command == "switchover");
    // Version errors and everything read-only are answer_request's.
    const auto version = write ? request.find("version") : request.end();
    if (!write || version == request.end() || !version->is_number_integer() ||
        version->get<long long>() != control_protocol_version)
        return {answer_request(line, status), std::nullopt, std::nullopt};

    const WriteCommand what =
        *command == "promote" ? WriteCommand::promote_force
        : *command == "switchover"
            ? (request.value("end_hold", json(false)) == true ? WriteCommand::end_hold
                                                              : WriteCommand::switchover)
            : WriteCommand::clear_diverged;
    const std::string by = fmt::format("uid {}, pid {}", caller.uid, caller.pid);
    Audit audit;
    audit.command = to_string(what);
    std::optional<std::string> instance;
    if (const auto it = request.find("instance"); it != request.end() && !it->is_null()) {
        if (!it->is_string()) {
            audit.message = fmt::format("havip {} by {}", audit.command, by);
            return refuse(audit, "\"instance\" must be a string");
        }
        instance = it->get<std::string>();
        audit.instance = *instance;
    }
    audit.message = fmt::format("havip {}{} by {}", audit.command,
                                instance ? " " + *instance : std::string{}, by);
    // Root only: the control group and the daemon's own user may watch, not decide.
    if (caller.uid != 0)
        return refuse(audit, fmt::format("permission denied: {} is for root", audit.command), true);
    if (what == WriteCommand::promote_force && request.value("force", json(false)) != true)
        return refuse(audit,
                      "promote needs \"force\": true — it makes this node eligible whatever its "
                      "data says, by decision of a person");

    const StatusSnapshot snap = status();
    if (what == WriteCommand::switchover || what == WriteCommand::end_hold)
        return plan_switchover(request, what, by, std::move(audit), instance, snap);
    std::vector<const InstanceSnapshot*> chosen;
    for (const auto& i : snap.instances)
        if (!instance || i.name == *instance) chosen.push_back(&i);
    if (instance && chosen.empty())
        return refuse(audit, fmt::format("no instance '{}'", *instance));
    if (!instance && what == WriteCommand::promote_force) {
        // Promoting every instance at once is not a decision anybody made.
        std::erase_if(chosen, [](const auto* i) { return mysql_checks(*i).empty(); });
        if (chosen.size() > 1) {
            std::vector<std::string> names;
            for (const auto* i : chosen)
                names.push_back(i->name);
            return refuse(audit, fmt::format("several instances track a mysql_check ({}): name "
                                             "the one to promote",
                                             fmt::join(names, ", ")));
        }
    }

    // Each check once, though several instances track it.
    std::vector<const CheckSnapshot*> checks;
    for (const auto* i : chosen)
        for (const auto* c : mysql_checks(*i))
            if (std::none_of(checks.begin(), checks.end(),
                             [&](const auto* k) { return k->name == c->name; }))
                checks.push_back(c);
    if (checks.empty())
        return refuse(audit, instance
                                 ? fmt::format("instance '{}' tracks no mysql_check", *instance)
                                 : std::string{"no instance tracks a mysql_check"});

    ControlAction action;
    action.command = what;
    action.by = by;
    json done = json::array();
    std::vector<std::string> skipped;
    for (const auto* c : checks) {
        bool act = false;
        if (what == WriteCommand::clear_diverged) {
            act = c->diverged;
            if (!act) skipped.push_back(fmt::format("{} is not latched", c->name));
        } else if (c->forced) {
            skipped.push_back(fmt::format("{} is already eligible by operator decision", c->name));
        } else if (c->status == "unsafe") {
            act = true;
        } else if (c->status == "down") {
            skipped.push_back(
                fmt::format("{} is down: its server does not answer, nothing to promote", c->name));
        } else {
            skipped.push_back(
                fmt::format("{} is already {}", c->name,
                            c->status.empty() ? "waiting for its first probe" : c->status));
        }
        if (!act) continue;
        action.checks.push_back(c->name);
        audit.checks.push_back(c->name);
        done.push_back({{"check", c->name}, {"was", fmt::format("{} - {}", c->status, c->reason)}});
    }
    std::string message;
    if (action.checks.empty()) {
        message = fmt::format("nothing to do: {}", fmt::join(skipped, "; "));
    } else {
        message = what == WriteCommand::clear_diverged
                      ? fmt::format(
                            "cleared the diverged latch of {}; the next probe judges "
                            "again, and latches again if replication still fails the "
                            "same way",
                            fmt::join(action.checks, ", "))
                      : fmt::format(
                            "{} eligible by operator decision ({}) until the next normal "
                            "change of writer",
                            fmt::join(action.checks, ", "), by);
        if (!skipped.empty()) message += fmt::format(" ({})", fmt::join(skipped, "; "));
    }
    audit.message = fmt::format("{}: {}", audit.message, message);
    ControlAnswer answer;
    answer.reply = {{"version", control_protocol_version},
                    {"command", audit.command},
                    {"done", done},
                    {"message", message}};
    if (!action.checks.empty()) answer.action = std::move(action);
    answer.audit = std::move(audit);
    return answer;
}

}  // namespace havip::vrrp
