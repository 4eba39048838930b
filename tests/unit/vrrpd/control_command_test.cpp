// The control protocol's write commands (vrrpd/control_command, issue 15): root only, what each
// acts on, and the audit line every request leaves, done or refused.
#include <gtest/gtest.h>

#include "vrrpd/control_command.hpp"

namespace havip::vrrp {
namespace {

using nlohmann::json;

constexpr Caller root{0, 0, 4242};
constexpr Caller member{1000, 1000, 77};  // a havip_control_group member: status only

CheckSnapshot mysql(std::string name, std::string status, bool diverged, bool forced = false) {
    CheckSnapshot c;
    c.name = std::move(name);
    c.type = "mysql_check";
    c.status = std::move(status);
    c.reason = diverged ? "data diverged (replication SQL error 1950)" : "peer gone";
    c.diverged = diverged;
    c.forced = forced;
    return c;
}

StatusSnapshot pair(CheckSnapshot db, CheckSnapshot other = mysql("chk_other", "healthy", false)) {
    StatusSnapshot s;
    InstanceSnapshot a;
    a.name = "VI_DB";
    a.checks = {{"interface eth0", "interface", "ok", "", std::nullopt, ""}, db};
    InstanceSnapshot b;
    b.name = "VI_OTHER";
    b.checks = {other};
    s.instances = {a, b};
    return s;
}

std::function<StatusSnapshot()> serve(StatusSnapshot s) {
    return [s] { return s; };
}

TEST(ControlCommand, clear_diverged_from_root_clears_every_latched_mysql_check) {
    const auto a = plan_request(R"({"version":1,"command":"clear-diverged"})", root,
                                serve(pair(mysql("chk_db", "unsafe", true))));
    ASSERT_FALSE(a.reply.contains("error")) << a.reply.dump();
    ASSERT_TRUE(a.action);
    EXPECT_EQ(a.action->command, WriteCommand::clear_diverged);
    EXPECT_EQ(a.action->checks, std::vector<std::string>{"chk_db"});  // chk_other is not latched
    ASSERT_EQ(a.reply["done"].size(), 1u);
    EXPECT_EQ(a.reply["done"][0]["check"], "chk_db");
    EXPECT_NE(a.reply["done"][0]["was"].get<std::string>().find("1950"), std::string::npos);
    ASSERT_TRUE(a.audit);
    EXPECT_FALSE(a.audit->refused);
    EXPECT_EQ(a.audit->command, "clear-diverged");
    EXPECT_NE(a.audit->message.find("uid 0, pid 4242"), std::string::npos) << a.audit->message;
}

TEST(ControlCommand, write_commands_from_anyone_but_root_are_refused_and_audited) {
    int calls = 0;
    const auto status = [&] {
        ++calls;
        return pair(mysql("chk_db", "unsafe", true));
    };
    for (const char* line :
         {R"({"version":1,"command":"clear-diverged"})",
          R"({"version":1,"command":"promote","force":true,"instance":"VI_DB"})"}) {
        const auto a = plan_request(line, member, status);
        EXPECT_FALSE(a.action) << line;
        ASSERT_TRUE(a.reply.contains("error")) << line;
        EXPECT_EQ(a.reply["refused"], "permission");
        EXPECT_NE(a.reply["error"].get<std::string>().find("root"), std::string::npos);
        ASSERT_TRUE(a.audit) << line;
        EXPECT_TRUE(a.audit->refused);
        EXPECT_NE(a.audit->message.find("uid 1000"), std::string::npos) << a.audit->message;
    }
    // The caller may still read.
    const auto s = plan_request(R"({"version":1,"command":"status"})", member, status);
    EXPECT_TRUE(s.reply.contains("instances"));
    EXPECT_FALSE(s.audit);
}

TEST(ControlCommand, clear_diverged_with_nothing_latched_does_nothing_and_says_so) {
    const auto a = plan_request(R"({"version":1,"command":"clear-diverged","instance":"VI_DB"})",
                                root, serve(pair(mysql("chk_db", "healthy", false))));
    EXPECT_FALSE(a.action);
    EXPECT_FALSE(a.reply.contains("error"));
    EXPECT_NE(a.reply["message"].get<std::string>().find("chk_db is not latched"),
              std::string::npos)
        << a.reply.dump();
    ASSERT_TRUE(a.audit);
}

TEST(ControlCommand, an_unknown_instance_or_one_without_mysql_check_is_an_error) {
    auto snap = pair(mysql("chk_db", "unsafe", true));
    snap.instances[1].checks.clear();
    const auto unknown = plan_request(
        R"({"version":1,"command":"clear-diverged","instance":"VI_NOPE"})", root, serve(snap));
    EXPECT_NE(unknown.reply.value("error", "").find("no instance 'VI_NOPE'"), std::string::npos);
    const auto none = plan_request(
        R"({"version":1,"command":"clear-diverged","instance":"VI_OTHER"})", root, serve(snap));
    EXPECT_NE(none.reply.value("error", "").find("tracks no mysql_check"), std::string::npos);
    EXPECT_FALSE(unknown.action);
    EXPECT_FALSE(none.action);
}

TEST(ControlCommand, promote_needs_force_and_acts_on_unsafe_checks_only) {
    const auto snap = pair(mysql("chk_db", "unsafe", false));
    const auto unforced =
        plan_request(R"({"version":1,"command":"promote","instance":"VI_DB"})", root, serve(snap));
    EXPECT_TRUE(unforced.reply.contains("error"));
    EXPECT_FALSE(unforced.action);
    const auto a = plan_request(
        R"({"version":1,"command":"promote","force":true,"instance":"VI_DB"})", root, serve(snap));
    ASSERT_TRUE(a.action) << a.reply.dump();
    EXPECT_EQ(a.action->command, WriteCommand::promote_force);
    EXPECT_EQ(a.action->checks, std::vector<std::string>{"chk_db"});
    EXPECT_EQ(a.action->by, "uid 0, pid 4242");
    EXPECT_NE(a.reply["message"].get<std::string>().find("operator decision"), std::string::npos);
    // A dead server cannot be promoted by decision, and a healthy one needs no decision.
    for (const char* status : {"down", "healthy"}) {
        const auto b =
            plan_request(R"({"version":1,"command":"promote","force":true,"instance":"VI_DB"})",
                         root, serve(pair(mysql("chk_db", status, false))));
        EXPECT_FALSE(b.action) << status;
        EXPECT_NE(b.reply["message"].get<std::string>().find(status), std::string::npos)
            << b.reply.dump();
    }
}

TEST(ControlCommand, promote_without_instance_must_name_one_when_several_track_a_mysql_check) {
    const auto a = plan_request(
        R"({"version":1,"command":"promote","force":true})", root,
        serve(pair(mysql("chk_db", "unsafe", false), mysql("chk_other", "unsafe", false))));
    EXPECT_FALSE(a.action);
    EXPECT_NE(a.reply.value("error", "").find("name the one"), std::string::npos) << a.reply.dump();
    auto single = pair(mysql("chk_db", "unsafe", false));
    single.instances[1].checks.clear();
    const auto b =
        plan_request(R"({"version":1,"command":"promote","force":true})", root, serve(single));
    ASSERT_TRUE(b.action) << b.reply.dump();
    EXPECT_EQ(b.action->checks, std::vector<std::string>{"chk_db"});
}

TEST(ControlCommand, status_document_shows_the_latch_and_the_operator_decision) {
    StatusSnapshot s = pair(mysql("chk_db", "healthy", true, true));
    const auto doc = status_document(s);
    const auto& c = doc["instances"][0]["checks"][1];
    EXPECT_EQ(c["diverged"], true);
    EXPECT_EQ(c["forced"], true);
    EXPECT_FALSE(doc["instances"][0]["checks"][0].contains("diverged"));  // not a mysql_check
}

// `havip switchover`: one instance, MASTER here, tracking one mysql_check with
// manage_read_only that is healthy.
StatusSnapshot switchover_pair(State state, std::string status = "healthy") {
    auto s = pair(mysql("chk_db", std::move(status), false));
    s.instances.resize(1);  // VI_OTHER would need naming the instance
    s.instances[0].state = state;
    s.instances[0].master_ip = "10.0.0.2";
    s.instances[0].checks[1].manage_read_only = true;
    return s;
}

TEST(ControlCommand, switchover_starts_on_the_master_with_its_options) {
    const auto a = plan_request(
        R"({"version":1,"command":"switchover","instance":"VI_DB","to":"10.0.0.2","timeout":12})",
        root, serve(switchover_pair(State::master)));
    ASSERT_FALSE(a.reply.contains("error")) << a.reply.dump();
    ASSERT_TRUE(a.action);
    EXPECT_EQ(a.action->command, WriteCommand::switchover);
    EXPECT_EQ(a.action->instance, "VI_DB");
    EXPECT_EQ(a.action->checks, std::vector<std::string>{"chk_db"});
    EXPECT_EQ(a.action->to, "10.0.0.2");
    EXPECT_EQ(a.action->timeout_s, 12);
    EXPECT_FALSE(a.action->dry_run);
    EXPECT_EQ(a.reply["started"], true);
    ASSERT_TRUE(a.audit);
    EXPECT_EQ(a.audit->command, "switchover");
}

TEST(ControlCommand, switchover_is_refused_on_the_backup_with_where_to_run_it) {
    const auto a = plan_request(R"({"version":1,"command":"switchover"})", root,
                                serve(switchover_pair(State::backup)));
    EXPECT_FALSE(a.action);
    EXPECT_NE(a.reply["error"].get<std::string>().find("on the node holding the VIP (10.0.0.2)"),
              std::string::npos)
        << a.reply.dump();
    ASSERT_TRUE(a.audit);
    EXPECT_TRUE(a.audit->refused);
}

TEST(ControlCommand, switchover_is_refused_without_manage_read_only_or_an_unhealthy_check) {
    auto unmanaged = switchover_pair(State::master);
    unmanaged.instances[0].checks[1].manage_read_only = false;
    auto a = plan_request(R"({"version":1,"command":"switchover"})", root, serve(unmanaged));
    EXPECT_NE(a.reply.value("error", "").find("0 mysql_check with manage_read_only"),
              std::string::npos)
        << a.reply.dump();
    a = plan_request(R"({"version":1,"command":"switchover"})", root,
                     serve(switchover_pair(State::master, "unsafe")));
    EXPECT_NE(a.reply.value("error", "").find("chk_db is unsafe here"), std::string::npos)
        << a.reply.dump();
    a = plan_request(R"({"version":1,"command":"switchover","timeout":0})", root,
                     serve(switchover_pair(State::master)));
    EXPECT_NE(a.reply.value("error", "").find("timeout"), std::string::npos) << a.reply.dump();
    a = plan_request(R"({"version":1,"command":"switchover"})", member,
                     serve(switchover_pair(State::master)));
    EXPECT_EQ(a.reply.value("refused", ""), "permission");
}

TEST(ControlCommand, a_second_switchover_waits_for_the_first) {
    auto s = switchover_pair(State::master);
    s.instances[0].switchover = SwitchoverSnapshot{};
    s.instances[0].switchover->running = true;
    s.instances[0].switchover->step = "catch_up";
    const auto a = plan_request(R"({"version":1,"command":"switchover"})", root, serve(s));
    EXPECT_NE(a.reply.value("error", "").find("is running (step catch_up)"), std::string::npos)
        << a.reply.dump();
}

TEST(ControlCommand, end_hold_needs_a_hold) {
    auto s = switchover_pair(State::backup);
    auto a =
        plan_request(R"({"version":1,"command":"switchover","end_hold":true})", root, serve(s));
    EXPECT_NE(a.reply.value("error", "").find("has no switchover hold"), std::string::npos)
        << a.reply.dump();
    s.instances[0].switchover_hold = "handed the VIP to 10.0.0.2";
    a = plan_request(R"({"version":1,"command":"switchover","end_hold":true})", root, serve(s));
    ASSERT_TRUE(a.action) << a.reply.dump();
    EXPECT_EQ(a.action->command, WriteCommand::end_hold);
    EXPECT_EQ(a.action->instance, "VI_DB");
}

}  // namespace
}  // namespace havip::vrrp
