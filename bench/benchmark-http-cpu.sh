#!/usr/bin/env bash
# benchmark-http-cpu.sh -- what the agent costs a Python asyncio or a Node HTTP server that never
# stalls, in server CPU per request.
#
# The server (bench/servers/asyncio_http.py on /usr/bin/python3, or bench/servers/node_http.js on
# node) answers keep-alive requests from ab -k (--clients connections, a fixed --requests count).
# Interleaved rounds in three ways, the order rotated every round so that the machine's drifting
# load falls on all three alike:
#   A  bare;
#   B  preloaded: LD_PRELOAD=libloopstall.so LOOPSTALL_OUT=DIR (direct use: the agent's watcher
#      thread is a thread of the server, and its CPU counts with the server's);
#   C  under run: loopstall run -q -- SERVER (run is the watcher: its CPU over the same window is
#      added to the server's; for Node, run adds its perf-map flags to NODE_OPTIONS unless
#      --run-option --no-node-perf-map is given).
# Each round starts a fresh server on a free 127.0.0.1 port, warms it up (--warmup requests),
# then reads the CPU of every thread of the server (and of run) from /proc/PID/task/*/schedstat,
# the scheduler's own sum in ns (the utime+stime of /proc/PID/stat count the same time, in 10 ms
# ticks), sends the requests, and reads it again. With two CPUs the server (and run with it) is
# pinned to --server-cpu and ab to --client-cpu. The figure is the median of the paired ratios
# B_i/A_i and C_i/A_i of the same round, with their 10th-90th percentile and min-max. Every B and
# C round checks that the agent's report names the server's loop.
#
# Usage: bench/benchmark-http-cpu.sh --server python|node [--rounds N] [--requests N]
#          [--warmup N] [--clients C] [--build DIR] [--run-option OPT] [--server-cpu C]
#          [--client-cpu C] [--no-pin] [--json FILE]
set -euo pipefail
bench_name=benchmark-http-cpu
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

server_kind=""
rounds=10
requests=20000
warmup=2000
clients=8
build="$bench_root/build"
run_opts=()
server_cpu=0
client_cpu=1
pin=1
json=""
need_value() { [[ $# -ge 2 && -n "$2" ]] || bench_die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
    --server) need_value "$@"; server_kind=$2; shift 2 ;;
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --requests) need_value "$@"; requests=$2; shift 2 ;;
    --warmup) need_value "$@"; warmup=$2; shift 2 ;;
    --clients) need_value "$@"; clients=$2; shift 2 ;;
    --build) need_value "$@"; build=$2; shift 2 ;;
    --run-option) need_value "$@"; run_opts+=("$2"); shift 2 ;;
    --server-cpu) need_value "$@"; server_cpu=$2; shift 2 ;;
    --client-cpu) need_value "$@"; client_cpu=$2; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --json) need_value "$@"; json=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --server python|node, --rounds N, --requests N, --warmup N, --clients C, --build DIR, --run-option OPT, --server-cpu C, --client-cpu C, --no-pin, --json FILE)" ;;
    esac
done
case $server_kind in
python) server_cmd=(/usr/bin/python3 "$bench_root/bench/servers/asyncio_http.py")
    server_name="Python asyncio ($(/usr/bin/python3 --version 2>&1))" ;;
node) bench_need node
    server_cmd=("$(command -v node)" "$bench_root/bench/servers/node_http.js")
    server_name="Node http ($(node --version))" ;;
*) bench_die "--server wants python or node, got '${server_kind:-nothing}'" ;;
esac
bench_positive --rounds "$rounds"
bench_positive --requests "$requests"
bench_positive --clients "$clients"
[[ "$warmup" =~ ^[0-9]+$ ]] || bench_die "--warmup wants an integer, got '$warmup'"
bench_build_paths "$build"
bench_need ab jq
if [[ $pin -eq 1 ]]; then bench_pin_setup "$server_cpu" "$client_cpu"; else
    server_pin=() client_pin=() pin_note="not pinned"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-http.XXXXXX")
started="" # what we started: the server, or run
cleanup() {
    [[ -n "$started" ]] && kill -TERM "$started" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The CPU of the thread named loopstall (the agent's watcher) in a process, in ns.
watcher_thread_ns() {
    local t
    for t in /proc/"$1"/task/*; do
        [[ "$(cat "$t/comm" 2>/dev/null)" == loopstall ]] && awk '{ print $1 }' "$t/schedstat" && return
    done
    echo 0
}

# start MODE TAG: sets started (the pid we started) and server (the server's pid)
start() {
    local mode=$1 tag=$2 try port
    for try in 1 2 3 4 5; do
        port=$(bench_free_port)
        case $mode in
        A) "${server_pin[@]}" "${server_cmd[@]}" "$port" >"$work/log-$tag" 2>&1 & ;;
        B) mkdir -p "$work/out-$tag"
            "${server_pin[@]}" env "LD_PRELOAD=$agent" "LOOPSTALL_OUT=$work/out-$tag" \
                "${server_cmd[@]}" "$port" >"$work/log-$tag" 2>&1 & ;;
        C) "${server_pin[@]}" "$loopstall" run -q ${run_opts[@]+"${run_opts[@]}"} \
            --json "$work/run-$tag.json" -- "${server_cmd[@]}" "$port" >"$work/log-$tag" 2>&1 & ;;
        esac
        started=$!
        if bench_wait_port "$port" "$started"; then
            server=$started
            [[ $mode == C ]] && server=$(bench_children "$started" | head -1)
            [[ -n "$server" ]] || bench_die "round $tag: run has no child"
            server_port=$port
            return 0
        fi
        kill -TERM "$started" 2>/dev/null || true
        wait "$started" 2>/dev/null || true
        started=""
    done
    bench_die "the server did not listen ($tag): $(tail -3 "$work/log-$tag")"
}

stop() {
    kill -TERM "$started" 2>/dev/null || true
    wait "$started" 2>/dev/null || true
    started=""
}

load() { # load N: N keep-alive requests, all of them answered
    local out
    out=$("${client_pin[@]}" ab -k -q -n "$1" -c "$clients" "http://127.0.0.1:$server_port/" 2>&1) ||
        bench_die "ab failed: $(tail -3 <<<"$out")"
    local done failed
    done=$(awk '/^Complete requests:/ { print $3 }' <<<"$out")
    failed=$(awk '/^Failed requests:/ { print $3 }' <<<"$out")
    [[ "$done" == "$1" && "$failed" == 0 ]] || bench_die "ab completed $done of $1 requests, $failed failed"
    awk '/^Requests per second:/ { print $4 }' <<<"$out"
}

# Per-round results: mode round cpu_us_per_req watcher_us_per_req req_per_s
results="$work/results"
: >"$results"
round() {
    local mode=$1 i=$2 tag=$1$2
    start "$mode" "$tag"
    [[ $warmup -gt 0 ]] && load "$warmup" >/dev/null
    local s0 w0 r0=0 s1 w1 r1=0 rps
    s0=$(bench_cpu_ns "$server")
    w0=$(watcher_thread_ns "$server")
    [[ $mode == C ]] && r0=$(bench_cpu_ns "$started")
    rps=$(load "$requests")
    s1=$(bench_cpu_ns "$server")
    w1=$(watcher_thread_ns "$server")
    [[ $mode == C ]] && r1=$(bench_cpu_ns "$started")
    local pid=$server
    stop
    local iters=0
    case $mode in
    B) iters=$(jq '[.processes[].loops[].iterations] | add // 0' "$work/out-$tag/loopstall.$pid.json" 2>/dev/null || echo 0) ;;
    C) iters=$(jq '[.processes[].loops[].iterations] | add // 0' "$work/run-$tag.json" 2>/dev/null || echo 0) ;;
    esac
    [[ $mode == A || "$iters" -gt 0 ]] || bench_die "round $tag: the agent reported no loop iterations: was it loaded?"
    awk -v m="$mode" -v i="$i" -v s="$((s1 - s0))" -v w="$((w1 - w0))" -v r="$((r1 - r0))" -v n="$requests" -v rps="$rps" \
        'BEGIN { printf "%s %d %.4f %.4f %.1f\n", m, i, (s + r) / 1e3 / n, (w + r) / 1e3 / n, rps }' >>"$results"
    tail -1 "$results" | awk '{ printf "  round %s%-3d cpu/req %8.3f us (watcher %6.3f us)  %8.0f req/s\n", $1, $2, $3, $4, $5 }'
}

declare -A label=([A]=bare [B]=preloaded [C]="under run")
bench_start "$server_name server CPU per request, $rounds rounds in each way (A bare, B preloaded, C under run), rotated"
echo "  ab -k -c $clients -n $requests after $warmup warm-up requests; $pin_note; agent $agent${run_opts[*]:+; run ${run_opts[*]}}"
modes=(A B C)
for i in $(seq "$rounds"); do
    for k in 0 1 2; do round "${modes[$(((i + k) % 3))]}" "$i"; done
done

col() { awk -v m="$1" -v c="$2" '$1 == m { print $c }' "$results"; }
paired() { # paired MODE: MODE_i/A_i - 1 in percent, one a line
    awk -v m="$1" '{ x[$1, $2] = $3; n = $2 > n ? $2 : n }
        END { for (i = 1; i <= n; i++) print (x[m, i] / x["A", i] - 1) * 100 }' "$results"
}
echo
for mode in A B C; do
    read -r med p10 p90 mn mx n < <(col "$mode" 3 | bench_stats)
    read -r wmed _ _ _ _ _ < <(col "$mode" 4 | bench_stats)
    read -r rmed _ _ _ _ _ < <(col "$mode" 5 | bench_stats)
    printf '  %s %-10s cpu/req median %.3f us (p10 %.3f, p90 %.3f, min %.3f, max %.3f); watcher %.3f us; %.0f req/s\n' \
        "$mode" "${label[$mode]}" "$med" "$p10" "$p90" "$mn" "$mx" "$wmed" "$rmed"
done
declare -A pm
for mode in B C; do
    read -r med p10 p90 mn mx n < <(paired "$mode" | bench_stats)
    pm[$mode]=$med
    printf '  %s/A paired, %d rounds: median %+.2f%% (p10 %+.2f%%, p90 %+.2f%%, min %+.2f%%, max %+.2f%%)\n' \
        "$mode" "$n" "$med" "$p10" "$p90" "$mn" "$mx"
    bench_table "$server_kind HTTP server, CPU per request, ${label[$mode]}" "$(printf '%+.2f%%' "$med")" \
        "$(printf 'paired p10 %+.1f%%, p90 %+.1f%% (%d rounds)' "$p10" "$p90" "$n")" "<= +1%" \
        "$(bench_verdict "$med" 1.0)"
done
echo "overhead: preloaded $(printf '%+.2f' "${pm[B]}")%, under run $(printf '%+.2f' "${pm[C]}")% $server_kind server CPU per request (paired medians of $rounds rounds)"
bench_end
if [[ -n "$json" ]]; then
    jq -n --arg commit "$bench_commit_id" --arg load_start "$bench_load_start" --arg load_end "$(bench_load)" \
        --arg server "$server_name" --arg pinning "$pin_note" --argjson requests "$requests" \
        --rawfile rounds "$results" \
        '{benchmark: "http-cpu", server: $server, commit: $commit, load_start: $load_start,
          load_end: $load_end, pinning: $pinning, requests: $requests,
          rounds: [$rounds | split("\n")[] | select(length > 0) | split(" ") |
                   {mode: .[0], round: (.[1] | tonumber), cpu_us_per_req: (.[2] | tonumber),
                    watcher_us_per_req: (.[3] | tonumber), req_per_s: (.[4] | tonumber)}]}' >"$json"
    echo "  results written to $json"
fi
