// The shell-like splitting of `script` and `notify*` command strings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/command.hpp"
#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> words(std::string_view text) {
    auto result = split_command(text);
    EXPECT_TRUE(std::holds_alternative<std::vector<std::string>>(result)) << text;
    if (auto* w = std::get_if<std::vector<std::string>>(&result)) return *w;
    return {};
}

std::string error_of(std::string_view text) {
    auto result = split_command(text);
    auto* error = std::get_if<CommandSplitError>(&result);
    if (!error) return "no error";
    return std::to_string(error->offset) + ": " + error->message;
}

TEST(ConfigCommand, white_space_separates_words) {
    EXPECT_THAT(words("  /usr/bin/nc  -z\t127.0.0.1 3306 "),
                ElementsAre("/usr/bin/nc", "-z", "127.0.0.1", "3306"));
}

TEST(ConfigCommand, single_and_double_quotes_group_words) {
    EXPECT_THAT(words("/bin/sh -c 'echo | nc 127.0.0.1 3306' \"a b\"c"),
                ElementsAre("/bin/sh", "-c", "echo | nc 127.0.0.1 3306", "a bc"));
}

TEST(ConfigCommand, escapes_are_decoded) {
    EXPECT_THAT(words(R"(x a\nb a\tb \x41\x4a \101 \cA \\ \ y)"),
                ElementsAre("x", "a\nb", "a\tb", "AJ", "A", "\x01", "\\", " y"));
}

TEST(ConfigCommand, escapes_are_decoded_inside_double_quotes_not_single_quotes) {
    EXPECT_THAT(words(R"("a\tb" 'a\tb')"), ElementsAre("a\tb", "a\\tb"));
}

TEST(ConfigCommand, empty_quotes_make_an_empty_word) {
    EXPECT_THAT(words("prog '' x"), ElementsAre("prog", "", "x"));
}

TEST(ConfigCommand, unterminated_quotes_and_empty_commands_are_errors) {
    EXPECT_EQ(error_of("prog 'abc"), "5: missing closing \"'\"");
    EXPECT_EQ(error_of("prog \"abc"), "5: missing closing '\"'");
    EXPECT_EQ(error_of("   "), "0: the command is empty");
}

TEST(ConfigCommand, script_keeps_the_raw_string_and_the_argv) {
    auto result = testing::load(
        "global_defs {\n    enable_script_security\n}\n"
        "vrrp_script chk {\n    script \"/bin/sh -c 'echo | nc 127.0.0.1 3306'\"\n}\n");
    EXPECT_THAT(testing::messages(result), ::testing::IsEmpty());
    const auto& script = result.config->scripts.at(0).script;
    EXPECT_EQ(script.raw, "/bin/sh -c 'echo | nc 127.0.0.1 3306'");
    EXPECT_THAT(script.argv, ElementsAre("/bin/sh", "-c", "echo | nc 127.0.0.1 3306"));
    EXPECT_EQ(script.where.line, 5);
    EXPECT_EQ(script.where.column, 12);
}

TEST(ConfigCommand, notify_takes_user_and_group_after_the_quoted_command) {
    auto result = testing::load(
        "global_defs {\n    enable_script_security\n}\n" +
        testing::instance("    notify_master \"/bin/echo master now\" nobody nogroup\n"));
    EXPECT_THAT(testing::messages(result), ::testing::IsEmpty());
    const auto& notify = result.config->instances.at(0).notify.master;
    ASSERT_TRUE(notify.has_value());
    EXPECT_THAT(notify->argv, ElementsAre("/bin/echo", "master", "now"));
    EXPECT_EQ(notify->user, "nobody");
    EXPECT_EQ(notify->group, "nogroup");
}

TEST(ConfigCommand, unquoted_notify_arguments_are_taken_as_the_user) {
    // keepalived uses only the first word as the command and the second as the user.
    EXPECT_THAT(testing::messages_of("global_defs {\n    enable_script_security\n}\n" +
                                     testing::instance("    notify_master /bin/echo hello\n")),
                ElementsAre("10:29: warning: \"hello\" is taken as the user to run \"/bin/echo\" "
                            "as, not as an argument (keepalived drops the command if no such user "
                            "exists); put the whole command in double quotes"));
}

TEST(ConfigCommand, unquoted_script_arguments_are_dropped_with_a_warning) {
    EXPECT_THAT(testing::messages_of("global_defs {\n    enable_script_security\n}\n"
                                     "vrrp_script chk {\n    script /bin/test -e /etc\n}\n"),
                ElementsAre("5:22: warning: keepalived ignores \"-e\": only \"/bin/test\" is the "
                            "command; put the whole command in double quotes"));
}

TEST(ConfigCommand, split_error_points_into_the_command_string) {
    EXPECT_THAT(testing::messages_of("global_defs {\n    enable_script_security\n}\n"
                                     "vrrp_script chk {\n    script \"/bin/true 'x\"\n}\n"),
                ElementsAre("4:13: error: vrrp_script \"chk\" has no script",
                            "5:23: error: script: missing closing \"'\""));
}

}  // namespace
}  // namespace havip::config
