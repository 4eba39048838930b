// libFuzzer target for the HA inventory parser (havip/inventory parse_inventory): any bytes
// must give an inventory or errors naming the problem, never an exception (yaml-cpp throws on
// malformed YAML and on bad conversions), a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "havip/inventory.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto result = havip::cli::parse_inventory(text, "fuzz.yaml");
    if (const auto* errors = std::get_if<havip::cli::InventoryErrors>(&result)) {
        // A refusal always says why.
        if (errors->messages.empty()) __builtin_trap();
    }
    return 0;
}
