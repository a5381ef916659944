#!/usr/bin/env bash
# benchmark-http-instructions.sh -- what the agent costs a Python asyncio or a Node HTTP server
# that never stalls, in instructions per request counted by valgrind (callgrind): the exact
# figure that benchmark-http-cpu.sh's CPU time can only bound (one round of it alone varies by
# 10-30% on this machine).
#
# The server (bench/servers/asyncio_http.py on /usr/bin/python3, or bench/servers/node_http.js on
# node) answers keep-alive requests from ab -k (--clients connections). Four ways, each repeat
# running all four in a rotated order:
#   A  bare:       valgrind --tool=callgrind SERVER PORT
#   B  preloaded:  the same with LD_PRELOAD=libloopstall.so (direct use: the agent's own watcher
#                  thread runs inside the server and is counted)
#   C  under run:  loopstall run -q -- valgrind --tool=callgrind SERVER PORT (the watcher is run,
#                  outside the server: not counted; for Node, run adds its perf-map flags to
#                  NODE_OPTIONS, whose cost, V8 writing its map, is counted)
#   D  preloaded with a collector: B's with LOOPSTALL_COLLECTOR naming a `loopstall collect`
#                  started for the round (the watcher is the collector, outside the server)
# Each way serves --warmup requests and then N, or N and N more, in two fresh servers; the
# difference of their counts, divided by N, is the instructions per request with start-up,
# warm-up and shutdown cancelled out. The threshold is 60 s (valgrind slows the server
# fifty-fold). The figure is the median of the paired differences B_r - A_r, C_r - A_r and
# D_r - A_r of the same repeat, with their min and max, and the part executed inside
# libloopstall.so itself.
#
# Target (issue 12): within +1% per request.
#
# Usage: bench/benchmark-http-instructions.sh --server python|node [--requests N] [--repeat R]
#          [--warmup N] [--clients C] [--build DIR] [--run-option OPT] [--keep DIR] [--json FILE]
#   --run-option OPT  an option for loopstall run (--no-node-perf-map: Node without the flags)
#   --keep DIR        keep the callgrind outputs there (for callgrind_annotate --inclusive=yes)
set -euo pipefail
bench_name=benchmark-http-instructions
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

server_kind=""
requests=2000
repeat=3
warmup=200
clients=4
build="$bench_root/build"
keep=""
json=""
run_opts=()
need_value() { [[ $# -ge 2 && -n "$2" ]] || bench_die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
    --server) need_value "$@"; server_kind=$2; shift 2 ;;
    --requests) need_value "$@"; requests=$2; shift 2 ;;
    --repeat) need_value "$@"; repeat=$2; shift 2 ;;
    --warmup) need_value "$@"; warmup=$2; shift 2 ;;
    --clients) need_value "$@"; clients=$2; shift 2 ;;
    --build) need_value "$@"; build=$2; shift 2 ;;
    --run-option) need_value "$@"; run_opts+=("$2"); shift 2 ;;
    --keep) need_value "$@"; keep=$2; shift 2 ;;
    --json) need_value "$@"; json=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --server python|node, --requests N, --repeat R, --warmup N, --clients C, --build DIR, --run-option OPT, --keep DIR, --json FILE)" ;;
    esac
done
case $server_kind in
python)
    server_cmd=(/usr/bin/python3 "$bench_root/bench/servers/asyncio_http.py")
    # One hash seed for every server: a random one moves Python's own count from process to
    # process (dict probing), which the pairing would read as the agent's.
    export PYTHONHASHSEED=0
    ;;
node)
    bench_need node
    server_cmd=("$(command -v node)" "$bench_root/bench/servers/node_http.js")
    ;;
*) bench_die "--server wants python or node, got '${server_kind}'" ;;
esac
bench_positive --requests "$requests"
bench_positive --repeat "$repeat"
bench_positive --clients "$clients"
[[ "$warmup" =~ ^[0-9]+$ ]] || bench_die "--warmup wants a count (0 or more), got '$warmup'"
bench_build_paths "$build"
bench_need valgrind ab jq

work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-http-instr.XXXXXX")
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null
    [[ -n "$collect_pid" ]] && kill -TERM "$collect_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[[ -n "$keep" ]] && mkdir -p "$keep"

# ab N PORT: N keep-alive requests, all of which must succeed.
ab_requests() {
    local out done failed
    out=$(ab -k -q -n "$1" -c "$clients" "http://127.0.0.1:$2/" 2>&1) || bench_die "ab failed: $(tail -3 <<<"$out")"
    done=$(awk '/^Complete requests:/ { print $3 }' <<<"$out")
    failed=$(awk '/^Failed requests:/ { print $3 }' <<<"$out")
    [[ "$done" == "$1" && "$failed" == 0 ]] || bench_die "ab completed $done of $1 requests, $failed failed"
}

# measure MODE N TAG: sets m_ir (the server's instructions) and m_agent (the agent's part)
measure() {
    local mode=$1 n=$2 tag=$3 port out
    port=$(bench_free_port)
    out="$work/$tag.callgrind"
    local cg=(valgrind --tool=callgrind --callgrind-out-file="$out" "${server_cmd[@]}" "$port")
    mkdir -p "$work/out-$tag"
    case $mode in
    A) "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
    B) LD_PRELOAD="$agent" LOOPSTALL_OUT="$work/out-$tag" LOOPSTALL_THRESHOLD_MS=60000 \
        "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
    C) "$loopstall" run -q -t 60000 "${run_opts[@]}" --json "$work/out-$tag/run.json" -- "${cg[@]}" \
        >"$work/log-$tag" 2>&1 & ;;
    D) bench_collect_start "$tag"
        mkdir -p "$work/own-$tag"
        env LD_PRELOAD="$agent" "$collect_env" LOOPSTALL_OUT="$work/own-$tag" LOOPSTALL_THRESHOLD_MS=60000 \
            "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
    esac
    server=$!
    bench_wait_port "$port" "$server" 1200 ||
        bench_die "the $server_kind server ($mode) did not listen on port $port: $(tail -3 "$work/log-$tag")"
    [[ "$warmup" -gt 0 ]] && ab_requests "$warmup" "$port"
    ab_requests "$n" "$port"
    # SIGTERM to the server itself (valgrind's child, or run's grandchild): a normal exit, so
    # that callgrind writes its counts and an agent used directly its report.
    local target=$server
    [[ $mode == C ]] && target=$(bench_children "$server" | head -1)
    kill -TERM "$target" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
    bench_collect_stop
    bench_callgrind_result "$mode" "$tag" "$out"
}

bench_callgrind_ways collect
bench_start "$server_kind HTTP server, instructions per request under callgrind, $requests and $((requests * 2)) requests after $warmup (ab -k -c $clients), $repeat repeats"
echo "  ${server_cmd[*]}; A bare, B preloaded (direct use), C under loopstall run${run_opts[*]:+ ${run_opts[*]}}, D preloaded with loopstall collect; agent $agent"
bench_callgrind_rounds request

bench_callgrind_summary request req "$server_kind HTTP server, instructions per request" 1 "http-instructions-$server_kind"
