# Shared by scripts/demo and scripts/test: install what is missing, configure and build.
# Sourced, not run.

# Debian 12 packages, by purpose.
HAVIP_BUILD_PACKAGES=(cmake g++ make pkg-config libboost-dev libmnl-dev default-libmysqlclient-dev
                      libsystemd-dev libgtest-dev libgmock-dev libyaml-cpp-dev nlohmann-json3-dev
                      libfmt-dev)
HAVIP_LAB_PACKAGES=(iproute2 procps keepalived tcpdump tshark mariadb-server mariadb-client
                    netcat-openbsd)
# clang-14's libFuzzer and sanitizer runtimes come with libclang-rt-14-dev.
HAVIP_FUZZ_PACKAGES=(clang libclang-rt-14-dev llvm)

# install_packages PKG...: apt-get only what is not installed yet, without starting the
# services the packages ship (keepalived, mariadb): tests and the demo run their own.
install_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing packages: ${missing[*]} (run as root to install them)" >&2
        return 1
    fi
    echo "installing: ${missing[*]}"
    local policy=/usr/sbin/policy-rc.d own_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && own_policy=1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
        >/tmp/havip-apt.log 2>&1; then
        [ "$own_policy" -eq 1 ] && rm -f "$policy"
        tail -20 /tmp/havip-apt.log >&2
        return 1
    fi
    [ "$own_policy" -eq 1 ] && rm -f "$policy"
    return 0
}

# build DIR [--target T] [CMAKE_ARGS...]: configure and build the whole tree, or target T, into
# DIR (an optimised build without debug information unless CMAKE_ARGS say otherwise: CI has
# two cores).
build() {
    local dir=$1 target=()
    shift
    if [ "${1:-}" = --target ]; then
        target=(--target "$2")
        shift 2
    fi
    cmake -S "$HAVIP_TOP" -B "$dir" -DHAVIP_WERROR=ON -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" "$@" >/dev/null
    cmake --build "$dir" -j "$(nproc)" "${target[@]}"
}
