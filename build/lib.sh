# Shared by the build scripts: sourced, not run.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
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
