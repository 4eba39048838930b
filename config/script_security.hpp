// keepalived's script security (enable_script_security, script_user): who runs a script, and
// whether a script that would run as root may run at all. keepalived 2.2.7 refuses such a
// script when the file or any directory on its path can be written by someone other than
// root; without enable_script_security it runs it and says so. The judgment is pure, over what
// lstat() said about each element of the path; `inspect_script_path` is the I/O that feeds it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace havip::config {

// The user keepalived runs scripts as when neither the script nor global_defs names one.
inline constexpr const char* default_script_user = "keepalived_script";

// Who runs a script: `user`/`group` by name; no user = the daemon's own (root).
struct RunAs {
    std::optional<std::string> user;
    std::optional<std::string> group;
};

// keepalived's choice: the script's own user, else script_user, else keepalived_script when
// that user exists, else the daemon's own user. Under enable_script_security a missing
// keepalived_script is not replaced by root: the script is refused (nullopt).
std::optional<RunAs> choose_run_as(const std::optional<std::string>& own_user,
                                   const std::optional<std::string>& own_group,
                                   const std::optional<std::string>& script_user,
                                   const std::optional<std::string>& script_group,
                                   bool default_user_exists, bool script_security);

// One element of a script's path as lstat() saw it: "/", "/usr", "/usr/bin", "/usr/bin/x".
struct PathElement {
    std::string path;
    mode_t mode = 0;  // st_mode, file type included
    uid_t owner = 0;
    gid_t group = 0;
};

struct ScriptPath {
    std::string script;  // the program as messages name it
    // Each path to check, from "/" to the program: the program's name in its canonical
    // directory and, when that name is a symbolic link, the file it resolves to.
    std::vector<std::vector<PathElement>> chains;
    // stat() of the program itself: a set-user-ID root program runs as root whoever starts it.
    mode_t program_mode = 0;
    uid_t program_owner = 0;
    gid_t program_group = 0;
};

enum class ScriptSafety {
    safe,      // runs
    unsafe,    // runs, with a warning (no enable_script_security)
    refused,   // never runs: the check is disabled, the notify hook dropped
};

struct ScriptVerdict {
    ScriptSafety safety = ScriptSafety::safe;
    std::string message;  // keepalived's text, then which element and why
};

// Whether a script that runs as run_uid:run_gid may run. Only a script that runs as root
// (uid or gid 0, or a set-ID root program) is judged: every element must be owned by root
// and, unless it is a directory with the sticky bit, writable neither by a non-root group nor
// by others; directories must be directories and the program a file or a symbolic link.
ScriptVerdict judge_script(const ScriptPath& path, uid_t run_uid, gid_t run_gid,
                           bool script_security);

// The I/O: resolves `program` (absolute) to its canonical directory and lstat()s every
// element of each chain; an error names what could not be read.
struct InspectedPath {
    std::optional<ScriptPath> path;
    std::string error;
};
InspectedPath inspect_script_path(const std::string& program);

}  // namespace havip::config
