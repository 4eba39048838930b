// keepalived.conf grammar: comments, braces, quotes, line limits, includes, variables,
// conditionals and the traps of reference section 1.
#include <fstream>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include <fmt/format.h>

#include "config/lexer.hpp"
#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

using ::testing::ElementsAre;
using testing::instance;
using ::testing::IsEmpty;
using testing::load;
using testing::messages;
using testing::messages_of;

const VrrpInstance& only_instance(const LoadResult& result) {
    EXPECT_TRUE(result.config.has_value());
    EXPECT_EQ(result.config->instances.size(), 1u);
    return result.config->instances.at(0);
}

TEST(ConfigGrammar, hash_comment_needs_no_space_before_it) {
    auto result = load(instance("    priority 90# text after the value\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).priority, 90);
}

TEST(ConfigGrammar, bang_starts_a_comment_too) {
    auto result = load(instance("    priority 91!x\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).priority, 91);
}

TEST(ConfigGrammar, comment_may_start_a_line_or_follow_a_brace) {
    auto result =
        load("# whole line\n! also a comment\n" + instance("    priority 92 ! trailing\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).priority, 92);
}

TEST(ConfigGrammar, escaped_hash_and_bang_are_literal) {
    auto result =
        load(instance("    authentication {\n        auth_type PASS\n"
                      "        auth_pass a\\#b\\!c\n    }\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).auth_pass, "a#b!c");
}

TEST(ConfigGrammar, comment_characters_inside_double_quotes_are_kept) {
    auto result = load("global_defs {\n    router_id \"a#b!c d\"\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->global.router_id, "a#b!c d");
}

TEST(ConfigGrammar, single_quotes_are_not_special_for_ordinary_keywords) {
    // keepalived reads `router_id 'ab#cd'` as `'ab` [T].
    auto result = load("global_defs {\n    router_id 'ab#cd'\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->global.router_id, "'ab");
}

TEST(ConfigGrammar, unterminated_double_quote_is_an_error_at_the_quote) {
    EXPECT_THAT(messages_of("global_defs {\n    router_id \"abc\n}\n"),
                ElementsAre("2:15: error: missing closing '\"'"));
}

TEST(ConfigGrammar, line_of_1024_bytes_is_accepted) {
    std::string line = "! " + std::string(1022, 'x') + "\n";
    EXPECT_THAT(messages_of(line + instance()), IsEmpty());
}

TEST(ConfigGrammar, line_longer_than_1024_bytes_is_an_error) {
    std::string line = "! " + std::string(1023, 'x') + "\n";
    EXPECT_THAT(messages_of(line + instance()),
                ElementsAre("1:1025: error: line is longer than 1024 bytes (1025 bytes); "
                            "keepalived would split it"));
}

TEST(ConfigGrammar, crlf_line_ends_are_accepted) {
    auto result = load(
        "vrrp_instance VI_1 {\r\n interface eth0\r\n virtual_router_id 7\r\n"
        " virtual_ipaddress {\r\n 10.0.0.1\r\n }\r\n}\r\n");
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).virtual_router_id, 7);
}

TEST(ConfigGrammar, open_brace_may_be_followed_by_content_on_the_same_line) {
    auto result = load("vrrp_script chk {script \"/bin/true\"\n}\n" +
                       instance("    track_script {chk\n    }\n    authentication {auth_type "
                                "PASS\n        auth_pass secret\n    }\n"));
    EXPECT_THAT(messages(result), ElementsAre("1:25: warning: vrrp_script \"chk\" runs without "
                                              "enable_script_security in global_defs (keepalived "
                                              "warns and runs it as root)"));
    const auto& v = only_instance(result);
    ASSERT_EQ(v.track_scripts.size(), 1u);
    EXPECT_EQ(v.track_scripts[0].name, "chk");
    EXPECT_EQ(v.auth_type, AuthType::pass);
    EXPECT_EQ(v.auth_pass, "secret");
}

TEST(ConfigGrammar, open_brace_may_be_on_the_next_line) {
    auto result = load(
        "vrrp_instance VI_1\n{\n    interface eth0\n    virtual_router_id 9\n"
        "    virtual_ipaddress\n    {\n        10.0.0.9\n    }\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    ASSERT_EQ(only_instance(result).virtual_addresses.size(), 1u);
}

TEST(ConfigGrammar, a_whole_block_may_be_on_one_line) {
    auto result = load(
        "vrrp_instance VI_1 { interface eth0\nvirtual_router_id 9\n"
        "virtual_ipaddress { 10.0.0.9 10.0.0.10 }}\n");
    // `10.0.0.10` is not an option of the first address: every address has its own line.
    EXPECT_THAT(messages(result),
                ElementsAre("3:30: error: unknown virtual address option \"10.0.0.10\""));
    auto result2 = load(
        "vrrp_instance VI_1 { interface eth0\nvirtual_router_id 9\n"
        "virtual_ipaddress { 10.0.0.9 }}\n");
    EXPECT_THAT(messages(result2), IsEmpty());
    EXPECT_EQ(only_instance(result2).virtual_addresses.at(0).address.to_string(), "10.0.0.9");
}

TEST(ConfigGrammar, missing_close_brace_points_at_the_unmatched_open_brace) {
    EXPECT_THAT(messages_of("global_defs {\n    router_id x\n"),
                ElementsAre("1:13: error: unmatched '{' (no '}' closes it)"));
}

TEST(ConfigGrammar, extra_close_brace_is_an_error_at_its_position) {
    EXPECT_THAT(messages_of(instance() + "  }\n"), ElementsAre("8:3: error: unmatched '}'"));
}

TEST(ConfigGrammar, open_brace_without_keyword_is_an_error) {
    EXPECT_THAT(messages_of("{ a b }\n" + instance()),
                ElementsAre("1:1: error: '{' without a keyword before it"));
}

TEST(ConfigGrammar, keywords_are_case_sensitive) {
    EXPECT_THAT(messages_of(instance("    Priority 90\n")),
                ElementsAre("7:5: error: unknown keyword \"Priority\" in vrrp_instance"));
}

TEST(ConfigGrammar, state_values_are_case_sensitive) {
    EXPECT_THAT(messages_of(instance("    state Master\n")),
                ElementsAre("7:11: error: unknown state \"Master\" (expected MASTER or BACKUP)"));
}

TEST(ConfigGrammar, booleans_accept_on_off_true_false_yes_no_in_lower_case) {
    for (const char* word : {"on", "true", "yes"}) {
        auto result = load(
            "mysql_check db {\n    socket /run/mysqld/mysqld.sock\n"
            "    option_file /etc/havip/my.cnf\n    manage_read_only " +
            std::string(word) + "\n}\n");
        EXPECT_THAT(messages(result), IsEmpty()) << word;
        EXPECT_TRUE(result.config->mysql_checks.at(0).manage_read_only) << word;
    }
    for (const char* word : {"off", "false", "no"}) {
        auto result = load(
            "mysql_check db {\n    socket /run/mysqld/mysqld.sock\n"
            "    option_file /etc/havip/my.cnf\n    manage_read_only " +
            std::string(word) + "\n}\n");
        EXPECT_THAT(messages(result), IsEmpty()) << word;
        EXPECT_FALSE(result.config->mysql_checks.at(0).manage_read_only) << word;
    }
    EXPECT_THAT(messages_of("mysql_check db {\n    socket /s\n    option_file /f\n"
                            "    manage_read_only On\n}\n"),
                ElementsAre("4:22: error: manage_read_only \"On\" is not a boolean (expected on, "
                            "off, true, false, yes or no)"));
}

TEST(ConfigGrammar, backslash_at_line_end_is_an_error_not_a_continuation) {
    // keepalived reads `priority 80 \` as an invalid number and keeps 100 [T].
    EXPECT_THAT(messages_of(instance("    priority 80 \\\n")),
                ElementsAre("7:17: error: '\\' at the end of a line does not continue it: "
                            "keepalived reads the backslash as part of the value; join the "
                            "lines"));
}

TEST(ConfigGrammar, unknown_top_level_keyword_is_an_error) {
    EXPECT_THAT(messages_of("vrrp_instanse VI_1 {\n}\n" + instance()),
                ElementsAre("1:1: error: unknown block \"vrrp_instanse\""));
    EXPECT_THAT(messages_of("frobnicate\n" + instance()),
                ElementsAre("1:1: error: unknown keyword \"frobnicate\""));
}

TEST(ConfigGrammar, unknown_block_inside_an_instance_is_skipped_whole) {
    // keepalived would close VI_1 at the unknown block's `}` and move authentication out [T].
    auto result =
        load(instance("    bogus {\n        x 1\n    }\n    authentication {\n"
                      "        auth_type PASS\n        auth_pass pw\n    }\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("7:5: error: unknown block \"bogus\" in vrrp_instance (keepalived "
                            "would end the vrrp_instance at its '}')"));
    EXPECT_EQ(only_instance(result).auth_pass, "pw");
}

TEST(ConfigGrammar, known_but_unimplemented_keepalived_keyword_is_a_warning) {
    auto result = load("global_defs {\n    vrrp_strict\n}\n" + instance("    use_vmac\n"));
    EXPECT_THAT(messages(result),
                ElementsAre("2:5: warning: havipd ignores keepalived's \"vrrp_strict\": strict "
                            "mode (which also drops traffic to the VIP) is not implemented",
                            "10:5: warning: havipd ignores keepalived's \"use_vmac\": VMAC "
                            "interfaces are not implemented"));
    EXPECT_TRUE(result.ok());
}

TEST(ConfigGrammar, dynamic_interfaces_says_what_havipd_does_instead) {
    auto result = load("global_defs {\n    dynamic_interfaces\n}\n" + instance(""));
    EXPECT_THAT(messages(result),
                ElementsAre("2:5: warning: havipd ignores keepalived's \"dynamic_interfaces\": "
                            "interfaces deleted and re-created are always followed by name; one "
                            "missing at start-up is still an error"));
    EXPECT_TRUE(result.ok());
}

TEST(ConfigGrammar, unimplemented_keepalived_block_is_skipped_by_balanced_braces) {
    auto result = load(
        "virtual_server 10.0.0.1 80 {\n    real_server 10.0.0.2 80 {\n"
        "        TCP_CHECK {\n            connect_timeout 3\n        }\n    }\n}\n" +
        instance());
    EXPECT_THAT(messages(result),
                ElementsAre("1:1: warning: havipd ignores keepalived's \"virtual_server\": the "
                            "LVS/checker side is not part of havipd"));
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(result.config->instances.size(), 1u);
}

TEST(ConfigGrammar, extra_values_after_a_value_are_warned_about) {
    EXPECT_THAT(messages_of(instance("    priority 90 100\n")),
                ElementsAre("7:17: warning: unexpected \"100\" after priority (ignored)"));
}

TEST(ConfigGrammar, tokens_keep_their_columns) {
    Diagnostics diagnostics;
    auto tokens = lex_string("  a {b\n\"c d\" }", "x.conf", LexOptions{"n"}, diagnostics);
    ASSERT_EQ(tokens.size(), 7u);
    EXPECT_EQ(tokens[0].text, "a");
    EXPECT_EQ(tokens[0].where.column, 3);
    EXPECT_EQ(tokens[1].kind, TokenKind::open_brace);
    EXPECT_EQ(tokens[1].where.column, 5);
    EXPECT_EQ(tokens[2].text, "b");
    EXPECT_EQ(tokens[2].where.column, 6);
    EXPECT_EQ(tokens[3].kind, TokenKind::end_of_line);
    EXPECT_EQ(tokens[4].text, "c d");
    EXPECT_TRUE(tokens[4].quoted);
    EXPECT_EQ(tokens[4].where.line, 2);
    EXPECT_EQ(tokens[5].kind, TokenKind::close_brace);
    EXPECT_EQ(tokens[5].where.column, 7);
}

// --- Variables --------------------------------------------------------------------------

TEST(ConfigVariables, definition_is_substituted_at_use) {
    auto result = load("$VIP=10.1.2.3\n$IF=eth1\n" + instance("", "VI_1", 51, "$VIP dev $IF"));
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& vip = only_instance(result).virtual_addresses.at(0);
    EXPECT_EQ(vip.address.to_string(), "10.1.2.3");
    EXPECT_EQ(vip.dev, "eth1");
}

TEST(ConfigVariables, dollar_name_is_replaced_only_before_space_comma_paren_or_line_end) {
    auto result = load("$P=9\n" + instance("    priority $P0\n"));
    // `$P0` is a different (undefined) name; `$P-1` is not a reference at all.
    EXPECT_THAT(messages(result),
                ElementsAre("8:14: warning: variable \"P0\" is not defined; \"$P0\" is kept as "
                            "written",
                            "8:14: error: priority \"$P0\" is not an integer (valid: 1..255)"));
    auto glued = load("$P=9\n" + instance("    priority $P-1\n"));
    EXPECT_THAT(messages(glued),
                ElementsAre("8:14: error: priority \"$P-1\" is not an integer (valid: 1..255)"));
    auto comma = load("$R=router\nglobal_defs {\n    router_id a,$R,b\n}\n");
    EXPECT_EQ(comma.config->global.router_id, "a,router,b");
    auto paren = load("$R=router\nglobal_defs {\n    router_id ($R)\n}\n");
    EXPECT_EQ(paren.config->global.router_id, "(router)");
}

TEST(ConfigVariables, braced_reference_works_anywhere) {
    auto result = load("$N=5\n" + instance("    priority ${N}0\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).priority, 50);
}

TEST(ConfigVariables, definitions_are_recursive) {
    auto result = load("$A=1${B}\n$B=2$C\n$C=3\n" + instance("    priority $A\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).priority, 123);
}

TEST(ConfigVariables, self_reference_is_an_error_not_a_hang) {
    EXPECT_THAT(messages_of("$A=x$A\n" + instance("    priority $A\n")),
                ::testing::Contains("8:14: error: expanding variable \"A\" does not end (a "
                                    "definition that uses itself?)"));
}

// Found by the long fuzz run: each line within the per-line bounds, but a file of them took
// seconds; the lexer stops at a total over the configuration.
TEST(ConfigVariables, expansion_over_the_whole_file_is_bounded) {
    std::string refs;
    for (int i = 0; i < 240; ++i)
        refs += "${V}";
    std::string text = "$V=" + std::string(200, 'v') + "\n";
    for (int i = 0; i < 100; ++i)
        text += "global_defs {\n    router_id " + refs + "\n}\n";
    EXPECT_THAT(messages_of(text),
                ::testing::Contains("36:587: error: expanding variables moves more than 64 MiB "
                                    "of text in this configuration; stopped at \"V\" "
                                    "(definitions that multiply?)"));
}

TEST(ConfigVariables, undefined_variable_stays_literal_with_a_warning) {
    auto result = load("global_defs {\n    router_id $NOPE\n}\n");
    EXPECT_THAT(messages(result), ElementsAre("2:15: warning: variable \"NOPE\" is not defined; "
                                              "\"$NOPE\" is kept as written"));
    EXPECT_EQ(result.config->global.router_id, "$NOPE");
}

TEST(ConfigVariables, space_before_equals_is_not_a_definition) {
    EXPECT_THAT(messages_of("$A =1\n" + instance()),
                ElementsAre("1:1: warning: variable \"A\" is not defined; \"$A\" is kept as "
                            "written",
                            "1:1: error: unknown keyword \"$A\""));
}

TEST(ConfigVariables, multi_line_definition_expands_to_several_lines) {
    auto result = load(
        "$BODY=interface eth0 \\\n    virtual_router_id 77 \\\n    priority 120\n"
        "vrrp_instance VI_1 {\n    $BODY\n    virtual_ipaddress {\n"
        "        10.0.0.7\n    }\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    const auto& v = only_instance(result);
    EXPECT_EQ(v.interface, "eth0");
    EXPECT_EQ(v.virtual_router_id, 77);
    EXPECT_EQ(v.priority, 120);
}

TEST(ConfigVariables, predefined_hash_bang_instance_and_pwd) {
    auto result = load("global_defs {\n    router_id ${_INSTANCE}${_HASH}${_BANG}\n}\n");
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->global.router_id, "node1#!");
    auto pwd = load_string("global_defs {\n    router_id ${_PWD}\n}\n", "/etc/keepalived/k.conf",
                           testing::test_options());
    EXPECT_EQ(pwd.config->global.router_id, "/etc/keepalived");
}

TEST(ConfigVariables, substitution_comes_after_comment_stripping) {
    // The value of a variable may hold a `#` that is not a comment.
    auto result =
        load("$PW=ab${_HASH}cd\n" + instance("    authentication {\n        auth_type PASS\n"
                                             "        auth_pass $PW\n    }\n"));
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(only_instance(result).auth_pass, "ab#cd");
}

// --- Conditionals ------------------------------------------------------------------------

TEST(ConfigConditionals, at_id_keeps_the_line_only_on_that_node) {
    const std::string text = instance("    @node1 priority 150\n    @node2 priority 50\n");
    EXPECT_EQ(only_instance(load(text)).priority, 150);
    auto options = testing::test_options();
    options.config_id = "node2";
    EXPECT_EQ(only_instance(load(text, options)).priority, 50);
    options.config_id = "node3";
    EXPECT_EQ(only_instance(load(text, options)).priority, 100);
}

TEST(ConfigConditionals, at_caret_id_keeps_the_line_everywhere_else) {
    const std::string text = instance("    @^node1 priority 80\n");
    EXPECT_EQ(only_instance(load(text)).priority, 100);
    auto options = testing::test_options();
    options.config_id = "node2";
    EXPECT_EQ(only_instance(load(text, options)).priority, 80);
}

TEST(ConfigConditionals, conditional_definitions) {
    const std::string text =
        "@node1 $PRIO=150\n@^node1 $PRIO=90\n" + instance("  priority $PRIO\n");
    EXPECT_EQ(only_instance(load(text)).priority, 150);
    auto options = testing::test_options();
    options.config_id = "db2";
    EXPECT_EQ(only_instance(load(text, options)).priority, 90);
}

// --- Includes ----------------------------------------------------------------------------

class ConfigInclude : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::path(HAVIP_BINARY_DIR) / "config-include-test" /
               ::testing::UnitTest::GetInstance()->current_test_info()->name();
        std::filesystem::remove_all(dir_);
        std::filesystem::create_directories(dir_ / "conf.d");
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    void write(const std::string& name, const std::string& text) {
        std::ofstream(dir_ / name) << text;
    }
    std::filesystem::path dir_;
};

TEST_F(ConfigInclude, relative_include_is_read_from_the_including_files_directory) {
    write("keepalived.conf", "include conf.d/*.conf\n");
    write("conf.d/a.conf", instance());
    write("conf.d/b.conf", instance("", "VI_2", 52, "10.0.0.51"));
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    EXPECT_THAT(messages(result), IsEmpty());
    ASSERT_EQ(result.config->instances.size(), 2u);
    EXPECT_EQ(result.config->instances[0].name, "VI_1");  // glob order
    EXPECT_EQ(result.config->instances[0].where.name.file, (dir_ / "conf.d/a.conf").string());
}

TEST_F(ConfigInclude, csh_braces_and_nested_includes) {
    write("keepalived.conf", "include conf.d/{one,two}.conf\n");
    write("conf.d/one.conf", "include ../three.conf\n");
    write("conf.d/two.conf", instance("", "VI_2", 52, "10.0.0.51"));
    write("three.conf", instance());
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    EXPECT_THAT(messages(result), IsEmpty());
    ASSERT_EQ(result.config->instances.size(), 2u);
    EXPECT_EQ(result.config->instances[0].name, "VI_1");
    EXPECT_EQ(result.config->instances[1].name, "VI_2");
}

TEST_F(ConfigInclude, include_cycle_is_an_error) {
    write("keepalived.conf", "include a.conf\n" + instance());
    write("a.conf", "\ninclude keepalived.conf\n");
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    const std::string a = (dir_ / "a.conf").string();
    const std::string top = (dir_ / "keepalived.conf").string();
    EXPECT_THAT(messages(result), ElementsAre(a + ":2:9: error: include cycle: \"" + dir_.string() +
                                              "/keepalived.conf\" is already being read"));
    EXPECT_EQ(result.config->instances.size(), 1u);
}

// Each level includes the next one twice: 2^20 reads of l20.conf without a bound in all (the
// depth bound, 32, does not stop it). The load ends with an error at the include that passed
// the bound instead of never ending.
TEST_F(ConfigInclude, includes_that_multiply_are_stopped_by_a_bound_in_all) {
    for (int level = 0; level < 20; ++level)
        write(fmt::format("l{}.conf", level),
              fmt::format("include l{0}.conf\ninclude l{0}.conf\n", level + 1));
    write("l20.conf", "# leaf\n");
    write("keepalived.conf", "include l0.conf\n" + instance());
    const auto start = std::chrono::steady_clock::now();
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
    EXPECT_FALSE(result.ok());
    bool bounded = false;
    for (const auto& m : messages(result))
        bounded = bounded || m.find("reads more than 1000 files") != std::string::npos;
    EXPECT_TRUE(bounded);
}

TEST_F(ConfigInclude, include_matching_nothing_is_a_warning) {
    write("keepalived.conf", "include conf.d/*.conf\n" + instance());
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    EXPECT_THAT(messages(result),
                ElementsAre((dir_ / "keepalived.conf").string() +
                            ":1:9: warning: include \"conf.d/*.conf\" matches no file "
                            "(keepalived only logs this and carries on)"));
    EXPECT_TRUE(result.ok());
}

TEST_F(ConfigInclude, diagnostics_follow_the_order_of_appearance_across_files) {
    write("keepalived.conf", "bad_one\ninclude inc.conf\nbad_three\n");
    write("inc.conf", "bad_two\n");
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    const std::string top = (dir_ / "keepalived.conf").string();
    const std::string inc = (dir_ / "inc.conf").string();
    EXPECT_THAT(messages(result), ElementsAre(top + ":1:1: error: unknown keyword \"bad_one\"",
                                              inc + ":1:1: error: unknown keyword \"bad_two\"",
                                              top + ":3:1: error: unknown keyword \"bad_three\""));
}

TEST_F(ConfigInclude, include_of_a_device_is_refused) {
    write("keepalived.conf", "include /dev/zero\n" + instance());
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    EXPECT_THAT(messages(result),
                ElementsAre((dir_ / "keepalived.conf").string() +
                            ":1:9: error: cannot read \"/dev/zero\": not a regular file"));
}

TEST_F(ConfigInclude, quoted_include_pattern_is_accepted) {
    write("keepalived.conf", "include \"conf.d/a.conf\"\n");
    write("conf.d/a.conf", instance());
    auto result = load_file(dir_ / "keepalived.conf", testing::test_options());
    EXPECT_THAT(messages(result), IsEmpty());
    EXPECT_EQ(result.config->instances.size(), 1u);
}

TEST_F(ConfigInclude, unreadable_top_file_gives_no_config) {
    auto result = load_file(dir_ / "missing.conf", testing::test_options());
    EXPECT_FALSE(result.config.has_value());
    EXPECT_FALSE(result.ok());
    EXPECT_THAT(messages(result),
                ElementsAre((dir_ / "missing.conf").string() + ": error: cannot read \"" +
                            (dir_ / "missing.conf").string() + "\": No such file or directory"));
}

}  // namespace
}  // namespace havip::config
