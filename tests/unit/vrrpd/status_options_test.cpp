// havipd's options for the control socket and keepalived's dump files.
#include <gtest/gtest.h>

#include "vrrpd/options.hpp"

namespace havip::vrrp {
namespace {

Options parse(const std::vector<std::string>& args) {
    auto r = parse_options(args);
    EXPECT_TRUE(std::holds_alternative<Options>(r));
    return std::holds_alternative<Options>(r) ? std::get<Options>(r) : Options{};
}

TEST(StatusOptions, dumps_go_to_keepalived_tmp_by_default) {
    EXPECT_EQ(parse({}).dump_dir, "/tmp");
}

TEST(StatusOptions, dump_dir_moves_the_dump_files) {
    EXPECT_EQ(parse({"--dump-dir", "/var/tmp/x"}).dump_dir, "/var/tmp/x");
    EXPECT_EQ(parse({"--dump-dir=/d"}).dump_dir, "/d");
    EXPECT_TRUE(std::holds_alternative<OptionsError>(parse_options({"--dump-dir"})));
}

TEST(StatusOptions, socket_defaults_under_run_havipd) {
    EXPECT_EQ(parse({}).control_socket, "/run/havipd/havipd.sock");
    EXPECT_EQ(parse({"--socket", "/s"}).control_socket, "/s");
}

TEST(StatusOptions, help_lists_dump_dir) {
    EXPECT_NE(usage().find("--dump-dir"), std::string::npos);
}

}  // namespace
}  // namespace havip::vrrp
