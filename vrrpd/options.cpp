#include "vrrpd/options.hpp"

#include <signal.h>
#include <syslog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <string_view>

#include <fmt/format.h>

namespace havip::vrrp {

namespace {

enum class Arg { none, required, optional };

struct Spec {
    char short_name;  // 0 = long only
    std::string_view long_name;
    Arg arg;
    std::string_view help;
};

// keepalived 2.2's flags, in its --help order, then havip's own.
constexpr std::array specs{
    Spec{'f', "use-file", Arg::required, "configuration file (default /etc/keepalived/keepalived.conf)"},
    Spec{'P', "vrrp", Arg::none, "run only the VRRP subsystem (havipd has no other)"},
    Spec{'C', "check", Arg::none, "run only the health checker: not supported (no LVS checker)"},
    Spec{'B', "no_bfd", Arg::none, "accepted for compatibility (havipd has no BFD)"},
    Spec{'l', "log-console", Arg::none, "log to the console (stderr)"},
    Spec{'D', "log-detail", Arg::none, "detailed (debug) log messages"},
    Spec{'S', "log-facility", Arg::required, "syslog facility: 0-7 (local0-7), localN, user or daemon"},
    Spec{'G', "no-syslog", Arg::none, "do not log via syslog"},
    Spec{'u', "umask", Arg::required, "umask for files created (numeric)"},
    Spec{'V', "dont-release-vrrp", Arg::none, "leave VIPs in place when the daemon stops"},
    Spec{'R', "dont-respawn", Arg::none, "accepted for compatibility (havipd is one process)"},
    Spec{'n', "dont-fork", Arg::none, "stay in the foreground"},
    Spec{'d', "dump-conf", Arg::none, "print the parsed configuration"},
    Spec{'p', "pid", Arg::required, "pid file (default /run/keepalived.pid)"},
    Spec{'r', "vrrp_pid", Arg::required, "VRRP pid file (default /run/keepalived_vrrp.pid)"},
    Spec{'c', "checkers_pid", Arg::required, "accepted for compatibility (no checker process)"},
    Spec{'a', "address-monitoring", Arg::none, "accepted for compatibility"},
    Spec{'x', "snmp", Arg::none, "accepted for compatibility (no SNMP; use metrics)"},
    Spec{'s', "namespace", Arg::required, "run in network namespace NAME"},
    Spec{'m', "core-dump", Arg::none, "accepted for compatibility"},
    Spec{'e', "all-config", Arg::none, "accepted for compatibility (a missing include is always reported)"},
    Spec{'i', "config-id", Arg::required, "config id for @ID / @^ID lines (default: short host name)"},
    Spec{0, "signum", Arg::required, "print the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON"},
    Spec{'t', "config-test", Arg::optional, "check the configuration and exit (0: no errors); diagnostics to stderr or LOG_FILE"},
    Spec{'v', "version", Arg::none, "print the version"},
    Spec{'h', "help", Arg::none, "print this help"},
    Spec{0, "socket", Arg::required, "control socket path (default /run/havipd/havipd.sock)"},
    Spec{0, "state-dir", Arg::required, "where mysql_check keeps its history (default /var/lib/havipd)"},
    Spec{0, "dump-dir", Arg::required, "where USR1/USR2/RTMIN+2 write keepalived.data/.stats/.json (default /tmp)"},
};

const Spec* find_short(char c) {
    for (const auto& s : specs)
        if (s.short_name == c) return &s;
    return nullptr;
}

const Spec* find_long(std::string_view name) {
    for (const auto& s : specs)
        if (s.long_name == name) return &s;
    return nullptr;
}

std::optional<int> parse_facility(std::string_view v) {
    static constexpr std::array locals{LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2, LOG_LOCAL3,
                                       LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};
    if (v == "user") return LOG_USER;
    if (v == "daemon") return LOG_DAEMON;
    if (v.starts_with("local")) v.remove_prefix(5);
    if (v.size() == 1 && v[0] >= '0' && v[0] <= '7') return locals[static_cast<size_t>(v[0] - '0')];
    return std::nullopt;
}

// Applies one recognised option; returns an error message or an empty string.
std::string apply(Options& o, const Spec& s, std::optional<std::string> value) {
    const std::string v = value.value_or("");
    switch (s.short_name) {
        case 'f': o.config_file = v; break;
        case 'P': break;
        case 'C': return "-C/--check: havipd implements keepalived's VRRP side only; run the LVS checker with keepalived";
        case 'l': o.log_console = true; break;
        case 'D': o.log_detail = true; break;
        case 'S': {
            auto f = parse_facility(v);
            if (!f) return fmt::format("--log-facility: unknown facility '{}' (0-7, local0-7, user, daemon)", v);
            o.syslog_facility = *f;
            break;
        }
        case 'G': o.no_syslog = true; break;
        case 'u': {
            unsigned m = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), m, 8);
            if (ec != std::errc{} || p != v.data() + v.size() || m > 0777)
                return fmt::format("--umask: '{}' is not an octal mask", v);
            o.umask = m;
            break;
        }
        case 'V': o.dont_release_vrrp = true; break;
        case 'n': o.dont_fork = true; break;
        case 'd': o.dump_config = true; break;
        case 'p': o.pid_file = v; break;
        case 'r': o.vrrp_pid_file = v; break;
        case 's': o.net_namespace = v; break;
        case 'i': o.config_id = v; break;
        case 't':
            o.config_test = true;
            o.config_test_log = v;
            break;
        case 'v': o.show_version = true; break;
        case 'h': o.show_help = true; break;
        case 'B': case 'R': case 'c': case 'a': case 'x': case 'm': case 'e':
            o.notes.push_back(fmt::format("--{} has no effect in havipd", s.long_name));
            break;
        default:
            if (s.long_name == "signum") o.signum = v;
            else if (s.long_name == "socket") o.control_socket = v;
            else if (s.long_name == "state-dir") o.state_directory = v;
            else if (s.long_name == "dump-dir") o.dump_dir = v;
            break;
    }
    return {};
}

}  // namespace

std::variant<Options, OptionsError> parse_options(const std::vector<std::string>& args) {
    Options o;
    for (size_t i = 0; i < args.size(); ++i) {
        std::string_view a = args[i];
        auto take_next = [&]() -> std::optional<std::string> {
            if (i + 1 >= args.size()) return std::nullopt;
            return args[++i];
        };
        if (a.starts_with("--") && a.size() > 2) {
            auto eq = a.find('=');
            auto name = a.substr(2, eq == std::string_view::npos ? std::string_view::npos : eq - 2);
            const Spec* s = find_long(name);
            if (s == nullptr) return OptionsError{fmt::format("unknown option '--{}' (see --help)", name)};
            std::optional<std::string> value;
            if (eq != std::string_view::npos) {
                if (s->arg == Arg::none)
                    return OptionsError{fmt::format("option '--{}' takes no value", name)};
                value = std::string{a.substr(eq + 1)};
            } else if (s->arg == Arg::required) {
                value = take_next();
                if (!value) return OptionsError{fmt::format("option '--{}' needs a value", name)};
            }
            if (auto err = apply(o, *s, value); !err.empty()) return OptionsError{err};
        } else if (a.starts_with("-") && a.size() > 1) {
            // Clustered short flags (-nlD); a flag with a value ends the cluster (-fFILE, -f FILE).
            for (size_t j = 1; j < a.size(); ++j) {
                const Spec* s = find_short(a[j]);
                if (s == nullptr) return OptionsError{fmt::format("unknown option '-{}' (see --help)", a[j])};
                std::optional<std::string> value;
                if (s->arg != Arg::none) {
                    if (j + 1 < a.size()) value = std::string{a.substr(j + 1)};
                    else if (s->arg == Arg::required) value = take_next();
                    if (s->arg == Arg::required && !value)
                        return OptionsError{fmt::format("option '-{}' needs a value", a[j])};
                    if (auto err = apply(o, *s, value); !err.empty()) return OptionsError{err};
                    break;
                }
                if (auto err = apply(o, *s, value); !err.empty()) return OptionsError{err};
            }
        } else {
            return OptionsError{fmt::format("unexpected argument '{}' (see --help)", a)};
        }
    }
    return o;
}

std::string usage() {
    std::string out =
        "Usage: havipd [OPTION...]\n"
        "VRRP daemon for database virtual IPs; reads keepalived's configuration.\n\n";
    for (const auto& s : specs) {
        std::string flag = s.short_name ? fmt::format("-{}, --{}", s.short_name, s.long_name)
                                        : fmt::format("    --{}", s.long_name);
        if (s.arg == Arg::required) flag += "=VALUE";
        if (s.arg == Arg::optional) flag += "[=LOG_FILE]";
        out += fmt::format("  {:<28} {}\n", flag, s.help);
    }
    out += "\nSignals: HUP reload, TERM/INT stop, USR1 data dump, USR2 stats, RTMIN+2 JSON dump.\n";
    return out;
}

std::optional<int> signal_number(const std::string& function) {
    if (function == "STOP") return SIGTERM;
    if (function == "RELOAD") return SIGHUP;
    if (function == "DATA") return SIGUSR1;
    if (function == "STATS") return SIGUSR2;
    if (function == "STATS_CLEAR") return SIGRTMAX - 1;  // keepalived 2.2.7 answers 63
    if (function == "JSON") return SIGRTMIN + 2;
    return std::nullopt;
}

}  // namespace havip::vrrp
