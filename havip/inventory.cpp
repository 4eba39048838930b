#include "havip/inventory.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

namespace havip::cli {

const char* to_string(Topology topology) {
    switch (topology) {
        case Topology::three_node:
            return "3-node";
        case Topology::four_node:
            return "4-node";
        case Topology::five_node:
            return "5-node";
    }
    return "?";
}

namespace {

std::string format_ip(in_addr a) {
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

std::uint32_t host_order(in_addr a) {
    return ntohl(a.s_addr);
}

std::uint32_t netmask(unsigned prefix) {
    return prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
}

bool valid_name(const std::string& s, std::size_t max, bool allow_dot) {
    if (s.empty() || s.size() > max) return false;
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-' || (allow_dot && c == '.');
        if (!ok) return false;
    }
    return true;
}

// Linux interface names: 1-15 bytes, no '/', ':' or white space (dev_valid_name()).
bool valid_interface(const std::string& s) {
    if (s.empty() || s.size() > 15 || s == "." || s == "..") return false;
    for (unsigned char c : s) {
        if (c == '/' || c == ':' || c <= ' ' || c >= 0x7f) return false;
    }
    return true;
}

// MariaDB account names as the generated SQL writes them, unquoted-safe.
bool valid_user(const std::string& s) {
    if (s.empty() || s.size() > 80) return false;
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

class Parser {
  public:
    explicit Parser(std::string source) : source_(std::move(source)) {}

    std::variant<Inventory, InventoryErrors> run(const std::string& text) {
        YAML::Node root;
        try {
            root = YAML::Load(text);
        } catch (const YAML::Exception& e) {
            // yaml-cpp marks are 0-based.
            errors_.push_back(fmt::format("{}:{}:{}: not valid YAML: {}", source_, e.mark.line + 1,
                                          e.mark.column + 1, e.msg));
            return InventoryErrors{errors_};
        }
        if (!root.IsMap()) {
            errors_.push_back(
                fmt::format("{}: the inventory must be a mapping with the keys "
                            "cluster, topology, platform and database",
                            source_));
            return InventoryErrors{errors_};
        }
        Inventory inv;
        known_keys(root, "", {"cluster", "topology", "platform", "database"});
        top(root, inv);
        if (auto p = root["platform"]) platform(p, inv.platform);
        bool have_database = false;
        if (auto d = root["database"]) {
            have_database = database(d, inv);
        } else {
            error("database", "missing (the database VIP and its nodes)");
        }
        if (have_database) cross_checks(inv);
        if (!errors_.empty()) return InventoryErrors{errors_};
        return inv;
    }

  private:
    void error(const std::string& path, const std::string& problem) {
        errors_.push_back(fmt::format("{}: {}: {}", source_, path, problem));
    }

    static std::string join(const std::string& path, const std::string& key) {
        return path.empty() ? key : path + "." + key;
    }

    // Every key of a mapping must be one we know: a misspelt key would otherwise be ignored.
    void known_keys(const YAML::Node& map, const std::string& path,
                    std::initializer_list<const char*> keys) {
        for (const auto& kv : map) {
            const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "?";
            bool found = false;
            for (const char* k : keys)
                found = found || key == k;
            if (!found) {
                std::string list;
                for (const char* k : keys)
                    list += list.empty() ? k : fmt::format(", {}", k);
                error(join(path, key), fmt::format("unknown key (expected one of: {})", list));
            }
        }
    }

    bool is_map(const YAML::Node& n, const std::string& path) {
        if (n.IsMap()) return true;
        error(path, "must be a mapping of keys");
        return false;
    }

    std::optional<std::string> scalar(const YAML::Node& n, const std::string& path) {
        if (!n.IsScalar() || n.Scalar().empty()) {
            error(path, n.IsNull() ? "has no value" : "must be a single value");
            return std::nullopt;
        }
        return n.Scalar();
    }

    std::optional<unsigned> number(const YAML::Node& n, const std::string& path, unsigned min,
                                   unsigned max) {
        auto s = scalar(n, path);
        if (!s) return std::nullopt;
        unsigned v = 0;
        auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
        if (ec != std::errc{} || end != s->data() + s->size()) {
            error(path, fmt::format("\"{}\" is not a whole number", *s));
            return std::nullopt;
        }
        if (v < min || v > max) {
            error(path, fmt::format("{} is not in {}-{}", v, min, max));
            return std::nullopt;
        }
        return v;
    }

    // Seconds, possibly fractional, to whole milliseconds.
    std::optional<std::chrono::milliseconds> seconds(const YAML::Node& n, const std::string& path) {
        auto s = scalar(n, path);
        if (!s) return std::nullopt;
        double v = 0;
        auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
        if (ec != std::errc{} || end != s->data() + s->size() || !(v > 0) || v > 86400) {
            error(path, fmt::format("\"{}\" is not a number of seconds (0 < s <= 86400)", *s));
            return std::nullopt;
        }
        const double ms = v * 1000;
        if (std::abs(ms - std::round(ms)) > 1e-6) {
            error(path, fmt::format("{} s is finer than a millisecond", *s));
            return std::nullopt;
        }
        return std::chrono::milliseconds(static_cast<long long>(std::round(ms)));
    }

    std::optional<in_addr> address(const YAML::Node& n, const std::string& path) {
        auto s = scalar(n, path);
        if (!s) return std::nullopt;
        in_addr a{};
        if (::inet_pton(AF_INET, s->c_str(), &a) != 1) {
            error(path, fmt::format("\"{}\" is not an IPv4 address", *s));
            return std::nullopt;
        }
        return a;
    }

    void top(const YAML::Node& root, Inventory& inv) {
        if (auto c = root["cluster"]) {
            if (auto s = scalar(c, "cluster")) {
                if (valid_name(*s, 64, true)) {
                    inv.cluster = *s;
                } else {
                    error("cluster", fmt::format("\"{}\" must be 1-64 of A-Z a-z 0-9 . _ -", *s));
                }
            }
        } else {
            error("cluster", "missing (the cluster's name, e.g. onecloud)");
        }
        if (auto t = root["topology"]) {
            if (auto s = scalar(t, "topology")) {
                if (*s == "3-node") {
                    inv.topology = Topology::three_node;
                } else if (*s == "4-node") {
                    inv.topology = Topology::four_node;
                } else if (*s == "5-node") {
                    inv.topology = Topology::five_node;
                } else {
                    error("topology", fmt::format("\"{}\" is not 3-node, 4-node or 5-node", *s));
                }
            }
        } else {
            error("topology", "missing (3-node, 4-node or 5-node)");
        }
    }

    void platform(const YAML::Node& p, Platform& out) {
        if (p.IsNull()) return;
        if (!is_map(p, "platform")) return;
        known_keys(p, "platform", {"vip", "controlplane"});
        if (auto v = p["vip"]) out.vip = address(v, "platform.vip");
        if (auto cp = p["controlplane"]) {
            if (!cp.IsSequence()) {
                error("platform.controlplane", "must be a list of addresses");
                return;
            }
            std::set<std::uint32_t> seen;
            for (std::size_t i = 0; i < cp.size(); ++i) {
                const std::string path = fmt::format("platform.controlplane[{}]", i);
                auto a = address(cp[i], path);
                if (!a) continue;
                if (!seen.insert(a->s_addr).second) {
                    error(path, fmt::format("{} is listed twice", format_ip(*a)));
                    continue;
                }
                out.controlplane.push_back(*a);
            }
        }
    }

    void user(const YAML::Node& n, const std::string& path, DatabaseUser& out) {
        if (!is_map(n, path)) return;
        known_keys(n, path, {"name", "password_file"});
        if (auto v = n["name"]) {
            if (auto s = scalar(v, join(path, "name"))) {
                if (valid_user(*s)) {
                    out.name = *s;
                } else {
                    error(join(path, "name"),
                          fmt::format("\"{}\" must be 1-80 of A-Z a-z 0-9 _", *s));
                }
            }
        }
        if (auto v = n["password_file"]) {
            if (auto s = scalar(v, join(path, "password_file"))) out.password_file = *s;
        }
    }

    void node(const YAML::Node& n, const std::string& path, DatabaseNode& out) {
        if (!is_map(n, path)) return;
        known_keys(n, path, {"name", "address", "interface", "priority"});
        if (auto v = n["name"]) {
            if (auto s = scalar(v, join(path, "name"))) {
                if (valid_name(*s, 64, false)) {
                    out.name = *s;
                } else {
                    error(join(path, "name"),
                          fmt::format("\"{}\" must be 1-64 of A-Z a-z 0-9 _ - (it names a "
                                      "directory)",
                                      *s));
                }
            }
        } else {
            error(join(path, "name"), "missing");
        }
        if (auto v = n["address"]) {
            if (auto a = address(v, join(path, "address"))) out.address = *a;
        } else {
            error(join(path, "address"), "missing (the node's address on the database segment)");
        }
        if (auto v = n["interface"]) {
            if (auto s = scalar(v, join(path, "interface"))) {
                if (valid_interface(*s)) {
                    out.interface = *s;
                } else {
                    error(join(path, "interface"),
                          fmt::format("\"{}\" is not an interface name", *s));
                }
            }
        }
        // 255 is the address owner's priority: neither node owns the VIP (RFC 5798 §5.2.4).
        if (auto v = n["priority"]) out.priority = number(v, join(path, "priority"), 1, 254);
    }

    // Returns whether the nodes could be read, so the cross checks have something to check.
    bool database(const YAML::Node& d, Inventory& inv) {
        if (!is_map(d, "database")) return false;
        Database& db = inv.database;
        known_keys(d, "database",
                   {"vip", "vrid", "interface", "port", "advert_interval", "replication",
                    "semi_sync_timeout", "users", "nodes"});
        const bool needs_vip = inv.topology != Topology::four_node;
        if (auto v = d["vip"]) {
            if (auto s = scalar(v, "database.vip")) vip(*s, db.vip);
        } else if (needs_vip) {
            error("database.vip", "missing (the database VIP with its prefix, e.g. 10.0.0.50/24)");
        }
        if (auto v = d["vrid"]) {
            if (auto n = number(v, "database.vrid", 1, 255)) db.vrid = *n;
        } else if (needs_vip) {
            error("database.vrid",
                  "missing (the VRRP virtual router id, 1-255, unique on the "
                  "segment)");
        }
        if (auto v = d["interface"]) {
            if (auto s = scalar(v, "database.interface")) {
                if (valid_interface(*s)) {
                    db.interface = *s;
                } else {
                    error("database.interface", fmt::format("\"{}\" is not an interface name", *s));
                }
            }
        } else {
            error("database.interface",
                  "missing (eth0, or br0 on nodes that run the platform's host agent)");
        }
        if (auto v = d["port"]) {
            if (auto n = number(v, "database.port", 1, 65535)) db.port = *n;
        }
        if (auto v = d["advert_interval"]) advert_interval(v, db);
        bool timeout_given = false;
        if (auto v = d["replication"]) {
            if (auto s = scalar(v, "database.replication")) {
                if (*s == "async") {
                    db.replication = ReplicationMode::async;
                } else if (*s == "semi-sync") {
                    db.replication = ReplicationMode::semi_sync;
                } else {
                    error("database.replication",
                          fmt::format("\"{}\" is not async or semi-sync", *s));
                }
            }
        }
        if (auto v = d["semi_sync_timeout"]) {
            timeout_given = true;
            if (auto t = seconds(v, "database.semi_sync_timeout")) db.semi_sync_timeout = *t;
        }
        if (timeout_given && db.replication != ReplicationMode::semi_sync) {
            error("database.semi_sync_timeout", "is only used with replication: semi-sync");
        }
        if (auto u = d["users"]) {
            if (is_map(u, "database.users")) {
                known_keys(u, "database.users", {"monitor", "replication"});
                if (auto m = u["monitor"]) user(m, "database.users.monitor", db.monitor);
                if (auto r = u["replication"]) {
                    user(r, "database.users.replication", db.replication_user);
                }
                if (db.monitor.name == db.replication_user.name) {
                    error("database.users.replication.name",
                          fmt::format("\"{}\" is also the monitor user; they need different "
                                      "privileges",
                                      db.monitor.name));
                }
            }
        }
        auto nodes = d["nodes"];
        if (!nodes) {
            error("database.nodes", "missing (the database nodes, each with name and address)");
            return false;
        }
        if (!nodes.IsSequence()) {
            error("database.nodes", "must be a list of nodes");
            return false;
        }
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            DatabaseNode n;
            node(nodes[i], fmt::format("database.nodes[{}]", i), n);
            db.nodes.push_back(std::move(n));
        }
        return true;
    }

    void vip(const std::string& s, Ipv4Prefix& out) {
        const auto slash = s.find('/');
        if (slash == std::string::npos) {
            error("database.vip", fmt::format("\"{}\" needs its prefix length (\"{}/24\"): it "
                                              "gives the nodes' subnet",
                                              s, s));
            return;
        }
        const std::string ip = s.substr(0, slash), len = s.substr(slash + 1);
        if (::inet_pton(AF_INET, ip.c_str(), &out.address) != 1) {
            error("database.vip", fmt::format("\"{}\" is not an IPv4 address", ip));
            return;
        }
        unsigned prefix = 0;
        auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), prefix);
        if (ec != std::errc{} || end != len.data() + len.size() || prefix < 1 || prefix > 30) {
            out.address = {};
            error("database.vip", fmt::format("prefix \"/{}\" is not in /1-/30 (the subnet must "
                                              "hold the VIP and both nodes)",
                                              len));
            return;
        }
        out.prefix = prefix;
    }

    // VRRPv2 carries whole seconds (RFC 3768 §5.3.7); a fraction needs VRRPv3, whose field is
    // in centiseconds, 12 bits (RFC 5798 §5.2.7).
    void advert_interval(const YAML::Node& v, Database& db) {
        auto t = seconds(v, "database.advert_interval");
        if (!t) return;
        const auto ms = t->count();
        if (ms % 1000 == 0) {
            if (ms > 255'000) {
                error("database.advert_interval", fmt::format("{} s is over 255 s", ms / 1000));
                return;
            }
        } else if (ms % 10 != 0 || ms > 40'950) {
            error("database.advert_interval",
                  fmt::format("{} s: a fractional interval uses VRRPv3 and must be a multiple of "
                              "0.01 s up to 40.95 s",
                              v.Scalar()));
            return;
        }
        db.advert_interval = *t;
    }

    void cross_checks(Inventory& inv) {
        Database& db = inv.database;
        const bool four = inv.topology == Topology::four_node;
        const std::size_t wanted = four ? 1 : 2;
        if (db.nodes.size() != wanted) {
            error("database.nodes", fmt::format("the {} layout has {} database node{}, not {}",
                                                to_string(inv.topology), wanted,
                                                wanted == 1 ? "" : "s", db.nodes.size()));
        }
        const bool have_vip = db.vip.address.s_addr != 0;
        const std::uint32_t mask = netmask(db.vip.prefix);
        const std::uint32_t vip = host_order(db.vip.address);
        if (have_vip) {
            if ((vip & ~mask) == 0 || (vip & ~mask) == ~mask) {
                error("database.vip",
                      fmt::format("{} is the {} address of /{}", format_ip(db.vip.address),
                                  (vip & ~mask) == 0 ? "network" : "broadcast", db.vip.prefix));
            }
        }
        std::set<std::string> names;
        std::set<std::uint32_t> addresses;
        std::set<unsigned> priorities;
        for (std::size_t i = 0; i < db.nodes.size(); ++i) {
            DatabaseNode& n = db.nodes[i];
            const std::string path = fmt::format("database.nodes[{}]", i);
            if (!n.name.empty() && !names.insert(n.name).second) {
                error(join(path, "name"), fmt::format("\"{}\" is used by another node", n.name));
            }
            if (n.address.s_addr != 0) {
                const std::string ip = format_ip(n.address);
                if (!addresses.insert(n.address.s_addr).second) {
                    error(join(path, "address"), fmt::format("{} is used by another node", ip));
                }
                const std::uint32_t a = host_order(n.address);
                if (have_vip) {
                    if (a == vip) {
                        error(join(path, "address"),
                              fmt::format("{} is the database VIP; the VIP must be a free address",
                                          ip));
                    } else if ((a & mask) != (vip & mask)) {
                        error(join(path, "address"),
                              fmt::format("{} is not in the VIP's subnet {}/{}", ip,
                                          format_ip(in_addr{htonl(vip & mask)}), db.vip.prefix));
                    }
                }
                if (inv.platform.vip && inv.platform.vip->s_addr == n.address.s_addr) {
                    error(join(path, "address"), fmt::format("{} is the platform VIP", ip));
                }
                bool on_controlplane = false;
                for (const auto& c : inv.platform.controlplane)
                    on_controlplane = on_controlplane || c.s_addr == n.address.s_addr;
                if (!inv.platform.controlplane.empty()) {
                    // 3-node: database HA on two of the control nodes; 4/5-node: separate nodes.
                    if (inv.topology == Topology::three_node && !on_controlplane) {
                        error(join(path, "address"),
                              fmt::format("{} is not in platform.controlplane (the 3-node layout "
                                          "runs the database on two control nodes)",
                                          ip));
                    } else if (inv.topology != Topology::three_node && on_controlplane) {
                        error(join(path, "address"),
                              fmt::format("{} is in platform.controlplane (the {} layout runs the "
                                          "database on its own nodes)",
                                          ip, to_string(inv.topology)));
                    }
                }
            }
            if (!n.priority) n.priority = i == 0 ? 150u : 100u;
            if (!priorities.insert(*n.priority).second) {
                error(join(path, "priority"),
                      fmt::format("{} is another node's priority too; equal priorities make the "
                                  "election depend on the addresses",
                                  *n.priority));
            }
            if (n.interface.empty()) n.interface = db.interface;
        }
        if (inv.platform.vip && have_vip && inv.platform.vip->s_addr == db.vip.address.s_addr) {
            error("platform.vip", "is the database VIP; the two VIPs must differ");
        }
        if (four) {
            const std::string who = db.nodes.empty() || db.nodes[0].name.empty()
                                        ? std::string("database node")
                                        : db.nodes[0].name;
            inv.warnings.push_back(fmt::format(
                "the 4-node layout has ONE database node ({}): it is a SINGLE POINT OF FAILURE; "
                "when it stops, the whole platform stops. No VIP is managed: the platform "
                "connects to the node's own address. Use the 5-node layout for a database that "
                "survives a node failure.",
                who));
            if (have_vip || db.vrid != 0) {
                inv.warnings.push_back(
                    "database.vip and database.vrid are not used by the 4-node layout (one node "
                    "cannot fail over)");
            }
            if (db.replication == ReplicationMode::semi_sync) {
                inv.warnings.push_back(
                    "database.replication: semi-sync has no effect with one database node");
            }
        }
    }

    std::string source_;
    std::vector<std::string> errors_;
};

}  // namespace

std::variant<Inventory, InventoryErrors> parse_inventory(const std::string& yaml_text,
                                                         const std::string& source_name) {
    return Parser(source_name).run(yaml_text);
}

std::variant<Inventory, InventoryErrors> load_inventory(const std::filesystem::path& path) {
    std::ifstream in(path);
    if (!in) return InventoryErrors{{fmt::format("{}: cannot read the file", path.string())}};
    std::stringstream buf;
    buf << in.rdbuf();
    auto result = parse_inventory(buf.str(), path.string());
    // Password files written relative to the inventory are found next to it.
    if (auto* inv = std::get_if<Inventory>(&result)) {
        const auto base = path.parent_path();
        for (DatabaseUser* u : {&inv->database.monitor, &inv->database.replication_user}) {
            if (u->password_file && u->password_file->is_relative()) {
                u->password_file = base / *u->password_file;
            }
        }
    }
    return result;
}

}  // namespace havip::cli
