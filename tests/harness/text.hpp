// Small text helpers for tests that run generated files in the lab.
#pragma once

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace havip::test {

// The whole file, or "" when it cannot be read.
std::string read_text(const std::filesystem::path& path);

// Every occurrence of `from` in `text` replaced by `to`; fails when there is none, so a change
// of a generated file cannot silently leave a host path in the lab's configuration.
testing::AssertionResult replace_all(std::string& text, const std::string& from,
                                     const std::string& to);

}  // namespace havip::test
