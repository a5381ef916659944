#!/usr/bin/env bash
# benchmark-storm.sh -- a storm of stalls: 10,000 stalls of 1.2 ms at a 1 ms threshold. What the
# watcher spends on it, how much the loop slows down, and whether the report still counts every
# stall.
#
# Runs build/bin/benchmark-storm (bench/benchmark-storm.c: one epoll loop whose every iteration
# stalls) in three ways, the order rotated every round:
#   bare;
#   direct:    LD_PRELOAD=libloopstall.so LOOPSTALL_THRESHOLD_MS=1 LOOPSTALL_OUT=DIR;
#   under run: loopstall run -q -t 1 --json FILE -- ...
#   collect:   direct's with LOOPSTALL_COLLECTOR naming a `loopstall collect` started for the round
# --kind cpu (the default) makes each stall a fixed amount of work, calibrated once to take
# 1.2 ms at its quickest on this machine, the same in every way, so a loop slowed by the agent
# (its timing, its signals, its samples) takes longer; --kind sleep makes each a 1.2 ms nanosleep
# (a blocking stall, whose call stack the agent takes). The program reads the watcher's CPU (the
# agent's thread, or run's or the collector's whole process) at the start and the end of the
# storm.
#
# Figures: the watcher's CPU share (its CPU over the storm's wall time); the loop's slowdown (the
# storm's wall time over bare's in the same round, paired); and the report's count: the stalls
# kept in full plus "dropped" must be every stall. "dropped" (as the watcher writes it) counts the
# stalls not kept in full: those folded into "folded" aggregates (their counts are shown) and
# those whose detail was lost altogether.
#
# Targets (issue 12): the watcher under 3% of a CPU; the report complete.
#
# Usage: bench/benchmark-storm.sh [--stalls N] [--rounds R] [--kind cpu|sleep] [--build DIR]
set -euo pipefail
bench_name=benchmark-storm
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

stalls=10000
rounds=2
kind=cpu
build="$bench_root/build"
while [[ $# -gt 0 ]]; do
    case "$1" in
    --stalls) stalls=${2:-}; shift 2 ;;
    --rounds) rounds=${2:-}; shift 2 ;;
    --kind) kind=${2:-}; shift 2 ;;
    --build) build=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --stalls N, --rounds R, --kind cpu|sleep, --build DIR)" ;;
    esac
done
bench_positive --stalls "$stalls"
bench_positive --rounds "$rounds"
[[ $kind == cpu || $kind == sleep ]] || bench_die "--kind wants cpu or sleep, got '$kind'"
bench_build_paths "$build"
bench_need jq
bin="$build/bin/benchmark-storm"
[[ -x "$bin" ]] || bench_die "no $bin: build the benchmark (cmake --build $build --target benchmark-storm)"
work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-storm.XXXXXX")
trap '[[ -n "$collect_pid" ]] && kill -TERM "$collect_pid" 2>/dev/null; rm -rf "$work"' EXIT

args=(--stalls "$stalls" --kind "$kind" --stall-us 1200 --threshold-ms 1)
if [[ $kind == cpu ]]; then
    spins=$("$bin" --calibrate --stall-us 1200 | awk '{ print $2 }')
    args+=(--spins "$spins")
fi
bench_start "a storm of $stalls $kind stalls of 1.2 ms at a 1 ms threshold, $rounds rounds of bare, direct, under run, with collect"
[[ $kind == cpu ]] && echo "  each stall: $spins multiply-adds (1.2 ms at their quickest here)"

# The report's count: "kept folded lost dropped bytes" of the first process in FILE.
count() {
    jq -r '.processes[0] | [(.stalls | length), ([.folded[]?.count] | add // 0), .dropped] |
        "\(.[0]) \(.[1]) \(.[2] - .[1]) \(.[2])"' "$1"
}

results="$work/results" # way round storm_ns watcher_ns short
: >"$results"
ways=(bare direct run collect)
complete=1
for r in $(seq "$rounds"); do
    for k in 0 1 2 3; do
        way=${ways[$(((r + k) % 4))]}
        rm -rf "$work/out" "$work/own" && mkdir -p "$work/out" "$work/own"
        case $way in
        bare) out=$("$bin" "${args[@]}") ;;
        direct) out=$(LD_PRELOAD="$agent" LOOPSTALL_OUT="$work/out" LOOPSTALL_THRESHOLD_MS=1 "$bin" "${args[@]}" 2>/dev/null) ;;
        run) out=$("$loopstall" run -q -t 1 --json "$work/out/run.json" -- "$bin" "${args[@]}" 2>/dev/null) ;;
        collect)
            bench_collect_start "storm-$r" "$work/out"
            out=$(env LD_PRELOAD="$agent" "$collect_env" LOOPSTALL_OUT="$work/own" \
                LOOPSTALL_THRESHOLD_MS=1 BENCH_COLLECTOR_PID="$collect_pid" "$bin" "${args[@]}" 2>/dev/null)
            sleep 0.3 # the collector writes the report once the pidfd says the program ended
            bench_collect_stop
            ;;
        esac
        read -r _ _ _ _ storm_ns _ wkind _ watcher_ns _ short < <(grep '^result:' <<<"$out") ||
            bench_die "round $r, $way: the program printed no result"
        want=none
        [[ $way == direct ]] && want=thread
        [[ $way == run ]] && want=run
        [[ $way == collect ]] && want=collect
        [[ "$wkind" == "$want" ]] || bench_die "round $r, $way: the program found watcher '$wkind', not '$want'"
        echo "$way $r $storm_ns $watcher_ns $short" >>"$results"
        line=$(printf '  round %d %-6s storm %7.3f s, watcher %7.1f ms (%.2f%% of a CPU)' "$r" "$way" \
            "$(awk -v n="$storm_ns" 'BEGIN { print n / 1e9 }')" "$(awk -v n="$watcher_ns" 'BEGIN { print n / 1e6 }')" \
            "$(awk -v w="$watcher_ns" -v s="$storm_ns" 'BEGIN { print w / s * 100 }')")
        if [[ $way != bare ]]; then
            file=$(ls "$work"/out/*.json | head -1)
            read -r kept folded lost dropped < <(count "$file")
            total=$((kept + dropped))
            verdict="complete"
            if ((total > stalls || total < stalls - short)); then
                verdict="INCOMPLETE"
                complete=0
            fi
            # The sites the command makes from kept and folded stalls (run's merged report has
            # them; a per-process file does not, `loopstall report` makes them).
            merged=$file
            if [[ $way == direct || $way == collect ]]; then
                merged="$work/out/merged.json"
                "$loopstall" report "$file" --format json -o "$merged" 2>/dev/null || bench_die "loopstall report failed on $file"
            fi
            sites=$(jq '[.processes[0].sites[]?.count] | add // 0' "$merged")
            echo "$way $r $lost $sites" >>"$work/detail"
            line+=$(printf '; report %d KiB: kept %d + dropped %d (folded %d, no detail %d) = %d of %d stalls (%d short): %s; sites count %d' \
                $(($(stat -c %s "$file") / 1024)) "$kept" "$dropped" "$folded" "$lost" "$total" "$stalls" "$short" "$verdict" "$sites")
        fi
        echo "$line"
    done
done

echo
for way in direct run collect; do
    read -r smed _ _ smin smax n < <(awk -v w="$way" '$1 == w { print $4 / $3 * 100 }' "$results" | bench_stats)
    read -r dmed _ _ dmin dmax _ < <(awk -v w="$way" '{ x[$1, $2] = $3; n = $2 > n ? $2 : n }
        END { for (i = 1; i <= n; i++) print (x[w, i] / x["bare", i] - 1) * 100 }' "$results" | bench_stats)
    case $way in
    direct) label="direct (agent's thread)" ;;
    run) label="under run (run's CPU)" ;;
    collect) label="preloaded with collect (the collector's CPU)" ;;
    esac
    printf '  %-6s watcher %.2f%% of a CPU (min %.2f%%, max %.2f%%); loop slowed by %+.2f%% (paired, min %+.2f%%, max %+.2f%%)\n' \
        "$way" "$smed" "$smin" "$smax" "$dmed" "$dmin" "$dmax"
    bench_table "storm of $stalls $kind stalls (1.2 ms at 1 ms), watcher CPU, $label" "$(printf '%.2f%% of a CPU' "$smed")" \
        "$(printf 'min %.2f%%, max %.2f%% (%d rounds)' "$smin" "$smax" "$n")" "< 3%" \
        "$(awk -v v="$smed" 'BEGIN { print (v < 3) ? "met" : "missed" }')"
    bench_table "storm of $stalls $kind stalls, loop slowdown, $label" "$(printf '%+.2f%%' "$dmed")" \
        "$(printf 'paired min %+.2f%%, max %+.2f%%' "$dmin" "$dmax")" "(none)" ""
done
bench_table "storm of $stalls $kind stalls, report accounts for every stall (kept + dropped, jq)" \
    "$([[ $complete == 1 ]] && echo "complete in every round" || echo "INCOMPLETE in some round")" \
    "$(awk '{ l[$1] = l[$1] " " $3; s[$1] = s[$1] " " $4 } END { printf "no detail (neither kept nor folded): direct%s, run%s, collect%s; sites count: direct%s, run%s, collect%s", l["direct"], l["run"], l["collect"], s["direct"], s["run"], s["collect"] }' "$work/detail")" \
    "complete" "$([[ $complete == 1 ]] && echo met || echo missed)"
bench_end
