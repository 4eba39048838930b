// mysql_check NAME { … } and tcp_check NAME { … }: havip's native health checks, named like
// a vrrp_script in track_script.
#include <array>

#include "config/parse_blocks.hpp"
#include "config/parse_fields.hpp"

namespace havip::config {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::array<FieldKeyword<MysqlCheck>, 16> mysql_fields{
    int_field("port", &MysqlCheck::port, 1, 65535),
    string_field("password", &MysqlCheck::password),
    duration_field("interval", &MysqlCheck::interval, milliseconds(10), seconds(86400)),
    int_field("rise", &MysqlCheck::rise, 1, 65535),
    int_field("fall", &MysqlCheck::fall, 1, 65535),
    int_field("weight", &MysqlCheck::weight, -253, 253),
    optional_duration_field("max_lag", &MysqlCheck::max_lag, Duration(0), seconds(86400 * 7)),
    int_field("lag_weight", &MysqlCheck::lag_weight, -253, 253),
    string_field("connection", &MysqlCheck::connection),
    bool_field("manage_read_only", &MysqlCheck::manage_read_only),
    optional_duration_field("apply_timeout", &MysqlCheck::apply_timeout, milliseconds(100),
                            seconds(86400)),
    int_field("peer_server_id", &MysqlCheck::peer_server_id, 1, 4294967295LL),
    bool_field("auto_rejoin", &MysqlCheck::auto_rejoin),
    string_field("rejoin_inventory", &MysqlCheck::rejoin_inventory),
    string_field("rejoin_admin_option_file", &MysqlCheck::rejoin_admin_option_file),
    duration_field("rejoin_timeout", &MysqlCheck::rejoin_timeout, seconds(1), seconds(86400)),
};

const std::array<FieldKeyword<TcpCheck>, 5> tcp_fields{
    int_field("port", &TcpCheck::port, 1, 65535),
    duration_field("interval", &TcpCheck::interval, milliseconds(10), seconds(86400)),
    int_field("rise", &TcpCheck::rise, 1, 65535),
    int_field("fall", &TcpCheck::fall, 1, 65535),
    int_field("weight", &TcpCheck::weight, -253, 253),
};

}  // namespace

// mysql_check NAME { … } (havip native).
void parse_mysql_check(ParseContext& p, const Node& block) {
    auto name = p.block_name(block);
    if (!name) return;
    MysqlCheck m;
    m.name = *name;
    m.where = block.values[0].where;
    SourceLocation socket_at, host_at, option_file_at, user_at;
    bool timeout_set = false;
    for (const Node& node : block.children) {
        if (set_field<MysqlCheck>(mysql_fields, p, node, m)) continue;
        const std::string_view k = p.kw(node);
        if (k == "socket") {
            if (auto s = p.string_value(node)) {
                m.socket = *s;
                socket_at = node.keyword.where;
            }
        } else if (k == "host") {
            p.set_address(node, m.host);
            host_at = node.keyword.where;
        } else if (k == "option_file") {
            if (auto s = p.string_value(node)) {
                m.option_file = *s;
                option_file_at = node.keyword.where;
            }
        } else if (k == "user") {
            if (auto s = p.string_value(node)) {
                m.user = *s;
                user_at = node.keyword.where;
            }
        } else if (k == "timeout") {
            p.set_duration(node, m.timeout, milliseconds(1), seconds(86400));
            timeout_set = true;
        } else {
            p.d.error(node.keyword.where, fmt::format("unknown keyword \"{}\" in mysql_check", k));
        }
    }
    bool ok = true;
    if (m.socket && m.host) {
        p.d.error(host_at, "mysql_check takes socket or host, not both");
        ok = false;
    } else if (!m.socket && !m.host) {
        // A host that is not an address was reported where it is written.
        if (!host_at.known()) {
            p.d.error(m.where, fmt::format("mysql_check \"{}\" needs socket or host", m.name));
        }
        ok = false;
    }
    if (m.option_file && m.user) {
        p.d.error(user_at, "mysql_check takes option_file or user, not both");
        ok = false;
    }
    if (m.user && ok) {
        p.d.warning(user_at,
                    "the mysql_check password is readable by anyone who can read this file; "
                    "prefer option_file");
    }
    if (m.lag_weight != 0 && !m.max_lag) {
        p.d.warning(m.where, fmt::format("mysql_check \"{}\" has lag_weight but no max_lag (never "
                                         "applied)",
                                         m.name));
    }
    if (!timeout_set) m.timeout = m.interval;
    if (ok && p.check_name_free(m.name, m.where)) p.config.mysql_checks.push_back(std::move(m));
}

// tcp_check NAME { … } (havip native).
void parse_tcp_check(ParseContext& p, const Node& block) {
    auto name = p.block_name(block);
    if (!name) return;
    TcpCheck t;
    t.name = *name;
    t.where = block.values[0].where;
    std::optional<IpAddress> host;
    bool timeout_set = false;
    for (const Node& node : block.children) {
        if (set_field<TcpCheck>(tcp_fields, p, node, t)) continue;
        const std::string_view k = p.kw(node);
        if (k == "host") {
            p.set_address(node, host);
        } else if (k == "timeout") {
            p.set_duration(node, t.timeout, milliseconds(1), seconds(86400));
            timeout_set = true;
        } else {
            p.d.error(node.keyword.where, fmt::format("unknown keyword \"{}\" in tcp_check", k));
        }
    }
    bool ok = true;
    if (!host) {
        p.d.error(t.where, fmt::format("tcp_check \"{}\" needs host", t.name));
        ok = false;
    } else {
        t.host = *host;
    }
    if (t.port == 0) {
        p.d.error(t.where, fmt::format("tcp_check \"{}\" needs port", t.name));
        ok = false;
    }
    if (!timeout_set) t.timeout = t.interval;
    if (ok && p.check_name_free(t.name, t.where)) p.config.tcp_checks.push_back(std::move(t));
}

}  // namespace havip::config
