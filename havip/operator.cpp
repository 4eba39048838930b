#include "havip/operator.hpp"

#include <fmt/format.h>

namespace havip::cli {

using nlohmann::json;

std::string operator_usage(const std::string& command) {
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
    if (command == "promote" && !out.force && !out.help)
        return UsageError{"promote needs --force: it makes this node eligible whatever its data "
                          "says"};
    return out;
}

json operator_request(const OperatorArgs& args) {
    json r = {{"version", 1}, {"command", args.command}};
    if (args.command == "promote") r["force"] = args.force;
    if (args.instance) r["instance"] = *args.instance;
    return r;
}

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
