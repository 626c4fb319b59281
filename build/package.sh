#!/bin/sh
# Packages the published binaries into artifacts/packages/<rid>/, each with its SHA256SUMS:
#   sandboxer-VERSION-RID.tar.gz   the installed tree (usr/bin, etc/sandboxer, usr/share)
#   sandboxer_VERSION_ARCH.deb     for the glibc targets, built with dpkg-deb
# and writes artifacts/packages/APKBUILD (Alpine, from build/alpine/APKBUILD.in) for the musl
# tarballs, with their sha512sums. Alpine's registry is out of reach here, so the APKBUILD is
# checked (shellcheck, and its file list against the .deb's: PackagingTests), not built.
#   build/package.sh                 the host's target
#   build/package.sh linux-arm64...  those named (published first when missing)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"
VERSION=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' "$ROOT/Directory.Build.props")
OUT=$ROOT/artifacts/packages
mkdir -p "$OUT"

# The files every package installs, under $1, from one list: the .deb, the tarball and the
# APKBUILD (which installs from the tarball) all take it from here.
stage() {
    tree=$1 binary=$2
    rm -rf "$tree"
    install -D -m 755 "$binary" "$tree/usr/bin/sandboxer"
    install -D -m 644 "$ROOT/profiles/defaults.toml" "$tree/etc/sandboxer/defaults.toml"
    for profile in "$ROOT"/profiles/*.toml; do
        install -D -m 644 "$profile" "$tree/usr/share/sandboxer/profiles/$(basename "$profile")"
    done
    for page in sandboxer.1 sandboxer.toml.5; do
        section=${page##*.}
        mkdir -p "$tree/usr/share/man/man$section"
        scdoc <"$ROOT/doc/$page.scd" | gzip -9n >"$tree/usr/share/man/man$section/$page.gz"
    done
    install -D -m 644 "$ROOT/LICENSE" "$tree/usr/share/doc/sandboxer/copyright"
}

deb_arch() { case "$1" in linux-x64) echo amd64 ;; linux-arm64) echo arm64 ;; *) return 1 ;; esac; }

build_deb() {
    rid=$1 tree=$2 arch=$3
    mkdir -p "$tree/DEBIAN"
    # defaults.toml is the admin's once installed: an upgrade asks before replacing an edited one.
    echo /etc/sandboxer/defaults.toml >"$tree/DEBIAN/conffiles"
    cat >"$tree/DEBIAN/control" <<CONTROL
Package: sandboxer
Version: $VERSION
Architecture: $arch
Maintainer: The Sandboxer developers <sandboxer@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$tree" | cut -f1)
Depends: bubblewrap
Section: admin
Priority: optional
Description: run each service in a bubblewrap sandbox described by a TOML profile
 One native binary: symlinked as bwrap-NAME, it composes bubblewrap's command line
 from /etc/sandboxer/NAME.toml over defaults.toml and becomes bwrap, with a stop
 relay inside the sandbox that turns a supervisor's stop into a graceful one.
CONTROL
    dpkg-deb --root-owner-group -Zxz --build "$tree" "$OUT/$rid/sandboxer_${VERSION}_$arch.deb" >/dev/null
    rm -rf "$tree/DEBIAN"
}

[ $# -gt 0 ] || set -- "$(host_rid)"
for rid in "$@"; do
    binary=$ROOT/artifacts/$rid/sandboxer
    [ -x "$binary" ] || "$ROOT/build/publish.sh" "$rid"
    [ -x "$binary" ] || { echo "skipped $rid: no binary" >&2; continue; }
    rm -rf "${OUT:?}/$rid"
    mkdir -p "$OUT/$rid"
    tree=$OUT/.tree-$rid
    stage "$tree" "$binary"
    tar -C "$tree" --owner=0 --group=0 --numeric-owner --sort=name -czf "$OUT/$rid/sandboxer-$VERSION-$rid.tar.gz" .
    if arch=$(deb_arch "$rid"); then
        build_deb "$rid" "$tree" "$arch"
    fi
    rm -rf "$tree"
    (cd "$OUT/$rid" && sha256sum -- * >SHA256SUMS)
    echo "packaged $rid: $(cd "$OUT/$rid" && echo *)" >&2
done

# The APKBUILD, with the checksums of whichever musl tarballs exist.
sums=
for rid in linux-musl-arm64 linux-musl-x64; do
    tarball=$OUT/$rid/sandboxer-$VERSION-$rid.tar.gz
    [ -e "$tarball" ] && sums="$sums$(cd "$OUT/$rid" && sha512sum -- "$(basename "$tarball")")
"
done
sed -e "s|@VERSION@|$VERSION|" "$ROOT/build/alpine/APKBUILD.in" >"$OUT/APKBUILD"
printf 'sha512sums="\n%s"\n' "$sums" >>"$OUT/APKBUILD"
echo "wrote $OUT/APKBUILD" >&2
