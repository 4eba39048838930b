// The command strings of `script` and `notify*`: split into words the way keepalived does
// before exec (no shell is involved).
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace havip::config {

struct CommandSplitError {
    std::size_t offset = 0;  // byte offset in the command string
    std::string message;
};

// '…' and "…" group words; outside single quotes the escapes \n \t \xHH \nnn (octal) \cX
// (control-X) and \\ are decoded, and a backslash before any other byte keeps that byte.
std::variant<std::vector<std::string>, CommandSplitError> split_command(std::string_view text);

}  // namespace havip::config
