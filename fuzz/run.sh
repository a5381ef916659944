#!/usr/bin/env bash
# run.sh -- builds the rule-parser fuzzer with clang and runs it: `fuzz/run.sh [SECONDS]` (default 60),
# or `fuzz/run.sh --check` to replay the seed corpus once (a quick regression test).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${LS_FUZZ_BUILD:-$here/../build-fuzz}
cc=${CC:-$(command -v clang || command -v clang-14)}

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target fuzz-inject-rule >/dev/null

fuzzer=$build/fuzz-inject-rule
if [ "${1:-}" = "--check" ]; then
    exec "$fuzzer" -runs=0 -dict="$here/rules.dict" "$here/corpus"
fi

seconds=${1:-60}
# New inputs go to a scratch corpus in the build folder; fuzz/corpus stays the small seed set.
# A crash lands in $build/crashes/: fix it, then copy the input into fuzz/corpus as a regression seed.
mkdir -p "$build/corpus" "$build/crashes"
exec "$fuzzer" -max_total_time="$seconds" -max_len=600 -timeout=5 -print_final_stats=1 \
    -dict="$here/rules.dict" -artifact_prefix="$build/crashes/" "$build/corpus" "$here/corpus"
