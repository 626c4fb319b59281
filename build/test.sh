#!/bin/sh
# Runs every test: installs what they need, publishes the NativeAOT binary for this
# machine, then runs the xunit suite against it (and against real bwrap).
. "$(dirname "$0")/lib.sh"
"$ROOT/build/deps.sh" test
"$ROOT/build/openrc.sh"
rid=$(host_rid)
publish "$rid"
export SANDBOXER_BIN="$ROOT/artifacts/$rid/sandboxer"
dotnet test "$ROOT/Sandboxer.sln" -c Release --nologo --logger "console;verbosity=normal" "$@"
