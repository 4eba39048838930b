#include "havip/operator.hpp"

#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

namespace havip::cli {

using nlohmann::json;

std::string operator_usage(const std::string& command) {
    if (command == "switchover")
        return "Usage: havip switchover [INSTANCE] [--to ADDRESS] [--dry-run] [--timeout S]\n"
               "                        [--socket PATH] [--json]\n"
               "       havip switchover --end-hold [INSTANCE] [--socket PATH] [--json]\n"
               "Moves the VIP of INSTANCE (the one tracking a mysql_check with manage_read_only\n"
               "when not named) from this node, which must hold it, to its peer with no write\n"
               "lost: preflight (the peer answers, is read-only and caught up), read_only=1 here,\n"
               "the peer applies this node's last position, the VIP moves (priority 0), the peer\n"
               "becomes writable. Each step is printed as it runs. A failed step rolls back: the\n"
               "VIP and the writer stay here. Afterwards this node stays BACKUP and does not\n"
               "preempt (the switchover hold, shown in `havip status`) until a switchover on the\n"
               "new holder moves the VIP back or `--end-hold` ends the hold. Root only.\n"
               "  --to ADDRESS   refuse unless the peer is this address (its Master_Host)\n"
               "  --dry-run      run the preflight only and print what it found\n"
               "  --timeout S    longest time writes may be refused (read_only and the peer's\n"
               "                 catch-up) before rolling back (default 30)\n"
               "  --end-hold     end this node's switchover hold instead\n"
               "  --socket PATH  the control socket (default /run/havipd/havipd.sock)\n"
               "  --json         print the daemon's answers as JSON\n"
               "Exit codes: 0 switched over (or dry run passed, hold ended), 1 refused, rolled\n"
               "back or failed, 2 daemon unreachable, 64 usage, 77 not root.\n";
    if (command == "promote")
        return "Usage: havip promote --force [INSTANCE] [--socket PATH] [--json]\n"
               "Makes this node's mysql_checks of INSTANCE eligible whatever their data says\n"
               "(stale, diverged), by decision of a person: recorded in the journal, in status\n"
               "and in the check's state file until the next normal change of writer. A server\n"
               "that does not answer stays down. Root only.\n"
               "  --force        required: you take the decision the data could not\n"
               "  --socket PATH  the control socket (default /run/havipd/havipd.sock)\n"
               "  --json         print the daemon's answer as JSON\n"
               "Exit codes: 0 done or nothing to do, 1 refused, 2 daemon unreachable, 64 usage,\n"
               "77 not root.\n";
    return "Usage: havip clear-diverged [INSTANCE] [--socket PATH] [--json]\n"
           "Clears the diverged latch of the mysql_checks INSTANCE tracks (every instance when\n"
           "none is named), in the running havipd and its state file, once the node's data is\n"
           "repaired. If replication still fails the same way the next probe latches again.\n"
           "Root only.\n"
           "  --socket PATH  the control socket (default /run/havipd/havipd.sock)\n"
           "  --json         print the daemon's answer as JSON\n"
           "Exit codes: 0 done or nothing to do, 1 refused, 2 daemon unreachable, 64 usage,\n"
           "77 not root.\n";
}

std::variant<OperatorArgs, UsageError> parse_operator_args(const std::string& command,
                                                           const std::vector<std::string>& args) {
    OperatorArgs out;
    out.command = command;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--json") {
            out.json = true;
        } else if (a == "-h" || a == "--help") {
            out.help = true;
        } else if (a == "--force" && command == "promote") {
            out.force = true;
        } else if (command == "switchover" && a == "--dry-run") {
            out.dry_run = true;
        } else if (command == "switchover" && a == "--end-hold") {
            out.end_hold = true;
        } else if (command == "switchover" && (a == "--to" || a == "--timeout")) {
            if (i + 1 >= args.size() || args[i + 1].empty())
                return UsageError{fmt::format("{} needs a value", a)};
            const std::string& v = args[++i];
            if (a == "--to") {
                out.to = v;
                continue;
            }
            char* end = nullptr;
            const double t = std::strtod(v.c_str(), &end);
            if (end != v.c_str() + v.size() || !(t >= 1 && t <= 3600))
                return UsageError{fmt::format("--timeout {}: seconds from 1 to 3600", v)};
            out.timeout = t;
        } else if (a == "--socket") {
            if (i + 1 >= args.size() || args[i + 1].empty())
                return UsageError{"--socket needs a path"};
            out.socket = args[++i];
        } else if (a.starts_with("--socket=")) {
            out.socket = a.substr(9);
            if (out.socket.empty()) return UsageError{"--socket needs a path"};
        } else if (a.starts_with("-") || out.instance) {
            return UsageError{fmt::format("unexpected argument '{}'", a)};
        } else {
            out.instance = a;
        }
    }
    if (out.end_hold && (out.dry_run || out.to || out.timeout))
        return UsageError{"--end-hold takes no other switchover option"};
    if (command == "promote" && !out.force && !out.help)
        return UsageError{
            "promote needs --force: it makes this node eligible whatever its data "
            "says"};
    return out;
}

json operator_request(const OperatorArgs& args) {
    json r = {{"version", 1}, {"command", args.command}};
    if (args.command == "promote") r["force"] = args.force;
    if (args.instance) r["instance"] = *args.instance;
    if (args.command == "switchover") {
        if (args.end_hold) {
            r["end_hold"] = true;
        } else {
            r["dry_run"] = args.dry_run;
            if (args.to) r["to"] = *args.to;
            if (args.timeout) r["timeout"] = *args.timeout;
        }
    }
    return r;
}

SwitchoverProgress switchover_progress(const json& status, const std::string& instance,
                                       const std::string& before, std::size_t printed) {
    SwitchoverProgress p;
    p.printed = printed;
    for (const auto& i : status.value("instances", json::array())) {
        if (i.value("name", std::string{}) != instance) continue;
        const auto sw = i.value("switchover", json(nullptr));
        if (!sw.is_object() || sw.value("started", std::string{}) == before) return p;
        const auto steps = sw.value("steps", json::array());
        for (; p.printed < steps.size(); ++p.printed) {
            const auto& st = steps[p.printed];
            p.lines +=
                fmt::format("  {:<16} {} {:>6.0f} ms  {}\n", st.value("step", std::string{"?"}),
                            st.value("ok", false) ? "ok    " : "FAILED", st.value("ms", 0.0),
                            st.value("detail", std::string{}));
        }
        p.finished = !sw.value("running", true);
        p.result = sw.value("result", std::string{});
        p.summary = sw.value("summary", std::string{});
    }
    return p;
}

namespace {

// `havip switchover`: the request, then the steps from status as they end.
int run_switchover(const OperatorArgs& a, std::ostream& out, std::ostream& err) {
    const json status_request = {{"version", 1}, {"command", "status"}};
    auto before_doc = query_daemon(a.socket, status_request, std::chrono::seconds(5));
    if (auto* e = std::get_if<QueryError>(&before_doc)) {
        err << "havip switchover: " << e->message << "\n";
        return exit_unreachable;
    }
    auto answer = query_daemon(a.socket, operator_request(a), std::chrono::seconds(5));
    if (auto* e = std::get_if<QueryError>(&answer)) {
        err << "havip switchover: " << e->message << "\n";
        return exit_unreachable;
    }
    const auto& reply = std::get<json>(answer);
    const int code = operator_exit_code(reply);
    if (a.json) out << reply.dump() << "\n";
    if (code != exit_ok || !reply.value("started", false)) {
        if (!a.json) (code == exit_ok ? out : err) << render_operator_reply(reply);
        return code;
    }
    const std::string instance = reply.value("instance", std::string{});
    std::string before;
    for (const auto& i : std::get<json>(before_doc).value("instances", json::array()))
        if (i.value("name", std::string{}) == instance)
            before = i.value("switchover", json::object()).value("started", std::string{});
    if (!a.json) out << render_operator_reply(reply);
    // The daemon bounds every step; this only keeps a lost daemon from hanging us.
    const auto give_up = std::chrono::steady_clock::now() +
                         std::chrono::duration<double>(a.timeout.value_or(30) + 120);
    std::size_t printed = 0;
    while (std::chrono::steady_clock::now() < give_up) {
        auto doc = query_daemon(a.socket, status_request, std::chrono::seconds(5));
        if (auto* e = std::get_if<QueryError>(&doc)) {
            err << "havip switchover: " << e->message << " (the switchover may still run: see "
                << "`havip status`)\n";
            return exit_unreachable;
        }
        const auto p = switchover_progress(std::get<json>(doc), instance, before, printed);
        printed = p.printed;
        if (!a.json) out << p.lines << std::flush;
        if (p.finished) {
            if (a.json)
                out << json({{"result", p.result}, {"summary", p.summary}}).dump() << "\n";
            else
                (p.result == "switched" || p.result == "dry_run" ? out : err) << p.summary << "\n";
            return p.result == "switched" || p.result == "dry_run" ? exit_ok : exit_refused;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    err << "havip switchover: no end seen; see `havip status`\n";
    return exit_refused;
}

}  // namespace

std::string render_operator_reply(const json& reply) {
    if (const auto e = reply.find("error"); e != reply.end())
        return fmt::format("refused: {}\n", e->is_string() ? e->get<std::string>() : e->dump());
    std::string out = reply.value("message", std::string{}) + "\n";
    for (const auto& d : reply.value("done", json::array()))
        out += fmt::format("  {}: was {}\n", d.value("check", std::string{"?"}),
                           d.value("was", std::string{"?"}));
    return out;
}

int operator_exit_code(const json& reply) {
    if (!reply.is_object()) return exit_unreachable;
    if (reply.contains("error"))
        return reply.value("refused", std::string{}) == "permission" ? exit_no_permission
                                                                     : exit_refused;
    return reply.contains("message") ? exit_ok : exit_unreachable;
}

int run_operator(const std::string& command, const std::vector<std::string>& args,
                 std::ostream& out, std::ostream& err) {
    auto parsed = parse_operator_args(command, args);
    if (auto* e = std::get_if<UsageError>(&parsed)) {
        err << "havip " << command << ": " << e->message << "\n" << operator_usage(command);
        return exit_usage;
    }
    const auto& a = std::get<OperatorArgs>(parsed);
    if (a.help) {
        out << operator_usage(command);
        return exit_ok;
    }
    if (command == "switchover") return run_switchover(a, out, err);
    auto answer = query_daemon(a.socket, operator_request(a), std::chrono::seconds(5));
    if (auto* e = std::get_if<QueryError>(&answer)) {
        err << "havip " << command << ": " << e->message << "\n";
        return exit_unreachable;
    }
    const auto& reply = std::get<json>(answer);
    const int code = operator_exit_code(reply);
    if (a.json)
        out << reply.dump(2) << "\n";
    else
        (code == exit_ok ? out : err) << render_operator_reply(reply);
    return code;
}

}  // namespace havip::cli
