#include "checks/mysql_client.hpp"
#include "checks/term.hpp"

#include "checks/mysql_probe.hpp"

#include "checks/mysql_actions.hpp"
#include "checks/mysql_api.hpp"
#include "checks/mysql_failure.hpp"
#include "checks/mysql_reply.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace havip::checks {
namespace {

std::string trim(const std::string& s) {
    auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return "";
    auto e = s.find_last_not_of(" \t\r");
    return s.substr(b, e - b + 1);
}

std::string unquote(std::string v) {
    if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'') && v.back() == v.front()) {
        return v.substr(1, v.size() - 2);
    }
    return v;
}

// An option file's boolean: a bare key is true; 0/1, on/off, true/false.
std::optional<bool> option_bool(const std::string& value, bool bare) {
    if (bare) return true;
    std::string v;
    for (char c : value)
        v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "1" || v == "on" || v == "true") return true;
    if (v == "0" || v == "off" || v == "false") return false;
    return std::nullopt;
}

bool is_client_error(unsigned code) {
    return code >= 2000 && code < 3000;
}

}  // namespace

MysqlLibrary::MysqlLibrary() {
    if (const auto& api = mysql_api(); api.loaded()) api.library_init(0, nullptr, nullptr);
}
MysqlLibrary::~MysqlLibrary() {
    // A probe worker still in a connect uses the library: end it only once they are all gone
    // (else leave it: this happens at exit, where the process ends anyway).
    if (const auto& api = mysql_api();
        api.loaded() && wait_for_probe_workers(std::chrono::seconds(3)))
        api.library_end();
}

OptionFileResult parse_option_file(const std::string& text) {
    MysqlCredentials creds;
    std::optional<bool> ssl;  // said in so many words
    bool in_client = false;
    bool any = false;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        line = trim(line);
        if (line.empty() || line[0] == '#' || line[0] == ';') continue;
        if (line[0] == '[') {
            std::string group = trim(line.substr(1, line.find(']') - 1));
            in_client = group == "client" || group == "client-server" || group == "client-mariadb";
            continue;
        }
        if (!in_client) continue;
        const auto eq = line.find('=');
        const bool bare = eq == std::string::npos;
        std::string key = trim(line.substr(0, eq));
        std::replace(key.begin(), key.end(), '_', '-');
        const std::string value = bare ? "" : unquote(trim(line.substr(eq + 1)));
        auto& tls = creds.tls;
        if (key == "user" && !bare) {
            creds.user = value;
            any = true;
        } else if (key == "password" && !bare) {
            creds.password = value;
            any = true;
        } else if (key == "ssl" || key == "ssl-verify-server-cert" || key == "skip-ssl") {
            const auto on = option_bool(value, bare);
            if (!on) return {std::nullopt, fmt::format("{}: not a boolean: '{}'", key, value)};
            if (key == "ssl-verify-server-cert")
                tls.verify_server_cert = *on;
            else
                ssl = key == "ssl" ? *on : !*on;
        } else if (!bare && (key == "ssl-ca" || key == "ssl-capath" || key == "ssl-cert" ||
                             key == "ssl-key")) {
            (key == "ssl-ca"       ? tls.ca
             : key == "ssl-capath" ? tls.capath
             : key == "ssl-cert"   ? tls.cert
                                   : tls.key) = value;
        }
    }
    if (!any || creds.user.empty()) return {std::nullopt, "no user= in a [client] group"};
    // A file named means TLS, as for the client tools; `ssl=0` / `skip-ssl` turn it off.
    const auto& t = creds.tls;
    creds.tls.on = ssl.value_or(!t.ca.empty() || !t.capath.empty() || !t.cert.empty() ||
                                !t.key.empty() || t.verify_server_cert);
    return {creds, ""};
}

OptionFileResult read_option_file(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return {std::nullopt, fmt::format("{}: {}", path, std::strerror(errno))};
    }
    if (st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) {
        return {std::nullopt, fmt::format("{}: mode {:o} lets others read it; chmod 600", path,
                                          st.st_mode & 0777)};
    }
    std::ifstream in(path);
    if (!in) return {std::nullopt, fmt::format("{}: cannot read", path)};
    std::stringstream buf;
    buf << in.rdbuf();
    auto result = parse_option_file(buf.str());
    if (!result.credentials) result.error = fmt::format("{}: {}", path, result.error);
    return result;
}

std::string SqlError::describe() const {
    return message.empty() ? fmt::format("error {}", code)
                           : fmt::format("error {} ({})", code, message);
}

std::optional<SqlError> SqlSession::execute(const std::string& sql) {
    auto r = query(sql);
    if (auto* e = std::get_if<SqlError>(&r)) return *e;
    return std::nullopt;
}

MysqlConnection::MysqlConnection(ConnectSettings settings) : settings_(std::move(settings)) {}
MysqlConnection::~MysqlConnection() {
    close();
}

void MysqlConnection::close() {
    MysqlConnection* writer = nullptr;
    {
        std::lock_guard lock(fd_mutex_);
        if (mysql_) mysql_api().close(mysql_);
        mysql_ = nullptr;
        fd_ = -1;
        writer = write_session_.get();
    }
    if (writer) writer->close();
}

void MysqlConnection::interrupt() {
    MysqlConnection* writer = nullptr;
    {
        std::lock_guard lock(fd_mutex_);
        interrupted_ = true;
        if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
        writer = write_session_.get();
    }
    if (writer) writer->interrupt();
}

void MysqlConnection::abandon() {
    std::lock_guard lock(fd_mutex_);
    // Shut down first: mysql_close must not wait on a connection whose answer never comes.
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    if (mysql_) mysql_api().close(mysql_);
    mysql_ = nullptr;
    fd_ = -1;
    in_flight_.clear();  // left to run on the server, no longer this connection's
}

MysqlConnection& MysqlConnection::write_session() {
    std::lock_guard lock(fd_mutex_);
    if (!write_session_) {
        // Unlogged at every connect, so no reconnect can leave it logging: a replicated
        // heartbeat would put GTIDs of its own into every crash window and wait for semi-sync's
        // timeout whenever the standby is gone (README, Data safety). Lock waits end on their
        // own too; the probe's bound and KILL QUERY come first.
        ConnectSettings unlogged = settings_;
        unlogged.init_command =
            "SET SESSION sql_log_bin=0, lock_wait_timeout=1, innodb_lock_wait_timeout=1";
        write_session_ = std::make_unique<MysqlConnection>(std::move(unlogged));
    }
    return *write_session_;
}

unsigned long MysqlConnection::thread_id() const {
    return mysql_ ? mysql_api().thread_id(mysql_) : 0;
}

std::optional<SqlError> MysqlConnection::ensure_connected() {
    if (mysql_ && interrupted_) close();
    interrupted_ = false;
    if (mysql_) return std::nullopt;
    const auto& api = mysql_api();
    // 2000 (CR_UNKNOWN_ERROR): a client-side error, so the check fails as for a refused connect.
    if (!api.loaded()) return SqlError{2000, "cannot load the MariaDB client: " + api.load_error};
    MYSQL* m = api.init(nullptr);
    if (!m) return SqlError{2008, "out of memory"};
    unsigned ct = settings_.connect_timeout_s;
    unsigned rt = settings_.read_timeout_s;
    unsigned wt = settings_.write_timeout_s;
    api.options(m, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    api.options(m, MYSQL_OPT_READ_TIMEOUT, &rt);
    api.options(m, MYSQL_OPT_WRITE_TIMEOUT, &wt);
    // Pin the protocol: "localhost" must not silently mean a different transport.
    unsigned protocol = settings_.unix_socket.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
    api.options(m, MYSQL_OPT_PROTOCOL, &protocol);
    // Our statements quote strings with backslash escapes (sql_quote): a server whose sql_mode
    // has NO_BACKSLASH_ESCAPES would read a backslash in a password or a name differently, so
    // these sessions drop that one mode (sent with the handshake, no extra round trip later).
    api.options(m, MYSQL_INIT_COMMAND,
                "SET SESSION sql_mode=REPLACE(@@sql_mode,'NO_BACKSLASH_ESCAPES','')");
    if (!settings_.init_command.empty())
        api.options(m, MYSQL_INIT_COMMAND, settings_.init_command.c_str());
    if (const auto& tls = settings_.credentials.tls; tls.on && settings_.unix_socket.empty()) {
        // Enforced: a server without TLS fails the connect rather than get the password and
        // statements in clear.
        my_bool yes = 1;
        my_bool verify = tls.verify_server_cert ? 1 : 0;
        api.options(m, MYSQL_OPT_SSL_ENFORCE, &yes);
        api.options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
        for (const auto& [option, file] :
             {std::pair{MYSQL_OPT_SSL_CA, &tls.ca}, std::pair{MYSQL_OPT_SSL_CAPATH, &tls.capath},
              std::pair{MYSQL_OPT_SSL_CERT, &tls.cert}, std::pair{MYSQL_OPT_SSL_KEY, &tls.key}})
            if (!file->empty()) api.options(m, option, file->c_str());
    }
    const char* host = settings_.unix_socket.empty() ? settings_.host.c_str() : "localhost";
    const char* sock = settings_.unix_socket.empty() ? nullptr : settings_.unix_socket.c_str();
    if (!api.real_connect(m, host, settings_.credentials.user.c_str(),
                          settings_.credentials.password.c_str(), nullptr, settings_.port, sock,
                          0)) {
        SqlError e{api.error_number(m), api.error(m)};
        api.close(m);
        return e;
    }
    std::string info = api.get_server_info(m);
    {
        std::lock_guard lock(fd_mutex_);
        mysql_ = m;
        mariadb_ = info.find("MariaDB") != std::string::npos;
        version_ = api.get_server_version(m);
        fd_ = static_cast<int>(api.get_socket(m));
    }
    if (orphan_) end_orphan();
    return std::nullopt;
}

void MysqlConnection::end_orphan() {
    const Orphan orphan = *std::exchange(orphan_, std::nullopt);
    // Only that thread, still running that statement for this account: after a restart of the
    // server its id may be another session's.
    auto found = query(
        fmt::format("SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID = {} AND USER = "
                    "SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AND INFO = {}",
                    orphan.thread_id, sql_quote(orphan.sql)));
    if (auto* rows = std::get_if<std::vector<ReplicaRow>>(&found); rows && !rows->empty())
        execute(fmt::format("KILL CONNECTION {}", orphan.thread_id));
}

int MysqlConnection::duplicate_socket() const {
    if (!mysql_ || fd_ < 0) return -1;
    return ::fcntl(fd_, F_DUPFD_CLOEXEC, 0);
}

int connect_errno(const ConnectSettings& settings, std::chrono::milliseconds timeout) {
    sockaddr_storage address{};
    socklen_t length = 0;
    if (!settings.unix_socket.empty()) {
        auto* un = reinterpret_cast<sockaddr_un*>(&address);
        if (settings.unix_socket.size() >= sizeof un->sun_path) return ENAMETOOLONG;
        un->sun_family = AF_UNIX;
        settings.unix_socket.copy(un->sun_path, settings.unix_socket.size());
        length = sizeof(sockaddr_un);
    } else if (auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
               ::inet_pton(AF_INET, settings.host.c_str(), &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(static_cast<std::uint16_t>(settings.port));
        length = sizeof(sockaddr_in);
    } else if (auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
               ::inet_pton(AF_INET6, settings.host.c_str(), &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<std::uint16_t>(settings.port));
        length = sizeof(sockaddr_in6);
    } else {
        return EINVAL;
    }
    const int fd = ::socket(address.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return errno;
    int error = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), length) != 0) {
        error = errno;
        if (error == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
            socklen_t size = sizeof error;
            if (ready == 1)
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size);
            else
                error = ready == 0 ? ETIMEDOUT : errno;
        }
    }
    ::close(fd);
    return error;
}

std::string MysqlConnection::bounded(const std::string& sql) const {
    if (!mariadb_ || settings_.statement_timeout_s <= 0) return sql;
    return fmt::format("SET STATEMENT max_statement_time={:.3f} FOR {}",
                       settings_.statement_timeout_s, sql);
}

SqlError MysqlConnection::fail() {
    const auto& api = mysql_api();
    SqlError e{api.error_number(mysql_), api.error(mysql_)};
    if (interrupted_ && !in_flight_.empty()) orphan_ = Orphan{thread_id(), in_flight_};
    in_flight_.clear();
    if (is_client_error(e.code) || interrupted_) close();
    return e;
}

// The rows of the statement whose answer has begun (after real_query or read_query_result).
MysqlConnection::Answer MysqlConnection::read_answer() {
    const auto& api = mysql_api();
    std::vector<ReplicaRow> rows;
    // Statements with several results (none of ours) are drained so the connection stays usable.
    do {
        MYSQL_RES* res = api.store_result(mysql_);
        if (!res) {
            if (api.field_count(mysql_) != 0) return fail();
            continue;
        }
        unsigned n = api.num_fields(res);
        MYSQL_FIELD* fields = api.fetch_fields(res);
        while (MYSQL_ROW row = api.fetch_row(res)) {
            unsigned long* lengths = api.fetch_lengths(res);
            ReplicaRow out;
            for (unsigned i = 0; i < n; ++i) {
                out[fields[i].name] =
                    row[i] ? std::optional<std::string>(std::string(row[i], lengths[i]))
                           : std::nullopt;
            }
            rows.push_back(std::move(out));
        }
        api.free_result(res);
    } while (api.next_result(mysql_) == 0);
    if (api.error_number(mysql_) != 0) return fail();
    in_flight_.clear();
    return rows;
}

MysqlConnection::Answer MysqlConnection::query(const std::string& sql) {
    if (auto e = ensure_connected()) return *e;
    in_flight_ = sql;
    if (mysql_api().real_query(mysql_, sql.data(), sql.size()) != 0) return fail();
    return read_answer();
}

std::optional<MysqlConnection::Answer> MysqlConnection::query_within(
    const std::string& sql, std::chrono::milliseconds bound) {
    if (auto e = ensure_connected()) return *e;
    in_flight_ = sql;
    if (mysql_api().send_query(mysql_, sql.data(), sql.size()) != 0) return fail();
    return finish_within(bound);
}

std::optional<MysqlConnection::Answer> MysqlConnection::finish_within(
    std::chrono::milliseconds bound) {
    if (!mysql_) return SqlError{2006, "not connected"};
    // The answer has begun when the socket is readable (interrupt() makes it so too: the read
    // then fails at once).
    pollfd p{fd_, POLLIN, 0};
    int ready = 0;
    const auto until = std::chrono::steady_clock::now() + bound;
    do {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            until - std::chrono::steady_clock::now());
        ready = ::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count())));
    } while (ready < 0 && errno == EINTR);
    if (ready <= 0) return std::nullopt;
    if (mysql_api().read_query_result(mysql_) != 0) return fail();
    return read_answer();
}

namespace {

// Session `id`'s row in the processlist unless it is idle (column s: its state, "Waiting for
// backup lock"), none when it is gone or idle (an id reused after a restart of the server is
// most likely an idle session); a user sees its own sessions without PROCESS. Only Sleep is
// left out: an abandoned replica status no longer matched COMMAND = 'Query' (netns test).
MysqlConnection::Answer session_row(MysqlConnection& c, unsigned long id) {
    return c.query(
        fmt::format("SELECT COALESCE(STATE, '') AS s FROM information_schema.PROCESSLIST "
                    "WHERE ID = {} AND COMMAND <> 'Sleep'",
                    id));
}

// From a session of its own (the statement's is busy): the state in which the statement of
// session `id` waits, and, when `kill`, KILL QUERY on it (allowed on one's own).
std::string inspect_stuck(const ConnectSettings& settings, unsigned long id, bool kill) {
    ConnectSettings side = settings;
    side.connect_timeout_s = side.read_timeout_s = side.write_timeout_s = 1;
    side.init_command.clear();
    MysqlConnection c(side);
    std::string state;
    auto rows = session_row(c, id);
    if (auto* r = std::get_if<std::vector<ReplicaRow>>(&rows); r && !r->empty())
        state = (*r)[0]["s"].value_or("");
    if (kill) c.execute(fmt::format("KILL QUERY {}", id));
    return state;
}

// The write probe: commits one row of havip.probe in a session that does not write the
// binlog, within `bound`; a statement that does not answer in time is killed (the session's
// state saying what it waited for). Creates the table, unlogged too, the first time.
WriteProbe write_probe(MysqlConnection& w, std::uint32_t server_id,
                       std::chrono::milliseconds bound) {
    WriteProbe probe;
    probe.bound_s = std::chrono::duration<double>(bound).count();
    const auto failed = [&](const SqlError& e) {
        probe.error_code = e.code;
        probe.error_message = e.message;
        return probe;
    };
    // The session is unlogged from its connect on (write_session); without BINLOG ADMIN the
    // connect fails with 1227.
    if (auto e = w.ensure_connected()) return failed(*e);
    const auto within = [&](const std::string& sql) -> std::optional<MysqlConnection::Answer> {
        auto answer = w.query_within(sql, bound);
        if (answer) return answer;
        // The statement runs on: say what it waits for, and end it. If even KILL does not end
        // it in time (a commit stuck in fsync), the session is closed.
        probe.waiting_for = inspect_stuck(w.settings(), w.thread_id(), true);
        if (!w.finish_within(bound)) w.abandon();
        return std::nullopt;
    };
    const std::string insert = fmt::format(
        "INSERT INTO havip.probe (server_id, seq, written_at) VALUES ({}, 1, NOW(6)) "
        "ON DUPLICATE KEY UPDATE seq = seq + 1, written_at = NOW(6)",
        server_id);
    auto answer = within(insert);
    if (auto* e = answer ? std::get_if<SqlError>(&*answer) : nullptr;
        e && (e->code == 1146 || e->code == 1049)) {
        for (const char* ddl :
             {term_schema,  // unlogged here, like the probe's rows
              "CREATE TABLE IF NOT EXISTS havip.probe (server_id INT UNSIGNED PRIMARY KEY, "
              "seq BIGINT UNSIGNED NOT NULL, written_at TIMESTAMP(6) NOT NULL) ENGINE=InnoDB"}) {
            answer = within(ddl);
            if (!answer || std::holds_alternative<SqlError>(*answer)) break;
        }
        if (answer && !std::holds_alternative<SqlError>(*answer)) answer = within(insert);
    }
    if (!answer) return probe;
    if (auto* e = std::get_if<SqlError>(&*answer)) return failed(*e);
    probe.committed = true;
    return probe;
}

// One look at the server, from connect to the semi-sync status.
Snapshot snapshot_once(MysqlConnection& c, std::chrono::milliseconds step_bound,
                       const std::function<void(const Snapshot&)>& progress) {
    Snapshot snap;
    const auto step = [&](ProbeStep next) {
        snap.step = next;
        if (progress) progress(snap);
    };
    step(ProbeStep::connect);
    snap.transport = transport_of(c.settings().unix_socket, c.settings().host);
    auto connect = [&]() -> bool {
        auto e = c.ensure_connected();
        if (!e) {
            // An earlier attempt of this snapshot may have failed.
            snap.outcome = ProbeOutcome::ok;
            snap.error_code = 0;
            snap.error_message.clear();
            snap.connect_errno = 0;
            return true;
        }
        snap.outcome = ProbeOutcome::connect_failed;
        snap.error_code = e->code;
        snap.error_message = e->message;
        snap.connect_errno = 0;
        // What the kernel says decides whether the server is certainly gone (2002 and 2003
        // are all Connector/C reports for a refused, missing or unreachable server).
        if (e->code == 2002 || e->code == 2003)
            snap.connect_errno = connect_errno(c.settings(), std::chrono::milliseconds(200));
        return false;
    };
    if (!connect()) return snap;
    step(ProbeStep::variables);
    auto answer = c.query(c.bounded(variables_query(c.is_mariadb())));
    const bool maria = c.is_mariadb();
    if (auto* e = std::get_if<SqlError>(&answer)) {
        snap.outcome = ProbeOutcome::query_failed;
        snap.error_code = e->code;
        snap.error_message = e->message;
        return snap;
    }
    read_variables(std::get<std::vector<ReplicaRow>>(answer), maria, snap);
    // Writable (the holder, or both nodes of a pair without manage_read_only): prove that a
    // write commits. First, so a hung replica status cannot hide it.
    if (snap.read_only == false && snap.server_id && maria) {
        step(ProbeStep::write);
        snap.write = write_probe(c.write_session(), *snap.server_id, step_bound);
    }
    step(ProbeStep::replica_status);
    // MySQL 8.0.22 renamed the statement; MariaDB's ALL shows every named connection.
    std::string show = maria                         ? "SHOW ALL SLAVES STATUS"
                       : c.server_version() >= 80022 ? "SHOW REPLICA STATUS"
                                                     : "SHOW SLAVE STATUS";
    const double bound_s = std::chrono::duration<double>(step_bound).count();
    std::optional<MysqlConnection::Answer> replicas;
    if (c.stuck_replica_thread != 0) {
        // An earlier one waits still (on the channel's mutex, which KILL does not end): ask
        // again only once it is gone, or each interval would leave one more session waiting.
        auto still = session_row(c, c.stuck_replica_thread);
        if (auto* r = std::get_if<std::vector<ReplicaRow>>(&still); r && r->empty())
            c.stuck_replica_thread = 0;
        else if (r)
            snap.replica_waiting_for = (*r)[0]["s"].value_or("");
    }
    if (c.stuck_replica_thread == 0) {
        replicas = c.query_within(c.bounded(show), step_bound);
        if (!replicas) {
            // Left waiting: look at it from a session of its own, and carry the rest of this
            // snapshot on a new connection.
            c.stuck_replica_thread = c.thread_id();
            snap.replica_waiting_for = inspect_stuck(c.settings(), c.stuck_replica_thread, false);
            c.abandon();
        }
    }
    if (!replicas) {
        snap.replica_unanswered = bound_s;
        if (auto e = c.ensure_connected()) {
            snap.replica_error = e->code;
            snap.replica_error_message = e->message;
            return snap;
        }
    } else if (auto* e = std::get_if<SqlError>(&*replicas)) {
        if (!c.connected()) {  // the connection itself failed mid-way
            snap.outcome = ProbeOutcome::query_failed;
            snap.error_code = e->code;
            snap.error_message = e->message;
            return snap;
        }
        snap.replica_error = e->code;
        snap.replica_error_message = e->message;
    } else {
        snap.replicas = std::move(std::get<std::vector<ReplicaRow>>(*replicas));
    }
    step(ProbeStep::term);
    // Which branch is newer while the data differ (checks/term.hpp), and shown in status.
    auto term = read_term(c, c.bounded(term_query));
    if (auto* t = std::get_if<std::uint64_t>(&term)) snap.term = *t;
    step(ProbeStep::semi_sync);
    auto semi = c.query(semi_sync_status_query);
    if (auto* r = std::get_if<std::vector<ReplicaRow>>(&semi)) read_semi_sync_status(*r, snap);
    snap.step = ProbeStep::done;
    return snap;
}

// 2006 gone away, 2013 lost: the connection died under a statement the deadline did not end.
bool connection_lost(const Snapshot& snap, const MysqlConnection& c) {
    return snap.outcome == ProbeOutcome::query_failed &&
           (snap.error_code == 2006 || snap.error_code == 2013) && !c.connected() &&
           !c.interrupted();
}

}  // namespace

Snapshot take_snapshot(MysqlConnection& c, std::chrono::milliseconds step_bound,
                       const std::function<void(const Snapshot&)>& progress) {
    auto snap = snapshot_once(c, step_bound, progress);
    if (!connection_lost(snap, c)) return snap;
    // The connection was closed: held since an earlier interval by a server that died or
    // restarted since, or under this snapshot by one killed while it answered. A new
    // connection tells which, in this interval (a refused connect is down at once). A server
    // being killed can still take a connect on its listening socket for a moment and then
    // reset it (2013 at the handshake, 2006 or 2013 at the first query): ask again until the
    // kernel's answer settles, for at most 100 ms.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
        snap = snapshot_once(c, step_bound, progress);
        snap.held_connection_lost = true;
        const bool reset_at_handshake =
            snap.outcome == ProbeOutcome::connect_failed && snap.error_code == 2013;
        if (c.interrupted() || !(reset_at_handshake || connection_lost(snap, c))) break;
    }
    return snap;
}

}  // namespace havip::checks
