#!/bin/sh
# A real arm64 daemon for the arm64 end-to-end tests on an x64 Debian, laid out as on an arm64
# system, so that libraries = "auto" finds what the arm64 loader would: its libraries installed
# the multiarch way (libc6:arm64, libssl3:arm64, ... in /usr/lib/aarch64-linux-gnu, beside the
# host's own), and only the daemon itself unpacked with dpkg -x into artifacts/arm64-socat
# (socat:arm64 would replace the host's socat). Done once per machine and checkout.
. "$(dirname "$0")/lib.sh"
DAEMON=socat
out=$ROOT/artifacts/arm64-$DAEMON
if ! command -v apt-get >/dev/null 2>&1; then
    echo "no arm64 $DAEMON: installing Debian's arm64 packages needs apt-get" >&2
    exit 69
fi
if [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64
    as_root apt-get update -qq
fi
apt-cache show "$DAEMON:arm64" >/dev/null 2>&1 || as_root apt-get update -qq
# The daemon's own dependencies (apt installs theirs): each a library package that is
# Multi-Arch: same, so co-installable with the host's.
libs=$(apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks --no-replaces \
    --no-enhances "$DAEMON:arm64" | sed -n 's/^ *Depends: \([a-z0-9][a-z0-9.+-]*:arm64\)$/\1/p' | sort -u)
install_packages "$libs" ""
[ -x "$out/usr/bin/$DAEMON" ] && exit 0
rm -rf "$out.new" "$ROOT/artifacts/arm64-root"
mkdir -p "$out.new"
unpack_debs "$out.new" "$DAEMON:arm64"
# The service account runs it from here.
chmod -R a+rX "$out.new"
rm -rf "$out"
mv "$out.new" "$out"
# shellcheck disable=SC2086 # one line
echo "unpacked arm64 $DAEMON into $out; its libraries installed:" $libs >&2
