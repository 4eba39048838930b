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
    EXPECT_EQ(
        operator_request(parsed("promote", {"--force", "VI_DB"})),
        (json{{"version", 1}, {"command", "promote"}, {"force", true}, {"instance", "VI_DB"}}));
    EXPECT_TRUE(
        std::holds_alternative<UsageError>(parse_operator_args("clear-diverged", {"--force"})));
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
    const json doc = {{"version", 1},
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

TEST(OperatorCli, switchover_sends_its_options_and_rejects_bad_ones) {
    EXPECT_EQ(operator_request(parsed("switchover", {})),
              (json{{"version", 1}, {"command", "switchover"}, {"dry_run", false}}));
    EXPECT_EQ(operator_request(parsed(
                  "switchover", {"VI_DB", "--to", "10.0.0.2", "--timeout", "12.5", "--dry-run"})),
              (json{{"version", 1},
                    {"command", "switchover"},
                    {"instance", "VI_DB"},
                    {"dry_run", true},
                    {"to", "10.0.0.2"},
                    {"timeout", 12.5}}));
    EXPECT_EQ(operator_request(parsed("switchover", {"--end-hold"})),
              (json{{"version", 1}, {"command", "switchover"}, {"end_hold", true}}));
    for (const std::vector<std::string>& bad : {std::vector<std::string>{"--timeout", "0"},
                                                {"--timeout", "2x"},
                                                {"--timeout"},
                                                {"--to"},
                                                {"--end-hold", "--dry-run"},
                                                {"--force"}})
        EXPECT_TRUE(std::holds_alternative<UsageError>(parse_operator_args("switchover", bad)))
            << bad.front();
    EXPECT_TRUE(std::holds_alternative<UsageError>(
        parse_operator_args("promote", {"--force", "--dry-run"})));
}

TEST(OperatorCli, switchover_progress_prints_each_step_once_and_sees_the_end) {
    json doc = {
        {"instances",
         {{{"name", "VI_DB"},
           {"switchover",
            {{"started", "12:00:01"},
             {"running", true},
             {"steps", {{{"step", "preflight"}, {"ok", true}, {"ms", 4}, {"detail", "ok"}}}}}}}}}};
    // A switchover that started before the request is not ours.
    auto p = switchover_progress(doc, "VI_DB", "12:00:01", 0);
    EXPECT_TRUE(p.lines.empty());
    EXPECT_FALSE(p.finished);
    p = switchover_progress(doc, "VI_DB", "", 0);
    EXPECT_NE(p.lines.find("preflight"), std::string::npos) << p.lines;
    EXPECT_EQ(p.printed, 1u);
    EXPECT_FALSE(p.finished);
    auto& sw = doc["instances"][0]["switchover"];
    sw["steps"].push_back(
        {{"step", "read_only"}, {"ok", false}, {"ms", 2000}, {"detail", "locked"}});
    sw["running"] = false;
    sw["result"] = "rolled_back";
    sw["summary"] = "rolled back: read_only failed";
    p = switchover_progress(doc, "VI_DB", "", 1);
    EXPECT_EQ(p.lines.find("preflight"), std::string::npos) << p.lines;
    EXPECT_NE(p.lines.find("read_only        FAILED"), std::string::npos) << p.lines;
    EXPECT_TRUE(p.finished);
    EXPECT_EQ(p.result, "rolled_back");
}

TEST(OperatorCli, status_table_shows_the_switchover_hold_and_its_way_out) {
    const json doc = {{"version", 1},
                      {"instances",
                       {{{"name", "VI_DB"},
                         {"state", "BACKUP"},
                         {"switchover_hold", "handed the VIP to 10.0.0.2 at 12:00:01"},
                         {"checks", json::array()}}}}};
    const auto table = render_table(doc);
    EXPECT_NE(table.find("switchover hold: handed the VIP to 10.0.0.2"), std::string::npos)
        << table;
    EXPECT_NE(table.find("havip switchover --end-hold VI_DB"), std::string::npos) << table;
}

}  // namespace
}  // namespace havip::cli
