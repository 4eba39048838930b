// `havip generate INVENTORY -o DIR`: every file of a node's HA setup, from the inventory.
// generate_files() is pure (Inventory + passwords → file list); the rest is the thin edge that
// reads or creates the passwords and writes the files atomically.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <variant>
#include <vector>

#include "havip/inventory.hpp"

namespace havip::cli {

struct GeneratedFile {
    std::filesystem::path path;  // relative to the output directory: "db1/mariadb.cnf"
    std::string content;
    std::filesystem::perms mode = std::filesystem::perms(0644);
};

// The passwords the generated SQL and option files carry. Only [A-Za-z0-9] and a few safe
// punctuation characters, so they need no quoting in SQL or my.cnf.
struct Passwords {
    std::string monitor;
    std::string replication;
};

// Where the setup files are installed on a node; the checklist and the configs agree on them.
inline constexpr const char* monitor_cnf_path = "/etc/havip/monitor.cnf";
inline constexpr const char* mysql_socket_path = "/run/mysqld/mysqld.sock";
inline constexpr const char* havip_bin_path = "/usr/bin/havip";

// Per database node: mariadb.cnf and — in the 3- and 5-node layouts — havipd.conf,
// keepalived.conf, sysctl.conf, monitor.cnf and users.sql (both 0600); plus CHECKLIST.md.
std::vector<GeneratedFile> generate_files(const Inventory& inventory, const Passwords& passwords);

// A password is usable in the generated files: 1-64 printable characters without quotes,
// backslash, white space, '#' or ';' (comment starters in my.cnf).
bool usable_password(const std::string& password);

// Reads each user's password_file, or DIR/secrets/<user name>.password, creating the
// latter (mode 0600, 24 random characters from /dev/urandom) when absent, so a re-run keeps the
// passwords. An error names the file and the problem.
std::variant<Passwords, std::string> obtain_passwords(const Inventory& inventory,
                                                      const std::filesystem::path& out_dir);

// Writes one file atomically (temporary file in the same directory, fsync, rename) with
// `mode`, creating its directory. Returns "" or the error.
std::string write_file_atomically(const std::filesystem::path& path, const std::string& content,
                                  std::filesystem::perms mode);

// `havip generate` with its arguments (after the command word). Exit 0 when written, 1 when the
// inventory is invalid or a file cannot be written, 64 on a usage error.
int run_generate(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace havip::cli
