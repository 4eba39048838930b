// When havipd starts `havip rejoin` by itself, and how a run's end is recorded
// (checks/auto_rejoin.hpp).
#include "checks/auto_rejoin.hpp"

#include <gtest/gtest.h>

namespace havip::checks {
namespace {

using namespace std::chrono_literals;
const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;

TEST(AutoRejoin, starts_only_on_a_latched_node_that_does_not_hold_the_vip) {
    AutoRejoin s;
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0), RejoinGo::start);
    EXPECT_EQ(should_rejoin(true, false, false, s, true, t0), RejoinGo::not_needed);
    EXPECT_EQ(should_rejoin(true, true, true, s, true, t0), RejoinGo::not_needed);
    EXPECT_EQ(should_rejoin(false, true, false, s, true, t0), RejoinGo::disabled);
    EXPECT_EQ(should_rejoin(true, true, false, s, false, t0), RejoinGo::missing_files);
    s.running = true;
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0), RejoinGo::running);
}

TEST(AutoRejoin, a_failed_run_backs_off_doubling_and_a_success_resets) {
    AutoRejoin s;
    s.running = true;
    rejoin_finished(s, false, "failed: exit status 1", t0);
    EXPECT_FALSE(s.running);
    EXPECT_EQ(s.failed, 1u);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0 + 500ms), RejoinGo::backing_off);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0 + 1s), RejoinGo::start);
    rejoin_finished(s, false, "failed again", t0 + 1s);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0 + 2s), RejoinGo::backing_off);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0 + 3s), RejoinGo::start);
    EXPECT_NE(s.last.find("2 failed in a row, next attempt in 2 s"), std::string::npos) << s.last;
    // Capped at 10 minutes.
    for (int i = 0; i < 20; ++i)
        rejoin_finished(s, false, "x", t0);
    EXPECT_EQ(*s.backoff.next - t0, std::chrono::steady_clock::duration(rejoin_backoff_cap));
    rejoin_finished(s, true, "succeeded", t0);
    EXPECT_EQ(s.succeeded, 1u);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0), RejoinGo::start);
    EXPECT_EQ(s.last, "succeeded");
}

TEST(AutoRejoin, an_unreachable_peer_is_tried_again_soon_without_growing_the_back_off) {
    AutoRejoin s;
    s.running = true;
    rejoin_deferred(s, "deferred", t0);
    EXPECT_FALSE(s.running);
    EXPECT_EQ(s.deferred, 1u);
    EXPECT_EQ(s.failed, 0u);
    EXPECT_EQ(s.backoff.failures, 0u);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0 + 4s), RejoinGo::backing_off);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0 + rejoin_peer_retry), RejoinGo::start);
    // After failures the longer pause stands.
    for (int i = 0; i < 6; ++i)
        rejoin_finished(s, false, "x", t0);
    rejoin_deferred(s, "deferred", t0);
    EXPECT_EQ(s.backoff.failures, 6u);
    EXPECT_EQ(should_rejoin(true, true, false, s, true, t0 + 10s), RejoinGo::backing_off);
}

TEST(AutoRejoin, reads_the_saved_file_and_the_last_line_from_the_output) {
    const std::string out =
        "step 1 on a: save\n"
        "    saved 2 transaction(s) to /var/lib/havipd/rejoin/x-1.sql: 0-1-5 0-1-6\n"
        "done: a rejoined b\n\n";
    EXPECT_EQ(rejoin_saved_line(out),
              "saved 2 transaction(s) to /var/lib/havipd/rejoin/x-1.sql: 0-1-5 0-1-6");
    EXPECT_EQ(rejoin_saved_line("done\n"), std::nullopt);
    EXPECT_EQ(last_line(out), "done: a rejoined b");
}

TEST(AutoRejoin, counts_succeeded_runs_by_the_method_havip_rejoin_names) {
    const std::string flashback =
        "method: flashback: 2 extra transaction(s), all row events with full images\n"
        "done: a (10.0.0.1:3306) rejoined b (10.0.0.2:3306) (method: flashback)\n";
    const std::string fell_back =
        "method: flashback: 2 extra transaction(s)\n"
        "flashback did not rejoin a: …; re-seeding instead\n"
        "done: a (10.0.0.1:3306) rejoined b (10.0.0.2:3306) (method: reseed)\n";
    EXPECT_EQ(rejoin_method(flashback), "flashback");
    EXPECT_EQ(rejoin_method(fell_back), "reseed");
    EXPECT_EQ(rejoin_method("method: flashback: …\nrefusing\n"), std::nullopt);
    AutoRejoin s;
    rejoin_finished(s, true, "ok", t0, "flashback");
    rejoin_finished(s, true, "ok", t0, "reseed");
    rejoin_finished(s, false, "failed", t0, "flashback");  // a failed run is not counted by method
    EXPECT_EQ(s.by_flashback, 1u);
    EXPECT_EQ(s.by_reseed, 1u);
    EXPECT_EQ(s.succeeded, 2u);
}

TEST(AutoRejoin, the_run_keeps_its_output_and_names_the_control_socket_when_there_is_one) {
    const auto c = rejoin_command("/etc/havip/inv.yaml", "/etc/havip/admin.cnf", "/var/lib/havipd",
                                  "/run/havipd/control", "/var/lib/havipd/rejoin/chk.log");
    const std::vector<std::string> want = {"/bin/sh",
                                           "-c",
                                           "out=$1; shift; exec \"$@\" >\"$out\" 2>&1",
                                           "sh",
                                           "/var/lib/havipd/rejoin/chk.log",
                                           "havip",
                                           "rejoin",
                                           "/etc/havip/inv.yaml",
                                           "--admin-option-file",
                                           "/etc/havip/admin.cnf",
                                           "--state-dir",
                                           "/var/lib/havipd",
                                           "--socket",
                                           "/run/havipd/control"};
    EXPECT_EQ(c.argv, want);
    EXPECT_FALSE(c.credentials);
    const auto without = rejoin_command("i", "a", "d", "", "o");
    EXPECT_EQ(without.argv.size(), want.size() - 2);
    EXPECT_EQ(without.argv.back(), "d");
}

TEST(AutoRejoin, a_run_that_ends_is_recorded_as_succeeded_failed_or_deferred) {
    RunResult exited;
    exited.kind = RunResult::Kind::exited;
    exited.elapsed = 12300ms;
    const std::string done =
        "    saved 1 transaction(s) to /r/x.sql: 0-1-9\n"
        "done: a (10.0.0.1:3306) rejoined b (10.0.0.2:3306) (method: flashback)\n";

    AutoRejoin s;
    s.running = true;
    exited.exit_status = 0;
    EXPECT_EQ(rejoin_ended(s, exited, done, "12:00:00", t0), "flashback");
    EXPECT_FALSE(s.running);
    EXPECT_EQ(s.succeeded, 1u);
    EXPECT_EQ(s.by_flashback, 1u);
    EXPECT_EQ(s.last,
              "succeeded at 12:00:00 in 12.3 s by flashback; saved 1 transaction(s) to /r/x.sql: "
              "0-1-9");
    EXPECT_EQ(rejoin_ended(s, exited, "done\n", "12:00:01", t0), "");
    EXPECT_EQ(s.last, "succeeded at 12:00:01 in 12.3 s by ?; nothing to save");

    exited.exit_status = 1;
    EXPECT_EQ(rejoin_ended(s, exited, "refusing: the peer is behind\n", "12:01:00", t0), "");
    EXPECT_EQ(s.failed, 1u);
    EXPECT_EQ(
        s.last,
        "failed at 12:01:00 after 12.3 s (exit status 1 after 12.30 s): refusing: the peer is "
        "behind; 1 failed in a row, next attempt in 1 s");

    exited.exit_status = rejoin_exit_peer_unreachable;
    EXPECT_EQ(rejoin_ended(s, exited, "cannot reach b\n", "12:02:00", t0), "");
    EXPECT_EQ(s.deferred, 1u);
    EXPECT_EQ(s.failed, 1u);
    EXPECT_EQ(s.last, "deferred at 12:02:00; the peer is unreachable, next attempt in 5 s");
}

}  // namespace
}  // namespace havip::checks
