#include "config/tree.hpp"

namespace havip::config {
namespace {

// Deeper nesting than any real configuration; keeps recursion bounded for hostile input.
constexpr int max_depth = 64;

class TreeBuilder {
  public:
    TreeBuilder(const std::vector<Token>& tokens, Diagnostics& diagnostics)
        : tokens_(tokens), diagnostics_(diagnostics) {}

    std::vector<Node> build() {
        std::vector<Node> top;
        while (pos_ < tokens_.size()) {
            parse_items(top, 0);
            if (pos_ < tokens_.size()) {
                // parse_items at depth 0 only returns on a `}` it did not open.
                diagnostics_.error(tokens_[pos_].where, "unmatched '}'");
                ++pos_;
            }
        }
        return top;
    }

  private:
    bool at(TokenKind kind) const { return pos_ < tokens_.size() && tokens_[pos_].kind == kind; }

    void skip_line_ends() {
        while (at(TokenKind::end_of_line))
            ++pos_;
    }

    // Reads statements until a `}` (left unconsumed) or the end of the tokens.
    void parse_items(std::vector<Node>& out, int depth) {
        while (pos_ < tokens_.size()) {
            const Token& token = tokens_[pos_];
            switch (token.kind) {
                case TokenKind::end_of_line:
                    ++pos_;
                    break;
                case TokenKind::close_brace:
                    return;
                case TokenKind::open_brace: {
                    diagnostics_.error(token.where, "'{' without a keyword before it");
                    Node ignored;
                    parse_block(ignored, depth);
                    break;
                }
                case TokenKind::word:
                    out.push_back(parse_statement(depth));
                    break;
            }
        }
    }

    Node parse_statement(int depth) {
        Node node;
        node.keyword = tokens_[pos_++];
        while (at(TokenKind::word))
            node.values.push_back(tokens_[pos_++]);
        if (at(TokenKind::end_of_line)) {
            // `keyword` on one line and `{` alone on the next is a block too.
            std::size_t save = pos_;
            skip_line_ends();
            if (!at(TokenKind::open_brace)) pos_ = save;
        }
        if (at(TokenKind::open_brace)) parse_block(node, depth);
        return node;
    }

    // pos_ is at a `{`.
    void parse_block(Node& node, int depth) {
        node.is_block = true;
        node.open_brace = tokens_[pos_].where;
        ++pos_;
        if (depth + 1 >= max_depth) {
            if (!too_deep_reported_) {
                diagnostics_.error(node.open_brace, "blocks are nested too deeply");
                too_deep_reported_ = true;
            }
            skip_balanced();
        } else {
            parse_items(node.children, depth + 1);
        }
        if (at(TokenKind::close_brace)) {
            ++pos_;
        } else {
            diagnostics_.error(node.open_brace, "unmatched '{' (no '}' closes it)");
        }
    }

    // Skips to the `}` matching an already consumed `{`, leaving it unconsumed.
    void skip_balanced() {
        int open = 0;
        while (pos_ < tokens_.size()) {
            const TokenKind kind = tokens_[pos_].kind;
            if (kind == TokenKind::close_brace) {
                if (open == 0) return;
                --open;
            } else if (kind == TokenKind::open_brace) {
                ++open;
            }
            ++pos_;
        }
    }

    const std::vector<Token>& tokens_;
    Diagnostics& diagnostics_;
    std::size_t pos_ = 0;
    bool too_deep_reported_ = false;
};

}  // namespace

std::vector<Node> build_tree(const std::vector<Token>& tokens, Diagnostics& diagnostics) {
    return TreeBuilder(tokens, diagnostics).build();
}

}  // namespace havip::config
