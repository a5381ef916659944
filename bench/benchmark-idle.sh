#!/usr/bin/env bash
# benchmark-idle.sh -- what watching idle loops costs: the watcher's CPU per second while one or 64
# loop threads wait with nothing to do, at thresholds of 20 ms and 1 ms.
#
# Runs build/bin/benchmark-idle-loops (bench/benchmark-idle-loops.c: N epoll loops waiting with a
# one-hour timeout) for --seconds one-second windows after a one-second settle, in three ways:
#   direct:    LD_PRELOAD=libloopstall.so LOOPSTALL_THRESHOLD_MS=T: the agent's own "loopstall"
#              thread (/proc/PID/task/TID/schedstat);
#   under run: loopstall run -q -t T -- ...: run's whole process over the same windows, so run's
#              own start and end are left out;
#   collect:   direct's with LOOPSTALL_COLLECTOR naming a `loopstall collect` started for the
#              configuration: the collector's whole process over the same windows.
# The program measures from inside (it knows the windows); the figure is the median of the
# per-second rates, with their 10th-90th percentile, and the mean over the whole span. There is
# no bare way: bare, nothing watches. The watcher's wake-ups (its context switches: it sleeps
# between ticks) are counted too, and the CPU per wake-up is what one tick costs, switch included.
# The loop threads' own CPU is printed too (it should be 0).
#
# Targets (issue 12): <= 0.5 ms of watcher CPU per second at 20 ms, <= 5 ms at 1 ms.
#
# Usage: bench/benchmark-idle.sh [--seconds S] [--loops "1 64"] [--thresholds "20 1"] [--build DIR]
set -euo pipefail
bench_name=benchmark-idle
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

seconds=10
loop_counts="1 64"
thresholds="20 1"
build="$bench_root/build"
while [[ $# -gt 0 ]]; do
    case "$1" in
    --seconds) seconds=${2:-}; shift 2 ;;
    --loops) loop_counts=${2:-}; shift 2 ;;
    --thresholds) thresholds=${2:-}; shift 2 ;;
    --build) build=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --seconds S, --loops \"N...\", --thresholds \"MS...\", --build DIR)" ;;
    esac
done
bench_positive --seconds "$seconds"
for n in $loop_counts; do bench_positive --loops "$n"; done
for t in $thresholds; do [[ "$t" =~ ^[0-9]+(\.[0-9]+)?$ ]] || bench_die "--thresholds wants milliseconds, got '$t'"; done
bench_build_paths "$build"
bin="$build/bin/benchmark-idle-loops"
[[ -x "$bin" ]] || bench_die "no $bin: build the benchmark (cmake --build $build --target benchmark-idle-loops)"
work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-idle.XXXXXX")
trap '[[ -n "$collect_pid" ]] && kill -TERM "$collect_pid" 2>/dev/null; rm -rf "$work"' EXIT

bench_start "watcher CPU while idle loops wait, $seconds one-second windows each"
for n in $loop_counts; do
    for t in $thresholds; do
        limit=$(awk -v t="$t" 'BEGIN { print (t >= 20) ? 500 : 5000 }')
        for way in direct run collect; do
            case $way in
            direct)
                out=$(LD_PRELOAD="$agent" LOOPSTALL_OUT="$work" LOOPSTALL_THRESHOLD_MS="$t" \
                    "$bin" --loops "$n" --seconds "$seconds") || bench_die "the program failed ($way, $n loops, $t ms)"
                want=thread ;;
            run)
                out=$("$loopstall" run -q -t "$t" -- "$bin" --loops "$n" --seconds "$seconds") ||
                    bench_die "the program failed ($way, $n loops, $t ms)"
                want=run ;;
            collect)
                bench_collect_start "idle-$n-$t"
                out=$(env LD_PRELOAD="$agent" "$collect_env" LOOPSTALL_OUT="$work" \
                    LOOPSTALL_THRESHOLD_MS="$t" BENCH_COLLECTOR_PID="$collect_pid" \
                    "$bin" --loops "$n" --seconds "$seconds") || bench_die "the program failed ($way, $n loops, $t ms)"
                bench_collect_stop
                want=collect ;;
            esac
            read -r _ _ kind _ med p10 p90 mn mx _ mean _ loops_rate _ wakes _ per_wake _ < <(grep '^result:' <<<"$out")
            [[ "$kind" == "$want" ]] || bench_die "$way, $n loops: the program found watcher '$kind', not '$want': was the agent loaded?"
            printf '  %2d loop(s), threshold %4s ms, %-6s watcher %8.1f us/s median (p10 %.1f, p90 %.1f, min %.1f, max %.1f), mean %.1f; %.0f wake-ups/s, %.1f us each; the loops themselves %.1f us/s\n' \
                "$n" "$t" "$way" "$med" "$p10" "$p90" "$mn" "$mx" "$mean" "$wakes" "$per_wake" "$loops_rate"
            case $way in
            direct) label="direct (agent's thread)" ;;
            run) label="under run (run's CPU)" ;;
            collect) label="preloaded with collect (the collector's CPU)" ;;
            esac
            bench_table "idle watcher CPU, $n idle loop(s), threshold $t ms, $label" \
                "$(printf '%.0f us/s' "$med")" "$(printf 'per second p10 %.0f, p90 %.0f; %.0f wake-ups/s at %.1f us' "$p10" "$p90" "$wakes" "$per_wake")" \
                "<= $limit us/s" "$(bench_verdict "$med" "$limit")"
        done
    done
done
bench_end
