// Diagnostics for keepalived.conf: every problem found while loading a configuration, with
// the file, line and 1-based column of the offending token, collected rather than thrown so
// one run of `havipd -t` reports all of them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace havip::config {

enum class Severity { warning, error };

// Where a token came from. `order` is the position of its line in the whole configuration
// with includes expanded in place, so diagnostics from several files sort in the order a
// reader meets them.
struct SourceLocation {
    std::string file;
    int line = 0;
    int column = 0;
    std::size_t order = 0;

    bool known() const { return line > 0; }
};

struct Diagnostic {
    Severity severity = Severity::error;
    std::string file;
    int line = 0;
    int column = 0;
    std::string message;
};

// "FILE:LINE:COL: error: message" (or "warning:"); "FILE: error: message" when the problem
// has no line (an unreadable file).
std::string format(const Diagnostic& diagnostic);

// Collects diagnostics during a load; `take_sorted` returns them in order of appearance.
class Diagnostics {
  public:
    void error(const SourceLocation& where, std::string message);
    void warning(const SourceLocation& where, std::string message);
    void add(Severity severity, const SourceLocation& where, std::string message);

    bool has_errors() const { return errors_ > 0; }
    std::size_t size() const { return entries_.size(); }

    std::vector<Diagnostic> take_sorted();

  private:
    struct Entry {
        std::size_t order;
        std::size_t sequence;
        Diagnostic diagnostic;
    };
    std::vector<Entry> entries_;
    std::size_t errors_ = 0;
};

}  // namespace havip::config
