// The block structure of keepalived.conf: statements (a keyword and its values on one line)
// and blocks (`keyword values { … }`), built from tokens before any keyword has a meaning.
#pragma once

#include <vector>

#include "config/diagnostic.hpp"
#include "config/lexer.hpp"

namespace havip::config {

struct Node {
    Token keyword;
    std::vector<Token> values;  // words after the keyword, up to the line end or a brace
    bool is_block = false;
    SourceLocation open_brace;  // where its `{` was, when is_block
    std::vector<Node> children;
};

// `{` may follow the keyword on the same line or start the next line; `}` and `{` end a
// statement wherever they are. Unmatched braces are errors at the brace's position.
std::vector<Node> build_tree(const std::vector<Token>& tokens, Diagnostics& diagnostics);

}  // namespace havip::config
