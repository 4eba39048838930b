// havip: the operator's command. `havip status` asks the running havipd; the exit code is the
// verdict (README.md "Operations").
#include <iostream>
#include <string>
#include <vector>

#include "havip/bootstrap.hpp"
#include "havip/check_mysql.hpp"
#include "havip/generate.hpp"
#include "havip/operator.hpp"
#include "havip/rejoin.hpp"
#include "havip/status.hpp"

namespace {

const char* usage =
    "Usage: havip COMMAND [ARGS]\n"
    "Commands:\n"
    "  status [--socket PATH] [--json]   state, checks and counters of the running havipd\n"
    "  clear-diverged [INSTANCE]         clear the diverged latch in the running havipd (root)\n"
    "  switchover [INSTANCE]             move the VIP to the peer with no write lost (root)\n"
    "  promote --force [INSTANCE]        make this node eligible by decision of a person (root)\n"
    "  check mysql [OPTIONS]             mysql_check's verdict once (for a vrrp_script)\n"
    "  generate INVENTORY -o DIR         every node's HA setup files and a checklist\n"
    "  bootstrap INVENTORY --admin-option-file FILE [--secrets DIR] [--dry-run]\n"
    "                                    set up master-master replication of the two nodes\n"
    "  rejoin INVENTORY --admin-option-file FILE [--dry-run]\n"
    "                                    save a stale node's extra transactions, roll them\n"
    "                                    back (or re-seed it from the authority) and clear\n"
    "                                    its diverged latch\n";

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        std::cerr << usage;
        return havip::cli::exit_usage;
    }
    const std::string command = args.front();
    args.erase(args.begin());
    if (command == "status") return havip::cli::run_status(args, std::cout, std::cerr);
    if (command == "check" && !args.empty() && args.front() == "mysql")
        return havip::cli::check_mysql({args.begin() + 1, args.end()});
    if (command == "clear-diverged" || command == "promote" || command == "switchover")
        return havip::cli::run_operator(command, args, std::cout, std::cerr);
    if (command == "generate") return havip::cli::run_generate(args, std::cout, std::cerr);
    if (command == "bootstrap") return havip::cli::run_bootstrap(args, std::cout, std::cerr);
    if (command == "rejoin") return havip::cli::run_rejoin(args, std::cout, std::cerr);
    if (command == "-h" || command == "--help" || command == "help") {
        std::cout << usage;
        return 0;
    }
    std::cerr << "havip: unknown command '" << command << "'\n" << usage;
    return havip::cli::exit_usage;
}
