#!/bin/sh
# Runs every test: installs what they need, publishes the NativeAOT binary for this
# machine, then runs the xunit suite against it (and against real bwrap).
. "$(dirname "$0")/lib.sh"
"$ROOT/build/deps.sh" test
"$ROOT/build/openrc.sh"
rid=$(host_rid)
publish "$rid"
export SANDBOXER_BIN="$ROOT/artifacts/$rid/sandboxer"
# The server's architecture: on x64 the arm64 binary is cross-compiled and the tests run it
# under qemu; on arm64 it is the binary above.
case "$rid" in
    *-arm64) export SANDBOXER_ARM64_BIN="$SANDBOXER_BIN" ;;
    *) "$ROOT/build/publish.sh" linux-arm64
       "$ROOT/build/arm64.sh"
       export SANDBOXER_ARM64_BIN="$ROOT/artifacts/linux-arm64/sandboxer" ;;
esac
dotnet test "$ROOT/Sandboxer.sln" -c Release --nologo --logger "console;verbosity=normal" "$@"
