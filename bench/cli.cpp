#include "bench/cli.hpp"

#include <charconv>
#include <filesystem>

namespace havip::bench {

std::optional<std::string> Arguments::value(std::string_view name) {
    if (!is(name) || at_ + 1 >= argc_) return std::nullopt;
    return argv_[++at_];
}

std::optional<long> Arguments::number(std::string_view name, long minimum, long maximum) {
    if (!is(name) || at_ + 1 >= argc_) return std::nullopt;
    const std::string_view text = argv_[at_ + 1];
    long n = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error != std::errc{} || end != text.data() + text.size() || n < minimum || n > maximum)
        return std::nullopt;
    ++at_;
    return n;
}

bool Arguments::common(CommonOptions& options) {
    if (is("--smoke")) {
        options.smoke = true;
    } else if (is("--write-readme")) {
        options.write_readme = true;
    } else if (auto havipd = value("--havipd")) {
        options.havipd = *havipd;
    } else if (auto keepalived = value("--keepalived")) {
        options.keepalived = *keepalived;
    } else {
        return false;
    }
    return true;
}

bool publish(const CommonOptions& options, std::string_view section, std::string_view title,
             const std::string& command, const std::string& results) {
    if (!options.write_readme) return true;
    const auto readme = std::filesystem::path(HAVIP_SOURCE_DIR) / "bench" / "README.md";
    if (auto error = write_readme(readme, section, title, command, results)) {
        fmt::print(stderr, "{}\n", *error);
        return false;
    }
    fmt::print("wrote {}\n", readme.string());
    return true;
}

}  // namespace havip::bench
