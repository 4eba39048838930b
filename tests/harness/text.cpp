#include "tests/harness/text.hpp"

#include <fstream>
#include <sstream>

namespace havip::test {

std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

testing::AssertionResult replace_all(std::string& text, const std::string& from,
                                     const std::string& to) {
    std::size_t n = 0;
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
        ++n;
    }
    if (n == 0) return testing::AssertionFailure() << "'" << from << "' not in the generated file";
    return testing::AssertionSuccess();
}

}  // namespace havip::test
