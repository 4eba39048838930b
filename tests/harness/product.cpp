#include "tests/harness/product.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace havip::test {

namespace {

// The same file in the build named by HAVIP_PRODUCT_DIR, if set; else this build's.
std::string in_product(const std::filesystem::path& built_here) {
    const char* other = std::getenv("HAVIP_PRODUCT_DIR");
    if (other == nullptr || *other == '\0') return built_here.string();
    return (std::filesystem::path(other) / built_here.lexically_relative(HAVIP_BINARY_DIR))
        .string();
}

}  // namespace

std::string havipd_path() {
    return in_product(HAVIPD_BIN);
}
std::string havip_path() {
    return in_product(HAVIP_BIN);
}
std::string slow_calls_path() {
    return in_product(HAVIP_SLOW_CALLS_LIB);
}
bool product_sanitized() {
    static const bool sanitized = [] {
        std::ifstream cache(in_product(std::filesystem::path(HAVIP_BINARY_DIR) / "CMakeCache.txt"));
        for (std::string line; std::getline(cache, line);)
            if (line == "HAVIP_SANITIZE:BOOL=ON") return true;
        return false;
    }();
    return sanitized;
}

}  // namespace havip::test
