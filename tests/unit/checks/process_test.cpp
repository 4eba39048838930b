// vrrp_script, notify and tcp_check against real processes and loopback sockets.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>

#include "checks/notify.hpp"
#include "checks/script.hpp"
#include "checks/tcp_check.hpp"

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class ProcessTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(HAVIP_BINARY_DIR) / "checks-scratch" /
               fmt::format("{}-{}", ::getpid(),
                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    Command sh(const std::string& script) { return Command{{"/bin/sh", "-c", script}, {}}; }
    std::string path(const std::string& name) const { return (dir_ / name).string(); }
    // Runs the loop until `done` or the limit; returns whether `done` became true.
    bool run_until(const std::function<bool()>& done, Clock::duration limit = 10s) {
        auto end = Clock::now() + limit;
        while (!done() && Clock::now() < end) {
            io_.restart();
            io_.run_for(10ms);
        }
        return done();
    }

    boost::asio::io_context io_;
    std::filesystem::path dir_;
};

bool process_gone(pid_t pid) {
    std::ifstream stat(fmt::format("/proc/{}/stat", pid));
    if (!stat) return true;
    std::string line;
    std::getline(stat, line);
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] == 'Z';
}

TEST(KernelSupport, a_kernel_without_pidfds_is_refused_with_what_it_lacks) {
    EXPECT_EQ(kernel_support_error(0, ECHILD, "6.1.0"), "");
    EXPECT_EQ(kernel_support_error(0, 0, "6.1.0"), "");
    const auto old = kernel_support_error(ENOSYS, 0, "4.19.0-26-amd64");
    EXPECT_NE(old.find("Linux 5.4 or later"), std::string::npos) << old;
    EXPECT_NE(old.find("4.19.0-26-amd64"), std::string::npos) << old;
    EXPECT_NE(old.find("pidfd_open"), std::string::npos) << old;
    const auto five_three = kernel_support_error(0, EINVAL, "5.3.18");
    EXPECT_NE(five_three.find("waitid(P_PIDFD)"), std::string::npos) << five_three;
    // This machine runs the tests, so it has what havipd needs.
    EXPECT_EQ(probe_kernel_support(), "");
}

TEST_F(ProcessTest, script_exit_zero_is_success) {
    std::optional<ScriptReport> got;
    ScriptRunner r(io_, {"ok", sh("exit 0"), 1s, 1s}, [&](const auto& rep) { got = rep; });
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_TRUE(got->success());
    EXPECT_EQ(got->result.kind, RunResult::Kind::exited);
}

TEST_F(ProcessTest, script_nonzero_exit_is_failure_with_the_status) {
    std::optional<ScriptReport> got;
    ScriptRunner r(io_, {"bad", sh("exit 3"), 1s, 1s}, [&](const auto& rep) { got = rep; });
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_FALSE(got->success());
    EXPECT_EQ(got->result.exit_status, 3);
    EXPECT_NE(got->reason.find("exit status 3"), std::string::npos);
}

TEST_F(ProcessTest, script_runs_with_stdio_on_dev_null_in_its_own_group) {
    std::string out = path("out");
    std::optional<ScriptReport> got;
    auto cmd = sh(
        fmt::format("read x; echo \"rc=$? pg=$(ps -o pgid= -p $$ | tr -d ' ') pid=$$\" > {}", out));
    ScriptRunner r(io_, {"io", cmd, 2s, 2s}, [&](const auto& rep) { got = rep; });
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    std::ifstream in(out);
    std::string line;
    std::getline(in, line);
    // `read` hits EOF at once (rc=1) instead of waiting on our terminal.
    auto pid = line.substr(line.find("pid=") + 4);
    EXPECT_EQ(line, fmt::format("rc=1 pg={} pid={}", pid, pid));
}

TEST_F(ProcessTest, missing_program_is_a_failure_not_a_hang) {
    std::optional<ScriptReport> got;
    ScriptRunner r(io_, {"none", Command{{"/nonexistent/havip-check"}, {}}, 1s, 1s},
                   [&](const auto& rep) { got = rep; });
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_FALSE(got->success());
    EXPECT_EQ(got->result.exit_status, 127);
}

TEST_F(ProcessTest, timeout_is_a_failure_and_kills_the_whole_process_group) {
    std::string pidfile = path("bg.pid");
    std::optional<ScriptReport> got;
    // The background sleep ignores SIGTERM, so only the SIGKILL stage can end it.
    auto cmd = sh(fmt::format("trap '' TERM; sleep 100 & echo $! > {}; sleep 100", pidfile));
    ScriptRunner r(io_, {"slow", cmd, 10s, 300ms}, [&](const auto& rep) { got = rep; });
    auto start = Clock::now();
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    auto took = Clock::now() - start;
    EXPECT_EQ(got->result.kind, RunResult::Kind::timed_out);
    EXPECT_FALSE(got->success());
    EXPECT_GE(took, 300ms + kill_grace);
    EXPECT_LT(took, 300ms + kill_grace + 2s);
    pid_t bg = 0;
    std::ifstream(pidfile) >> bg;
    ASSERT_GT(bg, 0);
    EXPECT_TRUE(run_until([&] { return process_gone(bg); }, 2s)) << "sleep " << bg << " survived";
}

TEST_F(ProcessTest, timeout_of_a_cooperative_script_ends_with_sigterm_to_the_group) {
    std::string pidfile = path("bg.pid");
    std::optional<ScriptReport> got;
    auto cmd = sh(fmt::format("sleep 100 & echo $! > {}; wait", pidfile));
    ScriptRunner r(io_, {"slow", cmd, 10s, 200ms}, [&](const auto& rep) { got = rep; });
    auto start = Clock::now();
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    // Seen at the deadline, as keepalived sees it, not after the SIGKILL grace period.
    EXPECT_LT(Clock::now() - start, 200ms + kill_grace / 2);
    EXPECT_EQ(got->result.kind, RunResult::Kind::timed_out);
    pid_t bg = 0;
    std::ifstream(pidfile) >> bg;
    ASSERT_GT(bg, 0);
    // SIGKILLed by the time of the report; the kernel may take a moment to finish it.
    EXPECT_TRUE(run_until([&] { return process_gone(bg); }, 2s)) << "sleep " << bg << " survived";
}

TEST_F(ProcessTest, timeout_reported_when_the_leader_dies_and_the_rest_of_its_group_is_killed) {
    std::string pidfile = path("bg.pid");
    std::optional<ScriptReport> got;
    // The leader dies of SIGTERM; its background child ignores SIGTERM.
    auto cmd = sh(fmt::format("(trap '' TERM; sleep 100) & echo $! > {}; sleep 100", pidfile));
    ScriptRunner r(io_, {"slow", cmd, 10s, 200ms}, [&](const auto& rep) { got = rep; });
    auto start = Clock::now();
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_LT(Clock::now() - start, 200ms + kill_grace / 2);
    EXPECT_EQ(got->result.kind, RunResult::Kind::timed_out);
    pid_t bg = 0;
    std::ifstream(pidfile) >> bg;
    ASSERT_GT(bg, 0);
    EXPECT_TRUE(run_until([&] { return process_gone(bg); }, 2s))
        << "subshell " << bg << " survived";
}

TEST_F(ProcessTest, a_run_the_daemon_cannot_start_is_skipped_not_a_failure) {
    std::optional<ScriptReport> got;
    ScriptRunner r(io_, {"nostart", Command{}, 1s, 1s}, [&](const auto& rep) { got = rep; });
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_EQ(got->kind, ScriptReport::Kind::skipped);
    EXPECT_EQ(got->result.kind, RunResult::Kind::spawn_failed);
    EXPECT_NE(got->reason.find("state is unchanged"), std::string::npos) << got->reason;
}

TEST_F(ProcessTest, a_run_still_going_at_the_next_interval_is_skipped_not_doubled) {
    std::string marker = path("running");
    std::string overlap = path("overlap");
    // mkdir is atomic: a second concurrent run would find the directory and record it.
    auto cmd = sh(fmt::format("mkdir {0} || touch {1}; sleep 0.35; rmdir {0}", marker, overlap));
    std::vector<ScriptReport> reports;
    ScriptRunner r(io_, {"long", cmd, 100ms, 2s}, [&](const auto& rep) { reports.push_back(rep); });
    r.start();
    run_until([&] { return false; }, 1200ms);
    r.stop();
    int finished = 0;
    int skipped = 0;
    for (const auto& rep : reports) {
        (rep.kind == ScriptReport::Kind::finished ? finished : skipped)++;
    }
    EXPECT_FALSE(std::filesystem::exists(overlap)) << "two runs overlapped";
    EXPECT_GE(finished, 2);
    EXPECT_GE(skipped, 4);
    EXPECT_NE(reports[1].reason.find("still running"), std::string::npos);
}

TEST_F(ProcessTest, notify_queue_runs_hooks_one_at_a_time_in_order) {
    std::string log = path("log");
    std::vector<NotifyReport> reports;
    NotifyQueue q(io_, [&](const auto& rep) { reports.push_back(rep); });
    // The first hook is the slowest: with concurrent hooks its line would come last.
    q.enqueue({"notify_backup", sh(fmt::format("sleep 0.3; echo backup >> {}", log)), 5s});
    q.enqueue(std::vector<NotifyJob>{
        {"notify_master", sh(fmt::format("echo master >> {}; exit 2", log)), 5s},
        {"notify", sh(fmt::format("sleep 0.05; echo any >> {}", log)), 5s}});
    EXPECT_EQ(q.pending(), 3u);
    ASSERT_TRUE(run_until([&] { return reports.size() == 3; }));
    std::ifstream in(log);
    std::string all((std::istreambuf_iterator<char>(in)), {});
    EXPECT_EQ(all, "backup\nmaster\nany\n");
    EXPECT_EQ(reports[0].label, "notify_backup");
    EXPECT_EQ(reports[1].label, "notify_master");
    EXPECT_EQ(reports[1].result.exit_status, 2);
    EXPECT_EQ(reports[2].label, "notify");
}

TEST_F(ProcessTest, notify_hook_timeout_does_not_block_the_queue_forever) {
    std::vector<NotifyReport> reports;
    NotifyQueue q(io_, [&](const auto& rep) { reports.push_back(rep); });
    q.enqueue({"notify_master", sh("sleep 100"), 100ms});
    q.enqueue({"notify_backup", sh("exit 0"), 1s});
    ASSERT_TRUE(run_until([&] { return reports.size() == 2; }));
    EXPECT_EQ(reports[0].result.kind, RunResult::Kind::timed_out);
    EXPECT_TRUE(reports[1].result.success());
}

// A reload that removes an instance destroys its queue; its notify_stop may be the fencing
// step (read_only=1) and used to be SIGKILLed there (issue 17, item 3). What was queued runs
// to completion, each hook bounded by its timeout, and is reported to the orphan callback.
TEST_F(ProcessTest, notify_hooks_queued_when_the_queue_goes_away_run_to_completion) {
    std::string log = path("log");
    std::vector<NotifyReport> owned, orphaned;
    {
        NotifyQueue q(
            io_, [&](const auto& rep) { owned.push_back(rep); },
            [&](const auto& rep) { orphaned.push_back(rep); });
        q.enqueue({"notify_stop", sh(fmt::format("sleep 0.3; echo fenced >> {}", log)), 5s});
        q.enqueue({"notify", sh(fmt::format("echo stop >> {}", log)), 5s});
        io_.run_for(50ms);  // the first hook is running
    }
    ASSERT_TRUE(run_until(
        [&] {
            std::ifstream in(log);
            return std::string((std::istreambuf_iterator<char>(in)), {}) == "fenced\nstop\n";
        },
        5s));
    ASSERT_TRUE(run_until([&] { return orphaned.size() == 2; }, 2s));
    EXPECT_TRUE(owned.empty()) << "reported to an owner that is gone";
    EXPECT_EQ(orphaned[0].label, "notify_stop");
    EXPECT_TRUE(orphaned[0].result.success());
    EXPECT_EQ(orphaned[1].label, "notify");
}

TEST_F(ProcessTest, user_credentials_are_applied_before_exec) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to change user";
    auto creds = resolve_credentials("nobody");
    ASSERT_TRUE(creds.credentials) << creds.error;
    std::string out = path("id");
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    std::optional<ScriptReport> got;
    Command cmd = sh(fmt::format("id -u > {}", out));
    cmd.credentials = creds.credentials;
    ScriptRunner r(io_, {"as_nobody", cmd, 2s, 2s}, [&](const auto& rep) { got = rep; });
    r.run_once();
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    uid_t uid = 0;
    std::ifstream(out) >> uid;
    EXPECT_EQ(uid, creds.credentials->uid);
    EXPECT_FALSE(resolve_credentials("no-such-user-havip").credentials);
}

TEST_F(ProcessTest, tcp_probe_succeeds_against_a_listening_socket) {
    boost::asio::ip::tcp::acceptor acceptor(
        io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    std::optional<TcpProbeResult> got;
    tcp_probe(io_, acceptor.local_endpoint(), 1s, [&](const auto& r) { got = r; });
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_TRUE(got->success) << got->reason;
    EXPECT_NE(got->reason.find("connected"), std::string::npos);
}

TEST_F(ProcessTest, tcp_probe_fails_fast_on_a_closed_port) {
    boost::asio::ip::tcp::endpoint closed;
    {
        boost::asio::ip::tcp::acceptor a(
            io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
        closed = a.local_endpoint();
    }  // closed again: nothing listens there now
    std::optional<TcpProbeResult> got;
    tcp_probe(io_, closed, 2s, [&](const auto& r) { got = r; });
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_FALSE(got->success);
    EXPECT_FALSE(got->timed_out);
    EXPECT_EQ(got->error, boost::asio::error::connection_refused);
    EXPECT_LT(got->elapsed, 1s);
}

TEST_F(ProcessTest, tcp_probe_times_out_when_nobody_answers) {
    // A listening socket whose backlog is full leaves the next SYN unanswered.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 0), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    boost::asio::ip::tcp::endpoint ep(boost::asio::ip::make_address("127.0.0.1"),
                                      ntohs(addr.sin_port));
    std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> fillers;
    for (int i = 0; i < 4; ++i) {
        auto s = std::make_unique<boost::asio::ip::tcp::socket>(io_);
        s->async_connect(ep, [](const boost::system::error_code&) {});
        fillers.push_back(std::move(s));
    }
    run_until([] { return false; }, 100ms);
    std::optional<TcpProbeResult> got;
    tcp_probe(io_, ep, 300ms, [&](const auto& r) { got = r; });
    ASSERT_TRUE(run_until([&] { return got.has_value(); }));
    EXPECT_FALSE(got->success);
    EXPECT_TRUE(got->timed_out) << got->reason;
    ::close(fd);
}

// Spoofed adverts that flap an instance queued a hook per transition without bound, run hours
// late (issue 17, item 8). A newer state supersedes the hooks of older states that have not
// started: while the first hook runs, three more transitions leave only the last to run.
TEST_F(ProcessTest, notify_hooks_of_older_states_not_yet_started_are_superseded) {
    std::vector<std::string> ran;
    NotifyQueue queue{io_, [&](const NotifyReport& r) { ran.push_back(r.label); }};
    const auto log = path("ran");
    auto hook = [&](const std::string& state) {
        return NotifyJob{state, sh("sleep 0.2; echo " + state + " >>" + log), 5s};
    };
    queue.enqueue(hook("notify_master"));
    queue.enqueue(hook("notify_backup"));
    queue.enqueue(hook("notify_fault"));
    queue.enqueue(hook("notify_master"));
    EXPECT_EQ(queue.pending(), 2u);  // the running hook and the newest state
    EXPECT_EQ(queue.superseded(), 2u);
    ASSERT_TRUE(run_until([&] { return queue.pending() == 0; }));
    EXPECT_EQ(ran, (std::vector<std::string>{"notify_master", "notify_master"}));
    std::ifstream in(log);
    std::string all{std::istreambuf_iterator<char>(in), {}};
    EXPECT_EQ(all, "notify_master\nnotify_master\n");
}

// A transition's hooks (notify_STATE, then `notify`) go and stay together, in order.
TEST_F(ProcessTest, a_transitions_hooks_are_superseded_together) {
    std::vector<std::string> ran;
    NotifyQueue queue{io_, [&](const NotifyReport& r) { ran.push_back(r.label); }};
    queue.enqueue({"notify_master", sh("sleep 0.2"), 5s});
    queue.enqueue(std::vector<NotifyJob>{{"notify_backup", sh("true"), 5s},
                                         {"notify BACKUP", sh("true"), 5s}});
    queue.enqueue(
        std::vector<NotifyJob>{{"notify_fault", sh("true"), 5s}, {"notify FAULT", sh("true"), 5s}});
    EXPECT_EQ(queue.superseded(), 2u);
    ASSERT_TRUE(run_until([&] { return queue.pending() == 0; }));
    EXPECT_EQ(ran, (std::vector<std::string>{"notify_master", "notify_fault", "notify FAULT"}));
}

// The transition whose hook is running keeps the rest of its hooks: a stop right after
// becoming MASTER still runs `notify … MASTER`, then the stop's hooks.
TEST_F(ProcessTest, the_running_transitions_remaining_hooks_are_not_superseded) {
    std::vector<std::string> ran;
    NotifyQueue queue{io_, [&](const NotifyReport& r) { ran.push_back(r.label); }};
    queue.enqueue(std::vector<NotifyJob>{{"notify_master", sh("sleep 0.2"), 5s},
                                         {"notify MASTER", sh("true"), 5s}});
    queue.enqueue(
        std::vector<NotifyJob>{{"notify_stop", sh("true"), 5s}, {"notify STOP", sh("true"), 5s}});
    EXPECT_EQ(queue.superseded(), 0u);
    ASSERT_TRUE(run_until([&] { return queue.pending() == 0; }));
    EXPECT_EQ(ran, (std::vector<std::string>{"notify_master", "notify MASTER", "notify_stop",
                                             "notify STOP"}));
}

}  // namespace
}  // namespace havip::checks
