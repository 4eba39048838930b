#include "checks/auto_rejoin.hpp"

#include <fmt/format.h>

namespace havip::checks {

RejoinGo should_rejoin(bool enabled, bool diverged, bool holds_vip, const AutoRejoin& state,
                       bool files_present, std::chrono::steady_clock::time_point now) {
    if (!diverged || holds_vip) return RejoinGo::not_needed;
    if (!enabled) return RejoinGo::disabled;
    if (state.running) return RejoinGo::running;
    if (state.backoff.next && now < *state.backoff.next) return RejoinGo::backing_off;
    if (!files_present) return RejoinGo::missing_files;
    return RejoinGo::start;
}

void rejoin_finished(AutoRejoin& state, bool success, const std::string& summary,
                     std::chrono::steady_clock::time_point now, std::string_view method) {
    state.running = false;
    if (success) {
        ++state.succeeded;
        if (method == "flashback") ++state.by_flashback;
        if (method == "reseed") ++state.by_reseed;
        vrrp::promote_succeeded(state.backoff);
        state.last = summary;
        return;
    }
    ++state.failed;
    state.backoff.failures += 1;
    state.backoff.next = now + vrrp::backoff_delay(state.backoff.failures, rejoin_backoff_cap);
    state.last = fmt::format(
        "{}; {} failed in a row, next attempt in {} s", summary, state.backoff.failures,
        std::chrono::duration_cast<std::chrono::seconds>(*state.backoff.next - now).count());
}

void rejoin_deferred(AutoRejoin& state, const std::string& summary,
                     std::chrono::steady_clock::time_point now) {
    state.running = false;
    ++state.deferred;
    const auto next = now + rejoin_peer_retry;
    if (!state.backoff.next || *state.backoff.next < next) state.backoff.next = next;
    state.last = fmt::format(
        "{}; the peer is unreachable, next attempt in {} s", summary,
        std::chrono::duration_cast<std::chrono::seconds>(*state.backoff.next - now).count());
}

Command rejoin_command(const std::string& inventory, const std::string& admin_option_file,
                       const std::string& state_directory, const std::string& control_socket,
                       const std::string& output) {
    Command command;
    // The shell only redirects (the child's own stdout and stderr are /dev/null).
    command.argv = {"/bin/sh",
                    "-c",
                    "out=$1; shift; exec \"$@\" >\"$out\" 2>&1",
                    "sh",
                    output,
                    "havip",
                    "rejoin",
                    inventory,
                    "--admin-option-file",
                    admin_option_file,
                    "--state-dir",
                    state_directory};
    if (!control_socket.empty()) {
        command.argv.push_back("--socket");
        command.argv.push_back(control_socket);
    }
    return command;
}

std::string rejoin_ended(AutoRejoin& state, const RunResult& result, std::string_view output,
                         std::string_view at, std::chrono::steady_clock::time_point now) {
    const auto saved = rejoin_saved_line(output);
    const auto method = rejoin_method(output).value_or("");
    const double took = std::chrono::duration<double>(result.elapsed).count();
    if (result.kind == RunResult::Kind::exited &&
        result.exit_status == rejoin_exit_peer_unreachable) {
        rejoin_deferred(state, fmt::format("deferred at {}", at), now);
        return "";
    }
    if (result.success()) {
        rejoin_finished(state, true,
                        fmt::format("succeeded at {} in {:.1f} s by {}; {}", at, took,
                                    method.empty() ? "?" : method,
                                    saved ? *saved : std::string{"nothing to save"}),
                        now, method);
        return method;
    }
    rejoin_finished(
        state, false,
        fmt::format("failed at {} after {:.1f} s ({}): {}{}", at, took, result.describe(),
                    last_line(output), saved ? "; " + *saved : std::string{}),
        now);
    return "";
}

std::optional<std::string> rejoin_saved_line(std::string_view output) {
    std::size_t at = 0;
    while (at < output.size()) {
        auto end = output.find('\n', at);
        if (end == std::string_view::npos) end = output.size();
        auto line = output.substr(at, end - at);
        at = end + 1;
        while (!line.empty() && line.front() == ' ')
            line.remove_prefix(1);
        if (line.starts_with("saved ") &&
            line.find(" transaction(s) to ") != std::string_view::npos)
            return std::string(line);
    }
    return std::nullopt;
}

std::optional<std::string> rejoin_method(std::string_view output) {
    constexpr std::string_view key = "(method: ";
    for (auto at = output.find("done: "); at != std::string_view::npos;
         at = output.find("done: ", at + 1)) {
        auto end = output.find('\n', at);
        auto line = output.substr(at, end == std::string_view::npos ? end : end - at);
        auto m = line.rfind(key);
        if (m == std::string_view::npos) continue;
        auto name = line.substr(m + key.size());
        name = name.substr(0, name.find(')'));
        if (name == "flashback" || name == "reseed") return std::string(name);
    }
    return std::nullopt;
}

std::string last_line(std::string_view output) {
    while (!output.empty() && (output.back() == '\n' || output.back() == ' '))
        output.remove_suffix(1);
    auto nl = output.rfind('\n');
    auto line = nl == std::string_view::npos ? output : output.substr(nl + 1);
    if (line.size() > 300) line = line.substr(0, 300);
    return std::string(line);
}

}  // namespace havip::checks
