#!/bin/sh
# A real arm64 daemon for the arm64 end-to-end tests on an x64 Debian: Debian's socat for
# arm64 with every library it needs, unpacked into artifacts/arm64-root rather than installed
# (socat:arm64 would replace the host's socat). Laid out as a merged-/usr system, /lib a link
# to usr/lib, so that a sandbox needs only its usr/ and that link. Done once per checkout.
. "$(dirname "$0")/lib.sh"
DAEMON=socat
out=$ROOT/artifacts/arm64-root
[ -x "$out/usr/bin/$DAEMON" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
    echo "no arm64 $DAEMON: unpacking Debian's arm64 packages needs apt-get" >&2
    exit 69
fi
if [ "$(dpkg --print-architecture)" != arm64 ] && ! dpkg --print-foreign-architectures | grep -qx arm64; then
    as_root dpkg --add-architecture arm64
fi
apt-cache show "$DAEMON:arm64" >/dev/null 2>&1 || as_root apt-get update -qq
# Every package the daemon depends on, recursively: lines that name an arm64 package.
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances "$DAEMON:arm64" | grep -x '[a-z0-9][a-z0-9.+-]*:arm64' | sort -u)
rm -rf "$out.new"
mkdir -p "$out.new/usr/lib"
# shellcheck disable=SC2086 # one word a package
unpack_debs "$out.new" $pkgs
if [ -d "$out.new/lib" ]; then
    cp -a "$out.new/lib/." "$out.new/usr/lib/"
    rm -rf "$out.new/lib"
fi
ln -s usr/lib "$out.new/lib"
rm -rf "$out"
mv "$out.new" "$out"
# shellcheck disable=SC2086 # one line
echo "unpacked arm64 $DAEMON and its libraries into $out:" $pkgs >&2
