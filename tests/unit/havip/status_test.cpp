// `havip status` (havip/status): arguments, the table, exit codes, and the client side of the
// control protocol against a little unix-socket server run by the test.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>
#include <thread>

#include "havip/status.hpp"

namespace havip::cli {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json document(std::string state_1 = "MASTER", std::string state_2 = "BACKUP") {
    return json::parse(R"({"version":1,"daemon":{"version":"0.1.0","pid":1},"instances":[
      {"name":"VI_1","state":")" +
                       state_1 + R"(","vrid":51,"interface":"eth0","priority":150,
       "effective_priority":140,"vips":["10.77.0.100/24"],"master_ip":"10.77.0.1",
       "last_transition":{"time":"2026-11-30T18:20:00.000Z","from":"BACKUP","to":"MASTER",
                          "reason":"master down timer expired"},
       "checks":[{"name":"chk_db","type":"mysql_check","status":"degraded","reason":"lag 12 s",
                  "since":"2026-11-30T18:20:05.500Z",
                  "read_only_action":"manage_read_only promote done: 3 steps ok"}],
       "stats":{"advert_rcvd":7,"advert_sent":120,"become_master":1,"release_master":0,
                "auth_failure":3,"pri_zero_rcvd":0,"pri_zero_sent":0},
       "timing":{"advert_send_jitter_ms":{"p50":0.25,"p99":1.5,"max":4.0,"samples":100}}},
      {"name":"VI_2","state":")" +
                       state_2 + R"(","vrid":52,"interface":"eth1","priority":100,
       "effective_priority":100,"vips":[],"master_ip":null,"last_transition":null,"checks":[],
       "stats":{}}]})");
}

TEST(StatusArgs, defaults_to_the_daemon_socket_and_table) {
    auto a = std::get<StatusArgs>(parse_status_args({}));
    EXPECT_EQ(a.socket, "/run/havipd/havipd.sock");
    EXPECT_FALSE(a.json);
}

TEST(StatusArgs, accepts_socket_in_both_spellings_and_json) {
    auto a = std::get<StatusArgs>(parse_status_args({"--socket", "/x/s.sock", "--json"}));
    EXPECT_EQ(a.socket, "/x/s.sock");
    EXPECT_TRUE(a.json);
    EXPECT_EQ(std::get<StatusArgs>(parse_status_args({"--socket=/y"})).socket, "/y");
}

TEST(StatusArgs, rejects_unknown_arguments_and_missing_socket_path) {
    EXPECT_TRUE(std::holds_alternative<UsageError>(parse_status_args({"--jsn"})));
    EXPECT_TRUE(std::holds_alternative<UsageError>(parse_status_args({"--socket"})));
    EXPECT_TRUE(std::holds_alternative<UsageError>(parse_status_args({"--socket="})));
}

TEST(StatusExitCode, is_zero_when_no_instance_is_in_fault) {
    EXPECT_EQ(status_exit_code(document()), exit_ok);
}

TEST(StatusExitCode, is_one_when_any_instance_is_in_fault) {
    EXPECT_EQ(status_exit_code(document("MASTER", "FAULT")), exit_fault);
}

TEST(StatusExitCode, is_two_for_an_error_answer_or_a_non_status_document) {
    EXPECT_EQ(status_exit_code(json{{"version", 1}, {"error", "x"}}), exit_unreachable);
    EXPECT_EQ(status_exit_code(json{{"version", 1}}), exit_unreachable);
    EXPECT_EQ(status_exit_code(json::array()), exit_unreachable);
}

TEST(StatusTable, shows_a_row_per_instance_with_its_fields) {
    const auto t = render_table(document());
    EXPECT_NE(t.find("INSTANCE"), std::string::npos);
    EXPECT_NE(t.find("EFFECTIVE"), std::string::npos);
    std::istringstream lines(t);
    std::string header, row;
    std::getline(lines, header);
    std::getline(lines, row);
    for (const char* cell :
         {"VI_1", "MASTER", "51", "eth0", "150", "140", "10.77.0.100/24", "10.77.0.1"})
        EXPECT_NE(row.find(cell), std::string::npos) << cell << " in " << row;
    // Columns line up: the state column starts where its header does.
    EXPECT_EQ(row.find("MASTER"), header.find("STATE"));
}

TEST(StatusTable, shows_transition_checks_counters_and_jitter) {
    const auto t = render_table(document());
    EXPECT_NE(t.find("BACKUP -> MASTER: master down timer expired"), std::string::npos);
    EXPECT_NE(t.find("check chk_db (mysql_check): degraded - lag 12 s since "
                     "2026-11-30T18:20:05.500Z"),
              std::string::npos);
    EXPECT_NE(t.find("since 2026-11-30T18:20:05.500Z\n      manage_read_only promote done: 3 "
                     "steps ok\n"),
              std::string::npos)
        << t;
    EXPECT_NE(t.find("adverts received 7 sent 120"), std::string::npos);
    EXPECT_NE(t.find("auth_failure 3"), std::string::npos);
    EXPECT_NE(t.find("p99 1.500 ms"), std::string::npos);
}

// A MASTER whose VIP the kernel refused used to show nothing of it (issue 17, item 9).
TEST(StatusTable, shows_a_vip_add_being_retried) {
    auto d = document();
    d["instances"][0]["vip_retries"] = json::parse(
        R"([{"vip":"fd00::100/64 ifindex 2","operation":"add","failures":3,
             "error":"Permission denied","next_attempt_in_ms":312.4}])");
    const auto t = render_table(d);
    EXPECT_NE(t.find("    VIP add failing: fd00::100/64 ifindex 2: Permission denied (3 attempts, "
                     "next in 312 ms)\n"),
              std::string::npos)
        << t;
}

// Found by the long fuzz run: counts read as int from a document's 1e105 (undefined behaviour;
// on x86 INT_MIN, so the jitter line vanished and the attempts went negative).
TEST(StatusTable, counts_out_of_the_range_of_int_are_shown_as_numbers) {
    auto d = document();
    d["instances"][0]["timing"]["advert_send_jitter_ms"]["samples"] = 1e105;
    d["instances"][0]["vip_retries"] = json::parse(
        R"([{"vip":"10.77.0.100/24","operation":"add","failures":4e9,"error":"EEXIST",
             "next_attempt_in_ms":400}])");
    const auto t = render_table(d);
    EXPECT_NE(t.find("p99 1.500 ms"), std::string::npos) << t;
    EXPECT_NE(t.find("(4000000000 attempts, next in 400 ms)"), std::string::npos) << t;
}

// A node whose fence cannot get into the old master fails its promote, steps down and is
// demoted; the demote's line replaced the reason it cannot take writes (issue 15, item 4).
TEST(StatusTable, keeps_the_last_failed_promote_in_view_after_the_demote) {
    auto d = document();
    auto& check = d["instances"][0]["checks"][0];
    const std::string failed =
        "manage_read_only promote failed in 1755 ms: failed at `fence 10.77.0.1:3306: connect`: "
        "error 1045 (Access denied); not promoting unfenced";
    check["read_only_action"] = failed;
    check["promote_failure"] = failed;
    auto t = render_table(d);
    EXPECT_EQ(t.find("      last manage_read_only"), std::string::npos) << t;  // said once
    EXPECT_NE(t.find("      " + failed + "\n"), std::string::npos) << t;
    check["read_only_action"] = "manage_read_only demote done in 0 ms: 2 steps ok";
    t = render_table(d);
    EXPECT_NE(t.find("      manage_read_only demote done in 0 ms: 2 steps ok\n      last " +
                     failed + "\n"),
              std::string::npos)
        << t;
}

// The term was in the latch reason only (issue 15): each mysql_check shows it, and which side
// is the authority while the data differ.
TEST(StatusTable, shows_a_mysql_checks_term_and_the_authority_when_the_peers_is_known) {
    auto d = document();
    auto& check = d["instances"][0]["checks"][0];
    EXPECT_EQ(render_table(d).find("term "), std::string::npos);  // none known: no line
    check["term"] = 3;
    EXPECT_NE(render_table(d).find(
                  "      term 3 (the last promote recorded in this node's data)\n"),
              std::string::npos)
        << render_table(d);
    check["peer_term"] = 4;
    EXPECT_NE(render_table(d).find("      term 3 here, 4 on the peer: the peer holds the newer "
                                   "branch (the authority)\n"),
              std::string::npos)
        << render_table(d);
}

TEST(StatusTable, prints_a_dash_for_an_unknown_master) {
    const auto t = render_table(document());
    const auto row = t.substr(t.find("VI_2"));
    EXPECT_NE(row.substr(0, row.find('\n')).find(" -"), std::string::npos);
}

TEST(StatusTable, terminal_controls_in_a_reason_are_shown_escaped_not_sent) {
    auto doc = document();
    // A MySQL error text can carry what the server was sent: an ESC sequence that would
    // clear the operator's screen, a CSI (C1, UTF-8 C2 9B), a newline faking a status line.
    doc["instances"][0]["checks"][0]["reason"] =
        "down: 1045 \x1b"
        "[2J\xc2\x9b"
        "31m\n    check fake (mysql_check): healthy é";
    const auto t = render_table(doc);
    EXPECT_EQ(t.find('\x1b'), std::string::npos) << t;
    EXPECT_EQ(t.find("\xc2\x9b"), std::string::npos) << t;
    EXPECT_NE(t.find("\\x1b[2J\\x9b31m\\x0a    check fake"), std::string::npos) << t;
    EXPECT_NE(t.find("healthy é"), std::string::npos) << "UTF-8 text stays as it is";
}

TEST(StatusTable, a_document_of_unexpected_types_is_reported_not_thrown) {
    for (const char* text : {R"([])", R"({"instances":{"a":1}})", R"({"instances":[1,"x"]})",
                             R"({"instances":[{"checks":[3]}]})"}) {
        std::string table;
        EXPECT_NO_THROW(table = render_table(json::parse(text))) << text;
    }
    EXPECT_NE(
        render_table(json::parse(R"({"instances":{"a":1}})")).find("not what this havip reads"),
        std::string::npos);
}

// A one-connection server on a unix socket: reads a line, answers `reply` (or nothing), or
// hands the connection to `serve`.
class FakeDaemon {
  public:
    explicit FakeDaemon(std::string reply, bool answer = true)
        : FakeDaemon(
              [reply](int c) { [[maybe_unused]] auto n = ::write(c, reply.data(), reply.size()); },
              answer) {}
    explicit FakeDaemon(std::function<void(int)> serve) : FakeDaemon(std::move(serve), true) {}
    FakeDaemon(std::function<void(int)> serve, bool answer) {
        dir_ = std::filesystem::path(HAVIP_BINARY_DIR) /
               ("havip-status-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir_);
        path_ = (dir_ / "s.sock").string();
        std::filesystem::remove(path_);
        fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        path_.copy(addr.sun_path, sizeof addr.sun_path - 1);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        EXPECT_EQ(::listen(fd_, 4), 0);
        thread_ = std::thread([this, serve, answer] {
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) return;
            std::string got;
            char ch;
            while (::read(c, &ch, 1) == 1 && ch != '\n')
                got += ch;
            request_ = got;
            if (answer) {
                serve(c);
            } else {
                while (!done_)
                    std::this_thread::sleep_for(10ms);
            }
            ::close(c);
        });
    }
    ~FakeDaemon() {
        done_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        thread_.join();
        ::close(fd_);
        std::filesystem::remove_all(dir_);
    }
    const std::string& path() const { return path_; }
    std::string request() {
        done_ = true;
        thread_.join();
        thread_ = std::thread([] {});
        return request_;
    }

  private:
    std::filesystem::path dir_;
    std::string path_;
    int fd_ = -1;
    std::thread thread_;
    std::string request_;
    std::atomic<bool> done_{false};
};

TEST(StatusQuery, sends_a_version_1_status_request_line_and_parses_the_answer) {
    FakeDaemon d(document().dump() + "\n");
    auto answer = query_status(d.path(), 2s);
    ASSERT_TRUE(std::holds_alternative<json>(answer)) << std::get<QueryError>(answer).message;
    EXPECT_EQ(std::get<json>(answer)["instances"][0]["name"], "VI_1");
    EXPECT_EQ(json::parse(d.request()), (json{{"version", 1}, {"command", "status"}}));
}

TEST(StatusQuery, no_socket_is_an_error_naming_the_path) {
    auto answer = query_status("/nonexistent/havipd.sock", 1s);
    ASSERT_TRUE(std::holds_alternative<QueryError>(answer));
    EXPECT_NE(std::get<QueryError>(answer).message.find("/nonexistent/havipd.sock"),
              std::string::npos);
}

TEST(StatusQuery, a_daemon_that_never_answers_times_out) {
    FakeDaemon d("", false);
    const auto start = std::chrono::steady_clock::now();
    auto answer = query_status(d.path(), 300ms);
    ASSERT_TRUE(std::holds_alternative<QueryError>(answer));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

// Whatever holds the socket may send without end of line: the answer is refused once longer
// than any status document, not gathered into memory for as long as bytes come.
TEST(StatusQuery, an_answer_line_without_end_is_refused_at_the_bound) {
    FakeDaemon d([](int c) {
        const std::string chunk(64 * 1024, 'x');
        const auto end = std::chrono::steady_clock::now() + 10s;
        while (std::chrono::steady_clock::now() < end &&
               ::send(c, chunk.data(), chunk.size(), MSG_NOSIGNAL) > 0) {
        }
    });
    const auto start = std::chrono::steady_clock::now();
    auto answer = query_status(d.path(), 2s);
    const auto took = std::chrono::steady_clock::now() - start;
    ASSERT_TRUE(std::holds_alternative<QueryError>(answer));
    const auto& message = std::get<QueryError>(answer).message;
    EXPECT_NE(message.find("longer than"), std::string::npos) << message;
    EXPECT_LT(took, 5s);
}

// One answer per line: a connection closed before the end of the line ends no answer, even
// one whose bytes so far parse.
TEST(StatusQuery, an_answer_cut_before_its_newline_is_an_error) {
    FakeDaemon d(document().dump());
    auto answer = query_status(d.path(), 2s);
    ASSERT_TRUE(std::holds_alternative<QueryError>(answer));
    EXPECT_NE(std::get<QueryError>(answer).message.find("closed"), std::string::npos)
        << std::get<QueryError>(answer).message;
}

TEST(StatusRun, exit_code_is_2_when_no_daemon_listens) {
    std::ostringstream out, err;
    EXPECT_EQ(run_status({"--socket", "/nonexistent/havipd.sock"}, out, err), exit_unreachable);
    EXPECT_FALSE(err.str().empty());
}

TEST(StatusRun, exit_code_is_64_on_bad_usage) {
    std::ostringstream out, err;
    EXPECT_EQ(run_status({"--bogus"}, out, err), exit_usage);
}

TEST(StatusRun, json_output_is_the_document_and_fault_gives_1) {
    FakeDaemon d(document("FAULT").dump() + "\n");
    std::ostringstream out, err;
    EXPECT_EQ(run_status({"--socket", d.path(), "--json"}, out, err), exit_fault);
    EXPECT_EQ(json::parse(out.str())["instances"][0]["state"], "FAULT");
}

TEST(StatusRun, daemon_error_answer_gives_2_and_its_message) {
    FakeDaemon d(R"({"version":1,"error":"permission denied"})"
                 "\n");
    std::ostringstream out, err;
    EXPECT_EQ(run_status({"--socket", d.path()}, out, err), exit_unreachable);
    EXPECT_NE(err.str().find("permission denied"), std::string::npos);
}

}  // namespace
}  // namespace havip::cli
