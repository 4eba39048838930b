// The configuration corpus in tests/configs/: every file is loaded and the diagnostics it
// produces must be exactly the ones its `# EXPECT:` comments list (see tests/configs/README.md).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/load.hpp"
#include "tests/unit/config/helpers.hpp"

namespace havip::config {
namespace {

namespace fs = std::filesystem;

const fs::path& corpus_dir() {
    static const fs::path dir = fs::path(HAVIP_SOURCE_DIR) / "tests" / "configs";
    return dir;
}

struct CorpusFile {
    std::string category;  // good, bad, hazardous
    fs::path path;
};

std::vector<CorpusFile> corpus_files() {
    std::vector<CorpusFile> files;
    for (const char* category : {"good", "bad", "hazardous"}) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(corpus_dir() / category, ec)) {
            if (entry.path().extension() == ".conf") files.push_back({category, entry.path()});
        }
    }
    std::sort(files.begin(), files.end(),
              [](const CorpusFile& a, const CorpusFile& b) { return a.path < b.path; });
    return files;
}

std::string read(const fs::path& path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string trim(std::string text) {
    text.erase(0, text.find_first_not_of(" \t"));
    text.erase(text.find_last_not_of(" \t\r") + 1);
    return text;
}

void replace_all(std::string& text, const std::string& from, const std::string& to) {
    for (std::size_t at = text.find(from); at != std::string::npos;
         at = text.find(from, at + to.size())) {
        text.replace(at, from.size(), to);
    }
}

// `# OPTIONS: config_id=db2 interfaces=eth0,br0 check_scripts=off`
LoadOptions options_for(const std::string& text) {
    LoadOptions options;
    options.config_id = "node1";
    options.lookup_user = testing::fake_users;  // not the build machine's users
    std::vector<std::string> interfaces{"lo", "eth0", "eth1", "br0"};
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t at = line.find("# OPTIONS:");
        if (at == std::string::npos) continue;
        std::istringstream words(line.substr(at + 10));
        std::string word;
        while (words >> word) {
            const std::size_t eq = word.find('=');
            const std::string key = word.substr(0, eq);
            const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
            if (key == "config_id") options.config_id = value;
            if (key == "check_scripts") options.check_scripts = value != "off";
            if (key == "interfaces") {
                interfaces.clear();
                std::istringstream names(value);
                std::string name;
                while (std::getline(names, name, ','))
                    interfaces.push_back(name);
            }
        }
    }
    options.interface_exists = [interfaces](std::string_view name) {
        return std::find(interfaces.begin(), interfaces.end(), name) != interfaces.end();
    };
    return options;
}

std::vector<std::string> expected_for(const std::string& text) {
    std::vector<std::string> expected;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        const std::size_t at = line.find("# EXPECT:");
        if (at != std::string::npos) expected.push_back(trim(line.substr(at + 9)));
    }
    std::sort(expected.begin(), expected.end());
    return expected;
}

// Diagnostics of the file itself lose the file name; those of included files are named
// relative to tests/configs/, and the corpus directory inside messages reads <configs>.
std::vector<std::string> produced_for(const LoadResult& result, const fs::path& path) {
    const std::string main_prefix = path.string() + ":";
    const std::string dir = corpus_dir().string();
    std::vector<std::string> produced;
    for (const auto& d : result.diagnostics) {
        std::string text = format(d);
        if (text.rfind(main_prefix, 0) == 0) {
            text = text.substr(main_prefix.size());
        } else if (text.rfind(dir + "/", 0) == 0) {
            text = text.substr(dir.size() + 1);
        }
        replace_all(text, dir, "<configs>");
        produced.push_back(text);
    }
    std::sort(produced.begin(), produced.end());
    return produced;
}

class ConfigCorpus : public ::testing::TestWithParam<CorpusFile> {};

TEST_P(ConfigCorpus, produces_exactly_the_expected_diagnostics) {
    const CorpusFile& file = GetParam();
    const std::string text = read(file.path);
    const LoadResult result = load_file(file.path, options_for(text));
    ASSERT_TRUE(result.config.has_value()) << file.path;
    EXPECT_EQ(produced_for(result, file.path), expected_for(text)) << file.path;
    const bool has_error = !result.ok();
    if (file.category == "good") {
        EXPECT_FALSE(has_error) << "a good file loads without errors";
        EXPECT_FALSE(result.config->instances.empty()) << "a good file defines an instance";
    } else if (file.category == "bad") {
        EXPECT_TRUE(has_error) << "a bad file has at least one error";
    } else {
        EXPECT_FALSE(result.diagnostics.empty()) << "a hazardous file is diagnosed";
    }
}

std::string test_name(const ::testing::TestParamInfo<CorpusFile>& info) {
    std::string name = info.param.category + "_" + info.param.path.stem().string();
    for (char& c : name) {
        if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    }
    return name;
}

INSTANTIATE_TEST_SUITE_P(Files, ConfigCorpus, ::testing::ValuesIn(corpus_files()), test_name);

TEST(ConfigCorpusSize, corpus_has_30_files_and_5_of_each_kind) {
    const auto files = corpus_files();
    EXPECT_GE(files.size(), 30u);
    for (const char* category : {"good", "bad", "hazardous"}) {
        EXPECT_GE(std::count_if(files.begin(), files.end(),
                                [&](const CorpusFile& f) { return f.category == category; }),
                  5)
            << category;
    }
}

}  // namespace
}  // namespace havip::config
