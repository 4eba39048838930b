// The mysql_check's edges that need no server: the state file, the option file, and the
// manage_read_only steps against a recording session.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <deque>
#include <filesystem>

#include <fmt/format.h>
#include <fstream>

#include "checks/atomic_file.hpp"
#include "checks/mysql_actions.hpp"
#include "checks/mysql_client.hpp"
#include "checks/mysql_history.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;

std::string scratch(const std::string& name) {
    auto dir = std::filesystem::path(HAVIP_BINARY_DIR) / "checks-scratch";
    std::filesystem::create_directories(dir);
    return (dir / fmt::format("{}-{}", ::getpid(), name)).string();
}

TEST(MysqlHistory, survives_a_save_and_load_round_trip) {
    History h;
    h.last_ok = WallClock::time_point(std::chrono::milliseconds(1'700'000'000'123));
    h.last_received = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-57,\nabc\\def";
    h.last_heartbeats = 42;
    h.diverged = true;
    h.diverged_since = WallClock::time_point(std::chrono::milliseconds(1'700'000'100'000));
    h.diverged_reason = "replication SQL error 1062 (Duplicate entry '5')";
    h.read_only_reapplied = true;
    h.writer = true;
    h.writer_position = "0-2-15,1-2-3";
    std::string path = scratch("roundtrip.state");
    ASSERT_FALSE(save_history(path, h));
    auto loaded = load_history(path);
    ASSERT_FALSE(loaded.error) << loaded.detail;
    EXPECT_EQ(loaded.history.last_ok, h.last_ok);
    EXPECT_EQ(loaded.history.last_received, h.last_received);
    EXPECT_EQ(loaded.history.last_heartbeats, 42u);
    EXPECT_TRUE(loaded.history.diverged);
    EXPECT_EQ(loaded.history.diverged_since, h.diverged_since);
    EXPECT_EQ(loaded.history.diverged_reason, h.diverged_reason);
    EXPECT_TRUE(loaded.history.read_only_reapplied);
    EXPECT_TRUE(loaded.history.writer);
    EXPECT_EQ(loaded.history.writer_position, h.writer_position);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    std::filesystem::remove(path);
}

TEST(MysqlHistory, missing_file_is_an_empty_history_with_enoent) {
    auto loaded = load_history(scratch("never-written.state"));
    EXPECT_EQ(loaded.error, std::errc::no_such_file_or_directory);
    EXPECT_FALSE(loaded.history.last_ok);
}

TEST(MysqlHistory, malformed_file_is_rejected_with_the_line) {
    History h;
    std::string detail;
    EXPECT_FALSE(parse_history("version=1\nlast_ok_ms=soon\n", h, detail));
    EXPECT_EQ(detail, "line 2: bad value for last_ok_ms");
    EXPECT_FALSE(parse_history("last_ok_ms=5\n", h, detail));  // no version
}

// Found by fuzz_proc_parse: a time beyond what the wall clock holds (its nanoseconds end in
// 2262) overflowed on the way in (undefined behaviour); it is a corrupt file.
TEST(MysqlHistory, a_time_the_clock_cannot_hold_is_a_bad_value) {
    History h;
    std::string detail;
    EXPECT_FALSE(parse_history("version=1\ndiverged_since_ms=1765000000000000\n", h, detail));
    EXPECT_EQ(detail, "line 2: bad value for diverged_since_ms");
    EXPECT_FALSE(parse_history("version=1\nlast_ok_ms=-9223372036854775807\n", h, detail));
    ASSERT_TRUE(parse_history("version=1\nforced_since_ms=1765000000000\nforced_by=x\n", h, detail))
        << detail;
    EXPECT_NE(format_history(h).find("forced_since_ms=1765000000000\n"), std::string::npos);
}

// A reset would forget the diverged latch and the last contact (issue 15, item 10).
TEST(MysqlHistory, a_file_that_fails_to_load_latches_the_node_naming_the_file_and_why) {
    std::string path = scratch("corrupt.state");
    {
        std::ofstream out(path);
        out << "version=1\ndiverged=yes\n";
    }
    auto loaded = load_history(path);
    EXPECT_EQ(loaded.error, std::errc::invalid_argument);
    EXPECT_TRUE(loaded.history.diverged);
    EXPECT_NE(loaded.history.diverged_reason.find(path), std::string::npos)
        << loaded.history.diverged_reason;
    EXPECT_NE(loaded.history.diverged_reason.find("line 2: bad value for diverged"),
              std::string::npos)
        << loaded.history.diverged_reason;
    std::filesystem::remove(path);
}

TEST(MysqlHistory, write_failure_is_returned_not_thrown) {
    History h;
    auto ec = save_history("/nonexistent-dir-havip/x.state", h);
    EXPECT_EQ(ec, std::errc::no_such_file_or_directory);
}

TEST(AtomicFile, never_writes_through_a_symlink_planted_at_the_temporary_name) {
    // The pid file and the check history are written as PATH.tmp then renamed: a symlink
    // planted at PATH.tmp must not make the daemon (root) write into what it points to.
    const std::string victim = scratch("victim");
    { std::ofstream(victim) << "precious\n"; }
    for (const auto& path : {scratch("pid-file"), scratch("history.state")}) {
        std::filesystem::remove(path);
        std::filesystem::remove(path + ".tmp");
        std::filesystem::create_symlink(victim, path + ".tmp");
        if (path.ends_with(".state")) {
            ASSERT_FALSE(save_history(path, History{}));
        } else {
            ASSERT_FALSE(write_file_atomically(path, "42\n", 0644, false));
        }
        std::ifstream in(victim);
        std::string line;
        std::getline(in, line);
        EXPECT_EQ(line, "precious") << path;
        EXPECT_FALSE(std::filesystem::is_symlink(path)) << path;
        EXPECT_TRUE(std::filesystem::is_regular_file(path)) << path;
        EXPECT_FALSE(std::filesystem::exists(path + ".tmp")) << path;
    }
}

TEST(OptionFile, reads_user_and_password_from_the_client_group) {
    auto r = parse_option_file(
        "[mysqld]\nuser=mysql\n[client]\n# monitor\nuser = chk\npassword=\"s3 cret\"\n");
    ASSERT_TRUE(r.credentials) << r.error;
    EXPECT_EQ(r.credentials->user, "chk");
    EXPECT_EQ(r.credentials->password, "s3 cret");
    EXPECT_FALSE(parse_option_file("[mysqld]\nuser=mysql\n").credentials);
}

// The mariadb tools read the same keys from the same file (bootstrap's seed runs them with
// --defaults-extra-file), so one file says TLS for both.
TEST(OptionFile, reads_the_ssl_keys_as_the_client_tools_do) {
    auto tls = [](const std::string& text) {
        auto r = parse_option_file("[client]\nuser=admin\npassword=x\n" + text);
        EXPECT_TRUE(r.credentials) << r.error;
        return r.credentials ? r.credentials->tls : TlsSettings{};
    };
    EXPECT_FALSE(tls("").on);
    auto t = tls("ssl_ca = /etc/mysql/ca.pem\nssl-cert=/c.pem\nssl-key='/k.pem'\n"
                 "ssl-verify-server-cert\n");
    EXPECT_TRUE(t.on);  // a file named means TLS
    EXPECT_EQ(t.ca, "/etc/mysql/ca.pem");
    EXPECT_EQ(t.cert, "/c.pem");
    EXPECT_EQ(t.key, "/k.pem");
    EXPECT_TRUE(t.verify_server_cert);
    EXPECT_TRUE(tls("ssl\n").on);
    EXPECT_TRUE(tls("ssl=ON\n").on);
    EXPECT_FALSE(tls("ssl-ca=/ca.pem\nssl=0\n").on);
    EXPECT_FALSE(tls("ssl-ca=/ca.pem\nskip-ssl\n").on);
    EXPECT_FALSE(tls("[mysqld]\nssl-ca=/server-ca.pem\n").on);  // the server's, not ours
    EXPECT_EQ(parse_option_file("[client]\nuser=a\nssl=maybe\n").error,
              "ssl: not a boolean: 'maybe'");
}

TEST(OptionFile, refuses_a_file_others_can_read) {
    std::string path = scratch("my.cnf");
    { std::ofstream(path) << "[client]\nuser=chk\npassword=x\n"; }
    ::chmod(path.c_str(), 0644);
    auto open = read_option_file(path);
    EXPECT_FALSE(open.credentials);
    EXPECT_NE(open.error.find("chmod 600"), std::string::npos);
    ::chmod(path.c_str(), 0600);
    EXPECT_TRUE(read_option_file(path).credentials);
    std::filesystem::remove(path);
}

// Answers queries from a script and records what was sent.
class RecordingSession : public SqlSession {
  public:
    bool mariadb = true;
    std::vector<std::string> sent;
    std::deque<std::variant<std::vector<ReplicaRow>, SqlError>> answers;
    bool is_mariadb() const override { return mariadb; }
    std::variant<std::vector<ReplicaRow>, SqlError> query(const std::string& sql) override {
        sent.push_back(sql);
        if (answers.empty()) return std::vector<ReplicaRow>{};
        auto a = answers.front();
        answers.pop_front();
        return a;
    }
};

TEST(MysqlActions, promote_stops_io_waits_for_applied_then_clears_read_only) {
    RecordingSession s;
    s.answers = {std::vector<ReplicaRow>{}, std::vector<ReplicaRow>{{{"Gtid_IO_Pos", "0-1-12"}}},
                 std::vector<ReplicaRow>{{{"w", "0"}}}};
    PromoteSettings p;
    p.connection_name = "from_db1";
    p.apply_timeout = 5s;
    auto r = promote(s, p);
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(s.sent, (std::vector<std::string>{
                          "STOP SLAVE 'from_db1' IO_THREAD", "SHOW SLAVE 'from_db1' STATUS",
                          "SELECT MASTER_GTID_WAIT('0-1-12', 5.000) AS w", "STOP SLAVE 'from_db1'",
                          "SET GLOBAL read_only=0"}));
    EXPECT_EQ(r.steps[2].detail, "0-1-12 applied");
}

TEST(MysqlActions, promote_keeps_read_only_when_the_wait_times_out) {
    RecordingSession s;
    s.answers = {std::vector<ReplicaRow>{}, std::vector<ReplicaRow>{{{"Gtid_IO_Pos", "0-1-12"}}},
                 std::vector<ReplicaRow>{{{"w", "-1"}}}};
    auto r = promote(s, {});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(s.sent.size(), 3u);  // no STOP SLAVE, no read_only=0
    EXPECT_NE(r.describe().find("not applied within 10.0 s"), std::string::npos) << r.describe();
}

TEST(MysqlActions, promote_on_mysql_uses_replica_statements) {
    RecordingSession s;
    s.mariadb = false;
    s.answers = {std::vector<ReplicaRow>{},
                 std::vector<ReplicaRow>{{{"Retrieved_Gtid_Set", "uuid:1-3"}}},
                 std::vector<ReplicaRow>{{{"w", "0"}}}};
    EXPECT_TRUE(promote(s, {}).ok);
    EXPECT_EQ(s.sent[0], "STOP REPLICA IO_THREAD");
    EXPECT_EQ(s.sent[2], "SELECT WAIT_FOR_EXECUTED_GTID_SET('uuid:1-3', 10.000) AS w");
    EXPECT_EQ(s.sent[3], "STOP REPLICA");
}

TEST(MysqlActions, demote_bounds_the_lock_wait_then_sets_read_only) {
    RecordingSession s;
    s.answers = {std::vector<ReplicaRow>{},
                 SqlError{1205, "Lock wait timeout exceeded; try restarting transaction"}};
    auto r = demote(s);
    EXPECT_EQ(s.sent, (std::vector<std::string>{"SET SESSION lock_wait_timeout=2",
                                                "SET GLOBAL read_only=1"}));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.describe(),
              "failed at `SET GLOBAL read_only=1`: error 1205 (Lock wait timeout exceeded; try "
              "restarting transaction)");
}

TEST(MysqlActions, semi_sync_master_side_goes_on_after_the_wait_and_before_read_only_0) {
    RecordingSession s;
    s.answers = {std::vector<ReplicaRow>{{{"Gtid_IO_Pos", "0-1-12"}}},
                 std::vector<ReplicaRow>{{{"w", "0"}}}};
    PromoteSettings p;
    p.stop_channel = false;
    p.semi_sync_master = true;
    auto r = promote(s, p);
    EXPECT_TRUE(r.ok) << r.describe();
    EXPECT_EQ(s.sent, (std::vector<std::string>{
                          "SHOW SLAVE STATUS", "SELECT MASTER_GTID_WAIT('0-1-12', 10.000) AS w",
                          "SET GLOBAL rpl_semi_sync_master_enabled=ON", "SET GLOBAL read_only=0"}));
}

TEST(MysqlActions, semi_sync_pair_is_asked_of_the_server_when_not_known_yet) {
    RecordingSession s;
    s.answers = {std::vector<ReplicaRow>{},  // SHOW SLAVE STATUS: nothing received
                 std::vector<ReplicaRow>{
                     {{"Variable_name", "rpl_semi_sync_slave_enabled"}, {"Value", "ON"}}}};
    PromoteSettings p;
    p.stop_channel = false;
    p.semi_sync_master.reset();
    EXPECT_TRUE(promote(s, p).ok);
    EXPECT_EQ(s.sent,
              (std::vector<std::string>{
                  "SHOW SLAVE STATUS", "SHOW GLOBAL VARIABLES LIKE 'rpl_semi_sync_slave_enabled'",
                  "SET GLOBAL rpl_semi_sync_master_enabled=ON", "SET GLOBAL read_only=0"}));
}

TEST(MysqlActions, semi_sync_master_side_goes_off_after_read_only_1) {
    RecordingSession s;
    EXPECT_TRUE(demote(s, true).ok);
    EXPECT_EQ(s.sent,
              (std::vector<std::string>{"SET SESSION lock_wait_timeout=2", "SET GLOBAL read_only=1",
                                        "SET GLOBAL rpl_semi_sync_master_enabled=OFF"}));
}

TEST(MysqlActions, each_step_is_timed_from_the_end_of_the_one_before) {
    using namespace std::chrono_literals;
    const auto t0 = std::chrono::steady_clock::time_point{} + 10s;
    std::vector<ActionStep> steps(3);
    steps[0].at = t0 + 120ms;  // fence
    steps[1].at = t0 + 450ms;  // wait for the relay log
    steps[2].at = t0 + 440ms;  // recorded on another clock: never negative
    EXPECT_EQ(step_times(t0, steps), (std::vector<std::chrono::milliseconds>{120ms, 330ms, 0ms}));
}

TEST(MysqlActions, names_are_quoted_for_sql) {
    EXPECT_EQ(sql_quote("a'b\\c"), "'a''b\\\\c'");
}

}  // namespace
}  // namespace havip::checks
