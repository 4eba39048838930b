// libFuzzer target: any bytes given to load_string must produce diagnostics, never a crash,
// a hang or unbounded memory. Built with clang -fsanitize=fuzzer (not wired into CMake here).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/load.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    havip::config::LoadOptions options;
    options.config_id = "fuzz";
    options.interface_exists = [](std::string_view name) { return name == "eth0"; };
    // No stat of script files: the input names arbitrary paths. Includes are relative to a
    // directory that does not exist, so they match nothing.
    options.check_scripts = false;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto result =
        havip::config::load_string(text, "/nonexistent-fuzz-dir/keepalived.conf", options);
    for (const auto& diagnostic : result.diagnostics) {
        (void)havip::config::format(diagnostic);
    }
    return 0;
}
