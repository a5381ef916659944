#!/usr/bin/env bash
# benchmark-wrapper-cost.sh -- ns per wrapped call, with and without the agent.
#
# Runs benchmark-wrapper-cost (bench/benchmark-wrapper-cost.c) alternately
# without (A) and with (B) LD_PRELOAD=libloopstall.so, --runs times each, and
# prints the medians:
#   plain     write() on a thread that is not a loop: the agent's pass-through;
#   loop      write() inside an iteration of a loop thread: timed by the agent;
#   loopwait  epoll_wait(epfd, ev, 1, 0) on the loop thread: an iteration ends
#             and the next begins.
# Each process times the libc call against the same system call made through
# syscall(2), which the agent does not wrap, in alternating batches; the
# agent's cost is B's (libc - raw) minus A's. The plain difference B - A of
# the libc call across processes is printed too, but the bare system call
# varies by tens of ns between processes on a shared VM.
#
# The figure is the median over the pairs (run r of A and of B) of B_r's (libc - raw) minus
# A_r's, with the min and max of those paired differences.
#
# Usage: bench/benchmark-wrapper-cost.sh [--build DIR | --agent PATH --bin PATH] [--runs N]
#          [-n CALLS] [--read] [--cpu C] [--json FILE]
# --build DIR takes the agent and the binary from that build (default: build); without a binary
# there, bench/benchmark-wrapper-cost.c is compiled with cc into a temporary directory.
set -euo pipefail
bench_name=benchmark-wrapper-cost
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$bench_root/bench"
root=$bench_root

build="$root/build"
agent=""
bin=""
runs=3
calls=5000000
callopt=--write
cpu=""
json=""

die() {
    echo "benchmark-wrapper-cost: $*" >&2
    exit 2
}
need_value() { [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"; }

while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) need_value "$@"; build=$2; shift 2 ;;
    --agent) need_value "$@"; agent=$2; shift 2 ;;
    --bin) need_value "$@"; bin=$2; shift 2 ;;
    --runs) need_value "$@"; runs=$2; shift 2 ;;
    -n) need_value "$@"; calls=$2; shift 2 ;;
    --read) callopt=--read; shift ;;
    --write) callopt=--write; shift ;;
    --cpu) need_value "$@"; cpu=$2; shift 2 ;;
    --json) need_value "$@"; json=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer, got '$runs'"
[[ "$calls" =~ ^[0-9.]+([eE][0-9]+)?$ ]] || die "-n wants a number of calls (5000000 or 5e6), got '$calls'"
calls=$(awk -v n="$calls" 'BEGIN { printf "%d", n }')
[[ "$calls" -ge 1000 ]] || die "-n wants at least 1000 calls"
[[ -n "$agent" ]] || agent="$build/lib/libloopstall.so"
[[ -f "$agent" ]] || die "agent not found at '$agent': build it (cmake --build <dir> --target loopstall) or pass --agent PATH"
agent=$(cd "$(dirname "$agent")" && pwd)/$(basename "$agent")

work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-wrapcost.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [[ -z "$bin" ]]; then
    if [[ -x "$build/bin/benchmark-wrapper-cost" ]]; then
        bin="$build/bin/benchmark-wrapper-cost"
    else
        cc -std=c11 -D_GNU_SOURCE -O2 -pthread -o "$work/benchmark-wrapper-cost" "$here/benchmark-wrapper-cost.c" ||
            die "could not compile $here/benchmark-wrapper-cost.c"
        bin="$work/benchmark-wrapper-cost"
    fi
fi
[[ -x "$bin" ]] || die "benchmark binary '$bin' not found or not executable"

pin=()
pin_note="not pinned"
if [[ -n "$cpu" ]]; then
    command -v taskset >/dev/null || die "--cpu needs taskset"
    pin=(taskset -c "$cpu")
    pin_note="pinned to CPU $cpu"
fi

bench_start "ns per wrapped call: $calls calls per phase ($callopt), $runs runs each, A (plain) / B (agent $agent), $pin_note"
results="$work/results"
: >"$results"
for r in $(seq "$runs"); do
    for mode in A B; do
        if [[ $mode == A ]]; then
            out=$("${pin[@]}" "$bin" -n "$calls" "$callopt")
        else
            out=$("${pin[@]}" env "LD_PRELOAD=$agent" "LOOPSTALL_OUT=$work/out" "$bin" -n "$calls" "$callopt")
        fi
        # "<phase> <call> <ns> raw <ns>" -> "mode run phase call ns raw_ns"
        awk -v m="$mode" -v r="$r" 'NF == 5 && $4 == "raw" { print m, r, $1, $2, $3, $5 }' <<<"$out" >>"$results"
        awk -v m="$mode" -v r="$r" 'NF == 5 { printf "  run %s%d %-9s %-10s %8.2f ns/call  (raw syscall %8.2f, over raw %+6.2f)\n", m, r, $1, $2, $3, $5, $3 - $5 }' <<<"$out"
    done
done
if [[ -d "$work/out" ]]; then
    # The loop phases must really have been timed: the agent reports loops.
    ls "$work/out"/loopstall.*.json >/dev/null 2>&1 || die "the agent left no report: was it loaded?"
fi

med() { # med MODE PHASE COLUMN
    awk -v m="$1" -v p="$2" -v c="$3" '$1 == m && $3 == p { print $c }' "$results" | sort -g | awk '
        { v[NR] = $1 } END { if (!NR) { print "nan"; exit } printf "%.2f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
overraw() { # overraw MODE PHASE: median of (libc - raw) per run
    awk -v m="$1" -v p="$2" '$1 == m && $3 == p { print $5 - $6 }' "$results" | sort -g | awk '
        { v[NR] = $1 } END { if (!NR) { print "nan"; exit } printf "%.2f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo
# The headline is the in-process figure: each run's libc call minus the raw
# syscall(2) next to it, B's minus A's. The bare syscall itself varies by tens
# of ns from one process to the next on a shared VM, which swamps a plain
# difference of B and A (shown too, as "across processes").
declare -A res
for phase in plain loop loopwait; do
    a=$(med A "$phase" 5)
    b=$(med B "$phase" 5)
    ra=$(overraw A "$phase")
    rb=$(overraw B "$phase")
    d=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%+.2f", b - a }')
    d2=$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%+.2f", b - a }')
    res[$phase]="$a $b $d $ra $rb $d2"
    case $phase in
    plain) what="${callopt#--}() on a thread that is not a loop" ;;
    loop) what="${callopt#--}() inside a loop iteration" ;;
    loopwait) what="epoll_wait(..., 0) as the loop's wait" ;;
    esac
    printf '  %-9s %-38s over raw syscall: A %+6.2f ns, B %+6.2f ns -> agent %s ns  (across processes: A %.1f, B %.1f, %s ns)\n' \
        "$phase" "$what" "$ra" "$rb" "$d2" "$a" "$b" "$d"
done
# Paired: run r of B against run r of A, each over its own raw syscall.
paired() { # paired PHASE -> "median min max" of (B_r - raw) - (A_r - raw)
    awk -v p="$1" '$3 == p { x[$1, $2] = $5 - $6; n = $2 > n ? $2 : n }
        END { for (r = 1; r <= n; r++) print x["B", r] - x["A", r] }' "$results" | bench_stats | awk '{ print $1, $4, $5 }'
}
for phase in plain loop loopwait; do
    read -r pm pmin pmax < <(paired "$phase")
    case $phase in
    plain) what="a wrapped ${callopt#--}() on a thread that is not a loop" target="a few ns over the bare call" ;;
    loop) what="a wrapped ${callopt#--}() inside a loop iteration (timed)" target="(none)" ;;
    loopwait) what="the loop's own epoll_wait(..., 0), per iteration" target="(none)" ;;
    esac
    printf '  %-9s paired B_r - A_r over raw: median %+.2f ns (min %+.2f, max %+.2f, %d pairs)\n' "$phase" "$pm" "$pmin" "$pmax" "$runs"
    bench_table "$what" "$(printf '%+.1f ns' "$pm")" "$(printf 'paired min %+.1f, max %+.1f ns (%d runs)' "$pmin" "$pmax" "$runs")" "$target" ""
done
read -r _ _ pd _ _ pd2 <<<"${res[plain]}"
read -r _ _ ld _ _ ld2 <<<"${res[loop]}"
read -r _ _ wd _ _ wd2 <<<"${res[loopwait]}"
echo "wrapper cost: not a loop ${pd2} ns/call, loop thread ${ld2} ns/call, loop wait ${wd2} ns/iteration (medians in-process; across processes ${pd}, ${ld}, ${wd})"
bench_end

if [[ -n "$json" ]]; then
    {
        printf '{\n  "benchmark": "wrapper-cost",\n  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        printf '  "machine": {"nproc": %d, "cpu_model": "%s", "kernel": "%s"},\n' "$(nproc)" \
            "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/["\\]//g')" "$(uname -r)"
        printf '  "calls_per_phase": %d, "call": "%s", "runs": %d, "pinning": "%s",\n' "$calls" "${callopt#--}" "$runs" "$pin_note"
        sep=""
        printf '  "phases": {'
        for phase in plain loop loopwait; do
            read -r a b d ra rb d2 <<<"${res[$phase]}"
            printf '%s\n    "%s": {"A_ns": %s, "B_ns": %s, "agent_across_processes_ns": %s, "A_over_raw_ns": %s, "B_over_raw_ns": %s, "agent_ns": %s}' \
                "$sep" "$phase" "$a" "$b" "${d#+}" "$ra" "$rb" "${d2#+}"
            sep=","
        done
        printf '\n  }\n}\n'
    } >"$json"
    echo "  results written to $json"
fi
