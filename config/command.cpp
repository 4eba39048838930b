#include "config/command.hpp"

#include <fmt/format.h>

namespace havip::config {
namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Decodes the escape whose backslash is at text[i]; returns the index after it.
std::size_t decode_escape(std::string_view text, std::size_t i, std::string& out) {
    if (i + 1 >= text.size()) {
        out.push_back('\\');
        return i + 1;
    }
    const char c = text[i + 1];
    switch (c) {
        case 'n':
            out.push_back('\n');
            return i + 2;
        case 't':
            out.push_back('\t');
            return i + 2;
        case 'x': {
            std::size_t j = i + 2;
            int value = 0;
            int digits = 0;
            while (j < text.size() && digits < 2 && hex_value(text[j]) >= 0) {
                value = value * 16 + hex_value(text[j]);
                ++j;
                ++digits;
            }
            if (digits == 0) {
                out.push_back('x');
                return i + 2;
            }
            out.push_back(static_cast<char>(value));
            return j;
        }
        case 'c':
            if (i + 2 < text.size()) {
                // Control characters as in bash's $'\cX': the low five bits of X.
                out.push_back(static_cast<char>(text[i + 2] & 0x1f));
                return i + 3;
            }
            out.push_back('c');
            return i + 2;
        default:
            break;
    }
    if (c >= '0' && c <= '7') {
        std::size_t j = i + 1;
        int value = 0;
        int digits = 0;
        while (j < text.size() && digits < 3 && text[j] >= '0' && text[j] <= '7') {
            value = value * 8 + (text[j] - '0');
            ++j;
            ++digits;
        }
        out.push_back(static_cast<char>(value & 0xff));
        return j;
    }
    out.push_back(c);
    return i + 2;
}

}  // namespace

std::variant<std::vector<std::string>, CommandSplitError> split_command(std::string_view text) {
    std::vector<std::string> words;
    std::string word;
    bool in_word = false;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (is_blank(c)) {
            if (in_word) words.push_back(std::move(word));
            word.clear();
            in_word = false;
            ++i;
            continue;
        }
        in_word = true;
        if (c == '\'') {
            const std::size_t close = text.find('\'', i + 1);
            if (close == std::string_view::npos) {
                return CommandSplitError{i, "missing closing \"'\""};
            }
            word.append(text.substr(i + 1, close - i - 1));
            i = close + 1;
        } else if (c == '"') {
            std::size_t j = i + 1;
            while (j < text.size() && text[j] != '"') {
                if (text[j] == '\\') {
                    j = decode_escape(text, j, word);
                } else {
                    word.push_back(text[j]);
                    ++j;
                }
            }
            if (j >= text.size()) return CommandSplitError{i, "missing closing '\"'"};
            i = j + 1;
        } else if (c == '\\') {
            i = decode_escape(text, i, word);
        } else {
            word.push_back(c);
            ++i;
        }
    }
    if (in_word) words.push_back(std::move(word));
    if (words.empty()) return CommandSplitError{0, "the command is empty"};
    return words;
}

}  // namespace havip::config
