#!/bin/sh
# Publishes the NativeAOT binary for every target into artifacts/<rid>/, each with its
# SHA256SUMS (check with: cd artifacts/<rid> && sha256sum -c SHA256SUMS).
#   build/publish.sh                 all four targets
#   build/publish.sh linux-arm64     only those named
# The other architecture is cross-compiled with clang and lld against the target's C
# library (Debian multiarch). A target whose NativeAOT packages the NuGet feed lacks is
# skipped with one line saying so; the other targets are still built.
. "$(dirname "$0")/lib.sh"
ALL_RIDS="linux-x64 linux-arm64 linux-musl-x64 linux-musl-arm64"
# The host's own toolchain (clang, zlib); the other targets' is added per target below.
"$ROOT/build/deps.sh" demo

# Debian's name for an architecture and the GNU triple's first part.
debian_arch() { case "$1" in *-x64) echo amd64 ;; *-arm64) echo arm64 ;; esac; }
gnu_arch() { case "$1" in *-x64) echo x86_64 ;; *-arm64) echo aarch64 ;; esac; }
is_musl() { case "$1" in linux-musl-*) return 0 ;; *) return 1 ;; esac; }

# Installs the toolchain for one target and prints the msbuild properties it needs (stdout
# carries only those). Returns 1, with a line on stderr, when this system cannot build it.
prepare() {
    rid=$1 host=$(host_rid)
    [ "$rid" = "$host" ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "skipped $rid: cross-compiling from $host is set up for Debian only; build it on a $rid machine" >&2
        return 1
    fi
    arch=$(debian_arch "$rid")
    if [ "$arch" != "$(dpkg --print-architecture)" ] && ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
        as_root dpkg --add-architecture "$arch" >&2   # install_packages updates the lists
    fi
    # clang pairs with the host's GCC; the target needs that GCC's crt objects and libgcc.
    gcc_version=$(clang -v 2>&1 | sed -n 's|^Selected GCC installation: .*/||p')
    install_packages "clang lld llvm libgcc-${gcc_version:-12}-dev:$arch" "" >&2
    if is_musl "$rid"; then
        install_packages "musl-dev:$arch" "" >&2
        sysroot=$(musl_sysroot "$rid" "${gcc_version:-12}")
        echo "-p:SysRoot=$sysroot -p:LinkerFlavor=lld"
    else
        install_packages "libc6-dev:$arch zlib1g-dev:$arch" "" >&2
        echo "-p:SysRoot=/ -p:LinkerFlavor=lld"
    fi
}

# Debian installs musl beside glibc (/usr/lib/<triple>-linux-musl): clang wants it as a
# sysroot of its own, with libgcc's objects where it looks for a GCC.
musl_sysroot() {
    rid=$1 gcc_version=$2 triple="$(gnu_arch "$1")-linux-musl"
    dir=$ROOT/artifacts/.sysroot/$rid
    rm -rf "$dir"
    mkdir -p "$dir/usr/lib/gcc/$triple/$gcc_version"
    ln -s "/usr/lib/$triple"/* "$dir/usr/lib/"
    ln -s "/usr/include/$triple" "$dir/usr/include"
    ln -s "/usr/lib/gcc/$(gnu_arch "$1")-linux-gnu/$gcc_version"/*.[ao] "$dir/usr/lib/gcc/$triple/$gcc_version/"
    echo "$dir"
}

# Restores first: a feed without the target's NativeAOT packages fails here, with NU1101.
restore_or_skip() {
    rid=$1
    log=$(dotnet restore "$ROOT/src/Sandboxer/Sandboxer.csproj" -r "$rid" --nologo 2>&1) && return 0
    package=$(printf '%s\n' "$log" | grep -o "NU1101: Unable to find package runtime\.$rid\.Microsoft\.DotNet\.ILCompiler" | head -n 1)
    if [ -n "$package" ]; then
        echo "skipped $rid: the NuGet feed has no NativeAOT runtime pack (runtime.$rid.Microsoft.DotNet.ILCompiler)" >&2
        return 1
    fi
    printf '%s\n' "$log" >&2
    exit 1
}

for rid in ${*:-$ALL_RIDS}; do
    case " $ALL_RIDS " in
        *" $rid "*) ;;
        *) echo "unknown target $rid (one of: $ALL_RIDS)" >&2; exit 64 ;;
    esac
    restore_or_skip "$rid" || continue
    props=$(prepare "$rid") || continue
    # shellcheck disable=SC2086 # props are separate words
    publish "$rid" $props
    (cd "$ROOT/artifacts/$rid" && sha256sum sandboxer > SHA256SUMS)
    echo "built $rid: artifacts/$rid/sandboxer ($(wc -c < "$ROOT/artifacts/$rid/sandboxer") bytes)" >&2
done
