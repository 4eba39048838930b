// The HA inventory: one YAML file describing the cluster, read by `havip generate` and
// `havip bootstrap`. Parsing validates everything a person can get wrong and names the key
// (`database.nodes[1].address`) in each error, so a bad inventory never produces files.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <netinet/in.h>

namespace havip::cli {

enum class Topology { three_node, four_node, five_node };  // "3-node" | "4-node" | "5-node"
const char* to_string(Topology topology);

// An IPv4 address and prefix as written ("10.127.10.50/24"); prefix 32 when none was given.
struct Ipv4Prefix {
    in_addr address{};
    unsigned prefix = 32;
};

// Replication between the two database nodes. Asynchronous is MariaDB's default and the
// guide's; semi-synchronous (wait point AFTER_SYNC) keeps every acknowledged write on the
// standby at the cost of a network round trip per commit, falling back to asynchronous
// after `semi_sync_timeout` without an acknowledgement.
enum class ReplicationMode { async, semi_sync };  // "async" | "semi-sync"

struct DatabaseUser {
    std::string name;
    // Where the password is kept (mode 0600); when absent, `havip generate` creates one with a
    // random password under its output directory, and reuses it on the next run.
    std::optional<std::filesystem::path> password_file;
};

struct DatabaseNode {
    std::string name;       // directory name of the node's generated files; [A-Za-z0-9_-]+
    in_addr address{};      // the node's address on the database segment
    std::string interface;  // empty: database.interface
    std::optional<unsigned> priority;  // VRRP priority; default 150 for the first, 100 next
};

struct Database {
    // The 4-node layout (one database node) needs no VIP: there vip.address is 0.0.0.0 and
    // vrid 0 when the inventory leaves them out.
    Ipv4Prefix vip;         // database.vip, the prefix is the segment's
    unsigned vrid = 0;      // 1-255
    std::string interface;  // eth0, or br0 on nodes that run the platform's host agent
    unsigned port = 3306;
    std::chrono::milliseconds advert_interval{1000};       // database.advert_interval (seconds)
    ReplicationMode replication = ReplicationMode::async;  // database.replication
    std::chrono::milliseconds semi_sync_timeout{10000};    // database.semi_sync_timeout (s)
    DatabaseUser monitor{"havip_monitor", {}};             // database.users.monitor
    DatabaseUser replication_user{"repl", {}};             // database.users.replication
    std::vector<DatabaseNode> nodes;
};

struct Platform {
    std::optional<in_addr> vip;
    std::vector<in_addr> controlplane;
};

struct Inventory {
    std::string cluster;
    Topology topology = Topology::three_node;
    Platform platform;
    Database database;
    // Loud warnings that do not stop generation (the 4-node layout's single database node).
    std::vector<std::string> warnings;
};

// An error names the file, the key and the problem: "inv.yaml: database.vrid: 300 is not in
// 1-255". Several errors are reported at once where they are independent.
struct InventoryErrors {
    std::vector<std::string> messages;
};

std::variant<Inventory, InventoryErrors> parse_inventory(const std::string& yaml_text,
                                                         const std::string& source_name);
std::variant<Inventory, InventoryErrors> load_inventory(const std::filesystem::path& path);

}  // namespace havip::cli
