#include "config/lexer.hpp"

#include <glob.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <utility>

#include <fmt/format.h>

namespace havip::config {
namespace {

namespace fs = std::filesystem;

// Bounds that keep a hostile or broken file (or the fuzzer) from exhausting memory: no real
// configuration comes near them.
constexpr int max_expansions_per_line = 1000;
constexpr std::size_t max_expanded_line = 64 * 1024;
// Over the whole configuration, the text the expansions move (each rewrites its line): lines
// each within the bounds above would otherwise add up to minutes.
constexpr std::uintmax_t max_expansion_work = 64 * 1024 * 1024;
constexpr std::size_t max_include_depth = 32;
constexpr std::uintmax_t max_file_size = 16 * 1024 * 1024;
// In all, over every include: a file included twice at each of 32 levels would otherwise be
// read 2^32 times (a reload that never ends), and many large files exhaust memory.
constexpr std::size_t max_files_read = 1000;
constexpr std::uintmax_t max_bytes_read = 64 * 1024 * 1024;

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// A line on its way through preprocessing; every byte keeps the 1-based column it had in the
// file (bytes a variable expanded to take the column of the `$`), so a token found after
// substitution still points at what the user wrote.
struct Line {
    std::string text;
    std::vector<int> columns;

    void push(char c, int column) {
        text.push_back(c);
        columns.push_back(column);
    }
    bool empty() const { return text.empty(); }
    int end_column() const { return columns.empty() ? 1 : columns.back() + 1; }

    void trim() {
        std::size_t begin = 0;
        while (begin < text.size() && is_blank(text[begin]))
            ++begin;
        std::size_t end = text.size();
        while (end > begin && is_blank(text[end - 1]))
            --end;
        text = text.substr(begin, end - begin);
        columns = std::vector<int>(columns.begin() + static_cast<std::ptrdiff_t>(begin),
                                   columns.begin() + static_cast<std::ptrdiff_t>(end));
    }
    void drop_front(std::size_t n) {
        text.erase(0, n);
        columns.erase(columns.begin(), columns.begin() + static_cast<std::ptrdiff_t>(n));
    }
    void drop_back() {
        text.pop_back();
        columns.pop_back();
    }
};

// `#` and `!` start a comment anywhere outside double quotes; `\#` and `\!` are the literal
// characters (keepalived's parser behaves the same).
Line strip_comments(std::string_view raw) {
    Line line;
    bool in_quotes = false;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        const char c = raw[i];
        const int column = static_cast<int>(i) + 1;
        if (c == '"') {
            in_quotes = !in_quotes;
        } else if (!in_quotes && c == '\\' && i + 1 < raw.size() &&
                   (raw[i + 1] == '#' || raw[i + 1] == '!')) {
            line.push(raw[i + 1], column);
            ++i;
            continue;
        } else if (!in_quotes && (c == '#' || c == '!')) {
            break;
        }
        line.push(c, column);
    }
    return line;
}

struct FileContext {
    std::string name;  // as shown in diagnostics
    fs::path directory;
};

class Lexer {
  public:
    Lexer(const LexOptions& options, Diagnostics& diagnostics)
        : options_(options), diagnostics_(diagnostics) {}

    void process_file(const fs::path& path, const SourceLocation* included_from) {
        std::error_code ec;
        fs::path canonical = fs::weakly_canonical(path, ec);
        if (ec) canonical = path;
        SourceLocation file_level{path.string(), 0, 0, order_};
        const SourceLocation& where = included_from ? *included_from : file_level;
        if (std::find(stack_.begin(), stack_.end(), canonical) != stack_.end()) {
            diagnostics_.error(
                where, fmt::format("include cycle: \"{}\" is already being read", path.string()));
            return;
        }
        if (stack_.size() >= max_include_depth) {
            diagnostics_.error(where,
                               fmt::format("includes nested more than {} deep", max_include_depth));
            return;
        }
        if (fs::is_directory(path, ec)) {
            diagnostics_.error(where,
                               fmt::format("cannot read \"{}\": is a directory", path.string()));
            return;
        }
        // Only regular files of sane size: `include /dev/zero` would never end.
        if (fs::exists(path, ec) && !fs::is_regular_file(path, ec)) {
            diagnostics_.error(
                where, fmt::format("cannot read \"{}\": not a regular file", path.string()));
            return;
        }
        const auto size = fs::file_size(path, ec);
        if (!ec && size > max_file_size) {
            diagnostics_.error(where, fmt::format("cannot read \"{}\": larger than {} bytes",
                                                  path.string(), max_file_size));
            return;
        }
        if (files_read_ >= max_files_read || (!ec && bytes_read_ + size > max_bytes_read)) {
            diagnostics_.error(where, fmt::format("cannot read \"{}\": the configuration with its "
                                                  "includes reads more than {} files or {} bytes",
                                                  path.string(), max_files_read, max_bytes_read));
            return;
        }
        ++files_read_;
        if (!ec) bytes_read_ += size;
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            diagnostics_.error(
                where, fmt::format("cannot read \"{}\": {}", path.string(), std::strerror(errno)));
            return;
        }
        std::ostringstream content;
        content << in.rdbuf();
        stack_.push_back(canonical);
        fs::path directory = path.parent_path();
        if (directory.empty()) directory = ".";
        process_text(content.str(), FileContext{path.string(), directory});
        stack_.pop_back();
    }

    void process_named_text(std::string_view text, std::string_view file_name) {
        fs::path path(file_name);
        std::error_code ec;
        fs::path canonical = fs::weakly_canonical(path, ec);
        stack_.push_back(ec ? path : canonical);
        fs::path directory = path.parent_path();
        if (directory.empty()) directory = ".";
        process_text(text, FileContext{std::string(file_name), directory});
        stack_.pop_back();
    }

    std::vector<Token> take() { return std::move(tokens_); }

  private:
    struct PendingDefinition {
        std::string name;
        std::vector<std::string> lines;
    };

    void process_text(std::string_view text, const FileContext& file) {
        std::optional<PendingDefinition> defining;
        int line_number = 0;
        std::size_t start = 0;
        while (start <= text.size()) {
            std::size_t end = text.find('\n', start);
            if (end == std::string_view::npos) {
                if (start == text.size()) break;
                end = text.size();
            }
            std::string_view raw = text.substr(start, end - start);
            start = end + 1;
            ++line_number;
            ++order_;
            if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
            const SourceLocation where{file.name, line_number, 1, order_};
            if (raw.size() > max_line_length) {
                diagnostics_.error(
                    at(where, static_cast<int>(max_line_length) + 1),
                    fmt::format("line is longer than {} bytes ({} bytes); keepalived would "
                                "split it",
                                max_line_length, raw.size()));
                continue;
            }
            Line line = strip_comments(raw);
            line.trim();
            if (defining) {
                const bool more = ends_with_backslash(line);
                if (more) {
                    line.drop_back();
                    line.trim();
                }
                defining->lines.push_back(line.text);
                if (!more) {
                    variables_[defining->name] = std::move(defining->lines);
                    defining.reset();
                }
                continue;
            }
            if (line.empty()) continue;
            if (line.text[0] == '@' && !keep_conditional(line)) continue;
            if (line.empty()) continue;
            if (auto name = definition_name(line)) {
                line.drop_front(name->size() + 2);
                line.trim();
                if (ends_with_backslash(line)) {
                    line.drop_back();
                    line.trim();
                    defining = PendingDefinition{*name, {line.text}};
                } else {
                    variables_[*name] = {line.text};
                }
                continue;
            }
            if (ends_with_backslash(line)) {
                diagnostics_.error(
                    at(where, line.columns.back()),
                    "'\\' at the end of a line does not continue it: keepalived reads the "
                    "backslash as part of the value; join the lines");
                line.drop_back();
                line.trim();
                if (line.empty()) continue;
            }
            for (Line& part : substitute(std::move(line), where, file)) {
                part.trim();
                if (part.empty()) continue;
                if (is_include(part)) {
                    include(part, where, file);
                } else {
                    tokenize(part, where);
                }
            }
        }
        if (defining) variables_[defining->name] = std::move(defining->lines);
    }

    static SourceLocation at(const SourceLocation& line, int column) {
        SourceLocation where = line;
        where.column = column;
        return where;
    }

    static bool ends_with_backslash(const Line& line) {
        return !line.empty() && line.text.back() == '\\';
    }

    // `@ID rest` keeps `rest` only on the node whose config id is ID; `@^ID rest` on every
    // other node.
    bool keep_conditional(Line& line) const {
        std::size_t i = 1;
        const bool negated = i < line.text.size() && line.text[i] == '^';
        if (negated) ++i;
        std::size_t id_end = i;
        while (id_end < line.text.size() && !is_blank(line.text[id_end]))
            ++id_end;
        const std::string_view id = std::string_view(line.text).substr(i, id_end - i);
        const bool match = id == options_.config_id;
        if (match == negated) return false;
        line.drop_front(id_end);
        line.trim();
        return true;
    }

    // `$NAME=value`: no white space between the name and `=`.
    static std::optional<std::string> definition_name(const Line& line) {
        if (line.text[0] != '$') return std::nullopt;
        std::size_t i = 1;
        while (i < line.text.size() && is_name_char(line.text[i]))
            ++i;
        if (i == 1 || i >= line.text.size() || line.text[i] != '=') return std::nullopt;
        return line.text.substr(1, i - 1);
    }

    std::optional<std::string> lookup(std::string_view name, const FileContext& file) const {
        if (name == "_PWD") {
            std::error_code ec;
            fs::path absolute = fs::absolute(file.directory, ec);
            return (ec ? file.directory : absolute.lexically_normal()).string();
        }
        if (name == "_INSTANCE") return options_.config_id;
        if (name == "_HASH") return std::string("#");
        if (name == "_BANG") return std::string("!");
        auto it = variables_.find(name);
        if (it == variables_.end()) return std::nullopt;
        std::string joined;
        for (std::size_t i = 0; i < it->second.size(); ++i) {
            if (i > 0) joined.push_back('\n');
            joined += it->second[i];
        }
        return joined;
    }

    // `$NAME` is replaced when followed by white space, `,`, `)` or the end of the line;
    // `${NAME}` anywhere. Values are scanned again, so definitions may use definitions. A
    // multi-line value splits the line into several.
    std::vector<Line> substitute(Line line, const SourceLocation& where, const FileContext& file) {
        int expansions = 0;
        std::size_t i = 0;
        while (i < line.text.size()) {
            if (line.text[i] != '$') {
                ++i;
                continue;
            }
            std::string name;
            std::size_t end = 0;
            if (i + 1 < line.text.size() && line.text[i + 1] == '{') {
                const std::size_t close = line.text.find('}', i + 2);
                if (close == std::string::npos) {
                    ++i;
                    continue;
                }
                name = line.text.substr(i + 2, close - i - 2);
                end = close + 1;
            } else {
                std::size_t j = i + 1;
                while (j < line.text.size() && is_name_char(line.text[j]))
                    ++j;
                // '\n' ends a line of a multi-line value.
                const bool delimited = j == line.text.size() || is_blank(line.text[j]) ||
                                       line.text[j] == ',' || line.text[j] == ')' ||
                                       line.text[j] == '\n';
                if (j == i + 1 || !delimited) {
                    ++i;
                    continue;
                }
                name = line.text.substr(i + 1, j - i - 1);
                end = j;
            }
            const int column = line.columns[i];
            auto value = lookup(name, file);
            if (!value) {
                diagnostics_.warning(at(where, column),
                                     fmt::format("variable \"{}\" is not defined; \"{}\" is "
                                                 "kept as written",
                                                 name, line.text.substr(i, end - i)));
                i = end;
                continue;
            }
            if (++expansions > max_expansions_per_line ||
                line.text.size() + value->size() > max_expanded_line) {
                diagnostics_.error(at(where, column),
                                   fmt::format("expanding variable \"{}\" does not end "
                                               "(a definition that uses itself?)",
                                               name));
                return {};
            }
            expansion_work_ += line.text.size() + value->size();
            if (expansion_work_ > max_expansion_work) {
                if (!expansion_stopped_)
                    diagnostics_.error(at(where, column),
                                       fmt::format("expanding variables moves more than {} MiB "
                                                   "of text in this configuration; stopped at "
                                                   "\"{}\" (definitions that multiply?)",
                                                   max_expansion_work >> 20, name));
                expansion_stopped_ = true;
                return {};
            }
            line.text.replace(i, end - i, *value);
            line.columns.erase(line.columns.begin() + static_cast<std::ptrdiff_t>(i),
                               line.columns.begin() + static_cast<std::ptrdiff_t>(end));
            line.columns.insert(line.columns.begin() + static_cast<std::ptrdiff_t>(i),
                                value->size(), column);
        }
        std::vector<Line> parts(1);
        for (std::size_t k = 0; k < line.text.size(); ++k) {
            if (line.text[k] == '\n') {
                parts.emplace_back();
            } else {
                parts.back().push(line.text[k], line.columns[k]);
            }
        }
        return parts;
    }

    static bool is_include(const Line& line) {
        return line.text.rfind("include", 0) == 0 &&
               (line.text.size() == 7 || is_blank(line.text[7]));
    }

    void include(Line line, const SourceLocation& where, const FileContext& file) {
        line.drop_front(7);
        line.trim();
        if (line.empty()) {
            diagnostics_.error(at(where, 1), "include needs a file name or pattern");
            return;
        }
        SourceLocation pattern_at = at(where, line.columns.front());
        std::string pattern = line.text;
        if (pattern.size() >= 2 && pattern.front() == '"' && pattern.back() == '"') {
            pattern = pattern.substr(1, pattern.size() - 2);
        }
        fs::path full = pattern;
        if (full.is_relative()) full = file.directory / full;
        full = full.lexically_normal();
        glob_t matches{};
        // GLOB_BRACE gives the csh-style {a,b} keepalived documents.
        const int rc = ::glob(full.c_str(), GLOB_BRACE, nullptr, &matches);
        std::vector<std::string> paths;
        if (rc == 0) {
            for (std::size_t k = 0; k < matches.gl_pathc; ++k)
                paths.emplace_back(matches.gl_pathv[k]);
        }
        ::globfree(&matches);
        if (paths.empty()) {
            diagnostics_.warning(pattern_at,
                                 fmt::format("include \"{}\" matches no file (keepalived only "
                                             "logs this and carries on)",
                                             pattern));
            return;
        }
        for (const auto& path : paths)
            process_file(path, &pattern_at);
    }

    void tokenize(const Line& line, const SourceLocation& where) {
        const std::string& s = line.text;
        std::size_t i = 0;
        while (i < s.size()) {
            const char c = s[i];
            if (is_blank(c)) {
                ++i;
                continue;
            }
            Token token;
            token.where = at(where, line.columns[i]);
            if (c == '{' || c == '}') {
                token.kind = c == '{' ? TokenKind::open_brace : TokenKind::close_brace;
                token.text = std::string(1, c);
                ++i;
            } else if (c == '"') {
                // A double-quoted word runs to the next double quote; the quotes go.
                const std::size_t close = s.find('"', i + 1);
                token.quoted = true;
                if (close == std::string::npos) {
                    diagnostics_.error(token.where, "missing closing '\"'");
                    token.text = s.substr(i + 1);
                    i = s.size();
                } else {
                    token.text = s.substr(i + 1, close - i - 1);
                    i = close + 1;
                }
            } else {
                std::size_t j = i;
                while (j < s.size() && !is_blank(s[j]) && s[j] != '{' && s[j] != '}')
                    ++j;
                token.text = s.substr(i, j - i);
                i = j;
            }
            tokens_.push_back(std::move(token));
        }
        Token eol;
        eol.kind = TokenKind::end_of_line;
        eol.where = at(where, line.end_column());
        tokens_.push_back(std::move(eol));
    }

    const LexOptions& options_;
    Diagnostics& diagnostics_;
    std::map<std::string, std::vector<std::string>, std::less<>> variables_;
    std::vector<fs::path> stack_;
    std::size_t files_read_ = 0;     // over every include, for max_files_read
    std::uintmax_t bytes_read_ = 0;  // and max_bytes_read
    std::uintmax_t expansion_work_ = 0;  // max_expansion_work
    bool expansion_stopped_ = false;     // over it: said once
    std::size_t order_ = 0;
    std::vector<Token> tokens_;
};

}  // namespace

std::vector<Token> lex_file(const std::filesystem::path& path, const LexOptions& options,
                            Diagnostics& diagnostics) {
    Lexer lexer(options, diagnostics);
    lexer.process_file(path, nullptr);
    return lexer.take();
}

std::vector<Token> lex_string(std::string_view text, std::string_view file_name,
                              const LexOptions& options, Diagnostics& diagnostics) {
    Lexer lexer(options, diagnostics);
    lexer.process_named_text(text, file_name);
    return lexer.take();
}

}  // namespace havip::config
