// `havip bootstrap`'s planner (havip/bootstrap.hpp): server facts in, ordered steps or refusals
// out. No server: the facts are built here as the executor would gather them.
#include "havip/bootstrap.hpp"

#include <gtest/gtest.h>

#include "havip/bootstrap_run.hpp"
#include "havip/password_hash.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace havip::cli {
namespace {

BootstrapSettings settings() {
    BootstrapSettings s;
    s.nodes[0] = {"db1", "10.0.0.1", 3306};
    s.nodes[1] = {"db2", "10.0.0.2", 3306};
    s.replication_user = "repl";
    s.replication_password = "r-secret";
    s.monitor_user = "havip_monitor";
    s.monitor_password = "m-secret";
    return s;
}

BootstrapSettings over_tls() {
    auto s = settings();
    s.tls = true;
    return s;
}

// A server configured as the generated mariadb.cnf says, holding nothing.
ServerFacts fresh(std::uint32_t server_id) {
    ServerFacts f;
    f.version = "10.11.6-MariaDB-0+deb12u1-log";
    f.server_id = server_id;
    f.log_bin = true;
    f.gtid_strict_mode = true;
    f.log_slave_updates = true;
    f.binlog_format = "ROW";
    f.semi_sync = {{"rpl_semi_sync_master_enabled", "OFF"},
                   {"rpl_semi_sync_slave_enabled", "OFF"},
                   {"rpl_semi_sync_master_wait_point", "AFTER_COMMIT"},
                   {"rpl_semi_sync_master_timeout", "10000"}};
    return f;
}

ServerFacts with_data(std::uint32_t server_id, const std::string& position) {
    ServerFacts f = fresh(server_id);
    f.schemas = {{.name = "app", .tables = 3}};
    f.gtid_binlog_pos = position;
    f.gtid_current_pos = position;
    f.gtid_binlog_state = position;
    return f;
}

const std::vector<std::string> monitor_privileges = {
    "SLAVE MONITOR",           "BINLOG MONITOR",  "PROCESS",
    "CONNECTION ADMIN",        "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN",
    "REPLICATION MASTER ADMIN", "BINLOG ADMIN"};

// An account as bootstrap leaves it: settings()'s password, the grants it needs.
AccountFacts account(const std::string& user, const std::string& host) {
    AccountFacts a{user, host, "mysql_native_password", "", {}};
    if (user == "repl") {
        a.authentication_string = native_password_hash("r-secret");
        a.privileges = {"REPLICATION SLAVE"};
    } else {
        a.authentication_string = native_password_hash("m-secret");
        a.privileges = host == "localhost"
                           ? monitor_privileges
                           : std::vector<std::string>{"READ_ONLY ADMIN", "SLAVE MONITOR"};
        // On the havip schema (terms): as gather() reports them.
        if (host == "localhost") {
            for (const char* p : {"havip:SELECT", "havip:INSERT", "havip:UPDATE", "havip:CREATE"})
                a.privileges.push_back(p);
        } else {
            a.privileges.push_back("havip:SELECT");
        }
    }
    return a;
}

void add_all_users(ServerFacts& f) {
    f.users = {account("repl", "10.0.0.1"), account("repl", "10.0.0.2"),
               account("havip_monitor", "localhost"), account("havip_monitor", "10.0.0.1"),
               account("havip_monitor", "10.0.0.2")};
}

checks::ReplicaRow channel(const std::string& host, const std::string& io = "Yes",
                           const std::string& sql = "Yes") {
    return {{"Connection_name", ""},    {"Master_Host", host},    {"Master_Port", "3306"},
            {"Master_User", "repl"},    {"Slave_IO_Running", io}, {"Slave_SQL_Running", sql},
            {"Using_Gtid", "Slave_Pos"}};
}

// Every statement of the plan's SQL steps run on `node`, in order (not the verify row's).
std::vector<std::string> statements(const Plan& plan, int node) {
    std::vector<std::string> out;
    for (const auto& step : plan.steps) {
        if (step.node != node || step.kind != StepKind::sql) continue;
        out.insert(out.end(), step.statements.begin(), step.statements.end());
    }
    return out;
}

bool has_statement_starting(const Plan& plan, int node, const std::string& prefix) {
    auto all = statements(plan, node);
    return std::any_of(all.begin(), all.end(),
                       [&](const std::string& s) { return s.rfind(prefix, 0) == 0; });
}

// Index of the first step satisfying `pred`, or -1.
template <typename Pred>
int step_index(const Plan& plan, Pred pred) {
    for (std::size_t i = 0; i < plan.steps.size(); ++i)
        if (pred(plan.steps[i])) return static_cast<int>(i);
    return -1;
}

int change_master_step(const Plan& plan, int node) {
    return step_index(plan, [&](const Step& s) {
        return s.node == node && s.kind == StepKind::sql && !s.statements.empty() &&
               std::any_of(s.statements.begin(), s.statements.end(),
                           [](const std::string& t) { return t.rfind("CHANGE MASTER", 0) == 0; });
    });
}

std::string joined_errors(const Plan& plan) {
    std::string out;
    for (const auto& e : plan.errors)
        out += e + "\n";
    return out;
}

TEST(BootstrapPlan, empty_peer_is_seeded_from_node_one_then_replicates_both_ways) {
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_TRUE(plan.seeds);
    const int users1 = step_index(plan, [](const Step& s) {
        return s.node == 0 && !s.statements.empty() &&
               s.statements.front() == "SET SESSION sql_log_bin=0";
    });
    const int seed = step_index(plan, [](const Step& s) { return s.kind == StepKind::seed; });
    const int flush = step_index(plan, [](const Step& s) {
        return s.node == 1 && s.statements == std::vector<std::string>{"FLUSH LOCAL PRIVILEGES"};
    });
    const int change2 = change_master_step(plan, 1);
    const int change1 = change_master_step(plan, 0);
    ASSERT_GE(users1, 0);
    ASSERT_GE(seed, 0);
    EXPECT_EQ(plan.steps[seed].node, 1);
    // Accounts made on db1 before the dump, so the seed carries them; grants loaded after it.
    EXPECT_LT(users1, seed);
    EXPECT_EQ(flush, seed + 1);
    // db2 follows db1 first (slave_pos: the seed's position), then db1 follows db2.
    EXPECT_GT(change2, flush);
    EXPECT_GT(change1, change2);
    EXPECT_NE(plan.steps[change2].statements[0].find("MASTER_HOST='10.0.0.1'"), std::string::npos);
    EXPECT_NE(plan.steps[change2].statements[0].find("MASTER_USE_GTID=slave_pos"),
              std::string::npos);
    EXPECT_NE(plan.steps[change1].statements[0].find("MASTER_HOST='10.0.0.2'"), std::string::npos);
    // db1 may be taking writes that db2 has not applied yet: it starts at db2's position of
    // the moment (slave_pos), not at its own current_pos (1236 from db2).
    EXPECT_NE(plan.steps[change1].statements[0].find("MASTER_USE_GTID=slave_pos"),
              std::string::npos);
    EXPECT_EQ(plan.steps[change1 - 1].kind, StepKind::peer_position);
    EXPECT_EQ(plan.steps[change1 - 1].node, 0);
    EXPECT_NE(plan.steps[change1].statements[0].find("MASTER_CONNECT_RETRY=1"), std::string::npos);
    EXPECT_EQ(plan.steps[change1].statements[0].find("MASTER_RETRY_COUNT"), std::string::npos);
    // The seed brings db1's accounts: none are created on db2 itself.
    EXPECT_FALSE(has_statement_starting(plan, 1, "CREATE USER"));
    // The verify row is written on db1 and applied on db2 before db1 follows db2 (from db2's
    // binlog position, which then holds it); the plan ends waiting for both channels.
    const int mark = step_index(plan, [](const Step& s) { return s.kind == StepKind::mark; });
    const int await =
        step_index(plan, [](const Step& s) { return s.kind == StepKind::await_mark; });
    EXPECT_GT(mark, change2);
    EXPECT_EQ(await, mark + 1);
    EXPECT_LT(await, change1 - 1);
    ASSERT_GE(plan.steps.size(), 2u);
    EXPECT_EQ(plan.steps[plan.steps.size() - 2].kind, StepKind::wait_replica);
    EXPECT_EQ(plan.steps[plan.steps.size() - 1].kind, StepKind::wait_replica);
}

// A statement that changes data or accounts and so goes to the binary log unless the session
// has sql_log_bin=0 (SET GLOBAL, CHANGE MASTER, START/STOP SLAVE, FLUSH LOCAL are not logged).
bool logged_write(const std::string& statement) {
    for (const char* verb : {"CREATE", "DROP", "ALTER", "GRANT", "REVOKE", "INSERT", "REPLACE",
                             "UPDATE", "DELETE", "TRUNCATE", "RENAME"})
        if (statement.rfind(verb, 0) == 0) return true;
    return false;
}

// Whether any step writes something node `n` logs (a GTID of its own server_id).
std::vector<std::string> logged_writes_on(const Plan& plan, int n) {
    std::vector<std::string> out;
    for (const auto& step : plan.steps) {
        if (step.node != n) continue;
        if (step.kind == StepKind::mark) out.push_back("the verify row (mark)");
        bool unlogged = false;
        for (const auto& statement : step.statements) {
            if (statement == "SET SESSION sql_log_bin=0") unlogged = true;
            if (statement == "SET SESSION sql_log_bin=1") unlogged = false;
            if (!unlogged && logged_write(statement)) out.push_back(statement);
        }
    }
    return out;
}

TEST(BootstrapPlan, verify_row_is_written_on_the_seeded_from_node_only_and_awaited_on_the_peer) {
    ServerFacts b = fresh(2);
    b.schemas = {{.name = "test"}};
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    const int mark = step_index(plan, [](const Step& s) { return s.kind == StepKind::mark; });
    const int await =
        step_index(plan, [](const Step& s) { return s.kind == StepKind::await_mark; });
    ASSERT_GE(mark, 0);
    ASSERT_GE(await, 0);
    EXPECT_EQ(plan.steps[mark].node, 0);
    EXPECT_EQ(plan.steps[await].node, 1);
    EXPECT_GT(await, mark);
    EXPECT_EQ(std::count_if(plan.steps.begin(), plan.steps.end(),
                            [](const Step& s) { return s.kind == StepKind::mark; }),
              1);
    // db1 may be taking production writes: nothing db2 runs may get a GTID of db2's.
    const auto on2 = logged_writes_on(plan, 1);
    EXPECT_TRUE(on2.empty()) << on2.front();
}

TEST(BootstrapPlan, verify_row_goes_to_the_writable_node_when_node_one_is_read_only) {
    // Replication set up once, the VIP since moved to db2 (read_only off there); db2's channel
    // stopped, so bootstrap restarts it and verifies.
    ServerFacts a = with_data(1, "0-2-20");
    ServerFacts b = with_data(2, "0-2-20");
    add_all_users(a);
    add_all_users(b);
    a.read_only = true;
    a.replicas = {channel("10.0.0.2")};
    b.replicas = {channel("10.0.0.1", "No", "No")};
    const Plan plan = plan_bootstrap(settings(), a, b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    const int mark = step_index(plan, [](const Step& s) { return s.kind == StepKind::mark; });
    const int await =
        step_index(plan, [](const Step& s) { return s.kind == StepKind::await_mark; });
    ASSERT_GE(mark, 0);
    ASSERT_GE(await, 0);
    EXPECT_EQ(plan.steps[mark].node, 1);
    EXPECT_EQ(plan.steps[await].node, 0);
    const auto on1 = logged_writes_on(plan, 0);
    EXPECT_TRUE(on1.empty()) << on1.front();
}

TEST(BootstrapPlan, seeding_says_first_it_replaces_node_twos_mysql_schema_and_names_lost_accounts) {
    ServerFacts a = with_data(1, "0-1-10");
    a.all_accounts = {{"root", "localhost"}, {"mariadb.sys", "localhost"}};
    ServerFacts b = fresh(2);
    b.all_accounts = {
        {"root", "localhost"}, {"mariadb.sys", "localhost"}, {"app", "%"}, {"", "localhost"}};
    const Plan plan = plan_bootstrap(over_tls(), a, b);  // no notice about clear text
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    ASSERT_EQ(plan.notices.size(), 1u);
    const auto& notice = plan.notices[0];
    EXPECT_NE(notice.find("replaces db2's system schema mysql.*"), std::string::npos) << notice;
    EXPECT_NE(notice.find("'app'@'%'"), std::string::npos) << notice;
    EXPECT_NE(notice.find("''@'localhost'"), std::string::npos) << notice;
    EXPECT_EQ(notice.find("root"), std::string::npos) << notice;
    // The seed step says it too.
    const int seed = step_index(plan, [](const Step& s) { return s.kind == StepKind::seed; });
    ASSERT_GE(seed, 0);
    EXPECT_NE(plan.steps[seed].reason.find("mysql.*"), std::string::npos);
}

TEST(BootstrapPlan, no_seed_no_notice_about_the_system_schema) {
    ServerFacts b = with_data(2, "0-1-10");
    b.all_accounts = {{"app", "%"}};
    const Plan plan = plan_bootstrap(over_tls(), with_data(1, "0-1-10"), b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_FALSE(plan.seeds);
    EXPECT_TRUE(plan.notices.empty());
}

// Issue 17, item 13: CREATE USER and CHANGE MASTER carry passwords. Over TLS (the admin option
// file's ssl keys) the channels are encrypted too; without it, a login to another host says so.
TEST(BootstrapPlan, a_login_in_clear_to_another_host_says_so_and_tls_encrypts_the_channels) {
    const auto in_clear = [](const Plan& plan) {
        return std::count_if(plan.notices.begin(), plan.notices.end(), [](const std::string& n) {
            return n.find("not encrypted") != std::string::npos;
        });
    };
    Plan plan = plan_bootstrap(settings(), fresh(1), fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    ASSERT_EQ(in_clear(plan), 1);
    EXPECT_EQ(plan.notices.front().rfind("the admin login to db1 (10.0.0.1:3306) and db2 "
                                         "(10.0.0.2:3306) is not encrypted",
                                         0),
              0u)
        << plan.notices.front();
    for (int n : {0, 1})
        for (const auto& t : statements(plan, n))
            EXPECT_EQ(t.find("MASTER_SSL"), std::string::npos) << t;

    plan = plan_bootstrap(over_tls(), fresh(1), fresh(2));
    EXPECT_EQ(in_clear(plan), 0);
    for (int n : {0, 1}) {
        const int step = change_master_step(plan, n);
        ASSERT_GE(step, 0) << n;
        const auto& s = plan.steps[step];
        for (const auto* list : {&s.statements, &s.shown}) {
            auto cm = std::find_if(list->begin(), list->end(), [](const std::string& t) {
                return t.rfind("CHANGE MASTER", 0) == 0;
            });
            ASSERT_NE(cm, list->end());
            EXPECT_TRUE(cm->ends_with(", MASTER_SSL=1")) << *cm;
        }
    }

    // On this machine (loopback) nothing crosses a network.
    auto local = settings();
    local.nodes[0].address = "127.0.0.1";
    local.nodes[1] = {"db2", "::1", 3307};
    EXPECT_EQ(in_clear(plan_bootstrap(local, fresh(1), fresh(2))), 0);
}

TEST(BootstrapPlan, accounts_for_both_peers_and_the_monitor_are_created_unlogged) {
    const Plan plan = plan_bootstrap(settings(), fresh(1), fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    auto on1 = statements(plan, 0);
    ASSERT_FALSE(on1.empty());
    EXPECT_EQ(on1.front(), "SET SESSION sql_log_bin=0");
    auto has = [&](const std::string& text) {
        return std::find(on1.begin(), on1.end(), text) != on1.end();
    };
    EXPECT_TRUE(has("CREATE USER 'repl'@'10.0.0.2' IDENTIFIED BY 'r-secret'"));
    EXPECT_TRUE(has("CREATE USER 'repl'@'10.0.0.1' IDENTIFIED BY 'r-secret'"));
    EXPECT_TRUE(has("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.2'"));
    EXPECT_TRUE(has("CREATE USER 'havip_monitor'@'localhost' IDENTIFIED BY 'm-secret'"));
    EXPECT_TRUE(
        has("GRANT SLAVE MONITOR, BINLOG MONITOR, PROCESS, CONNECTION ADMIN, READ_ONLY "
            "ADMIN, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN ON *.* TO "
            "'havip_monitor'@'localhost'"));
    // The peer's fence logs in by address and may only set read_only and read the channel.
    EXPECT_TRUE(has("CREATE USER 'havip_monitor'@'10.0.0.2' IDENTIFIED BY 'm-secret'"));
    EXPECT_TRUE(has("GRANT READ_ONLY ADMIN, SLAVE MONITOR ON *.* TO 'havip_monitor'@'10.0.0.2'"));
    const auto end = std::find(on1.begin(), on1.end(), "SET SESSION sql_log_bin=1");
    ASSERT_NE(end, on1.end());
    // Every CREATE/GRANT sits between the two sql_log_bin statements.
    for (auto it = end + 1; it != on1.end(); ++it)
        EXPECT_EQ(it->rfind("CREATE USER", 0), std::string::npos) << *it;
}

TEST(BootstrapPlan, shown_statements_mask_passwords) {
    const Plan plan = plan_bootstrap(settings(), fresh(1), fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    bool masked_some = false;
    for (const auto& step : plan.steps) {
        ASSERT_EQ(step.shown.size(), step.statements.size());
        for (const auto& text : step.shown) {
            EXPECT_EQ(text.find("r-secret"), std::string::npos) << text;
            EXPECT_EQ(text.find("m-secret"), std::string::npos) << text;
            masked_some = masked_some || text.find("'***'") != std::string::npos;
        }
    }
    EXPECT_TRUE(masked_some);
    EXPECT_NE(plan.steps[change_master_step(plan, 1)].statements[0].find("'r-secret'"),
              std::string::npos);
}

TEST(BootstrapPlan, replicating_both_ways_with_accounts_present_plans_nothing) {
    ServerFacts a = with_data(1, "0-2-20");
    ServerFacts b = with_data(2, "0-2-20");
    add_all_users(a);
    add_all_users(b);
    a.replicas = {channel("10.0.0.2")};
    b.replicas = {channel("10.0.0.1")};
    const Plan plan = plan_bootstrap(settings(), a, b);
    EXPECT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_TRUE(plan.steps.empty());
    EXPECT_TRUE(plan.already_done());
}

// Over a TLS admin login that verifies the servers' certificates, each channel verifies its
// master's against the replica's own CA file (@@ssl_ca: a path on that host); a replica
// without one gets an encrypted, unverified channel and a notice saying how to fix it.
TEST(BootstrapPlan, a_verifying_admin_login_makes_the_channels_verify_their_masters) {
    auto s = over_tls();
    s.tls_verify = true;
    ServerFacts a = fresh(1);
    ServerFacts b = fresh(2);
    a.ssl_ca = "/etc/mysql/ssl/ca.pem";
    Plan plan = plan_bootstrap(s, a, b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    auto change_master = [&](int n) {
        const auto all = statements(plan, n);
        auto cm = std::find_if(all.begin(), all.end(), [](const std::string& t) {
            return t.rfind("CHANGE MASTER", 0) == 0;
        });
        return cm == all.end() ? std::string{} : *cm;
    };
    EXPECT_TRUE(change_master(0).ends_with(", MASTER_SSL=1, MASTER_SSL_CA='/etc/mysql/ssl/ca.pem', "
                                           "MASTER_SSL_VERIFY_SERVER_CERT=1"))
        << change_master(0);
    EXPECT_TRUE(change_master(1).ends_with(", MASTER_SSL=1")) << change_master(1);
    const auto unverified = [&] {
        std::vector<std::string> out;
        for (const auto& n : plan.notices)
            if (n.find("ssl_ca") != std::string::npos) out.push_back(n);
        return out;
    };
    ASSERT_EQ(unverified().size(), 1u) << ::testing::PrintToString(plan.notices);
    EXPECT_EQ(unverified()[0].rfind("db2 (10.0.0.2:3306) has no ssl_ca: its channel from db1 is "
                                    "encrypted but does not verify db1's certificate",
                                    0),
              0u)
        << unverified()[0];

    b.ssl_ca = "/etc/ssl/db-ca.pem";
    plan = plan_bootstrap(s, a, b);
    EXPECT_TRUE(unverified().empty());
    EXPECT_NE(change_master(1).find("MASTER_SSL_CA='/etc/ssl/db-ca.pem'"), std::string::npos);
    // Without ssl-verify-server-cert the channels only encrypt.
    plan = plan_bootstrap(over_tls(), a, b);
    EXPECT_TRUE(change_master(0).ends_with(", MASTER_SSL=1")) << change_master(0);
}

// A channel running in clear (or unverified) when bootstrap runs again over TLS (verifying) is
// set up again, not left as it is.
TEST(BootstrapPlan, a_running_channel_without_the_asked_for_tls_is_set_up_again) {
    ServerFacts a = with_data(1, "0-2-20");
    ServerFacts b = with_data(2, "0-2-20");
    add_all_users(a);
    add_all_users(b);
    a.ssl_ca = b.ssl_ca = "/etc/mysql/ssl/ca.pem";
    a.replicas = {channel("10.0.0.2")};
    b.replicas = {channel("10.0.0.1")};
    EXPECT_TRUE(plan_bootstrap(settings(), a, b).already_done());
    Plan plan = plan_bootstrap(over_tls(), a, b);
    EXPECT_GE(change_master_step(plan, 0), 0);
    EXPECT_GE(change_master_step(plan, 1), 0);
    for (auto* f : {&a, &b}) f->replicas.front()["Master_SSL_Allowed"] = "Yes";
    EXPECT_TRUE(plan_bootstrap(over_tls(), a, b).already_done());
    auto verifying = over_tls();
    verifying.tls_verify = true;
    plan = plan_bootstrap(verifying, a, b);
    EXPECT_GE(change_master_step(plan, 0), 0);
    for (auto* f : {&a, &b}) {
        f->replicas.front()["Master_SSL_Verify_Server_Cert"] = "Yes";
        f->replicas.front()["Master_SSL_CA_File"] = "/etc/mysql/ssl/ca.pem";
    }
    EXPECT_TRUE(plan_bootstrap(verifying, a, b).already_done());
}

TEST(BootstrapPlan, peer_with_transactions_node_one_lacks_is_refused) {
    ServerFacts b = fresh(2);
    b.gtid_binlog_pos = b.gtid_current_pos = b.gtid_binlog_state = "0-2-3";
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_EQ(plan.errors[0].rfind("db2 (10.0.0.2:3306): refusing:", 0), 0u) << plan.errors[0];
    EXPECT_NE(plan.errors[0].find("0-2-3"), std::string::npos);
    EXPECT_TRUE(plan.steps.empty());
    EXPECT_FALSE(plan.already_done());
}

TEST(BootstrapPlan, peer_in_a_domain_node_one_never_saw_is_refused) {
    ServerFacts b = fresh(2);
    b.gtid_binlog_pos = b.gtid_current_pos = b.gtid_binlog_state = "0-1-5,7-2-1";
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_TRUE(plan.steps.empty());
}

TEST(BootstrapPlan, same_sequence_from_another_server_is_divergence_and_refused) {
    ServerFacts b = with_data(2, "0-2-10");
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_TRUE(plan.steps.empty());
}

TEST(BootstrapPlan, peer_with_tables_behind_node_one_is_refused_not_overwritten) {
    // Its GTIDs are all db1's, but it holds tables: seeding would drop them, and replicating
    // from its position cannot be shown to be right.
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), with_data(2, "0-1-5"));
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_NE(plan.errors[0].find("app"), std::string::npos) << plan.errors[0];
    EXPECT_TRUE(plan.steps.empty());
}

TEST(BootstrapPlan, peer_with_tables_and_no_positions_to_compare_is_refused) {
    ServerFacts b = fresh(2);
    b.schemas = {{.name = "shop", .tables = 1}};
    const Plan plan = plan_bootstrap(settings(), fresh(1), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_TRUE(plan.steps.empty());
}

TEST(BootstrapPlan, peer_with_only_empty_schemas_is_seeded_and_they_are_dropped_unlogged_first) {
    // mariadb-install-db without --skip-test-db: an empty `test` schema and nothing else.
    ServerFacts b = fresh(2);
    b.schemas = {{.name = "test"}};
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_TRUE(plan.seeds);
    const int drop = step_index(plan, [](const Step& s) {
        return s.node == 1 && s.statements == std::vector<std::string>{"SET SESSION sql_log_bin=0",
                                                                       "DROP DATABASE `test`",
                                                                       "SET SESSION sql_log_bin=1"};
    });
    const int seed = step_index(plan, [](const Step& s) { return s.kind == StepKind::seed; });
    ASSERT_GE(drop, 0);
    EXPECT_LT(drop, seed);
    // The plan says why the schema counts as no data.
    EXPECT_NE(plan.steps[drop].reason.find("no tables, views, routines, triggers or events"),
              std::string::npos)
        << plan.steps[drop].reason;
}

TEST(BootstrapPlan, peers_havip_schema_is_bookkeeping_not_data_and_dropped_before_the_seed) {
    // havipd's own schema (terms recorded by promotes) on a node that replicated from node 1
    // before: not the operator's data, so the seed goes ahead and replaces it.
    ServerFacts b = with_data(2, "0-1-5");
    b.schemas = {{.name = "havip", .tables = 1}, {.name = "test"}};
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_TRUE(plan.seeds);
    const int drop = step_index(plan, [](const Step& s) {
        return s.node == 1 &&
               s.statements == std::vector<std::string>{"SET SESSION sql_log_bin=0",
                                                        "DROP DATABASE `havip`",
                                                        "DROP DATABASE `test`",
                                                        "SET SESSION sql_log_bin=1"};
    });
    const int seed = step_index(plan, [](const Step& s) { return s.kind == StepKind::seed; });
    ASSERT_GE(drop, 0);
    EXPECT_LT(drop, seed);
    EXPECT_NE(plan.steps[drop].reason.find("havipd's own"), std::string::npos)
        << plan.steps[drop].reason;
}

TEST(BootstrapPlan, peer_with_data_besides_its_havip_schema_is_refused_naming_only_the_data) {
    ServerFacts b = with_data(2, "0-1-5");
    b.schemas = {{.name = "havip", .tables = 1}, {.name = "shop", .tables = 2}};
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_NE(plan.errors[0].find("shop, 2 tables"), std::string::npos) << plan.errors[0];
    EXPECT_EQ(plan.errors[0].find("havip,"), std::string::npos) << plan.errors[0];
}

TEST(BootstrapPlan, schema_holding_only_a_routine_or_an_event_is_data_and_refused) {
    for (const SchemaFacts& schema :
         {SchemaFacts{.name = "app", .routines = 1}, SchemaFacts{.name = "app", .events = 1},
          SchemaFacts{.name = "app", .triggers = 1}}) {
        ServerFacts b = fresh(2);
        b.schemas = {{.name = "test"}, schema};
        const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
        ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
        EXPECT_NE(plan.errors[0].find("app"), std::string::npos) << plan.errors[0];
        // Only the schema that holds something is named as data.
        EXPECT_EQ(plan.errors[0].find("test"), std::string::npos) << plan.errors[0];
        EXPECT_TRUE(plan.steps.empty());
    }
}

TEST(BootstrapPlan, peer_at_node_ones_position_is_not_seeded_but_starts_from_it) {
    ServerFacts b = with_data(2, "0-1-10");
    b.users = {account("repl", "10.0.0.1")};
    const Plan plan = plan_bootstrap(settings(), with_data(1, "0-1-10"), b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_FALSE(plan.seeds);
    EXPECT_EQ(step_index(plan, [](const Step& s) { return s.kind == StepKind::seed; }), -1);
    const int set_pos = step_index(plan, [](const Step& s) {
        return s.node == 1 &&
               s.statements == std::vector<std::string>{"SET GLOBAL gtid_slave_pos='0-1-10'"};
    });
    ASSERT_GE(set_pos, 0);
    EXPECT_LT(set_pos, change_master_step(plan, 1));
    // Only the accounts db2 lacks are created there: repl for 10.0.0.2, the monitor for
    // localhost and for both addresses.
    auto on2 = statements(plan, 1);
    EXPECT_EQ(std::count_if(on2.begin(), on2.end(),
                            [](const std::string& s) { return s.rfind("CREATE USER", 0) == 0; }),
              4);
    EXPECT_FALSE(has_statement_starting(plan, 1, "CREATE USER 'repl'@'10.0.0.1'"));
}

// `havip rejoin` after a flashback: db2 holds data (db1's history up to the branch point), its
// binary log was reset and its gtid_slave_pos set there. Not seeded, not refused for its data:
// it replicates from that position, and db1 from db2's binary log once the verify row is in it,
// as after a seed.
TEST(BootstrapPlan, rewound_peer_replicates_from_its_branch_point_and_back_as_after_a_seed) {
    BootstrapSettings s = settings();
    s.rewound = true;
    ServerFacts a = with_data(1, "0-2-105");
    a.gtid_binlog_state = "0-1-100,0-2-105";
    add_all_users(a);
    a.replicas = {channel("10.0.0.2", "No", "No")};
    ServerFacts b = with_data(2, "");
    add_all_users(b);
    b.gtid_slave_pos = b.gtid_current_pos = "0-1-100";
    const Plan plan = plan_bootstrap(s, a, b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_FALSE(plan.seeds);
    EXPECT_EQ(step_index(plan, [](const Step& x) { return x.kind == StepKind::seed; }), -1);
    EXPECT_FALSE(has_statement_starting(plan, 1, "SET GLOBAL gtid_slave_pos"));
    const int change2 = change_master_step(plan, 1);
    const int mark = step_index(plan, [](const Step& x) { return x.kind == StepKind::mark; });
    const int position =
        step_index(plan, [](const Step& x) { return x.kind == StepKind::peer_position; });
    const int change1 = change_master_step(plan, 0);
    ASSERT_GE(change2, 0);
    EXPECT_NE(statements(plan, 1).front().find("MASTER_USE_GTID=slave_pos"), std::string::npos);
    EXPECT_LT(change2, mark);
    EXPECT_EQ(plan.steps[mark].node, 0);
    EXPECT_LT(mark, position);
    EXPECT_EQ(plan.steps[position].node, 0);
    EXPECT_LT(position, change1);

    // A rewound node that logged something since, or whose position is not in db1's history,
    // is refused.
    ServerFacts logged = b;
    logged.gtid_binlog_state = "0-2-1";
    EXPECT_NE(joined_errors(plan_bootstrap(s, a, logged)).find("its binary log holds '0-2-1'"),
              std::string::npos);
    ServerFacts elsewhere = b;
    elsewhere.gtid_slave_pos = "0-1-101";
    EXPECT_NE(joined_errors(plan_bootstrap(s, a, elsewhere)).find("not in db1's history"),
              std::string::npos);
}

TEST(BootstrapPlan, existing_accounts_are_not_recreated) {
    ServerFacts a = fresh(1);
    add_all_users(a);
    const Plan plan = plan_bootstrap(settings(), a, fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_FALSE(has_statement_starting(plan, 0, "CREATE USER"));
    EXPECT_FALSE(has_statement_starting(plan, 0, "SET SESSION sql_log_bin"));
    EXPECT_FALSE(has_statement_starting(plan, 0, "GRANT"));
}

TEST(BootstrapPlan, existing_monitor_accounts_are_granted_what_terms_need_on_the_havip_schema) {
    ServerFacts a = fresh(1);
    add_all_users(a);
    for (auto& user : a.users)
        std::erase_if(user.privileges,
                      [](const std::string& p) { return p.starts_with("havip:"); });
    const Plan plan = plan_bootstrap(settings(), a, fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    const auto on1 = statements(plan, 0);
    auto has = [&](const std::string& text) {
        return std::find(on1.begin(), on1.end(), text) != on1.end();
    };
    EXPECT_TRUE(
        has("GRANT SELECT, INSERT, UPDATE, CREATE ON havip.* TO 'havip_monitor'@'localhost'"));
    EXPECT_TRUE(has("GRANT SELECT ON havip.* TO 'havip_monitor'@'10.0.0.2'"));
    EXPECT_FALSE(has_statement_starting(plan, 0, "CREATE USER"));
    EXPECT_FALSE(has_statement_starting(plan, 0, "GRANT SELECT ON havip.* TO 'repl'"));
}

TEST(BootstrapPlan, existing_account_with_another_password_is_given_the_inventorys_unlogged) {
    ServerFacts a = fresh(1);
    add_all_users(a);
    a.users[1].authentication_string = native_password_hash("an-earlier-password");
    // Another plugin cannot be compared: it is set to the inventory's password too.
    a.users[2].plugin = "unix_socket";
    a.users[2].authentication_string = "";
    const Plan plan = plan_bootstrap(settings(), a, fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    auto on1 = statements(plan, 0);
    auto at = [&](const std::string& text) { return std::find(on1.begin(), on1.end(), text); };
    const auto repl = at("ALTER USER 'repl'@'10.0.0.2' IDENTIFIED BY 'r-secret'");
    const auto monitor = at("ALTER USER 'havip_monitor'@'localhost' IDENTIFIED BY 'm-secret'");
    ASSERT_NE(repl, on1.end());
    ASSERT_NE(monitor, on1.end());
    EXPECT_LT(at("SET SESSION sql_log_bin=0"), repl);
    EXPECT_GT(at("SET SESSION sql_log_bin=1"), monitor);
    // Only those two: the others already match.
    EXPECT_EQ(std::count_if(on1.begin(), on1.end(),
                            [](const std::string& s) { return s.rfind("ALTER USER", 0) == 0; }),
              2);
    EXPECT_FALSE(has_statement_starting(plan, 0, "CREATE USER"));
    EXPECT_FALSE(has_statement_starting(plan, 0, "GRANT"));
    for (const auto& step : plan.steps)
        for (const auto& text : step.shown)
            EXPECT_EQ(text.find("secret"), std::string::npos) << text;
}

TEST(BootstrapPlan, existing_account_missing_grants_is_granted_what_it_lacks) {
    ServerFacts a = fresh(1);
    add_all_users(a);
    a.users[0].privileges.clear();  // repl@10.0.0.1
    a.users[2].privileges = {"PROCESS", "SLAVE MONITOR", "BINLOG MONITOR", "CONNECTION ADMIN"};
    const Plan plan = plan_bootstrap(settings(), a, fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    auto on1 = statements(plan, 0);
    auto has = [&](const std::string& text) {
        return std::find(on1.begin(), on1.end(), text) != on1.end();
    };
    EXPECT_TRUE(has("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'10.0.0.1'"));
    EXPECT_TRUE(
        has("GRANT READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG "
            "ADMIN ON *.* TO 'havip_monitor'@'localhost'"));
    EXPECT_FALSE(has_statement_starting(plan, 0, "ALTER USER"));
    EXPECT_FALSE(has_statement_starting(plan, 0, "CREATE USER"));
    EXPECT_EQ(on1.front(), "SET SESSION sql_log_bin=0");
}

TEST(BootstrapPassword, native_hash_is_what_mariadb_password_returns) {
    // SELECT PASSWORD('password'), PASSWORD('x') on MariaDB 10.11.
    EXPECT_EQ(native_password_hash("password"), "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19");
    EXPECT_EQ(native_password_hash("x"), "*B69027D44F6E5EDC07F1AEAD1477967B16F28227");
}

TEST(BootstrapPassword, sha1_matches_the_fips_180_examples) {
    auto hex = [](const std::array<std::uint8_t, 20>& d) {
        std::string out;
        for (auto b : d)
            out += "0123456789abcdef"[b >> 4], out += "0123456789abcdef"[b & 15];
        return out;
    };
    EXPECT_EQ(hex(sha1("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    EXPECT_EQ(hex(sha1("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(hex(sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
              "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

TEST(BootstrapPlan, duplicate_server_id_is_a_preflight_error) {
    const Plan plan = plan_bootstrap(settings(), fresh(1), fresh(1));
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_EQ(plan.errors[0].rfind("db2 (10.0.0.2:3306): preflight: server_id 1", 0), 0u)
        << plan.errors[0];
    EXPECT_TRUE(plan.steps.empty());
}

TEST(BootstrapPlan, missing_log_bin_is_a_preflight_error_naming_the_setting) {
    ServerFacts b = fresh(2);
    b.log_bin = false;
    const Plan plan = plan_bootstrap(settings(), fresh(1), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_EQ(plan.errors[0], "db2 (10.0.0.2:3306): preflight: log_bin is OFF");
    EXPECT_TRUE(plan.steps.empty());
}

TEST(BootstrapPlan, gtid_strict_mode_off_is_a_preflight_error_naming_the_setting) {
    ServerFacts a = fresh(1);
    a.gtid_strict_mode = false;
    const Plan plan = plan_bootstrap(settings(), a, fresh(2));
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_EQ(plan.errors[0], "db1 (10.0.0.1:3306): preflight: gtid_strict_mode is OFF");
}

TEST(BootstrapPlan, every_preflight_problem_is_reported_at_once) {
    ServerFacts a = fresh(1);
    a.binlog_format = "MIXED";
    ServerFacts b = fresh(2);
    b.log_slave_updates = false;
    b.version = "8.0.36";
    const Plan plan = plan_bootstrap(settings(), a, b);
    EXPECT_EQ(plan.errors.size(), 3u) << joined_errors(plan);
    EXPECT_NE(joined_errors(plan).find("db1 (10.0.0.1:3306): preflight: binlog_format is MIXED"),
              std::string::npos);
    EXPECT_NE(joined_errors(plan).find("db2 (10.0.0.2:3306): preflight: 8.0.36 is not MariaDB"),
              std::string::npos);
    EXPECT_NE(joined_errors(plan).find("log_slave_updates is OFF"), std::string::npos);
}

TEST(BootstrapPlan, stopped_channel_to_the_right_peer_is_restarted) {
    ServerFacts a = with_data(1, "0-1-10");
    ServerFacts b = with_data(2, "0-1-10");
    add_all_users(a);
    add_all_users(b);
    a.replicas = {channel("10.0.0.2")};
    b.replicas = {channel("10.0.0.1", "No", "No")};
    const Plan plan = plan_bootstrap(settings(), a, b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    auto on2 = statements(plan, 1);
    ASSERT_EQ(on2.size(), 3u);
    EXPECT_EQ(on2[0], "STOP SLAVE");
    EXPECT_EQ(on2[1].rfind("CHANGE MASTER TO MASTER_HOST='10.0.0.1'", 0), 0u);
    EXPECT_EQ(on2[2], "START SLAVE");
    EXPECT_TRUE(statements(plan, 0).empty());
}

TEST(BootstrapPlan, channel_from_another_host_is_left_alone_and_refused) {
    ServerFacts b = fresh(2);
    b.replicas = {channel("10.9.9.9")};
    const Plan plan = plan_bootstrap(settings(), fresh(1), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_NE(plan.errors[0].find("10.9.9.9"), std::string::npos);
    EXPECT_TRUE(plan.steps.empty());
}

TEST(BootstrapPlan, half_done_setup_finishes_the_missing_direction_without_seeding) {
    ServerFacts a = with_data(1, "0-1-10");
    ServerFacts b = with_data(2, "0-1-10");
    add_all_users(a);
    add_all_users(b);
    b.replicas = {channel("10.0.0.1")};
    const Plan plan = plan_bootstrap(settings(), a, b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_FALSE(plan.seeds);
    EXPECT_TRUE(statements(plan, 1).empty());
    const int change1 = change_master_step(plan, 0);
    ASSERT_GE(change1, 0);
    // db2 may hold writes of its own db1 lacks: db1 asks from its own current position.
    EXPECT_NE(plan.steps[change1].statements[0].find("MASTER_USE_GTID=current_pos"),
              std::string::npos);
    EXPECT_EQ(step_index(plan, [](const Step& s) { return s.kind == StepKind::peer_position; }),
              -1);
}

TEST(BootstrapPlan, semi_sync_is_switched_on_both_nodes_before_replication_starts) {
    BootstrapSettings s = settings();
    s.replication = ReplicationMode::semi_sync;
    s.semi_sync_timeout = std::chrono::milliseconds(2500);
    const Plan plan = plan_bootstrap(s, fresh(1), fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    for (int n : {0, 1}) {
        auto all = statements(plan, n);
        // The master side is not bootstrap's: it moves with the VIP.
        EXPECT_EQ(std::find(all.begin(), all.end(), "SET GLOBAL rpl_semi_sync_master_enabled=ON"),
                  all.end());
        for (const char* want : {"SET GLOBAL rpl_semi_sync_slave_enabled=ON",
                                 "SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC",
                                 "SET GLOBAL rpl_semi_sync_master_timeout=2500"}) {
            auto at = std::find(all.begin(), all.end(), want);
            ASSERT_NE(at, all.end()) << "node " << n << ": " << want;
            auto start = std::find(all.begin(), all.end(), "START SLAVE");
            EXPECT_LT(at, start) << want;
        }
    }
}

TEST(BootstrapPlan, semi_sync_on_running_channels_reconnects_the_io_threads) {
    BootstrapSettings s = settings();
    s.replication = ReplicationMode::semi_sync;
    ServerFacts a = with_data(1, "0-1-10");
    ServerFacts b = with_data(2, "0-1-10");
    add_all_users(a);
    add_all_users(b);
    a.replicas = {channel("10.0.0.2")};
    b.replicas = {channel("10.0.0.1")};
    const Plan plan = plan_bootstrap(s, a, b);
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    for (int n : {0, 1}) {
        auto all = statements(plan, n);
        auto stop = std::find(all.begin(), all.end(), "STOP SLAVE IO_THREAD");
        auto on = std::find(all.begin(), all.end(), "SET GLOBAL rpl_semi_sync_slave_enabled=ON");
        ASSERT_NE(stop, all.end());
        EXPECT_LT(on, stop);
        EXPECT_EQ(*(stop + 1), "START SLAVE IO_THREAD");
    }
    // Once the settings are there, a second run does nothing.
    for (ServerFacts* f : {&a, &b}) {
        f->semi_sync = {{"rpl_semi_sync_master_enabled", "ON"},
                        {"rpl_semi_sync_slave_enabled", "ON"},
                        {"rpl_semi_sync_master_wait_point", "AFTER_SYNC"},
                        {"rpl_semi_sync_master_timeout", "10000"}};
    }
    EXPECT_TRUE(plan_bootstrap(s, a, b).already_done());
}

TEST(BootstrapPlan, semi_sync_without_the_server_variables_is_a_preflight_error) {
    BootstrapSettings s = settings();
    s.replication = ReplicationMode::semi_sync;
    ServerFacts b = fresh(2);
    b.semi_sync.clear();
    const Plan plan = plan_bootstrap(s, fresh(1), b);
    ASSERT_EQ(plan.errors.size(), 1u) << joined_errors(plan);
    EXPECT_EQ(plan.errors[0].rfind("db2 (10.0.0.2:3306): preflight: semi-synchronous", 0), 0u);
}

TEST(BootstrapPlan, named_connection_is_used_in_every_replication_statement) {
    BootstrapSettings s = settings();
    s.connection_name = "peer";
    const Plan plan = plan_bootstrap(s, fresh(1), fresh(2));
    ASSERT_TRUE(plan.errors.empty()) << joined_errors(plan);
    EXPECT_TRUE(has_statement_starting(plan, 1, "CHANGE MASTER 'peer' TO"));
    EXPECT_TRUE(has_statement_starting(plan, 1, "START SLAVE 'peer'"));
}

TEST(BootstrapGtid, containment_is_per_domain_and_same_gtid_only) {
    EXPECT_TRUE(gtid_contains("0-1-10", ""));
    EXPECT_TRUE(gtid_contains("0-1-10", "0-1-10"));
    EXPECT_TRUE(gtid_contains("0-2-12", "0-1-10"));
    EXPECT_FALSE(gtid_contains("0-1-10", "0-2-10"));
    EXPECT_FALSE(gtid_contains("0-1-10", "0-1-11"));
    EXPECT_FALSE(gtid_contains("0-1-10", "0-1-5,1-2-1"));
    EXPECT_FALSE(gtid_contains("", "0-1-1"));
    EXPECT_FALSE(gtid_contains("0-1-x", ""));
}

TEST(BootstrapSql, quoting_escapes_quotes_and_backslashes) {
    EXPECT_EQ(sql_quote("a'b\\c"), "'a''b\\\\c'");
}

TEST(BootstrapSql, identifiers_are_backquoted_with_backquotes_doubled) {
    EXPECT_EQ(sql_identifier("test"), "`test`");
    EXPECT_EQ(sql_identifier("a`b"), "`a``b`");
}

// What gather reads from a server's answers (boot::read_server_variables, boot::read_schemas):
// a number is the whole text or the preflight stops, naming the node, the variable and the
// value; garbage is no server_id 0 and 4294967296 no gtid_domain_id 0.
checks::ReplicaRow variables_row(const char* server_id, const char* domain) {
    return {{"version", "10.11.6-MariaDB-log"},
            {"server_id", server_id},
            {"ro", "1"},
            {"log_bin", "1"},
            {"strict", "1"},
            {"lsu", "1"},
            {"format", "ROW"},
            {"image", "FULL"},
            {"domain", domain},
            {"binlog", "0-1-10"},
            {"slave", ""},
            {"cur", "0-1-10"},
            {"state", "0-1-10"}};
}

TEST(BootstrapGather, server_id_and_domain_are_read_as_whole_numbers) {
    const NodeTarget db1{"db1", "10.0.0.1", 3306};
    ServerFacts f;
    EXPECT_EQ(boot::read_server_variables({variables_row("4294967295", "7")}, db1, f),
              std::nullopt);
    EXPECT_EQ(f.server_id, 4294967295u);
    EXPECT_EQ(f.gtid_domain_id, 7u);
    EXPECT_TRUE(f.read_only);
    EXPECT_EQ(f.gtid_binlog_pos, "0-1-10");
}

TEST(BootstrapGather, a_server_id_or_domain_that_is_no_uint32_is_a_preflight_error) {
    const NodeTarget db1{"db1", "10.0.0.1", 3306};
    for (const char* bad : {"12abc", "", " 3", "-1", "4294967296", "1e3"}) {
        ServerFacts f;
        auto e = boot::read_server_variables({variables_row(bad, "0")}, db1, f);
        ASSERT_TRUE(e) << "server_id '" << bad << "'";
        EXPECT_EQ(*e, fmt::format("db1 (10.0.0.1:3306): preflight: @@server_id is '{}', not a "
                                  "number from 0 to 4294967295",
                                  bad));
        e = boot::read_server_variables({variables_row("1", bad)}, db1, f);
        ASSERT_TRUE(e) << "gtid_domain_id '" << bad << "'";
        EXPECT_EQ(*e, fmt::format("db1 (10.0.0.1:3306): preflight: @@gtid_domain_id is '{}', "
                                  "not a number from 0 to 4294967295",
                                  bad));
    }
    ServerFacts f;
    auto row = variables_row("1", "0");
    row["server_id"] = std::nullopt;
    EXPECT_EQ(boot::read_server_variables({row}, db1, f).value_or(""),
              "db1 (10.0.0.1:3306): preflight: @@server_id is NULL, not a number from 0 to "
              "4294967295");
    EXPECT_EQ(boot::read_server_variables({}, db1, f).value_or(""),
              "db1 (10.0.0.1:3306): preflight: @@server_id is NULL, not a number from 0 to "
              "4294967295");
}

TEST(BootstrapGather, schema_counts_are_whole_numbers) {
    const NodeTarget db2{"db2", "10.0.0.2", 3306};
    auto schema = [](const char* name, const char* tables) {
        return checks::ReplicaRow{{"name", name},
                                  {"tables", tables},
                                  {"routines", "0"},
                                  {"triggers", "1"},
                                  {"events", "0"}};
    };
    ServerFacts f;
    EXPECT_EQ(boot::read_schemas({schema("app", "3"), schema("test", "0")}, db2, f), std::nullopt);
    ASSERT_EQ(f.schemas.size(), 2u);
    EXPECT_EQ(f.schemas[0].name, "app");
    EXPECT_EQ(f.schemas[0].tables, 3u);
    EXPECT_EQ(f.schemas[0].triggers, 1u);
    ServerFacts g;
    EXPECT_EQ(boot::read_schemas({schema("app", "3x")}, db2, g).value_or(""),
              "db2 (10.0.0.2:3306): preflight: schema app: tables is '3x', not a whole number");
    EXPECT_EQ(boot::read_schemas({schema("app", "-1")}, db2, g).value_or(""),
              "db2 (10.0.0.2:3306): preflight: schema app: tables is '-1', not a whole number");
}

}  // namespace
}  // namespace havip::cli
