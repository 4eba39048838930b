// libFuzzer entry for `havip status`'s side of the control protocol: whatever document comes
// back over the socket (a daemon of another version, a damaged reply) is rendered as a table
// and given an exit code without throwing, and nothing from it reaches the terminal as a
// control character.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "havip/status.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto document = nlohmann::json::parse(data, data + size, nullptr, false);
    if (document.is_discarded()) return 0;
    (void)havip::cli::status_exit_code(document);
    const auto table = havip::cli::render_table(document);  // never throws
    for (const char c : table)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n') __builtin_trap();
    return 0;
}
