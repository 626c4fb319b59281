#!/bin/sh
# Builds sandboxer and runs a shell in the demo sandbox:
#   bwrap-demo -c 'id; hostname; ls /'
. "$(dirname "$0")/lib.sh"
"$ROOT/build/deps.sh" demo
rid=$(host_rid)
publish "$rid"

# Profiles are trusted only when root owns them and their directories: install them
# into a fresh root-owned directory, as /etc/sandboxer would be.
dir=$(as_root mktemp -d /tmp/sandboxer-demo.XXXXXX)
as_root chmod 755 "$dir"
as_root install -m 644 "$ROOT/profiles/defaults.toml" "$ROOT/profiles/demo.toml" "$dir/"
bwrap=$(command -v bwrap)
as_root sed -i "s|^bwrap = .*|bwrap = \"$bwrap\"|" "$dir/defaults.toml"
# The stop relay's lock lives under a state root that is root's alone, in a directory of the
# service's user: root makes it for whoever runs the demo, as an init script's start_pre does
# (a server uses /run/sandboxer, see README).
as_root install -d -m 755 "$dir/state"
as_root install -d -o "$(id -u)" -m 700 "$dir/state/demo"
printf '\n[stop]\nstate = "%s/state"\n' "$dir" | as_root tee -a "$dir/defaults.toml" >/dev/null
ln -sf "$ROOT/artifacts/$rid/sandboxer" "$ROOT/artifacts/$rid/bwrap-demo"

echo "\$ bwrap-demo -c 'id; hostname; ls /'   (profiles from $dir)" >&2
SANDBOXER_PROFILE_DIR=$dir "$ROOT/artifacts/$rid/bwrap-demo" -c 'id; hostname; ls /'
