#!/bin/sh
# Installs what building and testing need, with the system's own package manager.
# Usage: build/deps.sh demo|test
. "$(dirname "$0")/lib.sh"

# Native AOT links with clang (or gcc) and needs zlib; the demo needs bubblewrap.
DEBIAN_DEMO="bubblewrap clang zlib1g-dev"
ALPINE_DEMO="bubblewrap clang build-base zlib-dev"
# The tests also run busybox sh (seed scripts).
DEBIAN_TEST="$DEBIAN_DEMO busybox gcc libc6-dev"
ALPINE_TEST="$ALPINE_DEMO busybox"
# The end-to-end suites (issue 3) run real daemons in sandboxes: socat (also the socket
# bridge and the probes' network client), tor and ffmpeg; setpriv runs probes and sandboxes
# as the unprivileged service account and script(1) gives a probe a controlling terminal
# (util-linux, essential on Debian; busybox's script lacks -e); OpenRC gives
# supervise-daemon (on Debian build/openrc.sh unpacks it instead, without installing init).
DEBIAN_TEST="$DEBIAN_TEST socat tor ffmpeg"
ALPINE_TEST="$ALPINE_TEST socat tor ffmpeg setpriv util-linux-misc openrc"
# The shipped monerod.toml and i2pd.toml run their real daemons (MonerodTests, I2pdTests; on
# the host stack only, the sid tree does not install them): Debian 12 has monero 0.18 and i2pd,
# Alpine's community repository both under the same names.
DEBIAN_TEST="$DEBIAN_TEST monero i2pd"
ALPINE_TEST="$ALPINE_TEST monero i2pd"
# musl's libc.so and nm/readelf for the libc import check; qemu runs the arm64 binary on x64.
DEBIAN_TEST="$DEBIAN_TEST musl-dev binutils qemu-user-static"
# The kernel's syscall numbers, against which the seccomp tables are checked.
DEBIAN_TEST="$DEBIAN_TEST linux-libc-dev"
ALPINE_TEST="$ALPINE_TEST linux-headers"
# musl-gcc builds the programs the musl library tests run (issue 9).
DEBIAN_TEST="$DEBIAN_TEST musl-tools"
ALPINE_TEST="$ALPINE_TEST musl-dev binutils"
# trace (issue 10) runs daemons under strace.
DEBIAN_TEST="$DEBIAN_TEST strace"
ALPINE_TEST="$ALPINE_TEST strace"
# The suites run again in a Debian unstable tree (build/sid.sh): debootstrap builds it.
DEBIAN_TEST="$DEBIAN_TEST debootstrap"
# Man pages (scdoc) and the packages: build/package.sh, checked with shellcheck.
DEBIAN_TEST="$DEBIAN_TEST scdoc shellcheck"
ALPINE_TEST="$ALPINE_TEST scdoc shellcheck"
ALPINE_TEST="$ALPINE_TEST debootstrap"

# The fuzzer (build/fuzz.sh) runs on AFL++; tini is the relay's yardstick in build/bench.sh.
DEBIAN_TEST="$DEBIAN_TEST afl++ tini"
ALPINE_TEST="$ALPINE_TEST afl++ tini"

case "${1:-test}" in
    demo) debian=$DEBIAN_DEMO alpine=$ALPINE_DEMO ;;
    test) debian=$DEBIAN_TEST alpine=$ALPINE_TEST ;;
    *) echo "usage: $0 demo|test" >&2; exit 64 ;;
esac

install_packages "$debian" "$alpine"
