// What every benchmark's command line shares: the common options, a reader for the rest, the
// README section it publishes, and its main.
#pragma once

#include <climits>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "bench/report.hpp"

namespace havip::bench {

// The options every benchmark takes; a benchmark's own Options derive from it.
struct CommonOptions {
    bool smoke = false;         // --smoke: a seconds-long run, the one ctest makes
    bool write_readme = false;  // --write-readme: also write the results into bench/README.md
    std::string havipd = HAVIPD_BIN;                  // --havipd PATH
    std::string keepalived = "/usr/sbin/keepalived";  // --keepalived PATH
};

// Walks a command line one argument at a time. A lookup that does not match the current
// argument, or whose value is missing or malformed, gives nullopt and consumes nothing, so a
// parser's chain of lookups ends in "unknown argument" for all of them:
//     Arguments args(argc, argv);
//     while (args.next()) {
//         if (args.common(options)) continue;
//         if (auto n = args.number("--runs", 1)) options.runs = *n;
//         else return std::nullopt;
//     }
class Arguments {
  public:
    Arguments(int argc, char** argv) : argc_(argc), argv_(argv) {}

    // Moves to the next argument; false past the last.
    bool next() { return ++at_ < argc_; }
    // The current argument is `name`.
    bool is(std::string_view name) const { return argv_[at_] == name; }
    // When the current argument is `name`: the word after it, consumed.
    std::optional<std::string> value(std::string_view name);
    // The same for a whole number in [minimum, maximum].
    std::optional<long> number(std::string_view name, long minimum, long maximum = LONG_MAX);
    // Takes the current argument into `options` when it is a common one.
    bool common(CommonOptions& options);

  private:
    int argc_;
    char** argv_;
    int at_ = 0;
};

// With --write-readme, writes `results` as the benchmark's section of bench/README.md
// (write_readme) and says so. False, after printing why, when that failed.
bool publish(const CommonOptions& options, std::string_view section, std::string_view title,
             const std::string& command, const std::string& results);

// A benchmark's main: `parse(argc, argv)` gives its options or nullopt (then `usage` is
// printed and the exit code is 2); then `run(options, command as typed)`.
template <typename Parse, typename Run>
int bench_main(int argc, char** argv, Parse parse, Run run, std::string_view usage) {
    const auto options = parse(argc, argv);
    if (!options) {
        fmt::print("{}", usage);
        return 2;
    }
    const std::string command = command_line(argc, argv);
    stop_on_signals();
    return run(*options, command);
}

}  // namespace havip::bench
