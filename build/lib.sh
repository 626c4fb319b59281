# Shared by the build scripts: sourced, not run.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs what is missing of a list of Debian packages (with apt) or Alpine ones (apk).
#   install_packages "DEBIAN PACKAGES" "ALPINE PACKAGES"
install_packages() {
    if command -v apt-get >/dev/null 2>&1; then
        missing=
        for p in $1; do
            dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
        done
        if [ -n "$missing" ]; then
            echo "installing:$missing" >&2
            as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
        fi
    elif command -v apk >/dev/null 2>&1; then
        as_root apk add --quiet $2
    else
        echo "neither apt-get nor apk found: install by hand: $1" >&2
        exit 69
    fi
}

# Unpacks Debian packages and what they contain into a directory, without installing them.
#   unpack_debs DIR PACKAGE[:ARCH]...
unpack_debs() {
    dir=$1; shift
    debs=$(mktemp -d)
    (cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root "$@")
    for deb in "$debs"/*.deb; do dpkg -x "$deb" "$dir"; done
    rm -rf "$debs"
}

# The runtime identifier of this machine: linux[-musl]-x64 or linux[-musl]-arm64.
host_rid() {
    case "$(uname -m)" in
        x86_64) arch=x64 ;;
        aarch64|arm64) arch=arm64 ;;
        *) echo "unsupported architecture $(uname -m)" >&2; return 1 ;;
    esac
    if [ -e /etc/alpine-release ] || ldd --version 2>&1 | grep -qi musl; then
        echo "linux-musl-$arch"
    else
        echo "linux-$arch"
    fi
}

# Publishes the NativeAOT binary for one runtime identifier into artifacts/<rid>/.
publish() {
    rid=$1; shift
    dotnet publish "$ROOT/src/Sandboxer/Sandboxer.csproj" -c Release -r "$rid" -o "$ROOT/artifacts/$rid" --nologo -v quiet "$@" >&2
}
