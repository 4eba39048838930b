// `havipd -t` on the HA guide's two keepalived.conf files, as a user pastes them, on a node
// that has the interface (eth0) and the check script (/etc/keepalived/chk_mysql) they name.
// The script is placed on a tmpfs over /etc/keepalived in a private mount namespace, so the
// host's /etc is never touched.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/harness/lab.hpp"
#include "tests/harness/product.hpp"

namespace havip::test {
namespace {

const std::string guide_dir = std::string{HAVIP_SOURCE_DIR} + "/tests/configs/hazardous";

// Runs `havipd -t -f CONF` in the node; with `script` the guide's check script is in place.
CommandResult config_test(Lab& lab, const std::string& conf, bool script) {
    std::string place = script ? "printf '#!/bin/bash\\necho | nc 127.0.0.1 3306 &>/dev/null\\n' "
                                 ">/etc/keepalived/chk_mysql && chmod +x /etc/keepalived/chk_mysql && "
                               : "";
    return lab.run("db1", {"unshare", "-m", "--propagation", "private", "sh", "-c",
                           "mount -t tmpfs tmpfs /etc/keepalived && " + place + "exec " +
                               havipd_path() + " -t -f " + conf});
}

class GuideConfigs : public LabTest {
  protected:
    void SetUp() override {
        LabTest::SetUp();
        if (IsSkipped() || HasFatalFailure()) return;
        if (!std::filesystem::is_directory("/etc/keepalived"))
            GTEST_SKIP() << "/etc/keepalived is missing (install keepalived)";
        ASSERT_TRUE(lab().add_node("db1", "eth0"));
    }
};

TEST_F(GuideConfigs, master_and_backup_configs_are_accepted_with_their_script_in_place) {
    for (const char* name : {"ha-guide-master.conf", "ha-guide-backup.conf"}) {
        auto r = config_test(lab(), guide_dir + "/" + name, true);
        EXPECT_EQ(r.exit_code, 0) << name << "\n" << r.err;
        EXPECT_NE(r.err.find("configuration OK"), std::string::npos) << r.err;
        // The comment that swallows auth_pass on the guide's authentication line is named.
        EXPECT_NE(r.err.find("auth_type PASS without auth_pass"), std::string::npos) << r.err;
    }
}

TEST_F(GuideConfigs, a_missing_check_script_is_an_error_not_a_silently_disabled_check) {
    auto r = config_test(lab(), guide_dir + "/ha-guide-master.conf", false);
    EXPECT_EQ(r.exit_code, 5) << r.err;
    EXPECT_NE(r.err.find("ha-guide-master.conf:5:8: error: program \"/etc/keepalived/chk_mysql\""),
              std::string::npos)
        << r.err;
}

}  // namespace
}  // namespace havip::test
