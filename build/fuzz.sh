#!/bin/sh
# Fuzzes the profile loader (tests/Sandboxer.Fuzz: decode, parse, apply, validate, compose)
# under AFL++, with SharpFuzz's instrumentation of sandboxer.dll and Tomlyn.dll:
#   build/fuzz.sh [EXECS]    about EXECS executions (default 1,000,000), then one summary line
# seeded with tests/Sandboxer.Fuzz/corpus. Exits 1 if AFL saved a crash (any exception but a
# profile error at file:line:column) or a hang (5 s), after replaying each with the
# uninstrumented build to show what it was. What AFL found is left in artifacts/fuzz/findings.
. "$(dirname "$0")/lib.sh"
execs=${1:-1000000}
install_packages "afl++" "afl++"
out=$ROOT/artifacts/fuzz
[ -x "$out/tools/sharpfuzz" ] || dotnet tool install SharpFuzz.CommandLine --version 2.3.0 --tool-path "$out/tools" >&2
rm -rf "$out/plain" "$out/afl" "$out/findings"
dotnet build "$ROOT/tests/Sandboxer.Fuzz/Sandboxer.Fuzz.csproj" -c Release -o "$out/plain" --nologo -v quiet >&2
# The instrumented copy writes its coverage to AFL's shared memory, so it runs only under AFL.
cp -r "$out/plain" "$out/afl"
for dll in sandboxer.dll Tomlyn.dll; do "$out/tools/sharpfuzz" "$out/afl/$dll"; done
# dotnet itself is not instrumented (the coverage comes from the dlls); no core handler to
# wait for, no CPU to pin on a shared machine.
AFL_SKIP_BIN_CHECK=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1 \
    afl-fuzz -i "$ROOT/tests/Sandboxer.Fuzz/corpus" -o "$out/findings" -t 5000 -m none -E "$execs" \
    -- dotnet "$out/afl/Sandboxer.Fuzz.dll" >"$out/afl.log" 2>&1 || { tail -n 20 "$out/afl.log" >&2; exit 1; }
stat() { sed -n "s/^$1 *: *//p" "$out/findings/default/fuzzer_stats"; }
found() { find "$out/findings/default/$1" -name 'id:*' | wc -l; }
crashes=$(found crashes) hangs=$(found hangs)
echo "fuzz: $(stat execs_done) executions in $(stat run_time) s ($(stat execs_per_sec)/s), corpus $(stat corpus_count), coverage $(stat bitmap_cvg), $crashes crashes, $hangs hangs, afl-fuzz $(stat afl_version)"
if [ "$crashes" -gt 0 ] || [ "$hangs" -gt 0 ]; then
    find "$out/findings/default/crashes" "$out/findings/default/hangs" -name 'id:*' -exec dotnet "$out/plain/Sandboxer.Fuzz.dll" {} + >&2 || true
    exit 1
fi
