// keepalived.conf lexing: the line-level preprocessing keepalived does before it looks at
// keywords (comments, `@ID` conditionals, `$NAME=value` definitions and substitution,
// `include`), then tokens. Reads only the configuration files themselves.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/diagnostic.hpp"

namespace havip::config {

enum class TokenKind { word, open_brace, close_brace, end_of_line };

struct Token {
    TokenKind kind = TokenKind::word;
    std::string text;  // the word with its double quotes removed
    SourceLocation where;
    bool quoted = false;  // the word was written in double quotes
};

// keepalived reads lines into a 1024-byte buffer; longer lines are an error here.
inline constexpr std::size_t max_line_length = 1024;

struct LexOptions {
    std::string config_id;  // for `@ID` lines and ${_INSTANCE}
};

// The token stream of a file and everything it includes. Every line ends with an
// end_of_line token; `{` and `}` outside quotes are tokens of their own.
std::vector<Token> lex_file(const std::filesystem::path& path, const LexOptions& options,
                            Diagnostics& diagnostics);

// As lex_file for text already in memory; `file_name` names it in diagnostics and its
// directory anchors relative includes.
std::vector<Token> lex_string(std::string_view text, std::string_view file_name,
                              const LexOptions& options, Diagnostics& diagnostics);

}  // namespace havip::config
