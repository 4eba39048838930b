#include "havip/check_mysql.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <cmath>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "checks/mysql_decision.hpp"
#include "checks/mysql_history.hpp"
#include "checks/mysql_probe.hpp"
#include "checks/term.hpp"

namespace havip::cli {

namespace {

constexpr int exit_healthy = 0;
constexpr int exit_not_healthy = 1;
constexpr int exit_usage = 64;

std::optional<double> seconds(const std::string& v) {
    double d = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec != std::errc{} || p != v.data() + v.size() || !(d > 0)) return std::nullopt;
    return d;
}

// Whether `vip` is configured on any local interface: this node holds the VIP.
bool holds_address(const boost::asio::ip::address& vip) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) return false;
    bool found = false;
    for (auto* a = list; a != nullptr && !found; a = a->ifa_next) {
        if (a->ifa_addr == nullptr) continue;
        if (a->ifa_addr->sa_family == AF_INET && vip.is_v4()) {
            auto* sin = reinterpret_cast<sockaddr_in*>(a->ifa_addr);
            found = ntohl(sin->sin_addr.s_addr) == vip.to_v4().to_uint();
        } else if (a->ifa_addr->sa_family == AF_INET6 && vip.is_v6()) {
            auto* sin6 = reinterpret_cast<sockaddr_in6*>(a->ifa_addr);
            boost::asio::ip::address_v6::bytes_type b{};
            std::copy_n(reinterpret_cast<const unsigned char*>(&sin6->sin6_addr), 16, b.begin());
            found = boost::asio::ip::address_v6(b) == vip.to_v6();
        }
    }
    ::freeifaddrs(list);
    return found;
}

// The data differ: the peer's term, read once with the check's login (checks/term.hpp).
void record_peer_term(checks::History& history, const checks::PeerAddress& at,
                      const checks::ConnectSettings& login) {
    if (!checks::is_ip_literal(at.host)) {
        checks::record_peer_term(history, std::nullopt, "Master_Host is not an IP address", true);
        return;
    }
    auto settings = login;
    settings.unix_socket.clear();
    settings.host = at.host;
    settings.port = at.port;
    checks::MysqlConnection peer{settings};
    auto term = checks::read_peer_term(peer);
    if (auto* t = std::get_if<std::uint64_t>(&term))
        checks::record_peer_term(history, *t, "", true);
    else
        checks::record_peer_term(history, std::nullopt, std::get<checks::SqlError>(term).describe(),
                                 true);
}

}  // namespace

std::string check_mysql_usage() {
    return "Usage: havip check mysql [OPTIONS]\n"
           "Judges this node's database like havipd's mysql_check and exits 0 when healthy,\n"
           "1 otherwise (degraded, unsafe or down), with the reason on stdout.\n\n"
           "  --socket PATH        unix socket of the server (default /run/mysqld/mysqld.sock)\n"
           "  --host IP --port N   TCP instead (an IP literal; port 3306)\n"
           "  --option-file PATH   [client] user= password= (mode 0600)\n"
           "  --user U --password P\n"
           "  --timeout S          hard deadline, fractional seconds (default 2)\n"
           "  --max-lag S          lag above this is degraded (default 5)\n"
           "  --connection NAME    MariaDB multi-source connection (default \"\")\n"
           "  --peer-server-id N   the peer's server_id: a channel from another server is\n"
           "                       replicating from the wrong master (unsafe)\n"
           "  --role holder|standby  judge as the VIP holder or the standby, or:\n"
           "  --vip IP             holder when IP is on a local interface (default: standby)\n"
           "  --state FILE         keep the history between runs (needed to judge a standby\n"
           "                       whose peer is gone as current)\n";
}

int check_mysql(const std::vector<std::string>& args) {
    checks::ConnectSettings cs;
    cs.unix_socket = "/run/mysqld/mysqld.sock";
    checks::DecisionSettings ds;
    double timeout = 2.0;
    std::optional<checks::Role> role;
    std::optional<boost::asio::ip::address> vip;
    std::string state_file, option_file;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto& a = args[i];
        if (a == "--help" || a == "-h") {
            std::cout << check_mysql_usage();
            return exit_healthy;
        }
        if (i + 1 >= args.size()) {
            std::cerr << fmt::format("havip check mysql: {} needs a value (see --help)\n", a);
            return exit_usage;
        }
        const auto& v = args[++i];
        auto bad = [&] {
            std::cerr << fmt::format("havip check mysql: {} {}: invalid value\n", a, v);
            return exit_usage;
        };
        if (a == "--socket") {
            cs.unix_socket = v;
        } else if (a == "--host") {
            boost::system::error_code ec;
            auto ip = boost::asio::ip::make_address(v, ec);
            if (ec) return bad();
            cs.host = ip.to_string();
            cs.unix_socket.clear();
        } else if (a == "--port") {
            unsigned p = 0;
            auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), p);
            if (ec != std::errc{} || end != v.data() + v.size() || p == 0 || p > 65535)
                return bad();
            cs.port = p;
        } else if (a == "--option-file") {
            option_file = v;
        } else if (a == "--user") {
            cs.credentials.user = v;
        } else if (a == "--password") {
            cs.credentials.password = v;
            std::cerr << "havip check mysql: warning: --password is visible to every local user "
                         "(ps, /proc/PID/cmdline); use --option-file with a 0600 file\n";
        } else if (a == "--timeout") {
            auto s = seconds(v);
            if (!s) return bad();
            timeout = *s;
        } else if (a == "--max-lag") {
            auto s = seconds(v);
            if (!s) return bad();
            ds.lag_warn = std::chrono::duration<double>(*s);
            ds.max_lag = std::max(ds.max_lag, 4 * ds.lag_warn);
        } else if (a == "--connection") {
            ds.connection_name = v;
        } else if (a == "--peer-server-id") {
            std::uint32_t id = 0;
            auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
            if (ec != std::errc{} || p != v.data() + v.size() || id == 0) return bad();
            ds.expected_master_server_id = id;
        } else if (a == "--role") {
            if (v == "holder")
                role = checks::Role::holder;
            else if (v == "standby")
                role = checks::Role::standby;
            else
                return bad();
        } else if (a == "--vip") {
            boost::system::error_code ec;
            vip = boost::asio::ip::make_address(v, ec);
            if (ec) return bad();
        } else if (a == "--state") {
            state_file = v;
        } else {
            std::cerr << fmt::format("havip check mysql: unknown option {} (see --help)\n", a);
            return exit_usage;
        }
    }
    if (!option_file.empty()) {
        auto creds = checks::read_option_file(option_file);
        if (!creds.credentials) {
            std::cout << fmt::format("down: {}\n", creds.error);
            return exit_not_healthy;
        }
        cs.credentials = *creds.credentials;
    }
    const unsigned whole = static_cast<unsigned>(std::max(1.0, std::ceil(timeout)));
    cs.connect_timeout_s = cs.read_timeout_s = cs.write_timeout_s = whole;
    cs.statement_timeout_s = timeout;
    ds.interval = std::chrono::duration<double>(timeout);
    if (!role) role = vip && holds_address(*vip) ? checks::Role::holder : checks::Role::standby;

    checks::History history;
    if (!state_file.empty()) history = checks::load_history(state_file).history;

    checks::MysqlLibrary library;
    boost::asio::io_context io;
    std::optional<checks::Snapshot> snapshot;
    {
        checks::MysqlProbe probe{io, cs};
        probe.snapshot(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(timeout)),
                       [&](const checks::Snapshot& s) { snapshot = s; });
        // Only until the answer: the probe then watches its idle connection for the server
        // closing it, a wait that never ends by itself while the server lives.
        while (!snapshot && io.run_one()) {
        }
    }
    if (!snapshot) {
        std::cout << "down: the probe gave no answer\n";
        return exit_not_healthy;
    }
    const auto now = checks::WallClock::now();
    auto d = checks::decide(*snapshot, *role, history, ds, now);
    if (d.ask_peer_term) {
        // The data differ: which branch is newer is the peer's term to say (checks/term.hpp).
        // Asked once, bounded like the check; no answer leaves it to the writer mark.
        record_peer_term(d.history, *d.ask_peer_term, cs);
        d = checks::decide(*snapshot, *role, d.history, ds, now);
    }
    if (!state_file.empty()) {
        if (auto ec = checks::save_history(state_file, d.history))
            std::cerr << fmt::format("havip check mysql: cannot save {}: {}\n", state_file,
                                     ec.message());
    }
    std::cout << fmt::format("{}: {}\n", checks::to_string(d.status), d.reason);
    for (const auto& alert : d.alerts)
        std::cout << "alert: " << alert << '\n';
    return d.status == checks::Status::healthy ? exit_healthy : exit_not_healthy;
}

}  // namespace havip::cli
