#!/bin/sh
# What the supervisor and sandbox tests need besides packages, done once per machine:
# - OpenRC's supervise-daemon. Alpine has it (build/deps.sh installs openrc); on Debian it
#   is unpacked from the openrc packages into artifacts/openrc, NOT installed as init.
#   artifacts/openrc/supervise-daemon runs it either way.
# - The state directory it writes (/run/openrc: compiled in, no variable moves it).
# - sandboxer-svc, an unprivileged account the tests run services as.
. "$(dirname "$0")/lib.sh"
SERVICE_USER=sandboxer-svc
out=$ROOT/artifacts/openrc
mkdir -p "$out"

if [ -x /sbin/supervise-daemon ] && [ -e /etc/alpine-release ]; then
    printf '#!/bin/sh\nexec /sbin/supervise-daemon "$@"\n' >"$out/supervise-daemon"
elif command -v apt-get >/dev/null 2>&1; then
    if [ ! -x "$out/root/sbin/supervise-daemon" ]; then
        # librc1 and libeinfo1 are the names up to Debian 12; later releases add t64.
        pkgs=openrc
        for lib in librc1t64 librc1 libeinfo1t64 libeinfo1; do
            case $pkgs in *"${lib%t64}"*) continue ;; esac
            apt-cache show "$lib" >/dev/null 2>&1 && pkgs="$pkgs $lib"
        done
        # shellcheck disable=SC2086 # one word a package
        unpack_debs "$out/root" $pkgs
    fi
    libs=$(dirname "$(find "$out/root" -name 'librc.so.1' | head -n 1)")
    printf '#!/bin/sh\nLD_LIBRARY_PATH=%s exec %s "$@"\n' "$libs" "$out/root/sbin/supervise-daemon" >"$out/supervise-daemon"
else
    echo "no supervise-daemon: install OpenRC" >&2
    exit 69
fi
chmod 755 "$out/supervise-daemon"

for dir in options daemons started starting stopping inactive wasinactive failed exclusive scheduled; do
    as_root mkdir -p "/run/openrc/$dir"
done

if ! id "$SERVICE_USER" >/dev/null 2>&1; then
    if command -v useradd >/dev/null 2>&1; then
        as_root useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
    else
        as_root addgroup -S "$SERVICE_USER"
        as_root adduser -S -D -H -h /nonexistent -s /sbin/nologin -G "$SERVICE_USER" "$SERVICE_USER"
    fi
fi
