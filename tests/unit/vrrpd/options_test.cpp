#include "vrrpd/options.hpp"

#include <signal.h>
#include <syslog.h>

#include <gtest/gtest.h>

namespace havip::vrrp {
namespace {

Options parse_ok(std::vector<std::string> args) {
    auto r = parse_options(args);
    if (auto* e = std::get_if<OptionsError>(&r)) ADD_FAILURE() << e->message;
    return std::get_if<Options>(&r) ? std::get<Options>(r) : Options{};
}

std::string parse_error(std::vector<std::string> args) {
    auto r = parse_options(args);
    if (auto* e = std::get_if<OptionsError>(&r)) return e->message;
    ADD_FAILURE() << "expected an error";
    return {};
}

TEST(Options, defaults_match_keepalived) {
    auto o = parse_ok({});
    EXPECT_EQ(o.config_file, "/etc/keepalived/keepalived.conf");
    EXPECT_EQ(o.pid_file, "/run/keepalived.pid");
    EXPECT_FALSE(o.dont_fork);
    EXPECT_FALSE(o.config_test);
    EXPECT_EQ(o.syslog_facility, LOG_DAEMON);
}

TEST(Options, debian_unit_command_line_is_accepted) {
    // Debian's keepalived.service: keepalived --dont-fork $KEEPALIVED_OPTIONS, where
    // /etc/default/keepalived commonly holds "-D" or "-P -D".
    auto o = parse_ok({"--dont-fork", "-P", "-D"});
    EXPECT_TRUE(o.dont_fork);
    EXPECT_TRUE(o.log_detail);
}

TEST(Options, short_flags_cluster_and_take_attached_or_separate_values) {
    auto o = parse_ok({"-nlD", "-f/tmp/a.conf", "-i", "db1", "-p", "/tmp/p.pid"});
    EXPECT_TRUE(o.dont_fork);
    EXPECT_TRUE(o.log_console);
    EXPECT_TRUE(o.log_detail);
    EXPECT_EQ(o.config_file, "/tmp/a.conf");
    EXPECT_EQ(o.config_id, "db1");
    EXPECT_EQ(o.pid_file, "/tmp/p.pid");
}

TEST(Options, long_options_with_equals_or_separate_value) {
    auto o = parse_ok({"--use-file=/x.conf", "--config-id", "n2", "--socket", "/tmp/s"});
    EXPECT_EQ(o.config_file, "/x.conf");
    EXPECT_EQ(o.config_id, "n2");
    EXPECT_EQ(o.control_socket, "/tmp/s");
}

TEST(Options, config_test_takes_an_optional_attached_log_file_only) {
    auto o = parse_ok({"-t", "-f", "/etc/k.conf"});
    EXPECT_TRUE(o.config_test);
    EXPECT_EQ(o.config_test_log, "");
    EXPECT_EQ(o.config_file, "/etc/k.conf");
    auto o2 = parse_ok({"--config-test=/tmp/log"});
    EXPECT_EQ(o2.config_test_log, "/tmp/log");
}

TEST(Options, log_facility_accepts_keepalived_forms) {
    EXPECT_EQ(parse_ok({"-S", "3"}).syslog_facility, LOG_LOCAL3);
    EXPECT_EQ(parse_ok({"--log-facility=local7"}).syslog_facility, LOG_LOCAL7);
    EXPECT_EQ(parse_ok({"-Suser"}).syslog_facility, LOG_USER);
    EXPECT_NE(parse_error({"-S", "local8"}).find("unknown facility"), std::string::npos);
}

TEST(Options, unknown_and_incomplete_options_are_errors_naming_the_option) {
    EXPECT_EQ(parse_error({"--frobnicate"}), "unknown option '--frobnicate' (see --help)");
    EXPECT_EQ(parse_error({"-q"}), "unknown option '-q' (see --help)");
    EXPECT_EQ(parse_error({"-f"}), "option '-f' needs a value");
    EXPECT_EQ(parse_error({"--dont-fork=yes"}), "option '--dont-fork' takes no value");
    EXPECT_EQ(parse_error({"stray"}), "unexpected argument 'stray' (see --help)");
}

TEST(Options, checker_only_mode_is_refused_with_a_reason) {
    EXPECT_NE(parse_error({"-C"}).find("VRRP side only"), std::string::npos);
}

TEST(Options, compatibility_flags_are_accepted_and_noted) {
    auto o = parse_ok({"-R", "-B", "-c", "/run/checkers.pid"});
    EXPECT_EQ(o.notes.size(), 3u);
}

TEST(Options, signum_answers_like_keepalived) {
    EXPECT_EQ(signal_number("STOP"), SIGTERM);
    EXPECT_EQ(signal_number("RELOAD"), SIGHUP);
    EXPECT_EQ(signal_number("DATA"), SIGUSR1);
    EXPECT_EQ(signal_number("STATS"), SIGUSR2);
    EXPECT_EQ(signal_number("JSON"), SIGRTMIN + 2);
    EXPECT_EQ(signal_number("STATS_CLEAR"), 63);
    EXPECT_EQ(signal_number("NOPE"), std::nullopt);
}

TEST(Options, help_lists_every_keepalived_flag_and_socket) {
    auto text = usage();
    for (auto flag : {"-f, --use-file", "-n, --dont-fork", "-l, --log-console", "-D, --log-detail",
                      "-S, --log-facility", "-t, --config-test", "-i, --config-id", "-p, --pid",
                      "-P, --vrrp", "--socket"})
        EXPECT_NE(text.find(flag), std::string::npos) << flag;
}

}  // namespace
}  // namespace havip::vrrp
