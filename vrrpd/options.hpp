// havipd's command line: keepalived's flags (so unit files, /etc/default/keepalived and
// scripts keep working) plus havip's own long options. Parsing is pure: argv in, Options or
// an error message out.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace havip::vrrp {

inline constexpr const char* default_config_file = "/etc/keepalived/keepalived.conf";
inline constexpr const char* default_pid_file = "/run/keepalived.pid";
inline constexpr const char* default_vrrp_pid_file = "/run/keepalived_vrrp.pid";
inline constexpr const char* default_control_socket = "/run/havipd/havipd.sock";
inline constexpr const char* default_state_directory = "/var/lib/havipd";
inline constexpr const char* default_dump_dir = "/tmp";  // keepalived's /tmp/keepalived.*

struct Options {
    std::string config_file = default_config_file;   // -f, --use-file
    bool dont_fork = false;                          // -n, --dont-fork
    bool log_console = false;                        // -l, --log-console
    bool log_detail = false;                         // -D, --log-detail
    int syslog_facility = 3 << 3;                    // -S, --log-facility (LOG_DAEMON)
    bool no_syslog = false;                          // -G, --no-syslog
    std::optional<unsigned> umask;                   // -u, --umask
    bool config_test = false;                        // -t, --config-test[=LOG_FILE]
    std::string config_test_log;                     //     where -t writes (default stderr)
    bool dump_config = false;                        // -d, --dump-conf
    std::optional<std::string> config_id;            // -i, --config-id (default: short host name)
    std::string pid_file = default_pid_file;         // -p, --pid
    std::string vrrp_pid_file = default_vrrp_pid_file;  // -r, --vrrp_pid
    std::optional<std::string> net_namespace;        // -s, --namespace
    bool dont_release_vrrp = false;                  // -V, --dont-release-vrrp
    std::string control_socket = default_control_socket;  // --socket
    std::string state_directory = default_state_directory;  // --state-dir
    std::string dump_dir = default_dump_dir;                // --dump-dir
    bool show_help = false;                          // -h, --help
    bool show_version = false;                       // -v, --version
    std::optional<std::string> signum;               // --signum=SIGFUNC
    std::vector<std::string> notes;                  // flags accepted for compatibility, unused
};

struct OptionsError {
    std::string message;
};

std::variant<Options, OptionsError> parse_options(const std::vector<std::string>& args);

// The text of --help.
std::string usage();

// keepalived's --signum: the signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON.
std::optional<int> signal_number(const std::string& function);

}  // namespace havip::vrrp
