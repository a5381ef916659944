#!/usr/bin/env bash
# benchmark-redis-instructions.sh -- the agent's cost on Redis in instructions per command, counted
# by valgrind (callgrind), which, unlike CPU time on a shared VM, does not move with the load.
#
# Three ways, each repeat running all three in a rotated order:
#   A  bare:       valgrind --tool=callgrind redis-server ...
#   B  preloaded:  the same with LD_PRELOAD=libloopstall.so LOOPSTALL_OUT=DIR (direct use: the
#                  agent's own watcher thread runs inside Redis, and is counted);
#   C  under run:  loopstall run -q -- valgrind --tool=callgrind redis-server ... (the watcher is
#                  run, outside Redis; only what the agent does inside Redis is counted).
# Each way serves N and then 2N requests (redis-benchmark -c 50 -t get,set) in two fresh servers;
# the difference is the cost of N requests with start-up and shutdown cancelled out, and divided
# by the commands served it is the instructions per command. Every thread of the process counts.
# The threshold is 60 s (LOOPSTALL_THRESHOLD_MS, run -t) because valgrind slows Redis fifty-fold:
# at 20 ms its iterations would be stalls, which is valgrind's doing, not Redis's.
#
# Redis's own count per command moves by about 1% from run to run (how many commands a loop
# iteration batches depends on timing, which valgrind changes, and its timer work runs by the
# clock: hz 1 here, a tenth of the default), so the figure is the median of the paired differences
# B_r - A_r and C_r - A_r of the same repeat, with their min and max.
#
# --clients 1 makes the count nearly exact (one command per loop iteration, every iteration the
# same), and is the agent's worst case (its per-iteration cost falls on every command).
#
# Usage: bench/benchmark-redis-instructions.sh [--requests N] [--repeat R] [--clients C]
#          [--build DIR] [--keep DIR] [--json FILE]
#   --build DIR  the loopstall build to measure (default: build)
#   --keep DIR   keep the callgrind outputs there (for callgrind_annotate --inclusive=yes)
# Each way's count is also split: "inside the agent" is what libloopstall.so's own functions
# executed (callgrind_annotate, per object), which the host's variation from run to run does not
# move; the rest of the difference is the host's own noise or glibc's (direct use makes a host
# multi-threaded: glibc's cancellation and malloc bookkeeping).
set -euo pipefail
bench_name=benchmark-redis-instructions
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

requests=10000
repeat=3
clients=50
build="$bench_root/build"
json=""
keep=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    --requests) requests=${2:-}; shift 2 ;;
    --repeat) repeat=${2:-}; shift 2 ;;
    --clients) clients=${2:-}; shift 2 ;;
    --build) build=${2:-}; shift 2 ;;
    --keep) keep=${2:-}; shift 2 ;;
    --json) json=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --requests N, --repeat R, --clients C, --build DIR, --keep DIR, --json FILE)" ;;
    esac
done
bench_positive --requests "$requests"
bench_positive --repeat "$repeat"
bench_positive --clients "$clients"
bench_build_paths "$build"
bench_need valgrind redis-server redis-benchmark redis-cli jq

work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-instr.XXXXXX")
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[[ -n "$keep" ]] && mkdir -p "$keep"

# measure MODE N TAG: sets m_ir (instructions) and m_cmds (commands served)
measure() {
    local mode=$1 n=$2 tag=$3 port out cmds
    port=$(bench_free_port)
    out="$work/$tag.callgrind"
    # hz 1: Redis's timer work (serverCron, 10 times a second by default) runs by the clock, and
    # under valgrind a request takes fifty times as long, so at hz 10 that work was ~1% of each
    # command's count and varied with how long each round took; at hz 1 it is a tenth of that.
    local cg=(valgrind --tool=callgrind --callgrind-out-file="$out"
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --hz 1 --dynamic-hz no)
    mkdir -p "$work/out-$tag"
    case $mode in
    A) "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
    B) LD_PRELOAD="$agent" LOOPSTALL_OUT="$work/out-$tag" LOOPSTALL_THRESHOLD_MS=60000 \
        "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
    C) "$loopstall" run -q -t 60000 --json "$work/out-$tag/run.json" -- "${cg[@]}" \
        >"$work/log-$tag" 2>&1 & ;;
    esac
    server=$!
    local up=0
    for _ in $(seq 150); do
        redis-cli -p "$port" ping >/dev/null 2>&1 && { up=1; break; }
        sleep 0.2
    done
    [[ $up == 1 ]] || bench_die "redis-server ($mode) did not answer on port $port: $(tail -3 "$work/log-$tag")"
    redis-benchmark -h 127.0.0.1 -p "$port" -c "$clients" -n "$n" -t get,set -q >/dev/null 2>&1
    cmds=$(redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '/^total_commands_processed/ { print $2 }')
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    wait "$server" 2>/dev/null || true
    server=""
    [[ -n "$cmds" ]] || bench_die "no command count from $tag ($(tail -3 "$work/log-$tag"))"
    bench_callgrind_result "$mode" "$tag" "$out"
    m_cmds=$cmds
}

bench_callgrind_ways
declare -A per
bench_start "Redis instructions per command under callgrind, $requests and $((requests * 2)) requests, $clients clients, get+set, $repeat repeats"
echo "  A bare, B preloaded (direct use), C under loopstall run; agent $agent"
for r in $(seq "$repeat"); do
    for k in 0 1 2; do
        mode=${names[$(((r + k) % 3))]}
        measure "$mode" "$requests" "$mode$r-n"
        ir1=$m_ir ag1=$m_agent c1=$m_cmds
        measure "$mode" $((requests * 2)) "$mode$r-2n"
        ir2=$m_ir ag2=$m_agent c2=$m_cmds
        one=$(awk -v a="$ir1" -v b="$ir2" -v c="$c1" -v d="$c2" 'BEGIN { printf "%.1f", (b - a) / (d - c) }')
        echo "$mode $r $one" >>"$results"
        inside=$(awk -v a="$ag1" -v b="$ag2" -v c="$c1" -v d="$c2" 'BEGIN { printf "%.1f", (b - a) / (d - c) }')
        [[ $mode != A ]] && echo "$mode $r $inside" >>"$results.agent"
        printf '  %s%d %-10s %d instructions for %d commands, %d for %d: %s per command\n' \
            "$mode" "$r" "${label[$mode]}" "$ir1" "$c1" "$ir2" "$c2" "$one"
    done
done

bench_callgrind_summary command cmd "Redis GET/SET ($clients clients), instructions per command" 1.0 redis-instructions
