// keepalived's script security (lib/notify.c in 2.2.7): who runs a script, and which scripts
// that would run as root are refused, judged from what lstat() said about each path element.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/script_security.hpp"
#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr mode_t dir = S_IFDIR, file = S_IFREG, link = S_IFLNK;

// /usr/local/bin/promote.sh, all root's and 0755 unless a test changes one element.
ScriptPath promote_sh() {
    ScriptPath p;
    p.script = "/usr/local/bin/promote.sh";
    p.chains = {{{"/", dir | 0755, 0, 0},
                 {"/usr", dir | 0755, 0, 0},
                 {"/usr/local", dir | 0755, 0, 0},
                 {"/usr/local/bin", dir | 0755, 0, 0},
                 {"/usr/local/bin/promote.sh", file | 0755, 0, 0}}};
    p.program_mode = file | 0755;
    return p;
}

TEST(ScriptSecurity, a_root_script_on_a_root_only_path_runs) {
    const auto v = judge_script(promote_sh(), 0, 0, true);
    EXPECT_EQ(v.safety, ScriptSafety::safe);
    EXPECT_THAT(v.message, IsEmpty());
}

TEST(ScriptSecurity, a_root_script_in_a_world_writable_directory_is_refused) {
    auto p = promote_sh();
    p.chains[0][3].mode = dir | 0777;
    const auto v = judge_script(p, 0, 0, true);
    EXPECT_EQ(v.safety, ScriptSafety::refused);
    EXPECT_EQ(v.message,
              "Unsafe permissions found for script '/usr/local/bin/promote.sh' - disabling. "
              "(/usr/local/bin: writable by others, without the sticky bit)");
}

TEST(ScriptSecurity, without_script_security_an_unsafe_root_script_runs_with_a_warning) {
    auto p = promote_sh();
    p.chains[0][3].mode = dir | 0777;
    const auto v = judge_script(p, 0, 0, false);
    EXPECT_EQ(v.safety, ScriptSafety::unsafe);
    EXPECT_EQ(v.message, "Unsafe permissions found for script '/usr/local/bin/promote.sh'. "
                         "(/usr/local/bin: writable by others, without the sticky bit)");
}

TEST(ScriptSecurity, a_file_writable_by_a_non_root_group_is_refused) {
    auto p = promote_sh();
    p.chains[0][4] = {"/usr/local/bin/promote.sh", file | 0775, 0, 1001};  // group dba
    const auto v = judge_script(p, 0, 0, true);
    EXPECT_EQ(v.safety, ScriptSafety::refused);
    EXPECT_THAT(v.message, HasSubstr("(/usr/local/bin/promote.sh: writable by group gid 1001)"));
}

TEST(ScriptSecurity, group_write_for_group_root_is_allowed) {
    auto p = promote_sh();
    p.chains[0][3].mode = dir | 0775;  // root:root, g+w: only root's group
    EXPECT_EQ(judge_script(p, 0, 0, true).safety, ScriptSafety::safe);
}

TEST(ScriptSecurity, an_element_owned_by_another_user_is_refused_whatever_its_mode) {
    auto p = promote_sh();
    p.chains[0][2] = {"/usr/local", dir | 0755, 1000, 0};
    const auto v = judge_script(p, 0, 0, true);
    EXPECT_EQ(v.safety, ScriptSafety::refused);
    EXPECT_THAT(v.message, HasSubstr("(/usr/local: owned by uid 1000)"));
}

TEST(ScriptSecurity, a_sticky_world_writable_directory_like_tmp_is_allowed) {
    auto p = promote_sh();
    p.chains[0][3].mode = dir | S_ISVTX | 0777;
    EXPECT_EQ(judge_script(p, 0, 0, true).safety, ScriptSafety::safe);
}

TEST(ScriptSecurity, a_script_run_by_a_non_root_user_is_not_judged) {
    auto p = promote_sh();
    p.chains[0][3].mode = dir | 0777;
    EXPECT_EQ(judge_script(p, 998, 998, true).safety, ScriptSafety::safe);
    // …unless its group is root's, or the program is set-user-ID root.
    EXPECT_EQ(judge_script(p, 998, 0, true).safety, ScriptSafety::refused);
    p.program_mode = file | S_ISUID | 0755;
    EXPECT_EQ(judge_script(p, 998, 998, true).safety, ScriptSafety::refused);
}

TEST(ScriptSecurity, a_symbolic_link_target_is_judged_too) {
    auto p = promote_sh();
    p.chains[0][4].mode = link | 0777;  // a link's own mode means nothing
    p.chains.push_back({{"/", dir | 0755, 0, 0},
                        {"/home", dir | 0755, 0, 0},
                        {"/home/dba", dir | 0755, 1001, 1001},
                        {"/home/dba/promote.sh", file | 0755, 1001, 1001}});
    const auto v = judge_script(p, 0, 0, true);
    EXPECT_EQ(v.safety, ScriptSafety::refused);
    EXPECT_THAT(v.message, HasSubstr("(/home/dba: owned by uid 1001)"));
}

TEST(ScriptSecurity, a_directory_element_that_is_not_a_directory_is_refused_always) {
    auto p = promote_sh();
    p.chains[0][4].mode = S_IFIFO | 0755;
    const auto v = judge_script(p, 0, 0, false);
    EXPECT_EQ(v.safety, ScriptSafety::refused);
    EXPECT_EQ(v.message, "Wrong file type found in script path '/usr/local/bin/promote.sh'. "
                         "(/usr/local/bin/promote.sh: not a file)");
}

TEST(ScriptSecurity, run_as_follows_keepalived_order_of_choice) {
    const std::optional<std::string> none;
    const std::optional<std::string> dba{"dba"}, ops{"ops"}, backup{"backup"};
    auto own = choose_run_as(dba, ops, backup, none, true, true);
    ASSERT_TRUE(own);
    EXPECT_EQ(own->user, "dba");
    EXPECT_EQ(own->group, "ops");
    auto global = choose_run_as(none, none, backup, ops, true, true);
    ASSERT_TRUE(global);
    EXPECT_EQ(global->user, "backup");
    EXPECT_EQ(global->group, "ops");
    auto fallback = choose_run_as(none, none, none, none, true, false);
    ASSERT_TRUE(fallback);
    EXPECT_EQ(fallback->user, "keepalived_script");
    // No keepalived_script: root, unless script security is on, which refuses the script.
    auto root = choose_run_as(none, none, none, none, false, false);
    ASSERT_TRUE(root);
    EXPECT_FALSE(root->user);
    EXPECT_FALSE(choose_run_as(none, none, none, none, false, true));
}

// The configuration: `havipd -t` names each refused script at its command, and the daemon's
// load marks it so it never runs.
class ConfigScriptSecurity : public ::testing::Test {
  protected:
    void SetUp() override {
        // Its own directory per test and process: ctest runs tests in parallel.
        dir_ = std::filesystem::path(HAVIP_BINARY_DIR) / "config-script-security-test" /
               (std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_ / "open");
        ::chmod((dir_ / "open").c_str(), 0777);  // the umask would take the write bits
        for (const auto& f : {dir_ / "open" / "promote.sh", dir_ / "safe.sh"}) {
            std::ofstream(f) << "#!/bin/sh\n";
            ::chmod(f.c_str(), 0755);
        }
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string config(const std::string& global) const {
        return "global_defs {\n" + global + "}\n" +
               testing::instance("    notify_master \"" + (dir_ / "open" / "promote.sh").string() +
                                 "\"\n    notify_backup " + (dir_ / "safe.sh").string() + "\n");
    }
    std::filesystem::path dir_;
};

TEST_F(ConfigScriptSecurity, test_mode_reports_a_refused_notify_script_at_its_command) {
    if (::geteuid() != 0) GTEST_SKIP() << "the build tree is not root's";
    const auto promote = (dir_ / "open" / "promote.sh").string();
    auto result =
        testing::load(config("    enable_script_security\n    script_user root\n"));
    EXPECT_THAT(testing::messages(result),
                ElementsAre("11:19: error: Unsafe permissions found for script '" + promote +
                            "' - disabling. (" + (dir_ / "open").string() +
                            ": writable by others, without the sticky bit)"));
    ASSERT_TRUE(result.config);
    const auto& notify = result.config->instances.at(0).notify;
    ASSERT_TRUE(notify.master);
    EXPECT_TRUE(notify.master->refused);
    ASSERT_TRUE(notify.backup);
    EXPECT_FALSE(notify.backup->refused);
    EXPECT_EQ(notify.backup->run_user, "root");
}

TEST_F(ConfigScriptSecurity, the_daemon_loads_a_refused_script_as_a_warning_and_drops_it) {
    if (::geteuid() != 0) GTEST_SKIP() << "the build tree is not root's";
    auto options = testing::test_options();
    options.refused_scripts_are_errors = false;
    auto result =
        testing::load(config("    enable_script_security\n    script_user root\n"), options);
    EXPECT_TRUE(result.ok());
    EXPECT_THAT(testing::messages(result),
                ElementsAre(HasSubstr("11:19: warning: Unsafe permissions found for script")));
    EXPECT_TRUE(result.config->instances.at(0).notify.master->refused);
}

TEST_F(ConfigScriptSecurity, without_script_security_an_unsafe_root_script_is_kept_with_a_warning) {
    if (::geteuid() != 0) GTEST_SKIP() << "the build tree is not root's";
    auto result = testing::load(config("    script_user root\n"));
    EXPECT_TRUE(result.ok());
    EXPECT_THAT(testing::messages(result),
                ::testing::Contains(HasSubstr(
                    "10:19: warning: Unsafe permissions found for script '" +
                    (dir_ / "open" / "promote.sh").string() + "'. (")));
    EXPECT_FALSE(result.config->instances.at(0).notify.master->refused);
}

TEST_F(ConfigScriptSecurity, a_script_run_as_keepalived_script_is_not_judged) {
    auto result = testing::load(config("    enable_script_security\n"));
    EXPECT_TRUE(result.ok()) << ::testing::PrintToString(testing::messages(result));
    EXPECT_EQ(result.config->instances.at(0).notify.master->run_user, "keepalived_script");
    EXPECT_FALSE(result.config->instances.at(0).notify.master->refused);
}

TEST_F(ConfigScriptSecurity, no_script_user_and_no_keepalived_script_refuses_every_script) {
    auto options = testing::test_options();
    options.lookup_user = [](const std::string& user, const std::optional<std::string>& group)
        -> std::optional<LoadOptions::Ids> {
        if (user == "keepalived_script") return std::nullopt;
        return testing::fake_users(user, group);
    };
    auto result = testing::load("global_defs {\n    enable_script_security\n}\n"
                                "vrrp_script chk {\n    script /bin/true\n}\n" +
                                    testing::instance("    track_script {\n        chk\n    }\n"),
                                options);
    EXPECT_THAT(testing::messages(result),
                ElementsAre("5:12: error: Unable to set default user for vrrp script chk - "
                            "removing (no script_user in global_defs, and user keepalived_script "
                            "does not exist)",
                            "5:12: error: Disabling track script chk due to insecure"));
}

}  // namespace
}  // namespace havip::config

namespace havip::config {
namespace {

// The user a script runs as is looked up while loading (off the daemon's loop), and the ids
// travel with the command: running it never looks a name up (issue 17 item 7).
TEST(ConfigScriptUser, the_ids_of_the_user_and_group_travel_with_the_command) {
    auto result = testing::load(
        "global_defs {\n    enable_script_security\n}\n"
        "vrrp_script chk {\n    script /bin/true\n"
        "    user nobody nogroup\n}\n" +
        testing::instance("    track_script {\n        chk\n    }\n"));
    ASSERT_TRUE(result.ok()) << ::testing::PrintToString(testing::messages(result));
    const auto& command = result.config->scripts.at(0).script;
    EXPECT_EQ(command.run_user, "nobody");
    ASSERT_TRUE(command.run_ids.has_value());
    EXPECT_EQ(command.run_ids->uid, 65534u);
    EXPECT_EQ(command.run_ids->gid, 65534u);
}

// No one by that name: the command has no ids, and the daemon, which never looks the name up
// itself, refuses to run it with the reason (`havipd -t` keeps its warnings: command_test).
TEST(ConfigScriptUser, an_unknown_user_leaves_no_ids_and_the_reason_for_the_daemon) {
    auto result = testing::load(
        "global_defs {\n    enable_script_security\n}\n"
        "vrrp_script chk {\n    script /bin/true\n"
        "    user havip_no_such_user nogroup\n}\n" +
        testing::instance("    track_script {\n        chk\n    }\n"));
    const auto& command = result.config->scripts.at(0).script;
    EXPECT_EQ(command.run_user, "havip_no_such_user");
    EXPECT_FALSE(command.run_ids.has_value());
    EXPECT_TRUE(command.ids_unknown);
    EXPECT_EQ(unknown_ids(command), "unknown user 'havip_no_such_user' or group 'nogroup'");
}

}  // namespace
}  // namespace havip::config
