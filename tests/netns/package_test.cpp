// The .deb and the man pages (issue 5 item 6): `cpack -G DEB` in the build tree makes a package
// that installs both binaries, the systemd unit and its options file (a conffile), the three
// man pages and the example configuration, with shared-library dependencies filled in; the man
// pages render without a single groff or man warning.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/harness/command.hpp"
#include "tests/harness/product.hpp"

namespace havip::test {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

bool have(const std::string& tool) {
    return run_command({"sh", "-c", "command -v " + tool}, 5s).exit_code == 0;
}

const fs::path source_dir = HAVIP_SOURCE_DIR;
const fs::path binary_dir = HAVIP_BINARY_DIR;

// cpack runs once for the suite (it is the slow part); each test reads the one package.
class DebPackageTest : public testing::Test {
  protected:
    static void SetUpTestSuite() {
        for (const char* tool : {"cpack", "dpkg-deb", "dpkg-shlibdeps"})
            if (!have(tool)) return skip(fmt::format("{} is not installed", tool));
        if (!fs::exists(binary_dir / "CPackConfig.cmake"))
            return skip("no CPackConfig.cmake in " + binary_dir.string());
        dir_ = fs::temp_directory_path() / fmt::format("hvops-deb-{}", ::getpid());
        fs::create_directories(dir_);
        cpack_ = run_command({"cpack", "-G", "DEB", "-B", dir_.string(), "--config",
                              (binary_dir / "CPackConfig.cmake").string()},
                             60s);
        for (const auto& e : fs::directory_iterator(dir_))
            if (e.path().extension() == ".deb") deb_ = e.path();
    }
    static void TearDownTestSuite() {
        if (!dir_.empty()) fs::remove_all(dir_);
    }
    static void skip(std::string why) { skip_ = std::move(why); }

    void SetUp() override {
        if (!skip_.empty()) GTEST_SKIP() << skip_;
        ASSERT_EQ(cpack_.exit_code, 0) << cpack_.out << cpack_.err;
        ASSERT_FALSE(deb_.empty()) << cpack_.out;
    }

    std::string dpkg_deb(const std::vector<std::string>& args) {
        std::vector<std::string> argv{"dpkg-deb"};
        argv.insert(argv.end(), args.begin(), args.end());
        argv.push_back(deb_.string());
        const auto r = run_command(argv, 20s);
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r.out;
    }

    static inline std::string skip_;
    static inline fs::path dir_;
    static inline fs::path deb_;
    static inline CommandResult cpack_;
};

TEST_F(DebPackageTest, package_installs_binaries_unit_man_pages_and_example_config) {
    const auto listing = dpkg_deb({"-c"});
    for (const char* path :
         {"./usr/sbin/havipd", "./usr/bin/havip", "./usr/lib/systemd/system/havipd.service",
          "./etc/default/havipd", "./usr/share/man/man8/havipd.8", "./usr/share/man/man1/havip.1",
          "./usr/share/man/man5/havipd.conf.5", "./usr/share/doc/havip/examples/keepalived.conf"})
        EXPECT_NE(listing.find(std::string(path) + "\n"), std::string::npos)
            << path << " is missing from\n"
            << listing;
    // Only what a node needs: no test or benchmark programs.
    EXPECT_EQ(listing.find("netns_"), std::string::npos) << listing;
    EXPECT_EQ(listing.find("unit_"), std::string::npos) << listing;
}

TEST_F(DebPackageTest, control_names_the_package_its_library_dependencies_and_the_conffile) {
    const auto depends = dpkg_deb({"-f"});
    EXPECT_NE(depends.find("Package: havip\n"), std::string::npos) << depends;
    // dpkg-shlibdeps filled these in from the binaries.
    EXPECT_NE(depends.find("libc6"), std::string::npos) << depends;
    EXPECT_NE(depends.find("libmariadb3"), std::string::npos) << depends;  // dlopened, named by hand
    EXPECT_NE(depends.find("libmnl0"), std::string::npos) << depends;
    const auto r = run_command({"dpkg-deb", "-I", deb_.string(), "conffiles"}, 10s);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("/etc/default/havipd"), std::string::npos) << r.out;
}

// The packaged example is a configuration havipd accepts as it is (on a node with an eth0).
TEST(ExampleConfig, example_configuration_passes_havipd_t) {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace with an eth0";
    const auto example = (source_dir / "man" / "examples" / "keepalived.conf").string();
    const auto r = run_command({"unshare", "-n", "sh", "-c",
                                fmt::format("ip link add eth0 type veth peer name eth9 && "
                                            "exec {} -t -f {}",
                                            havipd_path(), example)},
                               20s);
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.err.find("0 errors, 0 warnings"), std::string::npos) << r.err;
}

TEST(ManPages, render_without_groff_or_man_warnings) {
    if (!have("groff")) GTEST_SKIP() << "groff is not installed";
    for (const char* page : {"havipd.8", "havip.1", "havipd.conf.5"}) {
        const auto path = (source_dir / "man" / page).string();
        const auto g = run_command({"groff", "-man", "-ww", "-z", path}, 20s);
        EXPECT_EQ(g.exit_code, 0) << page << g.err;
        EXPECT_EQ(g.err, "") << page;
        if (have("man")) {
            const auto m =
                run_command({"env", "MANWIDTH=80", "man", "--warnings", "-l", path}, 20s);
            EXPECT_EQ(m.exit_code, 0) << page << m.err;
            EXPECT_EQ(m.err, "") << page;
            EXPECT_NE(m.out.find("NAME"), std::string::npos) << page;
        }
    }
}

}  // namespace
}  // namespace havip::test
