// `havip check mysql [options]`: mysql_check's judgement as a one-shot command, so a plain
// keepalived can run it as a vrrp_script. Exit 0 when healthy, 1 otherwise, the reason on
// stdout.
#pragma once

#include <string>
#include <vector>

namespace havip::cli {

int check_mysql(const std::vector<std::string>& args);

// The text of `havip check mysql --help`.
std::string check_mysql_usage();

}  // namespace havip::cli
