// track_process: matching and quorum (pure), and the watcher against real processes (a copy
// of sleep under a name unique to this test run).
#include <linux/connector.h>
#include <linux/netlink.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <boost/asio/io_context.hpp>

#include "checks/track_process.hpp"
#include "tests/unit/checks/loop_probe.hpp"
#include "vrrpd/core/track.hpp"

extern char** environ;

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;
using vrrp::ItemState;
using vrrp::Tracker;
using vrrp::TrackSettings;

ProcessMatch by_name(std::string name) {
    ProcessMatch m;
    m.process = std::move(name);
    return m;
}

ProcessMatch by_command(std::string process, std::vector<std::string> params, bool full_command,
                        std::optional<ParamMatch> param_match) {
    ProcessMatch m;
    m.process = std::move(process);
    m.params = std::move(params);
    m.full_command = full_command;
    m.param_match = param_match;
    return m;
}

TrackProcessWatcher::Process watched(ProcessMatch match, int quorum = 1,
                                     std::chrono::microseconds terminate_delay = 0us) {
    TrackProcessWatcher::Process p;
    p.name = "p";
    p.match = std::move(match);
    p.quorum = quorum;
    p.terminate_delay = terminate_delay;
    return p;
}

TEST(TrackProcessMatch, the_name_matches_the_comm_exactly_not_as_a_pattern) {
    EXPECT_TRUE(process_matches(by_name("ssh"), "ssh", {}));
    EXPECT_FALSE(process_matches(by_name("ssh"), "sshd", {}));  // unlike pgrep ssh
    EXPECT_FALSE(process_matches(by_name("sshd"), "ssh", {}));
}

TEST(TrackProcessMatch, a_name_longer_than_15_bytes_never_matches_a_comm) {
    // The kernel truncates comm to 15 bytes; keepalived 2.2.7 compares the whole name.
    EXPECT_FALSE(process_matches(by_name("mysqld-long-name-x"), "mysqld-long-nam", {}));
    EXPECT_TRUE(process_matches(by_name("mysqld-long-nam"), "mysqld-long-nam", {}));
}

TEST(TrackProcessMatch, full_command_matches_argv0_with_any_arguments) {
    const ProcessMatch m = by_command("/usr/sbin/mysqld", {}, true, std::nullopt);
    EXPECT_TRUE(uses_command_line(m));
    EXPECT_TRUE(process_matches(m, "mysqld", {"/usr/sbin/mysqld", "--user=mysql"}));
    EXPECT_FALSE(process_matches(m, "mysqld", {"mysqld", "--user=mysql"}));
    EXPECT_FALSE(process_matches(m, "mysqld", {}));  // a kernel thread has no command line
}

TEST(TrackProcessMatch, parameters_match_exactly_by_default) {
    const ProcessMatch m = by_command("mysqld", {"--port=3306"}, false, std::nullopt);
    EXPECT_TRUE(uses_command_line(m));
    EXPECT_TRUE(process_matches(m, "x", {"mysqld", "--port=3306"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld", "--port=3306", "--more"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld", "--port=33060"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld"}));
}

TEST(TrackProcessMatch, partial_matches_the_first_parameters_exactly) {
    const ProcessMatch m = by_command("mysqld", {"a", "b"}, false, ParamMatch::partial);
    EXPECT_TRUE(process_matches(m, "x", {"mysqld", "a", "b"}));
    EXPECT_TRUE(process_matches(m, "x", {"mysqld", "a", "b", "c"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld", "a", "bb"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld", "a"}));
}

TEST(TrackProcessMatch, initial_lets_the_last_parameter_be_longer) {
    const ProcessMatch m =
        by_command("mysqld", {"a", "--datadir=/srv"}, false, ParamMatch::initial);
    EXPECT_TRUE(process_matches(m, "x", {"mysqld", "a", "--datadir=/srv/db1"}));
    EXPECT_TRUE(process_matches(m, "x", {"mysqld", "a", "--datadir=/srv"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld", "aa", "--datadir=/srv/db1"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld", "a", "--datadir=/var"}));
}

TEST(TrackProcessMatch, param_match_without_parameters_means_no_arguments) {
    const ProcessMatch m = by_command("mysqld", {}, false, ParamMatch::partial);
    EXPECT_TRUE(process_matches(m, "x", {"mysqld"}));
    EXPECT_FALSE(process_matches(m, "x", {"mysqld", "--user=mysql"}));
}

TEST(TrackProcessQuorum, needs_quorum_and_at_most_quorum_max) {
    EXPECT_FALSE(quorum_met(0, 1, std::nullopt));
    EXPECT_TRUE(quorum_met(1, 1, std::nullopt));
    EXPECT_TRUE(quorum_met(50, 1, std::nullopt));
    EXPECT_FALSE(quorum_met(1, 2, std::nullopt));
    EXPECT_TRUE(quorum_met(2, 2, 3));
    EXPECT_FALSE(quorum_met(4, 2, 3));
    // quorum_max 0: running at all is the failure (keepalived.conf(5)).
    EXPECT_FALSE(quorum_met(1, 0, 0));
    EXPECT_TRUE(quorum_met(0, 0, 0));
}

TEST(TrackProcessQuorum, reason_names_the_count_and_the_bounds) {
    EXPECT_EQ(quorum_reason(1, 1, std::nullopt), "1 process (quorum 1)");
    EXPECT_EQ(quorum_reason(0, 2, 3), "0 processes (quorum 2..3)");
}

TEST(TrackProcessProc, stat_comm_ends_at_the_last_parenthesis) {
    auto s = parse_proc_stat("123 (a) (b c) S 1 2 3");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->comm, "a) (b c");
    EXPECT_EQ(s->state, 'S');
    EXPECT_EQ(parse_proc_stat("9 (mysqld) Z 1")->state, 'Z');
    EXPECT_FALSE(parse_proc_stat("garbage"));
    EXPECT_FALSE(parse_proc_stat("9 (x)"));
}

TEST(TrackProcessProc, cmdline_splits_on_nul) {
    using namespace std::string_literals;
    EXPECT_EQ(split_cmdline("a\0b c\0\0d\0"s), (std::vector<std::string>{"a", "b c", "", "d"}));
    EXPECT_EQ(split_cmdline("solo"s), std::vector<std::string>{"solo"});
    EXPECT_TRUE(split_cmdline(""s).empty());
}

// A receive buffer of the proc connector as the kernel fills it: netlink messages one after
// the other, each a cn_msg and a proc_event; a wrong connector, a short message and a length
// running past the end are not events.
TEST(TrackProcessProc, connector_events_are_decoded_from_a_receive_buffer) {
    auto message = [](std::uint32_t idx, std::uint32_t pid, std::size_t cut = 0) {
        proc_event ev{};
        ev.what = proc_event::PROC_EVENT_FORK;
        ev.event_data.fork.parent_tgid = 1;
        ev.event_data.fork.child_pid = ev.event_data.fork.child_tgid = pid;
        cn_msg cn{};
        cn.id.idx = idx;
        cn.id.val = CN_VAL_PROC;
        cn.len = sizeof ev;
        nlmsghdr nl{};
        nl.nlmsg_len = static_cast<std::uint32_t>(NLMSG_LENGTH(sizeof cn + sizeof ev) - cut);
        std::string out(NLMSG_SPACE(sizeof cn + sizeof ev), '\0');
        std::memcpy(out.data(), &nl, sizeof nl);
        std::memcpy(out.data() + NLMSG_HDRLEN, &cn, sizeof cn);
        std::memcpy(out.data() + NLMSG_HDRLEN + sizeof cn, &ev, sizeof ev);
        out.resize(NLMSG_ALIGN(nl.nlmsg_len));  // the next message starts where this one says
        return out;
    };
    // Decoded from an odd offset: nothing in a buffer is taken to be aligned.
    const std::string buffer = "x" + message(CN_IDX_PROC, 10) + message(CN_IDX_PROC + 1, 11) +
                               message(CN_IDX_PROC, 12, 8) + message(CN_IDX_PROC, 13);
    const auto events = decode_proc_events(std::string_view(buffer).substr(1));
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].event_data.fork.child_tgid, 10u);
    EXPECT_EQ(events[1].event_data.fork.child_tgid, 13u);

    std::string past_end = message(CN_IDX_PROC, 14);
    past_end.resize(past_end.size() - 8);
    EXPECT_TRUE(decode_proc_events(past_end).empty());
    EXPECT_TRUE(decode_proc_events("").empty());
}

TEST(TrackProcessWeight, weight_zero_faults_while_not_running_and_reverse_while_running) {
    // The daemon feeds running as ok and not running as failed into the tracker.
    TrackSettings plain;
    plain.name = "process p";
    EXPECT_TRUE(Tracker::contribution(plain, ItemState::failed).fault);
    EXPECT_FALSE(Tracker::contribution(plain, ItemState::ok).fault);
    TrackSettings reversed = plain;
    reversed.reverse = true;
    EXPECT_TRUE(Tracker::contribution(reversed, ItemState::ok).fault);
    EXPECT_FALSE(Tracker::contribution(reversed, ItemState::failed).fault);
    TrackSettings negative = plain;
    negative.weight = -60;
    EXPECT_EQ(Tracker::contribution(negative, ItemState::failed).delta, -60);
    EXPECT_EQ(Tracker::contribution(negative, ItemState::ok).delta, 0);
}

// --- The watcher, against copies of sleep ---------------------------------------------------

class TrackProcessWatcherTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::path(HAVIP_BINARY_DIR) / "checks-scratch" /
               fmt::format("tp-{}-{}", ::getpid(),
                           ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        // Unique on the host (the PID namespace is shared): "tpw" + our pid, under 15 bytes.
        name_ = fmt::format("tpw{}", ::getpid());
        fs::copy_file("/bin/sleep", dir_ / name_);
        fs::permissions(dir_ / name_, fs::perms::owner_all);
    }
    void TearDown() override {
        for (pid_t pid : children_) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, nullptr, 0);
        }
        fs::remove_all(dir_);
    }

    pid_t spawn() {
        const std::string path = (dir_ / name_).string();
        std::string arg = "30";
        char* argv[] = {const_cast<char*>(path.c_str()), arg.data(), nullptr};
        pid_t pid = 0;
        if (::posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv, environ) != 0) return -1;
        children_.push_back(pid);
        return pid;
    }
    // Kills without reaping: a zombie must not count as running.
    void kill_only(pid_t pid) { ::kill(pid, SIGKILL); }

    bool wait_for(bool running, std::chrono::milliseconds limit) {
        const auto end = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < end) {
            io_.run_for(10ms);
            io_.restart();
            auto it = state_.find("p");
            if (it != state_.end() && it->second == running) return true;
        }
        return false;
    }
    // Whether the state was `running` all along for `span`.
    bool stays(bool running, std::chrono::milliseconds span) {
        const auto end = std::chrono::steady_clock::now() + span;
        while (std::chrono::steady_clock::now() < end) {
            io_.run_for(10ms);
            io_.restart();
            if (state_["p"] != running) return false;
        }
        return true;
    }
    std::unique_ptr<TrackProcessWatcher> make(TrackProcessWatcher::Process p) {
        return std::make_unique<TrackProcessWatcher>(
            io_, std::vector<TrackProcessWatcher::Process>{p},
            [this](const std::string& name, bool running, const std::string& reason) {
                state_[name] = running;
                reasons_[name] = reason;
            },
            [](const std::string&) {});
    }

    fs::path dir_;
    std::string name_;
    std::vector<pid_t> children_;
    boost::asio::io_context io_;
    std::map<std::string, bool> state_;
    std::map<std::string, std::string> reasons_;
};

TEST_F(TrackProcessWatcherTest, sees_a_running_process_at_start_and_its_exit_at_once) {
    const pid_t pid = spawn();
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(50ms);  // past the exec: the comm is the copy's name
    auto w = make(watched(by_name(name_)));
    w->start();
    ASSERT_TRUE(state_.contains("p"));  // synchronously, before the instances start
    EXPECT_TRUE(state_["p"]) << reasons_["p"];
    EXPECT_EQ(reasons_["p"], "1 process (quorum 1)");
    kill_only(pid);
    // At once: the connector's exit event, or without it the process's pidfd.
    EXPECT_TRUE(wait_for(false, 400ms)) << reasons_["p"];
    EXPECT_EQ(reasons_["p"], "0 processes (quorum 1)");
}

TEST_F(TrackProcessWatcherTest, a_new_process_is_seen_and_quorum_counts_processes) {
    auto w = make(watched(by_name(name_), 2));
    w->start();
    EXPECT_FALSE(state_["p"]);
    ASSERT_GT(spawn(), 0);
    EXPECT_TRUE(stays(false, 300ms));  // one is not a quorum of two
    ASSERT_GT(spawn(), 0);
    // The connector sees the exec at once; the /proc scan fallback within a second.
    EXPECT_TRUE(wait_for(true, 2500ms)) << reasons_["p"];
}

TEST_F(TrackProcessWatcherTest, terminate_delay_holds_back_a_loss) {
    const pid_t pid = spawn();
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(50ms);
    auto w = make(watched(by_name(name_), 1, 400ms));
    w->start();
    EXPECT_TRUE(state_["p"]);
    kill_only(pid);
    EXPECT_TRUE(stays(true, 250ms));
    EXPECT_TRUE(wait_for(false, 1s));
}

TEST_F(TrackProcessWatcherTest, a_return_within_terminate_delay_is_never_reported) {
    const pid_t pid = spawn();
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(50ms);
    int reports = 0;
    TrackProcessWatcher w(
        io_, {watched(by_name(name_), 1, 600ms)},
        [&](const std::string&, bool running, const std::string&) {
            state_["p"] = running;
            ++reports;
        },
        [](const std::string&) {});
    w.start();
    kill_only(pid);
    ASSERT_GT(spawn(), 0);
    EXPECT_TRUE(stays(true, 800ms));
    EXPECT_EQ(reports, 1);  // only the start-up report
}

// --- Scans off the loop (issue 17 item 7) ---------------------------------------------------

// A host with many processes: the scan takes a second. The loop must not wait for it.
TEST_F(TrackProcessWatcherTest, a_slow_scan_runs_off_the_loop_and_reports_when_done) {
    ASSERT_GT(spawn(), 0);
    std::this_thread::sleep_for(50ms);
    testing::LoopProbe probe{io_, 20ms};
    TrackProcessWatcher w(
        io_, {watched(by_name(name_))},
        [&](const std::string& name, bool running, const std::string& reason) {
            state_[name] = running;
            reasons_[name] = reason;
        },
        [](const std::string&) {},
        [](const std::vector<ProcessMatch>& matches) {
            std::this_thread::sleep_for(1s);
            return scan_processes(matches);
        });
    w.start(TrackProcessWatcher::FirstScan::background);
    EXPECT_FALSE(state_.contains("p"));  // not yet: the scan runs
    probe.run_until([&] { return state_.contains("p"); }, 10s);
    ASSERT_TRUE(state_.contains("p"));
    EXPECT_TRUE(state_["p"]) << reasons_["p"];
    EXPECT_LT(probe.longest_gap(), 500ms) << "the loop waited for the scan";
}

// The scan listed a process that then exited before its result was applied: the exit, seen
// meanwhile, wins over the older listing.
TEST_F(TrackProcessWatcherTest, an_exit_during_a_scan_is_not_undone_by_its_listing) {
    const pid_t pid = spawn();
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(50ms);
    std::atomic<bool> listed{false};
    bool connector = true;
    TrackProcessWatcher w(
        io_, {watched(by_name(name_))},
        [&](const std::string& name, bool running, const std::string& reason) {
            state_[name] = running;
            reasons_[name] = reason;
        },
        [&](const std::string&) { connector = false; },
        [&](const std::vector<ProcessMatch>& matches) {
            auto found = scan_processes(matches);
            listed = true;
            std::this_thread::sleep_for(600ms);  // the process exits meanwhile
            return found;
        });
    w.start(TrackProcessWatcher::FirstScan::background);
    if (!connector) GTEST_SKIP() << "no proc connector here (not root, or a netns)";
    const auto end = std::chrono::steady_clock::now() + 5s;
    while (!listed && std::chrono::steady_clock::now() < end)
        std::this_thread::sleep_for(1ms);
    kill_only(pid);
    EXPECT_TRUE(wait_for(false, 3s)) << reasons_["p"];
    EXPECT_EQ(reasons_["p"], "0 processes (quorum 1)");
    EXPECT_TRUE(stays(false, 300ms));
}

// A shell that forks a child which then execs sleep: for a moment there are two processes of
// the shell's name. Only the proc connector sees that moment (a /proc scan would not).
class TrackProcessForkTest : public TrackProcessWatcherTest {
  protected:
    // Runs the forking shell with the watcher counting a quorum of 2 shells; the reports.
    // `script` runs under the shell's name; `unrelated_after`: also starts /bin/true then.
    std::vector<bool> run_forking_shell(
        std::chrono::microseconds fork_delay, std::string script = "sleep 0.8 & wait",
        std::optional<std::chrono::milliseconds> unrelated_after = std::nullopt) {
        const std::string shell = fmt::format("tps{}", ::getpid());
        fs::copy_file("/bin/sh", dir_ / shell);
        fs::permissions(dir_ / shell, fs::perms::owner_all);
        std::vector<bool> reports;
        bool connector = true;
        TrackProcessWatcher::Process p = watched(by_name(shell), 2);
        p.fork_delay = fork_delay;
        TrackProcessWatcher w(
            io_, {p},
            [&](const std::string&, bool running, const std::string&) {
                reports.push_back(running);
            },
            [&](const std::string&) { connector = false; });
        w.start();
        if (!connector) return {};
        const std::string path = (dir_ / shell).string();
        std::string c = "-c";
        char* argv[] = {const_cast<char*>(path.c_str()), c.data(), script.data(), nullptr};
        pid_t pid = 0;
        if (::posix_spawn(&pid, path.c_str(), nullptr, nullptr, argv, environ) != 0) return {};
        children_.push_back(pid);
        const auto started = std::chrono::steady_clock::now();
        const auto end = started + 900ms;
        while (std::chrono::steady_clock::now() < end) {
            io_.run_for(10ms);
            io_.restart();
            if (unrelated_after && std::chrono::steady_clock::now() >= started + *unrelated_after) {
                unrelated_after.reset();
                char true_path[] = "/bin/true";
                char* true_argv[] = {true_path, nullptr};
                if (::posix_spawn(&pid, true_path, nullptr, nullptr, true_argv, environ) == 0)
                    children_.push_back(pid);
            }
        }
        return reports;
    }
};

TEST_F(TrackProcessForkTest, without_fork_delay_a_fork_counts_at_once) {
    const auto reports = run_forking_shell(0us);
    if (reports.empty()) GTEST_SKIP() << "no proc connector here (not root, or a netns)";
    // Start-up: not running; the fork makes two shells (running) until the child execs sleep.
    EXPECT_EQ(reports, (std::vector<bool>{false, true, false}));
}

TEST_F(TrackProcessForkTest, fork_delay_ignores_a_fork_that_execs_something_else) {
    // Long enough for the forked shell to exec sleep on a loaded machine, and short
    // enough to count it within the run if it did not.
    const auto reports = run_forking_shell(500ms);
    if (reports.empty()) GTEST_SKIP() << "no proc connector here (not root, or a netns)";
    EXPECT_EQ(reports, std::vector<bool>{false});
}

// The fork's gain waits out fork_delay even when other processes exec meanwhile (an unrelated
// /bin/true, and a grandchild forked by the subshell that execs sleep, leaving the count at 2):
// each of those re-judged the count as a change and reported the fork's gain at once.
TEST_F(TrackProcessForkTest, fork_delay_holds_while_other_processes_exec_meanwhile) {
    const auto reports = run_forking_shell(1s, "( sleep 0.3; exec sleep 0.5 ) & wait",
                                           std::chrono::milliseconds(100));
    if (reports.empty()) GTEST_SKIP() << "no proc connector here (not root, or a netns)";
    // Two shells for 0.3 s, less than the delay: the gain never counts.
    EXPECT_EQ(reports, std::vector<bool>{false});
}

}  // namespace
}  // namespace havip::checks
