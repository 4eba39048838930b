// havipd: command line, configuration test, and the daemon's start-up and main loop.
#include <malloc.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "checks/child_process.hpp"
#include "config/describe.hpp"
#include "config/diagnostic.hpp"
#include "config/load.hpp"
#include "netlink/monitor.hpp"
#include "netlink/rtnl_client.hpp"
#include "systemd/log.hpp"
#include "systemd/notify.hpp"
#include "vrrpd/daemon.hpp"
#include "vrrpd/loop_guard.hpp"
#include "vrrpd/options.hpp"
#include "vrrpd/privileges.hpp"
#include "vrrpd/process.hpp"

namespace {

using namespace havip;

// keepalived's -t exit codes: 4 when the file cannot be read, 5 for configuration errors.
constexpr int exit_config_unreadable = 4;
constexpr int exit_config_errors = 5;
// SCHED_RR priority without vrrp_rt_priority: above every normal task, below other RT ones.
constexpr int default_rt_priority = 1;

config::LoadOptions load_options(const vrrp::Options& o) {
    config::LoadOptions lo;
    lo.config_id = o.config_id.value_or(vrrp::short_host_name());
    lo.interface_exists = [](std::string_view name) {
        return ::if_nametoindex(std::string{name}.c_str()) != 0;
    };
    return lo;
}

// Prints every diagnostic, and the parsed instances with -D or -d; exit 0 when no errors.
int config_test(const vrrp::Options& o) {
    std::ofstream log_file;
    if (!o.config_test_log.empty()) log_file.open(o.config_test_log, std::ios::app);
    std::ostream& diag = log_file.is_open() ? log_file : std::cerr;
    if (::access(o.config_file.c_str(), R_OK) != 0) {
        diag << fmt::format("{}: error: cannot read the configuration file: {}\n", o.config_file,
                            std::strerror(errno));
        return exit_config_unreadable;
    }
    auto result = config::load_file(o.config_file, load_options(o));
    std::size_t errors = 0, warnings = 0;
    for (const auto& d : result.diagnostics) {
        diag << config::format(d) << '\n';
        (d.severity == config::Severity::error ? errors : warnings)++;
    }
    if ((o.log_detail || o.dump_config) && result.config)
        std::cout << config::describe(*result.config);
    diag << fmt::format("{}: {} error{}, {} warning{}{}\n", o.config_file, errors,
                        errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s",
                        result.ok() ? ": configuration OK" : ": configuration refused");
    return result.ok() ? 0 : exit_config_errors;
}

int run_daemon(const vrrp::Options& o) {
    if (o.umask) ::umask(static_cast<mode_t>(*o.umask));
    if (o.net_namespace) {
        if (auto ec = vrrp::enter_net_namespace(*o.net_namespace)) {
            std::cerr << fmt::format("havipd: cannot enter network namespace {}: {}\n",
                                     *o.net_namespace, ec.message());
            return 1;
        }
    }
    if (const auto missing = checks::probe_kernel_support(); !missing.empty()) {
        std::cerr << missing << "; not starting\n";
        return 1;
    }
    // Before anything touches the network (start-up removes stale VIPs): in the namespace the
    // daemon serves, and before forking, so a refused start says why on the terminal.
    vrrp::NodeLock node_lock;
    if (std::string detail; auto ec = vrrp::take_node_lock(node_lock, detail)) {
        std::cerr << "havipd: " << detail
                  << (ec == std::errc::device_or_resource_busy ? "" : ": " + ec.message())
                  << "; not starting\n";
        return 1;
    }
    // Read the configuration before forking, so a bad one fails the start visibly. A script
    // refused by script security is left out, as keepalived does; `-t` calls it an error.
    auto options = load_options(o);
    options.refused_scripts_are_errors = false;
    auto loaded = config::load_file(o.config_file, options);
    const auto sink = o.log_console ? systemd::Sink::console : systemd::Logger::default_sink();
    vrrp::StartupReport report;
    if (!o.dont_fork) {
        for (const auto& d : loaded.diagnostics)
            std::cerr << config::format(d) << '\n';
        if (!loaded.ok()) return exit_config_errors;
        if (auto ec = vrrp::daemonize(report)) {
            std::cerr << "havipd: cannot fork: " << ec.message() << '\n';
            return 1;
        }
    }
    systemd::Logger log{sink, o.log_detail, o.syslog_facility};
    for (const auto& note : o.notes)
        log.log(systemd::Level::info, note);
    if (o.dont_fork) {
        for (const auto& d : loaded.diagnostics)
            log.log(d.severity == config::Severity::error ? systemd::Level::err
                                                          : systemd::Level::warning,
                    config::format(d));
        if (!loaded.ok()) {
            log.log(systemd::Level::err, "configuration refused; not starting");
            return exit_config_errors;
        }
    }
    if (!loaded.config) return exit_config_errors;

    std::string detail;
    for (const auto& path : {o.pid_file, o.vrrp_pid_file}) {
        // keepalived's tooling signals either file's pid; havipd is one process, in both.
        if (auto ec = vrrp::write_pid_file(path, detail)) {
            log.log(systemd::Level::err, fmt::format("{}: {}", detail, ec.message()));
            return 1;
        }
    }
    if (loaded.config->global.vrrp_no_swap && ::mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        log.log(systemd::Level::warning, "vrrp_no_swap: mlockall failed");
    // SCHED_RR, so adverts and timers win over a busy CPU (keepalived issues #2066, #2238):
    // under stress-ng both daemons at normal priority missed adverts and the backup took over
    // hundreds of times a minute (bench/README.md, stability). Unlike keepalived this is the
    // default, at the lowest real-time priority; vrrp_rt_priority picks another, 0 opts out.
    // SCHED_RESET_ON_FORK: scripts, notify hooks and the probe threads run at normal priority,
    // so a runaway script cannot starve the loop; the kernel's RT throttling
    // (sched_rt_runtime_us) bounds the loop itself.
    if (const int rt = loaded.config->global.vrrp_rt_priority.value_or(default_rt_priority);
        rt > 0) {
        sched_param param{};
        param.sched_priority = rt;
        if (::sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &param) != 0)
            log.log(systemd::Level::warning,
                    fmt::format("cannot run at real-time priority {} (SCHED_RR): {}; adverts "
                                "may be late when the CPU is busy",
                                rt, std::strerror(errno)));
    }

    auto rtnl = netlink::RtnlClient::open();
    auto monitor = netlink::Monitor::open();
    if (!rtnl || !monitor) {
        log.log(systemd::Level::err,
                fmt::format("cannot open rtnetlink: {}",
                            (!rtnl ? rtnl.error() : monitor.error()).message()));
        return 1;
    }
    if (auto ec = vrrp::make_private_directory(o.state_directory))  // mysql_check history
        log.log(systemd::Level::warning,
                fmt::format("state directory {}: {}", o.state_directory, ec.message()));
    // Capabilities are per thread: drop them before any thread starts, and before the sockets
    // are opened, so start-up proves the kept set suffices for a reload too.
    vrrp::PrivilegeNeeds needs;
    needs.lock_memory = loaded.config->global.vrrp_no_swap;
    const auto& metrics = loaded.config->global.metrics_listen;
    needs.privileged_port = metrics && metrics->port != 0 && metrics->port < 1024;
    needs.chown_control_socket = loaded.config->global.control_group.has_value();
    if (auto ec = vrrp::drop_capabilities(vrrp::daemon_capabilities(needs)))
        log.log(systemd::Level::warning, fmt::format("cannot drop capabilities: {}", ec.message()));
    boost::asio::io_context io{1};
    systemd::Notifier notifier;
    vrrp::Daemon daemon{io, log, notifier, o, std::move(rtnl).value(), std::move(monitor).value()};
    if (!daemon.start(*loaded.config)) {
        daemon.stop();
        vrrp::remove_pid_file(o.pid_file);
        vrrp::remove_pid_file(o.vrrp_pid_file);
        return 1;
    }
    report.done(0);
    // The daemon keeps its own settings: the parsed file (2 KiB an instance) and what parsing
    // left free in the heap go back to the system. A reload parses afresh.
    loaded = {};
    ::malloc_trim(0);
    const auto escaped = vrrp::run_guarded(io, [&](std::string_view what) {
        log.log(systemd::Level::err,
                fmt::format("internal error: {}; stopping as on SIGTERM (priority 0, VIPs "
                            "released)",
                            what));
        daemon.stop();
    });
    vrrp::remove_pid_file(o.pid_file);
    vrrp::remove_pid_file(o.vrrp_pid_file);
    log.log(escaped ? systemd::Level::err : systemd::Level::notice,
            escaped ? "stopped after an internal error" : "stopped");
    return escaped ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = vrrp::parse_options(args);
    if (auto* e = std::get_if<vrrp::OptionsError>(&parsed)) {
        std::cerr << "havipd: " << e->message << '\n';
        return 1;
    }
    const auto& o = std::get<vrrp::Options>(parsed);
    if (o.show_help) {
        std::cout << vrrp::usage();
        return 0;
    }
    if (o.show_version) {
        std::cout << "havipd " HAVIP_VERSION " (keepalived 2.2 VRRP compatible)\n";
        return 0;
    }
    if (o.signum) {
        auto n = vrrp::signal_number(*o.signum);
        if (!n) {
            std::cerr << "havipd: unknown signal function " << *o.signum << '\n';
            return 1;
        }
        std::cout << *n << '\n';
        return 0;
    }
    if (o.config_test) return config_test(o);
    return run_daemon(o);
}
