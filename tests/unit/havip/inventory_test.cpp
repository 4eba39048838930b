// The inventory (havip/inventory): the sample corpus in tests/configs/inventories/ (good/ must
// parse; each bad/ file's errors must be exactly its `# EXPECT:` lines), defaults, and the
// checks that need a particular combination of keys.
#include <arpa/inet.h>

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "havip/inventory.hpp"

namespace havip::cli {
namespace {

namespace fs = std::filesystem;

const fs::path corpus = fs::path(HAVIP_SOURCE_DIR) / "tests/configs/inventories";

std::string read(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string ip(in_addr a) {
    char buf[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a, buf, sizeof buf);
    return buf;
}

Inventory parse_ok(const std::string& text) {
    auto r = parse_inventory(text, "inv.yaml");
    if (auto* e = std::get_if<InventoryErrors>(&r)) {
        std::string all;
        for (const auto& m : e->messages)
            all += m + "\n";
        ADD_FAILURE() << "unexpected errors:\n" << all;
        return {};
    }
    return std::get<Inventory>(r);
}

std::vector<std::string> parse_errors(const std::string& text) {
    auto r = parse_inventory(text, "inv.yaml");
    if (auto* e = std::get_if<InventoryErrors>(&r)) return e->messages;
    ADD_FAILURE() << "the inventory was accepted";
    return {};
}

const std::string five_node_head =
    "cluster: onecloud\n"
    "topology: 5-node\n"
    "database:\n"
    "  vip: 10.127.10.50/24\n"
    "  vrid: 99\n"
    "  interface: eth0\n";

const std::string two_nodes =
    "  nodes:\n"
    "    - {name: db1, address: 10.127.10.211}\n"
    "    - {name: db2, address: 10.127.10.212}\n";

TEST(InventoryCorpus, every_good_sample_parses_without_errors) {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(corpus / "good")) {
        auto r = load_inventory(entry.path());
        std::string all;
        if (auto* e = std::get_if<InventoryErrors>(&r))
            for (const auto& m : e->messages)
                all += m + "\n";
        EXPECT_TRUE(std::holds_alternative<Inventory>(r)) << entry.path() << "\n" << all;
        ++n;
    }
    EXPECT_GE(n, 4);
}

TEST(InventoryCorpus, every_bad_sample_reports_exactly_its_expected_errors) {
    int n = 0;
    for (const auto& entry : fs::directory_iterator(corpus / "bad")) {
        const std::string text = read(entry.path());
        const std::string source = entry.path().string();
        std::multiset<std::string> expected;
        std::istringstream lines(text);
        std::string line;
        const std::string tag = "# EXPECT: ";
        while (std::getline(lines, line)) {
            if (line.rfind(tag, 0) != 0) continue;
            const std::string e = line.substr(tag.size());
            // "9:7: ..." (a YAML syntax error with its position) follows the file name directly.
            expected.insert(source + (std::isdigit(static_cast<unsigned char>(e[0])) ? ":" : ": ") +
                            e);
        }
        ASSERT_FALSE(expected.empty()) << source << " has no # EXPECT: line";
        auto r = load_inventory(entry.path());
        ASSERT_TRUE(std::holds_alternative<InventoryErrors>(r)) << source << " was accepted";
        const auto& got = std::get<InventoryErrors>(r).messages;
        EXPECT_EQ(std::multiset<std::string>(got.begin(), got.end()), expected) << source;
        ++n;
    }
    EXPECT_GE(n, 9);
}

TEST(Inventory, omitted_keys_take_the_documented_defaults) {
    auto inv = parse_ok(five_node_head + two_nodes);
    EXPECT_EQ(inv.cluster, "onecloud");
    EXPECT_EQ(inv.topology, Topology::five_node);
    EXPECT_EQ(ip(inv.database.vip.address), "10.127.10.50");
    EXPECT_EQ(inv.database.vip.prefix, 24u);
    EXPECT_EQ(inv.database.vrid, 99u);
    EXPECT_EQ(inv.database.port, 3306u);
    EXPECT_EQ(inv.database.advert_interval, std::chrono::seconds(1));
    EXPECT_EQ(inv.database.replication, ReplicationMode::async);
    EXPECT_EQ(inv.database.monitor.name, "havip_monitor");
    EXPECT_EQ(inv.database.replication_user.name, "repl");
    ASSERT_EQ(inv.database.nodes.size(), 2u);
    // First node 150, second 100; the interface comes from database.interface.
    EXPECT_EQ(inv.database.nodes[0].priority, 150u);
    EXPECT_EQ(inv.database.nodes[1].priority, 100u);
    EXPECT_EQ(inv.database.nodes[0].interface, "eth0");
    EXPECT_EQ(inv.database.nodes[1].interface, "eth0");
    EXPECT_TRUE(inv.warnings.empty());
}

TEST(Inventory, optional_keys_are_read_as_written) {
    auto r = load_inventory(corpus / "good/5-node-semi-sync.yaml");
    ASSERT_TRUE(std::holds_alternative<Inventory>(r));
    const auto& inv = std::get<Inventory>(r);
    EXPECT_EQ(inv.database.port, 3307u);
    EXPECT_EQ(inv.database.vip.prefix, 23u);
    EXPECT_EQ(inv.database.advert_interval, std::chrono::milliseconds(100));
    EXPECT_EQ(inv.database.replication, ReplicationMode::semi_sync);
    EXPECT_EQ(inv.database.semi_sync_timeout, std::chrono::milliseconds(2500));
    EXPECT_EQ(inv.database.monitor.name, "hv_check");
    EXPECT_EQ(inv.database.replication_user.name, "hv_repl");
    EXPECT_EQ(inv.database.nodes[0].priority, 200u);
    EXPECT_EQ(inv.database.nodes[1].priority, 120u);
    EXPECT_EQ(inv.database.nodes[0].interface, "eth0");
    EXPECT_EQ(inv.database.nodes[1].interface, "br0");
}

TEST(Inventory, four_node_layout_warns_loudly_about_the_single_point_of_failure) {
    auto r = load_inventory(corpus / "good/4-node.yaml");
    ASSERT_TRUE(std::holds_alternative<Inventory>(r));
    const auto& inv = std::get<Inventory>(r);
    ASSERT_FALSE(inv.warnings.empty());
    EXPECT_NE(inv.warnings[0].find("SINGLE POINT OF FAILURE"), std::string::npos);
    EXPECT_NE(inv.warnings[0].find("db1"), std::string::npos);
    // No VIP is needed with one node.
    EXPECT_EQ(inv.database.vip.address.s_addr, 0u);
    EXPECT_EQ(inv.database.vrid, 0u);
}

TEST(Inventory, four_node_layout_refuses_a_second_database_node) {
    auto errors =
        parse_errors("cluster: c\ntopology: 4-node\ndatabase:\n  interface: eth0\n" + two_nodes);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "inv.yaml: database.nodes: the 4-node layout has 1 database node, not 2");
}

TEST(Inventory, three_node_layout_needs_the_database_on_control_plane_nodes) {
    auto errors = parse_errors(
        "cluster: c\ntopology: 3-node\nplatform:\n  controlplane: [10.127.10.211, 10.127.10.2, "
        "10.127.10.3]\ndatabase:\n  vip: 10.127.10.50/24\n  vrid: 9\n  interface: br0\n" +
        two_nodes);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0],
              "inv.yaml: database.nodes[1].address: 10.127.10.212 is not in platform.controlplane "
              "(the 3-node layout runs the database on two control nodes)");
}

TEST(Inventory, vip_on_the_network_or_broadcast_address_is_refused) {
    auto errors = parse_errors(
        "cluster: c\ntopology: 5-node\ndatabase:\n  vip: 10.127.10.255/24\n  vrid: 9\n"
        "  interface: eth0\n" +
        two_nodes);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "inv.yaml: database.vip: 10.127.10.255 is the broadcast address of /24");
}

TEST(Inventory, vip_and_vrid_are_required_with_two_database_nodes) {
    auto errors =
        parse_errors("cluster: c\ntopology: 3-node\ndatabase:\n  interface: eth0\n" + two_nodes);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_NE(errors[0].find("inv.yaml: database.vip: missing"), std::string::npos);
    EXPECT_NE(errors[1].find("inv.yaml: database.vrid: missing"), std::string::npos);
}

TEST(Inventory, values_of_the_wrong_shape_name_their_key) {
    auto errors = parse_errors(five_node_head + "  port: [3306]\n  users: yes\n" + two_nodes);
    ASSERT_EQ(errors.size(), 2u);
    EXPECT_EQ(errors[0], "inv.yaml: database.port: must be a single value");
    EXPECT_EQ(errors[1], "inv.yaml: database.users: must be a mapping of keys");
}

TEST(Inventory, a_document_that_is_not_a_mapping_is_refused) {
    auto errors = parse_errors("- just\n- a list\n");
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_NE(errors[0].find("inv.yaml: the inventory must be a mapping"), std::string::npos);
}

TEST(Inventory, whole_second_advert_intervals_stay_vrrpv2_and_are_capped_at_255) {
    EXPECT_EQ(
        parse_ok(five_node_head + "  advert_interval: 3\n" + two_nodes).database.advert_interval,
        std::chrono::seconds(3));
    auto errors = parse_errors(five_node_head + "  advert_interval: 256\n" + two_nodes);
    ASSERT_EQ(errors.size(), 1u);
    EXPECT_EQ(errors[0], "inv.yaml: database.advert_interval: 256 s is over 255 s");
}

TEST(Inventory, load_names_an_unreadable_file) {
    auto r = load_inventory("/nonexistent/inv.yaml");
    ASSERT_TRUE(std::holds_alternative<InventoryErrors>(r));
    EXPECT_EQ(std::get<InventoryErrors>(r).messages.at(0),
              "/nonexistent/inv.yaml: cannot read the file");
}

TEST(Inventory, relative_password_files_are_found_next_to_the_inventory) {
    const fs::path dir = fs::path(HAVIP_BINARY_DIR) / "inventory-test";
    fs::create_directories(dir);
    std::ofstream(dir / "inv.yaml") << five_node_head
                                    << "  users:\n    replication: {password_file: s/repl.pw}\n"
                                       "    monitor: {password_file: /abs/mon.pw}\n"
                                    << two_nodes;
    auto r = load_inventory(dir / "inv.yaml");
    ASSERT_TRUE(std::holds_alternative<Inventory>(r));
    const auto& db = std::get<Inventory>(r).database;
    EXPECT_EQ(db.replication_user.password_file, dir / "s/repl.pw");
    EXPECT_EQ(db.monitor.password_file, fs::path("/abs/mon.pw"));
    fs::remove_all(dir);
}

TEST(Inventory, topology_names_round_trip) {
    EXPECT_STREQ(to_string(Topology::three_node), "3-node");
    EXPECT_STREQ(to_string(Topology::four_node), "4-node");
    EXPECT_STREQ(to_string(Topology::five_node), "5-node");
}

}  // namespace
}  // namespace havip::cli
