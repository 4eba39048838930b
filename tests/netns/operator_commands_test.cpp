// The operator's ways out of a latch (issue 15): `havip clear-diverged` makes a latched node
// eligible in the running havipd, with no restart; `havip promote --force` makes an unsafe one
// eligible by decision of a person; both are root's alone — a havip_control_group member, who
// may read the status, is refused — and every request is in the journal (here the console log).
//
// b's havipd runs alone beside a GTID master-master pair a/b; its mysql_check starts latched
// *diverged* from a state file that cannot be loaded (what an unreadable history does).
#include <grp.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/harness/address_watcher.hpp"
#include "tests/harness/command.hpp"
#include "tests/harness/keepalived_conf.hpp"
#include "tests/harness/lab.hpp"
#include "tests/harness/mariadb.hpp"
#include "tests/harness/product.hpp"
#include "tests/harness/vrrp_daemon.hpp"
#include "tests/harness/vrrp_pair.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
using Clock = AddressWatcher::Clock;
namespace fs = std::filesystem;

constexpr const char* vip4 = "10.77.0.100";
constexpr gid_t nogroup = 65534;
const std::string havip_bin = havip_path();

class OperatorCommandsTest : public VrrpPairTest {
  protected:
    void SetUp() override {
        if (auto reason = mariadb_skip_reason()) GTEST_SKIP() << *reason;
        if (::getgrgid(nogroup) == nullptr) GTEST_SKIP() << "no group with gid 65534 (nogroup)";
        VrrpPairTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        // The socket lives where user nobody may reach it: only havipd's checks decide.
        run_ = fs::path("/run") / fmt::format("hvops-op-{}", ::getpid());
        fs::create_directories(run_);
        fs::permissions(run_,
                        fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
        socket_ = run_ / "ctl.sock";
    }
    void TearDown() override {
        VrrpPairTest::TearDown();
        db_a_.reset();
        db_b_.reset();
        if (!run_.empty()) fs::remove_all(run_);
    }

    // Databases a and b replicating both ways; b's havipd with its check latched.
    void start() {
        ASSERT_NO_FATAL_FAILURE(build(vip4));
        db_a_.emplace(lab(), "a", "10.77.0.1", 1);
        db_b_.emplace(lab(), "b", "10.77.0.2", 2);
        ASSERT_TRUE(db_a_->start());
        ASSERT_TRUE(db_b_->start());
        ASSERT_TRUE(setup_master_master(*db_a_, *db_b_));
        ASSERT_TRUE(wait_caught_up(*db_a_, *db_b_, 10s));

        const auto state_dir = lab().dir() / "b-havipd-state";
        fs::create_directories(state_dir);
        std::ofstream(state_dir / "chk_db.state") << "not what havipd writes\n";

        VrrpInstanceSpec s;
        s.vrid = 97;
        s.priority = 100;
        s.version = 3;
        s.advert_int = 100ms;
        s.state = "BACKUP";
        s.vips = {fmt::format("{}/24", vip4)};
        MariadbServer::CheckSpec check;
        s.extra_lines = {"track_script {", fmt::format("    {}", check.name), "}"};
        auto config = single_instance(s, "b");
        config.global_extra_lines = {
            fmt::format("havip_control_group {}", ::getgrgid(nogroup)->gr_name)};
        const auto script = run_ / "havipd.sh";
        std::ofstream(script) << fmt::format("#!/bin/sh\nexec {} \"$@\" --socket {}\n",
                                             havipd_path(), socket_.string());
        fs::permissions(script, fs::perms::owner_all);
        b_ = start_vrrp_daemon(lab(), "b", havipd(script.string()),
                               render_keepalived_conf(config) + "\n" +
                                   db_b_->check_block(check) + "\n");
        ASSERT_TRUE(wait_until([&] { return fs::exists(socket_); }, 5s)) << b_.process->log_tail(20);
        ASSERT_TRUE(b_.wait_for_state("VI_1", "FAULT", 5s)) << b_.process->log_tail(20);
    }

    CommandResult havip(std::vector<std::string> args, bool as_nobody = false) {
        std::vector<std::string> argv;
        if (as_nobody)
            argv = {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"};
        argv.push_back(havip_bin);
        argv.insert(argv.end(), args.begin(), args.end());
        argv.insert(argv.end(), {"--socket", socket_.string()});
        return run_command(argv, 10s);
    }

    nlohmann::json check_status() {
        auto doc = nlohmann::json::parse(havip({"status", "--json"}).out, nullptr, false);
        try {
            return doc.at("instances").at(0).at("checks").back();
        } catch (const std::exception&) {
            return nlohmann::json{{"reason", "(no status: " + doc.dump() + ")"}};
        }
    }

    fs::path run_, socket_;
    std::optional<MariadbServer> db_a_, db_b_;
    RunningDaemon b_;
};

TEST_F(OperatorCommandsTest, latched_node_becomes_eligible_after_clear_diverged_from_root_only) {
    ASSERT_NO_FATAL_FAILURE(start());
    auto c = check_status();
    EXPECT_EQ(c.value("diverged", false), true) << c.dump();
    const auto table = havip({"status"}).out;
    EXPECT_NE(table.find("havip clear-diverged VI_1"), std::string::npos) << table;

    // A control group member may read, not decide.
    const auto member = havip({"status"}, true);
    EXPECT_EQ(member.exit_code, 1) << member.err;  // answered: VI_1 is in FAULT
    const auto refused = havip({"clear-diverged", "VI_1"}, true);
    EXPECT_EQ(refused.exit_code, 77) << refused.out << refused.err;
    EXPECT_NE(refused.err.find("permission denied"), std::string::npos) << refused.err;
    EXPECT_TRUE(wait_until([&] { return b_.log_mentions("havip clear-diverged VI_1 by uid 65534"); },
                           2s))
        << b_.process->log_tail(10);
    std::this_thread::sleep_for(1s);
    EXPECT_TRUE(holders().empty());
    EXPECT_EQ(check_status().value("diverged", false), true);

    const auto since = Clock::now();
    const auto done = havip({"clear-diverged", "VI_1"});
    EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
    EXPECT_NE(done.out.find("cleared the diverged latch of chk_db"), std::string::npos) << done.out;
    EXPECT_TRUE(b_.log_mentions("havip clear-diverged VI_1 by uid 0"));
    // No restart: the running check judges again and b, alone, takes the VIP.
    EXPECT_TRUE(wait_vip("b", true, 5s, since)) << b_.process->log_tail(20);
    c = check_status();
    EXPECT_EQ(c.value("diverged", true), false) << c.dump();
    // And the state file says so, for the next start.
    std::ifstream file(lab().dir() / "b-havipd-state" / "chk_db.state");
    const std::string text{std::istreambuf_iterator<char>(file), {}};
    EXPECT_NE(text.find("diverged=0"), std::string::npos) << text;
}

TEST_F(OperatorCommandsTest, promote_force_makes_a_latched_node_eligible_and_says_so) {
    ASSERT_NO_FATAL_FAILURE(start());
    // Unsafe for the data's sake: replication to b is broken for good.
    ASSERT_TRUE(db_b_->exec("STOP SLAVE"));
    const auto since = Clock::now();
    const auto done = havip({"promote", "--force", "VI_1"});
    EXPECT_EQ(done.exit_code, 0) << done.out << done.err;
    EXPECT_TRUE(wait_vip("b", true, 5s, since)) << b_.process->log_tail(20);
    const auto c = check_status();
    EXPECT_EQ(c.value("forced", false), true) << c.dump();
    EXPECT_NE(c.value("reason", "").find("eligible by operator decision"), std::string::npos)
        << c.dump();
    EXPECT_TRUE(b_.log_mentions("havip promote --force VI_1 by uid 0"));
}

}  // namespace
}  // namespace havip::test
