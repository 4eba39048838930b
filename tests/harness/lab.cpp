#include "tests/harness/lab.hpp"

#include <arpa/inet.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <functional>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/harness/netns_socket.hpp"
#include "tests/harness/wait.hpp"

namespace havip::test {
namespace {

constexpr const char* netns_dir = "/run/netns";

bool pid_alive(pid_t pid) {
    return kill(pid, 0) == 0 || errno == EPERM;
}

bool tool_available(const std::string& tool) {
    return run_command({"sh", "-c", "command -v " + tool}, std::chrono::seconds(5)).ok();
}

// The pid in a name "<base><pid>-…", or nullopt when the name is not in that form.
std::optional<pid_t> owner_pid(std::string_view name, std::string_view base) {
    if (name.substr(0, base.size()) != base) return std::nullopt;
    const std::string_view rest = name.substr(base.size());
    pid_t pid = 0;
    const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (error != std::errc() || end == rest.data() || end == rest.data() + rest.size() ||
        *end != '-' || pid <= 0) {
        return std::nullopt;
    }
    return pid;
}

// Kills every process in the namespace and waits (bounded) until none is left, so that the
// namespace is really gone once its name is deleted.
void empty_namespace(std::string_view ns) {
    wait_until(
        [&] {
            const auto pids = namespace_pids(ns);
            for (const int pid : pids)
                kill(pid, SIGKILL);
            return pids.empty();
        },
        std::chrono::seconds(3), std::chrono::milliseconds(5));
}

void delete_namespace(std::string_view ns) {
    empty_namespace(ns);
    run_command({"ip", "netns", "delete", std::string(ns)});
}

std::string test_label() {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    std::string label = info != nullptr
                            ? fmt::format("{}.{}", info->test_suite_name(), info->name())
                            : std::string("no-test");
    for (char& c : label) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
            c = '_';
        }
    }
    return label;
}

bool valid_node_name(std::string_view node) {
    return !node.empty() && node.size() <= 8 && node != "switch" &&
           std::all_of(node.begin(), node.end(), [](char c) {
               return std::islower(static_cast<unsigned char>(c)) ||
                      std::isdigit(static_cast<unsigned char>(c));
           });
}

}  // namespace

std::optional<std::string> lab_skip_reason() {
    if (geteuid() != 0) return "needs root (network namespaces, veth pairs, bridges)";
    for (const char* tool : {"ip", "sysctl"}) {
        if (!tool_available(tool)) return fmt::format("needs `{}` (iproute2/procps)", tool);
    }
    return std::nullopt;
}

std::vector<std::string> list_namespaces() {
    std::vector<std::string> names;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator(netns_dir, error)) {
        names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<int> namespace_pids(std::string_view ns) {
    std::vector<int> pids;
    struct stat target {};
    if (stat(fmt::format("{}/{}", netns_dir, ns).c_str(), &target) != 0) return pids;
    std::error_code error;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", error)) {
        const std::string name = entry.path().filename().string();
        int pid = 0;
        const auto [end, parse_error] =
            std::from_chars(name.data(), name.data() + name.size(), pid);
        if (parse_error != std::errc() || end != name.data() + name.size()) continue;
        struct stat own {};
        if (stat((entry.path() / "ns" / "net").c_str(), &own) != 0) continue;
        if (own.st_ino == target.st_ino && own.st_dev == target.st_dev) pids.push_back(pid);
    }
    return pids;
}

int remove_stale_namespaces(std::string_view base) {
    int removed = 0;
    for (const auto& name : list_namespaces()) {
        const auto pid = owner_pid(name, base);
        if (!pid || pid_alive(*pid)) continue;
        delete_namespace(name);
        ++removed;
    }
    return removed;
}

Lab::Lab() {
    remove_stale_namespaces();
    // The smallest free index, so several labs can live in one test process at once.
    const auto existing = list_namespaces();
    for (int index = 0;; ++index) {
        prefix_ = fmt::format("{}{}-{}-", lab_prefix_base, getpid(), index);
        const bool taken = std::any_of(existing.begin(), existing.end(), [&](const auto& name) {
            return name.rfind(prefix_, 0) == 0;
        });
        if (!taken) break;
    }
    dir_ = std::filesystem::path(HAVIP_BINARY_DIR) / "test-runs" /
           fmt::format("{}-{}", test_label(), prefix_.substr(0, prefix_.size() - 1));
    std::error_code error;
    std::filesystem::remove_all(dir_, error);
    std::filesystem::create_directories(dir_, error);

    const std::string sw = switch_ns();
    if (!must({"ip", "netns", "add", sw})) return;
    created_.push_back(sw);
    // No IPv6 on the switch itself: its ports then add no router solicitations or MLD reports
    // of their own to captures. Multicast snooping off so VRRP groups are always flooded.
    switch_ready_ =
        must({"ip", "netns", "exec", sw, "sysctl", "-q", "-w",
              "net.ipv6.conf.default.disable_ipv6=1", "net.ipv6.conf.all.disable_ipv6=1"}) &&
        must({"ip", "-n", sw, "link", "add", "name", bridge(), "type", "bridge", "mcast_snooping",
              "0"}) &&
        must({"ip", "-n", sw, "link", "set", bridge(), "up"});
}

Lab::~Lab() {
    const bool failed = testing::Test::HasFailure();
    if (failed) print_logs();
    for (auto& process : processes_)
        process->kill_group();
    processes_.clear();  // reaps
    for (auto it = created_.rbegin(); it != created_.rend(); ++it)
        delete_namespace(*it);
    std::error_code error;
    // Control sockets of daemons killed before they could unlink them, in the lab directory
    // or in its short /tmp stand-in (harness/vrrp_daemon.cpp: a unix path has 107 bytes).
    const std::string stand_in = fmt::format("hv{:x}-", std::hash<std::string>{}(dir_.string()));
    for (const auto& entry : std::filesystem::directory_iterator("/tmp", error))
        if (entry.path().filename().string().starts_with(stand_in))
            std::filesystem::remove(entry.path(), error);
    if (failed) {
        fmt::print(stderr, "[lab] logs and captures kept in {}\n", dir_.string());
    } else {
        std::filesystem::remove_all(dir_, error);
    }
}

testing::AssertionResult Lab::ready() const {
    if (switch_ready_) return testing::AssertionSuccess();
    return testing::AssertionFailure() << "lab switch " << switch_ns() << " could not be built";
}

testing::AssertionResult Lab::must(const std::vector<std::string>& argv) {
    const auto result = run_command(argv);
    return succeeded(argv, result);
}

const Lab::Node* Lab::find(std::string_view node) const {
    const auto it = std::find_if(nodes_.begin(), nodes_.end(),
                                 [&](const Node& candidate) { return candidate.name == node; });
    return it == nodes_.end() ? nullptr : &*it;
}

testing::AssertionResult Lab::add_node(std::string_view node, std::string_view ifname) {
    if (!valid_node_name(node)) {
        return testing::AssertionFailure() << "bad node name '" << node << "'";
    }
    if (find(node) != nullptr) {
        return testing::AssertionFailure() << "node '" << node << "' already exists";
    }
    if (ifname.empty() || ifname.size() > 15) {
        return testing::AssertionFailure() << "bad interface name '" << ifname << "'";
    }
    const std::string name = ns(node);
    const std::string sw = switch_ns();
    const std::string peer = port(node);
    const std::string dev(ifname);
    if (auto r = must({"ip", "netns", "add", name}); !r) return r;
    created_.insert(created_.begin(), name);  // nodes are deleted before the switch
    nodes_.push_back(Node{std::string(node), dev});
    // DAD off before the interface exists, as new interfaces copy the "default" setting.
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "netns", "exec", name, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0",
              "net.ipv6.conf.default.accept_dad=0"},
             {"ip", "-n", name, "link", "set", "lo", "up"},
             {"ip", "-n", name, "link", "add", "name", dev, "type", "veth", "peer", "name", peer,
              "netns", sw},
             {"ip", "-n", sw, "link", "set", peer, "master", bridge(), "up"},
             {"ip", "-n", name, "link", "set", dev, "up"}}) {
        if (auto r = must(argv); !r) return r;
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult Lab::add_address(std::string_view node, std::string_view cidr) {
    const Node* n = find(node);
    if (n == nullptr) return testing::AssertionFailure() << "no node '" << node << "'";
    return must({"ip", "-n", ns(node), "addr", "add", std::string(cidr), "dev", n->ifname});
}

testing::AssertionResult Lab::set_port(std::string_view node, bool up) {
    if (find(node) == nullptr) return testing::AssertionFailure() << "no node '" << node << "'";
    return must({"ip", "-n", switch_ns(), "link", "set", port(node), up ? "up" : "down"});
}

testing::AssertionResult Lab::set_link(std::string_view node, bool up) {
    const Node* n = find(node);
    if (n == nullptr) return testing::AssertionFailure() << "no node '" << node << "'";
    return must({"ip", "-n", ns(node), "link", "set", n->ifname, up ? "up" : "down"});
}

testing::AssertionResult Lab::add_link(std::string_view node, std::string_view ifname) {
    if (find(node) == nullptr) return testing::AssertionFailure() << "no node '" << node << "'";
    const std::string name = ns(node);
    const std::string sw = switch_ns();
    const std::string peer = fmt::format("{}-{}", port(node), 2 + extra_links_++);
    const std::string dev(ifname);
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "-n", name, "link", "add", "name", dev, "type", "veth", "peer", "name", peer,
              "netns", sw},
             {"ip", "-n", sw, "link", "set", peer, "master", bridge(), "up"},
             {"ip", "-n", name, "link", "set", dev, "up"}}) {
        if (auto r = must(argv); !r) return r;
    }
    return testing::AssertionSuccess();
}

testing::AssertionResult Lab::delete_link(std::string_view node) {
    const Node* n = find(node);
    if (n == nullptr) return testing::AssertionFailure() << "no node '" << node << "'";
    return must({"ip", "-n", ns(node), "link", "del", n->ifname});
}

testing::AssertionResult Lab::recreate_link(std::string_view node, bool up) {
    const Node* n = find(node);
    if (n == nullptr) return testing::AssertionFailure() << "no node '" << node << "'";
    const std::string name = ns(node);
    const std::string sw = switch_ns();
    const std::string peer = port(node);
    for (const auto& argv : std::vector<std::vector<std::string>>{
             {"ip", "-n", name, "link", "add", "name", n->ifname, "type", "veth", "peer", "name",
              peer, "netns", sw},
             {"ip", "-n", sw, "link", "set", peer, "master", bridge(), "up"}}) {
        if (auto r = must(argv); !r) return r;
    }
    return up ? set_link(node, true) : testing::AssertionSuccess();
}

std::string Lab::ns(std::string_view node) const {
    return prefix_ + std::string(node);
}

std::string Lab::ifname(std::string_view node) const {
    const Node* n = find(node);
    return n == nullptr ? std::string() : n->ifname;
}

std::string Lab::port(std::string_view node) const {
    return "p-" + std::string(node);
}

std::vector<std::string> Lab::namespaces() const {
    return created_;
}

Process& Lab::start(std::string_view node, std::string name, const std::vector<std::string>& argv) {
    return start_in_ns(ns(node), std::move(name), argv);
}

Process& Lab::start_in_ns(std::string_view ns_name, std::string name,
                          const std::vector<std::string>& argv) {
    std::vector<std::string> full{"ip", "netns", "exec", std::string(ns_name)};
    full.insert(full.end(), argv.begin(), argv.end());
    auto log = dir_ / (name + ".log");
    processes_.push_back(std::make_unique<Process>(Process::start(std::move(name), full, log)));
    if (processes_.back()->pid() <= 0) ADD_FAILURE() << "could not fork for " << describe(full);
    return *processes_.back();
}

CommandResult Lab::run(std::string_view node, const std::vector<std::string>& argv,
                       std::chrono::milliseconds timeout) const {
    return run_in_netns(ns(node), argv, timeout);
}

bool Lab::has_address(std::string_view node, std::string_view ip) const {
    const Node* n = find(node);
    return n != nullptr && havip::test::has_address(ns(node), n->ifname, ip);
}

bool has_address(std::string_view ns, std::string_view ifname, std::string_view ip) {
    const auto result = run_command(
        {"ip", "-n", std::string(ns), "-j", "addr", "show", "dev", std::string(ifname)});
    return result.ok() && address_in_ip_json(result.out, ifname, ip);
}

bool Lab::ping(std::string_view node, std::string_view ip,
               std::chrono::milliseconds timeout) const {
    return find(node) != nullptr && icmp_echo(ns(node), ip, timeout);
}

void Lab::print_logs() const {
    for (const auto& process : processes_) {
        fmt::print(stderr, "[lab] ---- last lines of {} ({}) ----\n{}\n", process->name(),
                   process->log_path().string(), process->log_tail(40));
    }
}

namespace {

// Addresses compared as bytes, so "fd00::1" matches however `ip` chooses to spell it.
bool same_address(const std::string& a, const std::string& b) {
    std::array<unsigned char, 16> bytes_a{};
    std::array<unsigned char, 16> bytes_b{};
    for (const int family : {AF_INET, AF_INET6}) {
        if (inet_pton(family, a.c_str(), bytes_a.data()) == 1) {
            return inet_pton(family, b.c_str(), bytes_b.data()) == 1 && bytes_a == bytes_b;
        }
    }
    return a == b;
}

// A string member of a JSON object, or "" when absent or not a string.
std::string string_member(const nlohmann::json& object, const char* key) {
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string()) return {};
    return *it->get_ptr<const std::string*>();
}

}  // namespace

bool address_in_ip_json(std::string_view json, std::string_view ifname, std::string_view ip) {
    const std::string wanted(ip);
    const auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_array()) return false;
    for (const auto& link : doc) {
        if (string_member(link, "ifname") != ifname) continue;
        const auto infos = link.find("addr_info");
        if (infos == link.end() || !infos->is_array()) continue;
        for (const auto& info : *infos) {
            if (same_address(string_member(info, "local"), wanted)) return true;
        }
    }
    return false;
}

void LabTest::SetUp() {
    if (const auto reason = lab_skip_reason()) GTEST_SKIP() << *reason;
    lab_ = std::make_unique<Lab>();
    ASSERT_TRUE(lab_->ready());
}

}  // namespace havip::test
