#!/bin/sh
# Runs every test: installs what they need, publishes the NativeAOT binary for this
# machine, then runs the xunit suite against it twice, on real bwrap and supervise-daemon:
#   host  this machine's bubblewrap and OpenRC, and the arm64 binary (under qemu on x64);
#   sid   a Debian unstable tree (build/sid.sh, cached): the newest bubblewrap, OpenRC and
#         musl, with the same binaries; every test but the restart storms and the arm64 ones, which need the host's
#         arm64 libraries and qemu.
# Arguments go to both runs; a --filter is joined with the sid run's own.
# Ends with the counts of both runs together, in dotnet test's format, which .ci/run reads.
. "$(dirname "$0")/lib.sh"
started=$(date +%s)
# Seconds since the start, for the CI budget (20 minutes in all).
elapsed() { echo "$(($(date +%s) - started))s"; }
"$ROOT/build/deps.sh" test
"$ROOT/build/openrc.sh"
rid=$(host_rid)
publish "$rid"
export SANDBOXER_BIN="$ROOT/artifacts/$rid/sandboxer"
# The server's architecture: on x64 the arm64 binary is cross-compiled and the tests run it
# under qemu, with a real arm64 daemon from Debian; on arm64 it is the binary above.
case "$rid" in
    *-arm64) export SANDBOXER_ARM64_BIN="$SANDBOXER_BIN" ;;
    *) "$ROOT/build/publish.sh" linux-arm64
       "$ROOT/build/arm64.sh"
       export SANDBOXER_ARM64_BIN="$ROOT/artifacts/linux-arm64/sandboxer" ;;
esac
"$ROOT/build/sid.sh" >/dev/null
# The attack probes (small static C programs) are built here, with the host's gcc, for both
# runs: the sid tree has no compiler, and a static binary runs the same in it.
probes=$ROOT/artifacts/probes
rm -rf "$probes"
mkdir -p "$probes"
for source in "$ROOT"/tests/Sandboxer.Tests/Support/Probes/*.c; do
    gcc -static -O2 -Wall -Werror -o "$probes/$(basename "$source" .c)" "$source"
done
# Linked dynamically against glibc, for runtime = [...] (issue 9): what it loads at run time.
gcc -O2 -Wall -Werror -pthread -o "$probes/cancel-dynamic" "$ROOT/tests/Sandboxer.Tests/Support/Dynamic/cancel.c"
# Programs linked dynamically against musl's loader (issue 9), built here for both runs too:
# hello finds libgreet.so through RUNPATH $ORIGIN/lib; hello-pathfile names a loader under a
# prefix of the test's own, so that its /etc/ld-musl-ARCH.path is the test's, not the machine's.
musl_cc=$(command -v musl-gcc || { [ -f /etc/alpine-release ] && command -v gcc; } || true)
if [ -n "$musl_cc" ]; then
    musl_src=$ROOT/tests/Sandboxer.Tests/Support/Musl
    musl_arch=$(uname -m)
    "$musl_cc" -shared -fPIC -O2 -o "$probes/libgreet.so" "$musl_src/greet.c"
    "$musl_cc" -O2 -o "$probes/musl-hello" "$musl_src/hello.c" -L"$probes" -lgreet -Wl,--enable-new-dtags,-rpath,'$ORIGIN/lib'
    "$musl_cc" -O2 -o "$probes/musl-hello-pathfile" "$musl_src/hello.c" -L"$probes" -lgreet \
        -Wl,--dynamic-linker="/tmp/sandboxer-musl-prefix/lib/ld-musl-$musl_arch.so.1"
fi
chmod -R a+rX "$probes"
export SANDBOXER_PROBES="$probes"
dotnet build "$ROOT/Sandboxer.sln" -c Release --nologo -v quiet

# Each run's output, for the summary (in artifacts/: not in a /tmp that cleaners may empty).
logs=$ROOT/artifacts/test-logs
rm -rf "$logs"
mkdir -p "$logs"
# The arm64 tests register qemu with binfmt_misc and must leave it as they found it. They
# hold this lock while they do (Aarch64Emulation): another run's registration is not the
# machine's, so the state is read only once no run emulates.
binfmt_lock=/tmp/sandboxer-binfmt.lock
binfmt_state() {
    if [ -e /proc/sys/fs/binfmt_misc/register ]; then ls /proc/sys/fs/binfmt_misc; else echo "not mounted"; fi
}
exec 9>>"$binfmt_lock"
flock 9
binfmt_before=$(binfmt_state)
exec 9>&-

# Runs one suite, its output shown and kept in $logs/NAME, its exit status in $logs/NAME.status.
run_suite() {
    name=$1; shift
    { if "$@" 2>&1; then code=0; else code=$?; fi; echo "$code" >"$logs/$name.status"; } | tee "$logs/$name"
}
echo "==== host: $(bwrap --version), at $(elapsed)"
run_suite host dotnet test "$ROOT/Sandboxer.sln" -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"

# The same arguments, the filter (if any) joined with the exclusions: the arm64 tests; the
# restart storms (StormTests, minutes long: see their summary); the packaging tests, which
# install a .deb with the host's dpkg; the syscall table against the host's kernel headers; the
# shipped monerod and i2pd profiles' real daemons, which the sid tree does not install (adding
# them to build/sid.sh's PACKAGES would rebuild the tree for all: the host run proves them).
sid_filter="FullyQualifiedName!~Arm64&FullyQualifiedName!~StormTests&FullyQualifiedName!~Packaging&FullyQualifiedName!~SyscallHeaderTests&FullyQualifiedName!~MonerodTests&FullyQualifiedName!~I2pdTests"
n=$# filtered='' next_is_filter=''
while [ "$n" -gt 0 ]; do
    arg=$1; shift; n=$((n - 1))
    if [ -n "$next_is_filter" ]; then
        arg="($arg)&$sid_filter" filtered=1 next_is_filter=''
    elif [ "$arg" = --filter ]; then
        next_is_filter=1
    fi
    set -- "$@" "$arg"
done
[ -n "$filtered" ] || set -- "$@" --filter "$sid_filter"
echo "==== sid: $("$ROOT/build/sid.sh" run bwrap --version), at $(elapsed)"
run_suite sid "$ROOT/build/sid.sh" run dotnet test "$ROOT/Sandboxer.sln" -c Release --no-build --nologo \
    --logger "console;verbosity=normal" "$@"

# A short fuzz of the profile loader (build/fuzz.sh; 10^6 executions there are a benchmark):
# once, on the host, since it runs no bwrap or supervisor and so does not depend on the stack.
echo "==== fuzz, at $(elapsed)"
if "$ROOT/build/fuzz.sh" 20000 2>&1 | tee "$logs/fuzz"; then echo 0 >"$logs/fuzz.status"; else echo 1 >"$logs/fuzz.status"; fi

status=0
[ "$(cat "$logs/fuzz.status")" = 0 ] || status=1
for name in host sid; do
    [ "$(cat "$logs/$name.status")" = 0 ] || status=1
done
# A test host that crashed leaves its registration behind: undo it, and fail.
exec 9>>"$binfmt_lock"
flock 9
if [ "$(binfmt_state)" != "$binfmt_before" ]; then
    echo "the tests left binfmt_misc changed: it was [$binfmt_before], it is [$(binfmt_state)]; restoring it" | tr '\n' ' ' >&2
    echo >&2
    case $binfmt_before in
        *qemu-aarch64*) ;;
        *) [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || echo -1 >/proc/sys/fs/binfmt_misc/qemu-aarch64 ;;
    esac
    [ "$binfmt_before" != "not mounted" ] || umount /proc/sys/fs/binfmt_misc || true
    status=1
fi
exec 9>&-
# The sum of each run's last "KIND: N" line (dotnet test leaves out a count of zero).
total() {
    sum=0
    for name in host sid; do
        n=$(sed -n "s/^ *$1: *\([0-9]*\)\$/\1/p" "$logs/$name" | tail -n 1)
        sum=$((sum + ${n:-0}))
    done
    echo "$sum"
}
echo "==== host and sid together, at $(elapsed)"
echo "     Passed: $(total Passed)"
echo "     Failed: $(total Failed)"
echo "    Skipped: $(total Skipped)"
exit "$status"
