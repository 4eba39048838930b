#include "config/diagnostic.hpp"

#include <algorithm>
#include <tuple>
#include <utility>

#include <fmt/format.h>

namespace havip::config {

std::string format(const Diagnostic& diagnostic) {
    const char* severity = diagnostic.severity == Severity::error ? "error" : "warning";
    if (diagnostic.line <= 0) {
        return fmt::format("{}: {}: {}", diagnostic.file, severity, diagnostic.message);
    }
    return fmt::format("{}:{}:{}: {}: {}", diagnostic.file, diagnostic.line, diagnostic.column,
                       severity, diagnostic.message);
}

void Diagnostics::error(const SourceLocation& where, std::string message) {
    add(Severity::error, where, std::move(message));
}

void Diagnostics::warning(const SourceLocation& where, std::string message) {
    add(Severity::warning, where, std::move(message));
}

void Diagnostics::add(Severity severity, const SourceLocation& where, std::string message) {
    if (severity == Severity::error) ++errors_;
    entries_.push_back(
        Entry{where.order, entries_.size(),
              Diagnostic{severity, where.file, where.line, where.column, std::move(message)}});
}

std::vector<Diagnostic> Diagnostics::take_sorted() {
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
        return std::tie(a.order, a.diagnostic.column, a.sequence) <
               std::tie(b.order, b.diagnostic.column, b.sequence);
    });
    std::vector<Diagnostic> out;
    out.reserve(entries_.size());
    for (auto& entry : entries_)
        out.push_back(std::move(entry.diagnostic));
    entries_.clear();
    errors_ = 0;
    return out;
}

}  // namespace havip::config
