// A throw-away network of namespaces: one "switch" namespace holding a bridge, and node
// namespaces each joined to it by a veth pair. Everything it makes is removed by its destructor.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "tests/harness/command.hpp"
#include "tests/harness/process.hpp"

namespace havip::test {

// Namespace names are "<base><pid>-<n>-<node>"; a run that died leaves names whose pid is gone,
// which the next Lab removes. The base is distinct from every other helper's prefix.
inline constexpr std::string_view lab_prefix_base = "hvt";

// Why lab tests cannot run here (not root, a tool missing), or nullopt when they can.
std::optional<std::string> lab_skip_reason();

// Removes namespaces named "<base><pid>-…" whose pid no longer exists, killing the processes
// still inside them. Returns how many namespaces it removed.
int remove_stale_namespaces(std::string_view base = lab_prefix_base);

// Every namespace currently in /run/netns.
std::vector<std::string> list_namespaces();

// The pids of processes whose network namespace is `ns`.
std::vector<int> namespace_pids(std::string_view ns);

class Lab {
  public:
    // Sweeps stale namespaces, then creates the switch namespace with its bridge. The scratch
    // directory (configs, logs, captures) is under the build tree and named after the test.
    Lab();
    ~Lab();
    Lab(const Lab&) = delete;
    Lab& operator=(const Lab&) = delete;

    // Whether the constructor managed to build the switch.
    testing::AssertionResult ready() const;

    // A node namespace joined to the switch; `ifname` is the node-side name (eth0, br0…).
    // Node names are 1-8 lower-case letters or digits. Loopback is up and IPv6 DAD is off in
    // the node, so addresses are usable at once.
    [[nodiscard]] testing::AssertionResult add_node(std::string_view node,
                                                    std::string_view ifname = "eth0");
    // Adds "ADDR/LEN" (IPv4 or IPv6) to the node's interface.
    [[nodiscard]] testing::AssertionResult add_address(std::string_view node,
                                                       std::string_view cidr);
    // Takes the switch-side port of the node down or up: as if its cable were pulled.
    [[nodiscard]] testing::AssertionResult set_port(std::string_view node, bool up);
    // Takes the node's own interface down or up.
    [[nodiscard]] testing::AssertionResult set_link(std::string_view node, bool up);
    // A second interface of the node on the switch, `ifname` up, with its port named
    // port(node) + "-2" (then "-3"…). delete_link and recreate_link act on the first only.
    [[nodiscard]] testing::AssertionResult add_link(std::string_view node, std::string_view ifname);
    // Deletes the node's interface (and with it its switch port): the veth is gone, as when
    // ifupdown or NetworkManager tears down a bridge or a VLAN.
    [[nodiscard]] testing::AssertionResult delete_link(std::string_view node);
    // Creates the node's interface again after delete_link: a new veth of the same names (a
    // new ifindex), its port on the switch and up, the node side down until `up`. Addresses
    // are the caller's to add again (add_address).
    [[nodiscard]] testing::AssertionResult recreate_link(std::string_view node, bool up = true);

    const std::string& prefix() const { return prefix_; }
    std::string ns(std::string_view node) const;
    std::string ifname(std::string_view node) const;
    // The switch-side veth of the node (inside switch_ns()).
    std::string port(std::string_view node) const;
    std::string switch_ns() const { return prefix_ + "switch"; }
    std::string bridge() const { return "sw"; }
    // Every namespace this lab created, the switch last.
    std::vector<std::string> namespaces() const;
    const std::filesystem::path& dir() const { return dir_; }

    // Starts a long-running command inside the node's namespace; its output goes to
    // dir()/<name>.log. The Lab owns it and kills its process group on destruction.
    Process& start(std::string_view node, std::string name, const std::vector<std::string>& argv);
    // The same in any of the lab's namespaces (e.g. switch_ns() for a capture on a port).
    Process& start_in_ns(std::string_view ns, std::string name,
                         const std::vector<std::string>& argv);
    const std::vector<std::unique_ptr<Process>>& processes() const { return processes_; }

    // Runs a command to completion in the node's namespace.
    CommandResult run(std::string_view node, const std::vector<std::string>& argv,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) const;
    // Whether `ip` (no prefix length) is on the node's interface, read with `ip -j addr`.
    bool has_address(std::string_view node, std::string_view ip) const;
    // One ICMP echo (IPv4 or IPv6) from the node to `ip`, waiting at most `timeout` for the reply.
    bool ping(std::string_view node, std::string_view ip,
              std::chrono::milliseconds timeout = std::chrono::seconds(1)) const;

  private:
    struct Node {
        std::string name;
        std::string ifname;
    };
    const Node* find(std::string_view node) const;
    testing::AssertionResult must(const std::vector<std::string>& argv);
    void print_logs() const;

    std::string prefix_;
    std::filesystem::path dir_;
    bool switch_ready_ = false;
    std::vector<Node> nodes_;
    std::vector<std::string> created_;  // namespaces, in creation order
    int extra_links_ = 0;               // add_link's, for unique port names
    std::vector<std::unique_ptr<Process>> processes_;
};

// Fixture for tests that need a Lab: skips with the reason when not root or a tool is missing,
// and fails the test if the switch could not be built.
class LabTest : public testing::Test {
  protected:
    void SetUp() override;
    void TearDown() override { lab_.reset(); }
    Lab& lab() { return *lab_; }

  private:
    std::unique_ptr<Lab> lab_;
};

// Whether `ip` is on `ifname` in namespace `ns` (any namespace, not only a lab's).
bool has_address(std::string_view ns, std::string_view ifname, std::string_view ip);

// Checks whether `ip` appears as an address on `ifname` in the JSON of `ip -j addr show`.
bool address_in_ip_json(std::string_view json, std::string_view ifname, std::string_view ip);

}  // namespace havip::test
