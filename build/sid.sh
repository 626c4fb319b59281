#!/bin/sh
# The newest stack Debian has, for the suites to run on as well as on the host: a Debian
# unstable tree (bubblewrap, OpenRC, musl, the daemons) built with debootstrap and cached.
#   build/sid.sh                 build the tree unless a fresh one is cached; print its path
#   build/sid.sh run CMD [ARG...] run CMD as root inside it, with the repository and the
#                                .NET SDK bound in at the paths they have here
# The cache ($SANDBOXER_SID, by default /var/cache/sandboxer/sid) is rebuilt when PACKAGES
# below changes or when it is older than MAX_AGE_DAYS, since unstable moves every day.
#
# The tree is entered with unshare -m and pivot_root, never chroot: the kernel refuses to
# create a user namespace for a chrooted process (EPERM from clone and unshare), so bwrap
# could not start a sandbox in a chroot.
. "$(dirname "$0")/lib.sh"
SID=${SANDBOXER_SID:-/var/cache/sandboxer/sid}
MIRROR=${SANDBOXER_SID_MIRROR:-http://deb.debian.org/debian}
MAX_AGE_DAYS=7
SERVICE_USER=sandboxer-svc
# What the suites need, as build/deps.sh test installs it on the host: bubblewrap and
# OpenRC's supervise-daemon under test; musl (libc.so for the import check); socat, tor and
# ffmpeg (the daemons); setpriv and script (util-linux, bsdutils); kill and ps (procps);
# nm and readelf (binutils); busybox; useradd (passwd); mount and umount for entering;
# strace (trace).
PACKAGES="bubblewrap openrc musl musl-dev socat tor ffmpeg util-linux bsdutils busybox binutils procps passwd mount strace"
STAMP=.sandboxer-packages

is_fresh() {
    [ -f "$SID/$STAMP" ] && [ "$(cat "$SID/$STAMP")" = "$PACKAGES" ] &&
        [ -z "$(find "$SID/$STAMP" -mtime +"$MAX_AGE_DAYS")" ]
}

# Runs a step of the build with its many lines in $SID.log, shown only if it fails.
logged() {
    "$@" >>"$SID.log" 2>&1 || { status=$?; cat "$SID.log" >&2; echo "$1 failed: exit $status" >&2; exit "$status"; }
}

# Builds into a new directory and swaps it in only when complete, so a failed build
# leaves no half tree for the next run to trust.
build() {
    new=$SID.new
    rm -rf "$new"
    mkdir -p "$(dirname "$SID")"
    echo "building the Debian unstable tree in $SID" >&2
    : >"$SID.log"
    logged debootstrap --variant=minbase sid "$new" "$MIRROR"
    # A mirror serving a snapshot has an expired Release file; no daemon may start in a tree.
    printf 'Acquire::Check-Valid-Until "false";\nAPT::Install-Recommends "false";\n' >"$new/etc/apt/apt.conf.d/99sandboxer"
    printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"
    chmod 755 "$new/usr/sbin/policy-rc.d"
    # apt and the maintainer scripts want /proc; unshare keeps its mount out of the host.
    # shellcheck disable=SC2016 # expanded by the inner shell
    logged unshare -m --propagation private sh -euc '
        mount -t proc proc "$1/proc"
        mount --rbind /dev "$1/dev"
        chroot "$1" apt-get update -qq
        chroot "$1" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $2
        chroot "$1" apt-get clean
    ' sh "$new" "$PACKAGES"
    printf '%s\n' "$PACKAGES" >"$new/$STAMP"
    rm -rf "$SID" "$SID.log"
    mv "$new" "$SID"
    # shellcheck disable=SC2016 # dpkg-query's fields
    echo "built $SID:$(chroot "$SID" dpkg-query -W -f ' ${Package} ${Version}' bubblewrap openrc musl)" >&2
}

# sandboxer-svc with the host's uid and gid, so that files the suites give it mean the same.
ensure_account() {
    ids=$(id -u "$SERVICE_USER"):$(id -g "$SERVICE_USER") || {
        echo "there is no account $SERVICE_USER here: build/openrc.sh creates it" >&2
        exit 69
    }
    inside=$(chroot "$SID" sh -c "id -u $SERVICE_USER 2>/dev/null && id -g $SERVICE_USER" | paste -sd:)
    [ "$inside" = "$ids" ] && return 0
    chroot "$SID" sh -c "userdel $SERVICE_USER 2>/dev/null; groupdel $SERVICE_USER 2>/dev/null; true"
    chroot "$SID" groupadd --system --gid "${ids#*:}" "$SERVICE_USER"
    chroot "$SID" useradd --system --uid "${ids%:*}" --gid "${ids#*:}" --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin "$SERVICE_USER"
}

# Runs a command inside the tree: a private mount namespace whose root is the tree, with
# fresh /proc, /sys, /tmp and /run, the host's /dev, and the repository and the SDK at the
# paths they have here (the published binary is under the repository).
enter() {
    dotnet=$(dirname "$(readlink -f "$(command -v dotnet)")")
    nuget=${NUGET_PACKAGES:-$HOME/.nuget/packages}
    # The binaries under test, wherever they are (by default under the repository).
    bins="$(dirname "${SANDBOXER_BIN:-$ROOT/x}") $(dirname "${SANDBOXER_ARM64_BIN:-$ROOT/x}")"
    # shellcheck disable=SC2016 # expanded by the inner shell
    unshare -m --propagation private sh -euc '
        root=$1 repo=$2 dotnet=$3 nuget=$4 bins=$5; shift 5
        mount --bind "$root" "$root"
        mount -t proc proc "$root/proc"
        mount -t sysfs sysfs "$root/sys"
        mount --rbind /dev "$root/dev"
        mount -t tmpfs -o mode=1777 tmpfs "$root/tmp"
        mount -t tmpfs -o mode=755 tmpfs "$root/run"
        for dir in options daemons started starting stopping inactive wasinactive failed exclusive scheduled; do
            mkdir -p "$root/run/openrc/$dir"
        done
        bind() {
            [ -d "$1" ] || return 0
            mkdir -p "$root$1"
            mount --rbind "$1" "$root$1"
        }
        bind "$repo"
        bind "$dotnet"
        bind "$nuget"
        for dir in $bins; do
            case $dir/ in "$repo"/*) ;; *) bind "$dir" ;; esac
        done
        cd "$root"
        mkdir -p .host
        pivot_root . .host
        cd /
        umount -l /.host
        rmdir /.host
        cd "$repo"
        PATH=$dotnet:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        export PATH DOTNET_ROOT=$dotnet NUGET_PACKAGES=$nuget DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
        exec "$@"
    ' sh "$SID" "$ROOT" "$dotnet" "$nuget" "$bins" "$@"
}

case "${1:-}" in
    "") is_fresh || build; echo "$SID" ;;
    run) shift
         [ $# -gt 0 ] || { echo "usage: $0 run CMD [ARG...]" >&2; exit 64; }
         is_fresh || build
         ensure_account
         enter "$@" ;;
    *) echo "usage: $0 [run CMD [ARG...]]" >&2; exit 64 ;;
esac
