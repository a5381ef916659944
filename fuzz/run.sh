#!/usr/bin/env bash
# run.sh -- builds a libFuzzer harness with clang and runs it:
#   fuzz/run.sh [rule|report] [SECONDS]   fuzz the rule parser (default) or the report reader (default 60 s)
#   fuzz/run.sh [rule|report] --check     replay that harness's seed corpus once (a quick regression test)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${LS_FUZZ_BUILD:-$here/../build-fuzz}
cc=${CC:-$(command -v clang || command -v clang-14)}

harness=rule
case "${1:-}" in rule|report) harness=$1; shift ;; esac
case $harness in
rule)   target=fuzz-inject-rule;   seeds=$here/corpus;        opts=(-max_len=600 -dict="$here/rules.dict") ;;
report) target=fuzz-report-reader; seeds=$here/corpus-report; opts=(-max_len=65536 -dict="$here/report.dict" -close_fd_mask=3) ;;
esac

cmake -S "$here" -B "$build" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target "$target" >/dev/null

fuzzer=$build/$target
if [ "${1:-}" = "--check" ]; then
    exec "$fuzzer" -runs=0 "${opts[@]}" "$seeds"
fi

seconds=${1:-60}
# New inputs go to a scratch corpus in the build folder; the seeds in fuzz/ stay small and in git.
# A crash lands in $build/crashes-$harness/: fix it, then copy the input beside the seeds as a regression seed.
mkdir -p "$build/corpus-$harness" "$build/crashes-$harness"
exec "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 "${opts[@]}" \
    -artifact_prefix="$build/crashes-$harness/" "$build/corpus-$harness" "$seeds"
