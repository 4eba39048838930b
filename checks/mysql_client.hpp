// A blocking MariaDB Connector/C connection for mysql_check, meant for one worker thread
// (one MYSQL* per thread; call MysqlLibrary before starting threads). The hard deadline is
// not here: mysql_probe races each job against a timer on the loop.
#pragma once

#include <atomic>
#include <chrono>
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

struct MysqlCredentials {
    std::string user;
    std::string password;
};

struct OptionFileResult {
    std::optional<MysqlCredentials> credentials;
    std::string error;
};

// Reads user= and password= from the [client] group of a my.cnf-style file (later groups
// [client-server] and [client-mariadb] too, as the client does). Refuses a file that group or
// others may read or write: it holds a password.
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
    std::variant<std::vector<ReplicaRow>, SqlError> query(const std::string& sql) override;

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
    std::mutex fd_mutex_;
    int fd_ = -1;
    std::atomic<bool> interrupted_{false};
    // The server thread of this connection, and the statement it was sent and has not answered.
    unsigned long thread_id_ = 0;
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
// Closes the connection after a client-side error so the next interval reconnects. A held
// connection found closed (the server died since the last interval) is reconnected at once,
// so a dead server is told apart from a restarted one in this same interval.
Snapshot take_snapshot(MysqlConnection& connection);

}  // namespace havip::checks
