#include "config/load.hpp"

#include <algorithm>
#include <fstream>

#include "config/lexer.hpp"
#include "config/parser.hpp"
#include "config/tree.hpp"
#include "config/validate.hpp"

namespace havip::config {
namespace {

LoadResult finish(const std::vector<Token>& tokens, const LoadOptions& options,
                  Diagnostics& diagnostics) {
    LoadResult result;
    std::vector<Node> tree = build_tree(tokens, diagnostics);
    Config config = parse_config(tree, diagnostics);
    validate(config, options, diagnostics);
    result.config = std::move(config);
    result.diagnostics = diagnostics.take_sorted();
    return result;
}

}  // namespace

bool LoadResult::ok() const {
    return config.has_value() &&
           std::none_of(diagnostics.begin(), diagnostics.end(),
                        [](const Diagnostic& d) { return d.severity == Severity::error; });
}

LoadResult load_file(const std::filesystem::path& path, const LoadOptions& options) {
    Diagnostics diagnostics;
    std::error_code ec;
    const bool readable = std::filesystem::is_regular_file(path, ec) && std::ifstream(path).good();
    std::vector<Token> tokens = lex_file(path, LexOptions{options.config_id}, diagnostics);
    if (!readable) {
        // Nothing was read at all (lex_file said why): there is no configuration to speak of.
        return LoadResult{std::nullopt, diagnostics.take_sorted()};
    }
    return finish(tokens, options, diagnostics);
}

LoadResult load_string(std::string_view text, std::string_view file_name,
                       const LoadOptions& options) {
    Diagnostics diagnostics;
    std::vector<Token> tokens =
        lex_string(text, file_name, LexOptions{options.config_id}, diagnostics);
    return finish(tokens, options, diagnostics);
}

}  // namespace havip::config
