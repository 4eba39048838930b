// `havip clear-diverged` and `havip promote --force` (havip/operator): arguments, the request
// they send, and what the daemon's answer means for the exit code; `havip status` names the
// way out of a latch.
#include <gtest/gtest.h>

#include "havip/operator.hpp"
#include "havip/status.hpp"

namespace havip::cli {
namespace {

using nlohmann::json;

OperatorArgs parsed(const std::string& command, const std::vector<std::string>& args) {
    auto p = parse_operator_args(command, args);
    if (auto* e = std::get_if<UsageError>(&p)) ADD_FAILURE() << e->message;
    return std::get<OperatorArgs>(p);
}

TEST(OperatorCli, clear_diverged_sends_the_instance_when_named) {
    EXPECT_EQ(operator_request(parsed("clear-diverged", {})),
              (json{{"version", 1}, {"command", "clear-diverged"}}));
    const auto a = parsed("clear-diverged", {"VI_DB", "--socket", "/tmp/s"});
    EXPECT_EQ(a.socket, "/tmp/s");
    EXPECT_EQ(operator_request(a),
              (json{{"version", 1}, {"command", "clear-diverged"}, {"instance", "VI_DB"}}));
}

TEST(OperatorCli, promote_without_force_is_a_usage_error) {
    EXPECT_TRUE(std::holds_alternative<UsageError>(parse_operator_args("promote", {"VI_DB"})));
    EXPECT_EQ(operator_request(parsed("promote", {"--force", "VI_DB"})),
              (json{{"version", 1}, {"command", "promote"}, {"force", true}, {"instance", "VI_DB"}}));
    EXPECT_TRUE(std::holds_alternative<UsageError>(
        parse_operator_args("clear-diverged", {"--force"})));
    EXPECT_TRUE(
        std::holds_alternative<UsageError>(parse_operator_args("clear-diverged", {"A", "B"})));
}

TEST(OperatorCli, exit_code_tells_done_refused_and_not_root_apart) {
    EXPECT_EQ(operator_exit_code({{"version", 1}, {"command", "clear-diverged"}, {"message", "x"}}),
              exit_ok);
    EXPECT_EQ(operator_exit_code({{"version", 1}, {"error", "no instance 'X'"}}), exit_refused);
    EXPECT_EQ(operator_exit_code({{"version", 1},
                                  {"error", "permission denied: clear-diverged is for root"},
                                  {"refused", "permission"}}),
              exit_no_permission);
}

TEST(OperatorCli, status_table_names_the_way_out_of_a_diverged_latch) {
    const json doc = {
        {"version", 1},
        {"instances",
         {{{"name", "VI_DB"},
           {"state", "FAULT"},
           {"checks",
            {{{"name", "chk_db"},
              {"type", "mysql_check"},
              {"status", "unsafe"},
              {"reason", "data diverged (…)"},
              {"diverged", true},
              {"forced", false}}}}}}}};
    const auto table = render_table(doc);
    EXPECT_NE(table.find("havip clear-diverged VI_DB"), std::string::npos) << table;
    EXPECT_NE(table.find("havip promote --force VI_DB"), std::string::npos) << table;
}

}  // namespace
}  // namespace havip::cli
