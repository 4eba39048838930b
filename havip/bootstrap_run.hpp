// What `havip bootstrap` and `havip rejoin` share: the options, the admin connection to one node,
// the facts gathered for the planners, children under a timeout, and bootstrap's whole run
// (gather, plan, execute, verify) on settings already loaded.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include "checks/mysql_client.hpp"
#include "havip/bootstrap.hpp"
#include "havip/inventory.hpp"

namespace havip::cli::boot {

inline constexpr int exit_done = 0;
inline constexpr int exit_failed = 1;
inline constexpr int exit_bad_usage = 64;

struct Options {
    std::filesystem::path inventory;
    std::string admin_option_file;  // absolute
    std::optional<std::filesystem::path> secrets;
    bool dry_run = false;
    std::chrono::seconds seed_timeout{3600};
    std::chrono::seconds wait_timeout{60};
};

// One node: its target, the admin connection, and the failures prefixed with its label.
class Node {
  public:
    Node(NodeTarget target, const checks::MysqlCredentials& admin)
        : target_(std::move(target)),
          connection_(checks::ConnectSettings{.unix_socket = "",
                                              .host = target_.address,
                                              .port = target_.port,
                                              .credentials = admin,
                                              .connect_timeout_s = 5,
                                              .read_timeout_s = 60,
                                              .write_timeout_s = 60,
                                              .statement_timeout_s = 0,
                                              .init_command = {}}) {}

    const NodeTarget& target() const { return target_; }

    // The rows of `sql`, or the error as "db1 (…): STEP: SQL: error …".
    std::variant<std::vector<checks::ReplicaRow>, std::string> query(
        const std::string& sql, const std::string& step, const std::string& shown = "") {
        auto result = connection_.query(sql);
        if (auto* e = std::get_if<checks::SqlError>(&result)) {
            return fmt::format("{}: {}: {}: {}", target_.label(), step, shown.empty() ? sql : shown,
                               e->describe());
        }
        return std::get<std::vector<checks::ReplicaRow>>(result);
    }

    std::optional<std::string> connect() {
        if (auto e = connection_.ensure_connected()) {
            return fmt::format("{}: preflight: cannot connect: {}", target_.label(), e->describe());
        }
        return std::nullopt;
    }

  private:
    NodeTarget target_;
    checks::MysqlConnection connection_;
};

// "12" → 12 s; nullopt unless a whole number > 0.
std::optional<std::chrono::seconds> whole_seconds(const std::string& text);

// The first row's column, "" when absent or NULL.
std::string first(const std::vector<checks::ReplicaRow>& rows, const std::string& column);

// gather's readers of two answers, apart so they are tested without a server. An error names
// the node, the variable or column, and the value.
// The first answer (VERSION(), @@server_id AS server_id, … @@gtid_domain_id AS domain, …):
// server_id and gtid_domain_id are whole numbers from 0 to 4294967295.
std::optional<std::string> read_server_variables(const std::vector<checks::ReplicaRow>& rows,
                                                 const NodeTarget& node, ServerFacts& f);
// Each schema (name) and the count of its tables, routines, triggers and events, whole numbers.
std::optional<std::string> read_schemas(const std::vector<checks::ReplicaRow>& rows,
                                        const NodeTarget& node, ServerFacts& f);

// The planners' view of one server; an error names the node.
std::variant<ServerFacts, std::string> gather(Node& node, const BootstrapSettings& settings);

// Runs argv with a timeout, its stderr kept in `errors`. Returns an error text or nullopt.
std::optional<std::string> run_child(const std::vector<std::string>& argv,
                                     std::chrono::seconds timeout,
                                     const std::filesystem::path& errors);

// mariadb loading `file` into `into` with the binary log off for that session (the seed's load;
// havip rejoin's flashback).
std::vector<std::string> load_command(const Options& o, const NodeTarget& into,
                                      const std::filesystem::path& file);

// argv as a shell would read it back (for printing the commands a step runs).
std::string shell_words(const std::vector<std::string>& argv);

// The inventory's two nodes, users and passwords; errors are written to err ("havip COMMAND: …").
std::optional<BootstrapSettings> settings_from_inventory(const Options& o, std::ostream& err,
                                                         const std::string& command);

// Bootstrap on loaded settings: gather, plan, print and run the steps (or only print them with
// o.dry_run), verify. The caller holds a checks::MysqlLibrary. Returns the exit code.
int execute_bootstrap(const Options& o, const BootstrapSettings& s,
                      const checks::MysqlCredentials& admin, std::ostream& out, std::ostream& err);

}  // namespace havip::cli::boot
