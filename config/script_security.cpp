#include "config/script_security.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace havip::config {

std::optional<RunAs> choose_run_as(const std::optional<std::string>& own_user,
                                   const std::optional<std::string>& own_group,
                                   const std::optional<std::string>& script_user,
                                   const std::optional<std::string>& script_group,
                                   bool default_user_exists, bool script_security) {
    if (own_user) return RunAs{own_user, own_group};
    if (script_user) return RunAs{script_user, script_group};
    if (default_user_exists) return RunAs{std::string{default_script_user}, std::nullopt};
    if (script_security) return std::nullopt;
    return RunAs{};
}

namespace {

// Why lstat()'s answer for one element lets someone other than root change what runs, or an
// empty string. A directory with the sticky bit (/tmp) only lets each user rename their own
// entries, so its group and world write bits are allowed, as keepalived allows them.
std::string unsafe_because(const PathElement& e) {
    if (e.owner != 0) return fmt::format("owned by uid {}", e.owner);
    const bool guarded = S_ISREG(e.mode) || (S_ISDIR(e.mode) && !(e.mode & S_ISVTX));
    if (!guarded) return {};
    if (e.group != 0 && (e.mode & S_IWGRP))
        return fmt::format("writable by group gid {}", e.group);
    if (e.mode & S_IWOTH)
        return S_ISDIR(e.mode) ? "writable by others, without the sticky bit"
                               : "writable by others";
    return {};
}

}  // namespace

ScriptVerdict judge_script(const ScriptPath& path, uid_t run_uid, gid_t run_gid,
                           bool script_security) {
    const bool runs_as_root =
        run_uid == 0 || run_gid == 0 ||
        (path.program_owner == 0 && (path.program_mode & S_IXUSR) &&
         (path.program_mode & S_ISUID)) ||
        (path.program_group == 0 && (path.program_mode & S_IXGRP) &&
         (path.program_mode & S_ISGID));
    if (!runs_as_root) return {};
    for (const auto& chain : path.chains) {
        for (std::size_t i = 0; i < chain.size(); ++i) {
            const PathElement& e = chain[i];
            const bool last = i + 1 == chain.size();
            if ((!last && !S_ISDIR(e.mode)) || (last && !S_ISREG(e.mode) && !S_ISLNK(e.mode))) {
                // keepalived inhibits the script whether or not script security is on.
                return {ScriptSafety::refused,
                        fmt::format("Wrong file type found in script path '{}'. ({}: {})",
                                    path.script, e.path,
                                    last ? "not a file" : "not a directory")};
            }
            if (auto why = unsafe_because(e); !why.empty()) {
                return {script_security ? ScriptSafety::refused : ScriptSafety::unsafe,
                        fmt::format("Unsafe permissions found for script '{}'{}. ({}: {})",
                                    path.script, script_security ? " - disabling" : "", e.path,
                                    why)};
            }
        }
    }
    return {};
}

namespace {

// "/", "/a", "/a/b", … , `file`, each as lstat() sees it.
bool lstat_chain(const std::string& file, std::vector<PathElement>& chain, std::string& error) {
    std::vector<std::string> prefixes{"/"};
    for (std::size_t slash = file.find('/', 1); slash != std::string::npos;
         slash = file.find('/', slash + 1))
        prefixes.push_back(file.substr(0, slash));
    if (file != "/") prefixes.push_back(file);
    for (const auto& p : prefixes) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) {
            error = fmt::format("check_script_secure could not find script '{}' - disabling ({}: "
                                "{})",
                                file, p, std::strerror(errno));
            return false;
        }
        chain.push_back({p, st.st_mode, st.st_uid, st.st_gid});
    }
    return true;
}

}  // namespace

InspectedPath inspect_script_path(const std::string& program) {
    InspectedPath out;
    char* resolved = ::realpath(program.c_str(), nullptr);
    if (!resolved) {
        out.error = fmt::format("Script {} cannot be accessed - {}", program, std::strerror(errno));
        return out;
    }
    const std::string real{resolved};
    std::free(resolved);  // NOLINT: realpath's buffer
    ScriptPath path;
    path.script = program;
    // keepalived keeps the name the script was given (programs may act on argv[0]) in its
    // canonical directory, and checks the file it resolves to as well when they differ.
    std::vector<std::string> files{real};
    const auto name = program.substr(program.rfind('/') + 1);
    const auto real_name = real.substr(real.rfind('/') + 1);
    if (name != real_name) {
        const auto named = real.substr(0, real.rfind('/') + 1) + name;
        struct stat a {}, b {};
        if (::stat(named.c_str(), &a) == 0 && ::stat(real.c_str(), &b) == 0 &&
            a.st_dev == b.st_dev && a.st_ino == b.st_ino)
            files.insert(files.begin(), named);
    }
    for (const auto& f : files) {
        std::vector<PathElement> chain;
        if (!lstat_chain(f, chain, out.error)) return out;
        path.chains.push_back(std::move(chain));
    }
    struct stat st {};
    if (::stat(real.c_str(), &st) != 0) {
        out.error = fmt::format("Unable to access script `{}` - disabling", program);
        return out;
    }
    path.program_mode = st.st_mode;
    path.program_owner = st.st_uid;
    path.program_group = st.st_gid;
    out.path = std::move(path);
    return out;
}

}  // namespace havip::config
