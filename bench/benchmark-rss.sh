#!/usr/bin/env bash
# benchmark-rss.sh -- what the agent costs in memory: the resident set of a process whose N loop
# threads each stall once, with and without the agent, per stalling loop thread; and the static
# reservation (the record every process maps, and how much of it is ever touched).
#
# Runs build/bin/benchmark-rss (bench/benchmark-rss.c) with 0, 1 and 64 loops (--loops), each
# loop stalling once for 30 ms (--kind sleep, the default: a blocking stall whose call stack is
# kept; --kind cpu: a CPU stall, which is sampled), in three ways: bare, direct (LD_PRELOAD, the
# agent's own watcher thread, and the report it writes), under run (the record is a memfd shared
# with run; run's own VmRSS is shown beside). --repeat runs of each, medians.
#
# Figures (VmRSS of /proc/PID/status; RssAnon, RssShmem and smaps_rollup's Pss beside it):
#   fixed:    agent(0) - bare(0), what a process that never runs a loop holds;
#   per loop: ((agent(64) - bare(64)) - (agent(0) - bare(0))) / 64, each loop having stalled once;
#   record:   sizeof(struct ls_record) (the program includes watcher/record.h) and its pages, and
#             the Rss of its mapping (touched pages; under run the memfd "loopstall-record",
#             used directly an anonymous mapping of that size when the kernel kept it apart).
#
# Target (issue 12): <= 200 KiB per stalling loop thread.
#
# Usage: bench/benchmark-rss.sh [--repeat R] [--kind sleep|cpu] [--loops N] [--build DIR]
set -euo pipefail
bench_name=benchmark-rss
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

repeat=3
kind=sleep
many=64
build="$bench_root/build"
while [[ $# -gt 0 ]]; do
    case "$1" in
    --repeat) repeat=${2:-}; shift 2 ;;
    --kind) kind=${2:-}; shift 2 ;;
    --loops) many=${2:-}; shift 2 ;;
    --build) build=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --repeat R, --kind sleep|cpu, --loops N, --build DIR)" ;;
    esac
done
bench_positive --repeat "$repeat"
bench_positive --loops "$many"
[[ $kind == cpu || $kind == sleep ]] || bench_die "--kind wants sleep or cpu, got '$kind'"
bench_build_paths "$build"
bin="$build/bin/benchmark-rss"
[[ -x "$bin" ]] || bench_die "no $bin: build the benchmark (cmake --build $build --target benchmark-rss)"
work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-rss.XXXXXX")
trap 'rm -rf "$work"' EXIT

bench_start "resident memory with 0, 1 and $many loop threads that each stall once ($kind, 30 ms), $repeat runs each"
results="$work/results" # way n vmrss anon shmem pss record_rss run_vmrss
: >"$results"
for r in $(seq "$repeat"); do
    for n in 0 1 "$many"; do
        for way in bare direct run; do
            rm -rf "$work/out" && mkdir -p "$work/out"
            case $way in
            bare) out=$("$bin" --loops "$n" --kind "$kind") ;;
            direct) out=$(LD_PRELOAD="$agent" LOOPSTALL_OUT="$work/out" "$bin" --loops "$n" --kind "$kind" 2>/dev/null) ;;
            run) out=$("$loopstall" run -q -- "$bin" --loops "$n" --kind "$kind" 2>/dev/null) ;;
            esac
            read -r -a f < <(grep '^result:' <<<"$out") || bench_die "$way, $n loops: no result"
            # result: loops N watcher K vmrss_kib R rss_anon_kib A rss_shmem_kib S pss_kib P
            #         private_dirty_kib D record_bytes B record_rss_kib K run_vmrss_kib V
            want=none
            [[ $way == direct && $n -gt 0 ]] && want=thread
            [[ $way == run ]] && want=run
            [[ "${f[4]}" == "$want" ]] || bench_die "$way, $n loops: the program found watcher '${f[4]}', not '$want'"
            record_bytes=${f[16]}
            echo "$way $n ${f[6]} ${f[8]} ${f[10]} ${f[12]} ${f[18]} ${f[20]}" >>"$results"
        done
    done
done

med() { # med WAY N COLUMN
    awk -v w="$1" -v n="$2" -v c="$3" '$1 == w && $2 == n { print $c }' "$results" | bench_stats | awk '{ print $1 }'
}
printf '  %-7s %5s %9s %9s %9s %9s %12s %12s   (medians, KiB)\n' way loops VmRSS RssAnon RssShmem Pss record_Rss run_VmRSS
for way in bare direct run; do
    for n in 0 1 "$many"; do
        printf '  %-7s %5d %9.0f %9.0f %9.0f %9.0f %12.0f %12.0f\n' "$way" "$n" "$(med "$way" "$n" 3)" "$(med "$way" "$n" 4)" \
            "$(med "$way" "$n" 5)" "$(med "$way" "$n" 6)" "$(med "$way" "$n" 7)" "$(med "$way" "$n" 8)"
    done
done
record_kib=$(((record_bytes + 4095) / 4096 * 4))
printf '  the record: sizeof(struct ls_record) = %d bytes, %d pages (%d KiB) mapped in every preloaded process; touched: %s KiB with no loop, %s with 1, %s with %d (under run)\n' \
    "$record_bytes" $((record_kib / 4)) "$record_kib" "$(med run 0 7)" "$(med run 1 7)" "$(med run "$many" 7)" "$many"
for way in direct run; do
    fixed=$(awk -v a="$(med "$way" 0 3)" -v b="$(med bare 0 3)" 'BEGIN { print a - b }')
    one=$(awk -v a="$(med "$way" 1 3)" -v b="$(med bare 1 3)" -v f="$fixed" 'BEGIN { print a - b - f }')
    per=$(awk -v a="$(med "$way" "$many" 3)" -v b="$(med bare "$many" 3)" -v f="$fixed" -v n="$many" 'BEGIN { printf "%.1f", (a - b - f) / n }')
    label=$([[ $way == direct ]] && echo "direct" || echo "under run (the host's RSS; run's beside)")
    extra=""
    if [[ $way == run ]]; then
        run_per=$(awk -v a="$(med run "$many" 8)" -v b="$(med run 0 8)" -v n="$many" 'BEGIN { printf "%.1f", (a - b) / n }')
        extra="; run's own VmRSS grows $run_per KiB per loop (the shared record pages counted again)"
    fi
    printf '  %-6s fixed %+.0f KiB (no loop); the first stalling loop %+.0f KiB; per stalling loop with %d: %.1f KiB%s\n' \
        "$way" "$fixed" "$one" "$many" "$per" "$extra"
    bench_table "memory per stalling loop thread ($kind stall), $label" "$(printf '%.0f KiB' "$per")" \
        "$(printf 'slope over %d loops; the first loop %+.0f KiB; fixed %+.0f KiB with no loop' "$many" "$one" "$fixed")" \
        "<= 200 KiB" "$(bench_verdict "$per" 200)"
done
bench_table "static reservation: the record (sizeof(struct ls_record))" "$(printf '%d KiB (%d pages) mapped' "$record_kib" $((record_kib / 4)))" \
    "$(printf 'touched under run: %s KiB with no loop, %s KiB with %d' "$(med run 0 7)" "$(med run "$many" 7)" "$many")" "(none)" ""
bench_end
