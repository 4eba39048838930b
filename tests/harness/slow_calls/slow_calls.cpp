// LD_PRELOAD library for the loop-stall tests: makes name-service lookups, fsync and the
// /proc scan slow on demand, as LDAP/sssd, a busy disk or a host with many processes would.
// $HAVIP_SLOW_CALLS names a directory; while it holds a file `nss`, `fsync` or `proc`, the
// matching calls sleep for the milliseconds written in it before doing the real work, and
// add a line naming the kind to `calls` in that directory, so a test knows they happened.
#include <dirent.h>
#include <dlfcn.h>
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace {

long delay_ms(const char* what) {
    const char* dir = std::getenv("HAVIP_SLOW_CALLS");
    if (!dir) return 0;
    char path[512];
    std::snprintf(path, sizeof path, "%s/%s", dir, what);
    FILE* f = std::fopen(path, "re");
    if (!f) return 0;
    long ms = 0;
    if (std::fscanf(f, "%ld", &ms) != 1) ms = 0;
    std::fclose(f);
    return ms;
}

void slow_down(const char* what) {
    const long ms = delay_ms(what);
    if (ms <= 0) return;
    char path[512];
    std::snprintf(path, sizeof path, "%s/calls", std::getenv("HAVIP_SLOW_CALLS"));
    if (FILE* f = std::fopen(path, "ae")) {
        std::fprintf(f, "%s\n", what);
        std::fclose(f);
    }
    timespec t{ms / 1000, (ms % 1000) * 1000000L};
    while (::nanosleep(&t, &t) != 0) {
    }
}

template <typename F>
F real(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}

}  // namespace

extern "C" {

int getpwnam_r(const char* name, passwd* pwd, char* buf, size_t len, passwd** result) {
    slow_down("nss");
    static const auto next =
        real<int (*)(const char*, passwd*, char*, size_t, passwd**)>("getpwnam_r");
    return next(name, pwd, buf, len, result);
}

int getgrnam_r(const char* name, group* grp, char* buf, size_t len, group** result) {
    slow_down("nss");
    static const auto next =
        real<int (*)(const char*, group*, char*, size_t, group**)>("getgrnam_r");
    return next(name, grp, buf, len, result);
}

int fsync(int fd) {
    slow_down("fsync");
    static const auto next = real<int (*)(int)>("fsync");
    return next(fd);
}

DIR* opendir(const char* name) {
    if (std::strcmp(name, "/proc") == 0) slow_down("proc");
    static const auto next = real<DIR* (*)(const char*)>("opendir");
    return next(name);
}

}  // extern "C"
