// `havip generate` against the real programs: for each sample inventory, every generated
// mariadb.cnf is accepted by mariadbd (`--help --verbose` parses every option and exits 0) with
// the values we meant, havipd.conf by `havipd -t`, keepalived.conf by `keepalived -t`, and
// sysctl.conf by `sysctl -p`; the files holding passwords are 0600.
// The VRRP configs name eth0/br0 and /usr/bin/havip, so those checks run in a private network
// namespace (a veth pair named eth0/br0) and a private mount namespace where an overlay puts the
// built havip at /usr/bin/havip; nothing on the host changes. sysctl runs in its own network
// namespace, where ip_nonlocal_bind is per namespace.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "tests/harness/command.hpp"
#include "tests/harness/product.hpp"

namespace havip::test {
namespace {

namespace fs = std::filesystem;

const std::string havip_bin = havip_path();
const fs::path samples = fs::path(HAVIP_SOURCE_DIR) / "tests/configs/inventories/good";

// `mariadbd --help --verbose` ends with a "name value" table of every variable.
std::map<std::string, std::string> variable_table(const std::string& out) {
    std::map<std::string, std::string> m;
    std::istringstream in(out);
    std::string line;
    bool table = false;
    while (std::getline(in, line)) {
        if (line.rfind("---------", 0) == 0) {
            table = true;
            continue;
        }
        if (!table) continue;
        auto sp = line.find(' ');
        if (sp == std::string::npos) continue;
        auto v = line.find_first_not_of(' ', sp);
        m[line.substr(0, sp)] = v == std::string::npos ? "" : line.substr(v);
    }
    return m;
}

std::string vrrp_ns_script(const fs::path& overlay, const std::string& command) {
    return "ip link add eth0 type veth peer name br0 && ip link set lo up && "
           "mount -t overlay overlay -o lowerdir=" +
           overlay.string() + ":/usr/bin /usr/bin && exec " + command;
}

struct Layout {
    const char* inventory;
    std::vector<const char*> nodes;
    bool vrrp;  // havipd.conf / keepalived.conf / sysctl.conf / monitor.cnf generated
    bool semi_sync;
};

class GeneratedFiles : public testing::TestWithParam<Layout> {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root (namespaces, mariadbd as root)";
        for (const char* tool : {"/usr/sbin/mariadbd", "/usr/sbin/keepalived", "/usr/sbin/sysctl"})
            if (!fs::exists(tool)) GTEST_SKIP() << tool << " is missing";
        dir_ = fs::path(HAVIP_BINARY_DIR) / "test-runs" /
               fmt_dir(testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_ / "ov");
        fs::permissions(dir_ / "ov", fs::perms(0755));
        // The overlay's /usr/bin/havip: root-owned and not writable by others, as
        // keepalived's enable_script_security demands.
        fs::copy_file(havip_bin, dir_ / "ov/havip");
        fs::permissions(dir_ / "ov/havip", fs::perms(0755));
    }
    void TearDown() override {
        if (!dir_.empty() && !HasFailure()) fs::remove_all(dir_);
    }
    static std::string fmt_dir(std::string name) {
        for (char& c : name)
            if (c == '/') c = '_';
        return "generate-" + name + "-" + std::to_string(::getpid());
    }
    fs::path dir_;
};

TEST_P(GeneratedFiles, are_accepted_by_mariadbd_havipd_keepalived_and_sysctl) {
    const Layout& layout = GetParam();
    const fs::path out = dir_ / "out";
    const std::vector<std::string> generate{
        havip_bin, "generate", (samples / layout.inventory).string(), "-o", out.string()};
    auto g = run_command(generate);
    ASSERT_TRUE(succeeded(generate, g));

    int server_id = 0;
    for (const char* node : layout.nodes) {
        ++server_id;
        const fs::path nd = out / node;
        SCOPED_TRACE(nd.string());

        // mariadbd parses every option of the file (an unknown one is exit 7) ...
        const std::vector<std::string> mariadbd{"/usr/sbin/mariadbd",
                                                "--defaults-file=" + (nd / "mariadb.cnf").string(),
                                                "--help", "--verbose"};
        auto m = run_command(mariadbd, std::chrono::seconds(20));
        ASSERT_TRUE(succeeded(mariadbd, m));
        EXPECT_EQ(m.err.find("[ERROR]"), std::string::npos) << m.err;
        // ... and takes the values we meant.
        auto vars = variable_table(m.out);
        EXPECT_EQ(vars["server-id"], std::to_string(server_id));
        EXPECT_EQ(vars["auto-increment-offset"], std::to_string(server_id));
        EXPECT_EQ(vars["auto-increment-increment"], "2");
        EXPECT_EQ(vars["binlog-format"], "ROW");
        EXPECT_EQ(vars["log-slave-updates"], "TRUE");
        EXPECT_EQ(vars["gtid-strict-mode"], "TRUE");
        EXPECT_EQ(vars["sync-binlog"], "1");
        EXPECT_EQ(vars["relay-log-recovery"], "TRUE");
        EXPECT_EQ(vars["skip-name-resolve"], "TRUE");
        EXPECT_EQ(vars["bind-address"], "0.0.0.0");
        EXPECT_EQ(vars["max-connect-errors"], "1000000");
        EXPECT_EQ(vars["read-only"], layout.vrrp ? "TRUE" : "FALSE");
        if (layout.semi_sync) {
            EXPECT_EQ(vars["rpl-semi-sync-master-enabled"], "FALSE");  // moved with the VIP
            EXPECT_EQ(vars["rpl-semi-sync-slave-enabled"], "TRUE");
            EXPECT_EQ(vars["rpl-semi-sync-master-wait-point"], "AFTER_SYNC");
            EXPECT_EQ(vars["init-rpl-role"], "SLAVE");
        }

        if (!layout.vrrp) {
            EXPECT_FALSE(fs::exists(nd / "havipd.conf"));
            continue;
        }
        for (const char* secret : {"monitor.cnf", "users.sql"}) {
            struct stat st {};
            ASSERT_EQ(::stat((nd / secret).c_str(), &st), 0) << secret;
            EXPECT_EQ(st.st_mode & 0777, 0600u) << secret;
        }

        const std::vector<std::string> havipd{
            "unshare",
            "-m",
            "--propagation",
            "private",
            "-n",
            "sh",
            "-c",
            vrrp_ns_script(dir_ / "ov", havipd_path() + " -t -f " + (nd / "havipd.conf").string())};
        auto h = run_command(havipd);
        EXPECT_TRUE(succeeded(havipd, h));
        EXPECT_EQ(h.err.find("warning:"), std::string::npos) << h.err;

        // keepalived -t exits non-zero for most problems but only logs some (an unknown
        // keyword, a disabled script): both are failures here.
        const std::vector<std::string> keepalived{
            "unshare",
            "-m",
            "--propagation",
            "private",
            "-n",
            "sh",
            "-c",
            vrrp_ns_script(dir_ / "ov",
                           "keepalived -t -l -D -f " + (nd / "keepalived.conf").string())};
        auto k = run_command(keepalived);
        EXPECT_TRUE(succeeded(keepalived, k));
        const std::string kout = k.out + k.err;
        for (const char* bad : {"Unknown", "unknown", "invalid", "Invalid", "Disabling",
                                "not found", "WARNING", "insecure"})
            EXPECT_EQ(kout.find(bad), std::string::npos) << bad << " in:\n" << kout;

        const std::vector<std::string> sysctl{
            "unshare", "-n", "sh", "-c",
            "sysctl -q -p " + (nd / "sysctl.conf").string() +
                " && cat /proc/sys/net/ipv4/ip_nonlocal_bind /proc/sys/net/ipv4/ip_forward"};
        auto s = run_command(sysctl);
        EXPECT_TRUE(succeeded(sysctl, s));
        EXPECT_EQ(s.out, "1\n0\n");  // nonlocal bind on, forwarding left off
    }
}

INSTANTIATE_TEST_SUITE_P(
    Inventories, GeneratedFiles,
    testing::Values(Layout{"3-node.yaml", {"db1", "db2"}, true, false},
                    Layout{"4-node.yaml", {"db1"}, false, false},
                    Layout{"5-node.yaml", {"db1", "db2"}, true, false},
                    Layout{"5-node-semi-sync.yaml", {"mysql-a", "mysql-b"}, true, true}),
    [](const testing::TestParamInfo<Layout>& param_info) {
        std::string n = param_info.param.inventory;
        n = n.substr(0, n.find('.'));
        for (char& c : n)
            if (c == '-') c = '_';
        return n;
    });

}  // namespace
}  // namespace havip::test
