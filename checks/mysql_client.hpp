// A blocking MariaDB Connector/C connection for mysql_check, meant for one worker thread
// (one MYSQL* per thread; call MysqlLibrary before starting threads). The hard deadline is
// not here: mysql_probe races each job against a timer on the loop.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "checks/mysql_decision.hpp"

struct st_mysql;  // MYSQL, kept out of this header

namespace havip::checks {

// mysql_library_init/end: construct once in main before any worker thread starts.
class MysqlLibrary {
  public:
    MysqlLibrary();
    ~MysqlLibrary();
    MysqlLibrary(const MysqlLibrary&) = delete;
    MysqlLibrary& operator=(const MysqlLibrary&) = delete;
};

// TLS for a login over TCP, from an option file's ssl keys as the mariadb tools read them
// (ssl, ssl-ca, ssl-capath, ssl-cert, ssl-key, ssl-verify-server-cert). A unix socket login
// does not use it.
struct TlsSettings {
    bool on = false;  // `ssl`, or any file below: the connect fails unless the session is TLS
    std::string ca, capath, cert, key;
    bool verify_server_cert = false;  // the server's certificate must match its address
};

struct MysqlCredentials {
    std::string user;
    std::string password;
    TlsSettings tls{};
};

struct OptionFileResult {
    std::optional<MysqlCredentials> credentials;
    std::string error;
};

// Reads user=, password= and the ssl keys from the [client] group of a my.cnf-style file (later
// groups [client-server] and [client-mariadb] too, as the client does; `-` and `_` alike).
// Refuses a file that group or others may read or write: it holds a password.
OptionFileResult read_option_file(const std::string& path);
// The same from text, without the permission check (for tests).
OptionFileResult parse_option_file(const std::string& text);

struct ConnectSettings {
    std::string unix_socket;  // preferred; when empty, host:port over TCP
    std::string host;         // an IP literal: a name lookup would block
    unsigned port = 3306;
    MysqlCredentials credentials;
    unsigned connect_timeout_s = 2;  // Connector/C takes whole seconds
    unsigned read_timeout_s = 2;
    unsigned write_timeout_s = 2;
    double statement_timeout_s = 1.0;  // server side: SET STATEMENT max_statement_time
    // Run by the client library at every connect, a reconnect too (the write probe's session:
    // sql_log_bin=0); a failure fails the connect.
    std::string init_command;
};

struct SqlError {
    unsigned code = 0;
    std::string message;
    std::string describe() const;
};

// What the actions need from a connection; MysqlConnection is the real one, tests use fakes.
class SqlSession {
  public:
    virtual ~SqlSession() = default;
    virtual bool is_mariadb() const = 0;
    virtual std::variant<std::vector<ReplicaRow>, SqlError> query(const std::string& sql) = 0;
    std::optional<SqlError> execute(const std::string& sql);
};

class MysqlConnection : public SqlSession {
  public:
    explicit MysqlConnection(ConnectSettings settings);
    ~MysqlConnection() override;
    MysqlConnection(const MysqlConnection&) = delete;
    MysqlConnection& operator=(const MysqlConnection&) = delete;

    // Connects if not connected. The connection persists until close() or a client error.
    std::optional<SqlError> ensure_connected();
    bool connected() const { return mysql_ != nullptr; }
    void close();

    bool is_mariadb() const override { return mariadb_; }
    unsigned long server_version() const { return version_; }
    using Answer = std::variant<std::vector<ReplicaRow>, SqlError>;
    Answer query(const std::string& sql) override;
    // Sends `sql` and waits up to `bound` for its answer. nullopt: none came in time, and the
    // statement still runs on the server; the connection is busy until finish_within() answers
    // or close().
    std::optional<Answer> query_within(const std::string& sql, std::chrono::milliseconds bound);
    // Waits up to `bound` more for the answer query_within() left pending; nullopt when none
    // comes (the connection is still busy: abandon() it, or wait again).
    std::optional<Answer> finish_within(std::chrono::milliseconds bound);
    // Drops this connection (not the write session) with a statement still running on it.
    void abandon();
    // The server's id of this session (KILL QUERY, the processlist); 0 when not connected.
    unsigned long thread_id() const;
    // The session the write probe commits in (take_snapshot): unlogged (sql_log_bin=0), so
    // kept apart from this one, whose promote records a term that must replicate. Created on
    // first use with the same settings; interrupt() and close() reach it too.
    MysqlConnection& write_session();
    // The server thread of a replica status statement abandoned unanswered; the next snapshot
    // does not send another while it still waits (each would hold a connection).
    unsigned long stuck_replica_thread = 0;

    // The server-side bound: SET STATEMENT max_statement_time=N FOR … on MariaDB.
    std::string bounded(const std::string& sql) const;

    // From another thread: shut the socket down so a blocked read returns now (2013). Safe
    // against close() through the mutex; the connection is then dropped by its own thread.
    void interrupt();
    // interrupt() was called since the last connect: the job is past its deadline.
    bool interrupted() const { return interrupted_; }

    const ConnectSettings& settings() const { return settings_; }

    // A duplicate of the connected socket's descriptor (the caller closes it), for watching
    // the idle connection for EOF from the loop; -1 when not connected. Worker thread only.
    int duplicate_socket() const;

  private:
    ConnectSettings settings_;
    st_mysql* mysql_ = nullptr;
    bool mariadb_ = true;
    unsigned long version_ = 0;
    SqlError fail();
    Answer read_answer();

    std::mutex fd_mutex_;
    int fd_ = -1;
    std::atomic<bool> interrupted_{false};
    std::unique_ptr<MysqlConnection> write_session_;  // set once under fd_mutex_, never reset
    // The statement sent and not answered yet.
    std::string in_flight_;
    // A statement an interrupt left running on the server (the socket is shut down, the server
    // goes on): a promote's wait, a STOP SLAVE or a status read stuck on a lock would hold that
    // connection until it ended by itself, one more each interval. The next connect ends it.
    struct Orphan {
        unsigned long thread_id = 0;
        std::string sql;
    };
    std::optional<Orphan> orphan_;
    void end_orphan();
};

// The errno of a plain non-blocking connect() to the server's unix socket or host:port,
// waited for up to `timeout`; 0 when it connected (then closed at once). Connector/C's own
// answer cannot tell a refused TCP connect from anything else (it reports EINPROGRESS).
int connect_errno(const ConnectSettings& settings, std::chrono::milliseconds timeout);

// One interval's questions (A and B of the decision table) over `session`; blocking.
// Closes the connection after a client-side error so the next interval reconnects. A
// connection found closed (the server died since the last interval, or while it answered) is
// reconnected at once, so a dead server is told apart from a restarted one in this same
// interval.
// The write probe and the replica status statement each answer within `step_bound` (a share
// of the job's deadline, so a hung one is told apart from a server that does not answer);
// `progress`, when set, gets the snapshot so far as each step starts, for a job whose deadline
// passes (MysqlProbe::snapshot).
Snapshot take_snapshot(MysqlConnection& connection,
                       std::chrono::milliseconds step_bound = std::chrono::milliseconds(300),
                       const std::function<void(const Snapshot&)>& progress = {});

}  // namespace havip::checks
