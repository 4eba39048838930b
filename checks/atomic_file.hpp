// Replacing a small file (pid file, check history) so that a reader sees the old content or
// the new, never a mix, and nobody can redirect the write.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <system_error>

namespace havip::checks {

// Writes `text` to PATH.tmp, created afresh with `mode` (O_CREAT|O_EXCL|O_NOFOLLOW after
// removing any leftover: never through a symlink, never into a file another user made), then
// renames it over `path`. `durable`: fsync the file before the rename and the directory after,
// so a crash leaves the old file or the new, never an empty one.
std::error_code write_file_atomically(const std::string& path, std::string_view text, mode_t mode,
                                      bool durable);

}  // namespace havip::checks
