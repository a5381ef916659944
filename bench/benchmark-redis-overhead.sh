#!/usr/bin/env bash
# benchmark-redis-overhead.sh -- what the agent costs a busy Redis, in server CPU per command.
#
# Interleaved rounds in three ways, the order rotated every round (A B C, B C A, C A B, ...) so
# that a drift in the machine's load falls on all three alike:
#   A  bare:       redis-server
#   B  preloaded:  LD_PRELOAD=libloopstall.so LOOPSTALL_OUT=DIR redis-server (direct use: the
#                  agent's watcher thread is inside Redis and its CPU counts with Redis's)
#   C  under run:  loopstall run -q -- redis-server (the watcher is run: run's own CPU over the
#                  same window is added to Redis's, since it is the price of watching)
# Each round starts a fresh server on a free 127.0.0.1 port (--save "" --appendonly no), warms it
# up, then runs
#   redis-benchmark -h 127.0.0.1 -p PORT -c 50 -n N -t get,set -q
# The metric is CPU per command: INFO cpu used_cpu_sys + used_cpu_user (the whole process)
# before and after the benchmark, divided by the commands served (INFO stats
# total_commands_processed; the snapshots' own INFO commands are a handful in 10^5). Under run,
# run's CPU (the scheduler's sum over its threads, /proc/PID/task/*/schedstat) over the same
# window is added. The figure is the median of the paired ratios B_i/A_i and C_i/A_i of the same
# round, with their 10th-90th percentile and min-max.
#
# Server and client are pinned to different CPUs with taskset when there are two (the server,
# and run with it, on --server-cpu; redis-benchmark on --client-cpu).
#
# Usage: bench/benchmark-redis-overhead.sh [--rounds N] [--requests N] [--warmup N]
#          [--build DIR] [--json FILE] [--server-cpu C] [--client-cpu C] [--no-pin] [--keep]
set -euo pipefail
bench_name=benchmark-redis-overhead
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=10
requests=50000
warmup=10000
build="$bench_root/build"
json=""
server_cpu=0
client_cpu=1
pin=1
keep=0

need_value() { [[ $# -ge 2 && -n "$2" ]] || bench_die "$1 needs a value"; }
while [[ $# -gt 0 ]]; do
    case "$1" in
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --requests) need_value "$@"; requests=$2; shift 2 ;;
    --warmup) need_value "$@"; warmup=$2; shift 2 ;;
    --build) need_value "$@"; build=$2; shift 2 ;;
    --json) need_value "$@"; json=$2; shift 2 ;;
    --server-cpu) need_value "$@"; server_cpu=$2; shift 2 ;;
    --client-cpu) need_value "$@"; client_cpu=$2; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --rounds N, --requests N, --warmup N, --build DIR, --json FILE, --server-cpu C, --client-cpu C, --no-pin, --keep)" ;;
    esac
done
bench_positive --rounds "$rounds"
bench_positive --requests "$requests"
[[ "$warmup" =~ ^[0-9]+$ ]] || bench_die "--warmup wants an integer, got '$warmup'"
bench_build_paths "$build"
bench_need redis-server redis-benchmark redis-cli jq
if [[ $pin -eq 1 ]]; then bench_pin_setup "$server_cpu" "$client_cpu"; else
    server_pin=() client_pin=() pin_note="not pinned"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-bench.XXXXXX")
server_pid=""  # what we started: redis-server, or run
server_port=""
redis_pid=""

stop_server() {
    [[ -n "$server_pid" ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        redis-cli -h 127.0.0.1 -p "$server_port" shutdown nosave >/dev/null 2>&1 || true
        for _ in $(seq 100); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -TERM "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid="" server_port="" redis_pid=""
}
cleanup() {
    stop_server
    if [[ $keep -eq 0 ]]; then rm -rf "$work"; else echo "$bench_name: kept $work" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_server MODE TAG: a fresh server on a free loopback port.
start_server() {
    local mode=$1 tag=$2 try port
    local redis=(redis-server --bind 127.0.0.1 --save "" --appendonly no --daemonize no
        --logfile "$work/redis-$tag.log" --dir "$work")
    for try in $(seq 10); do
        port=$(bench_free_port)
        case $mode in
        A) "${server_pin[@]}" "${redis[@]}" --port "$port" & ;;
        B) mkdir -p "$work/out-$tag"
            "${server_pin[@]}" env "LD_PRELOAD=$agent" "LOOPSTALL_OUT=$work/out-$tag" \
                "${redis[@]}" --port "$port" & ;;
        C) "${server_pin[@]}" "$loopstall" run -q --json "$work/run-$tag.json" -- \
            "${redis[@]}" --port "$port" & ;;
        esac
        server_pid=$!
        server_port=$port
        for _ in $(seq 200); do
            if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
                redis_pid=$(info_field server process_id)
                return 0
            fi
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.05
        done
        stop_server # the port was taken meanwhile, or the server failed: try another
    done
    bench_die "could not start redis-server (see $work/redis-$tag.log)"
}

info_field() { # info_field SECTION FIELD
    redis-cli -h 127.0.0.1 -p "$server_port" info "$1" | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}

# snapshot MODE: "redis_cpu_s main_cpu_s commands watcher_cpu_ns"
snapshot() {
    local cpu stats watcher=0
    cpu=$(redis-cli -h 127.0.0.1 -p "$server_port" info cpu | tr -d '\r')
    stats=$(redis-cli -h 127.0.0.1 -p "$server_port" info stats | tr -d '\r')
    [[ $1 == C ]] && watcher=$(bench_cpu_ns "$server_pid")
    awk -F: -v w="$watcher" '
        $1 == "used_cpu_sys" || $1 == "used_cpu_user" { total += $2 }
        $1 == "used_cpu_sys_main_thread" || $1 == "used_cpu_user_main_thread" { main += $2 }
        $1 == "total_commands_processed" { cmds = $2 }
        END { printf "%.6f %.6f %d %d\n", total, main, cmds, w }' <<<"$cpu"$'\n'"$stats"
}

# Per-round results, one line each: mode round cpu_us main_us rps watcher_us cmds
results="$work/results"
: >"$results"

run_round() {
    local mode=$1 i=$2 tag=$1$2
    start_server "$mode" "$tag"
    if [[ $warmup -gt 0 ]]; then
        "${client_pin[@]}" redis-benchmark -h 127.0.0.1 -p "$server_port" -c 50 -n "$warmup" -t get,set -q \
            >/dev/null 2>&1
    fi
    local before after t0 t1 pid=$redis_pid
    before=$(snapshot "$mode")
    t0=$(date +%s%N)
    "${client_pin[@]}" redis-benchmark -h 127.0.0.1 -p "$server_port" -c 50 -n "$requests" \
        -t get,set -q >/dev/null 2>&1 || bench_die "round $tag: redis-benchmark failed"
    t1=$(date +%s%N)
    after=$(snapshot "$mode")
    stop_server
    # The agent must really have been there: a report whose loop ran iterations.
    local iters=0
    case $mode in
    B) iters=$(jq '[.processes[].loops[].iterations] | add // 0' "$work/out-$tag/loopstall.$pid.json" 2>/dev/null || echo 0) ;;
    C) iters=$(jq '[.processes[].loops[].iterations] | add // 0' "$work/run-$tag.json" 2>/dev/null || echo 0) ;;
    esac
    [[ $mode == A || "$iters" -gt 0 ]] || bench_die "round $tag: the agent reported no loop iterations: was it loaded?"
    read -r b_total b_main b_cmds b_w <<<"$before"
    read -r a_total a_main a_cmds a_w <<<"$after"
    awk -v bt="$b_total" -v bm="$b_main" -v bc="$b_cmds" -v bw="$b_w" -v at="$a_total" -v am="$a_main" \
        -v ac="$a_cmds" -v aw="$a_w" -v t0="$t0" -v t1="$t1" -v mode="$mode" -v i="$i" '
        BEGIN {
            cmds = ac - bc
            if (cmds <= 0) { print "no commands counted" > "/dev/stderr"; exit 1 }
            w = (aw - bw) / 1e3 / cmds
            printf "%s %d %.4f %.4f %.1f %.4f %d\n", mode, i, (at - bt) * 1e6 / cmds + w,
                (am - bm) * 1e6 / cmds, cmds / ((t1 - t0) / 1e9), w, cmds
        }' >>"$results"
    tail -1 "$results" | awk '{ printf "  round %s%-3d cpu/cmd %7.3f us (main thread %7.3f us, run %6.3f us)  %8.0f cmd/s  %d cmds\n", $1, $2, $3, $4, $6, $5, $7 }'
}

declare -A label=([A]=bare [B]=preloaded [C]="under run")
bench_start "Redis CPU per command, $rounds rounds in each way (A bare, B preloaded, C under run), rotated"
echo "  redis-benchmark -c 50 -n $requests -t get,set -q, warm-up $warmup; $pin_note; agent $agent"
modes=(A B C)
for i in $(seq "$rounds"); do
    for k in 0 1 2; do run_round "${modes[$(((i + k) % 3))]}" "$i"; done
done

col() { awk -v m="$1" -v c="$2" '$1 == m { print $c }' "$results"; }
paired() { # paired MODE COLUMN: B_i/A_i - 1 in percent, one a line
    awk -v m="$1" -v c="$2" '{ x[$1, $2] = $c; n = $2 > n ? $2 : n }
        END { for (i = 1; i <= n; i++) print (x[m, i] / x["A", i] - 1) * 100 }' "$results"
}
echo
for mode in A B C; do
    read -r med p10 p90 mn mx n < <(col "$mode" 3 | bench_stats)
    read -r mmed _ _ _ _ _ < <(col "$mode" 4 | bench_stats)
    read -r rmed _ _ _ _ _ < <(col "$mode" 5 | bench_stats)
    printf '  %s %-10s cpu/cmd median %.3f us (p10 %.3f, p90 %.3f, min %.3f, max %.3f); main thread %.3f us; %.1fk cmd/s\n' \
        "$mode" "${label[$mode]}" "$med" "$p10" "$p90" "$mn" "$mx" "$mmed" "$(awk -v r="$rmed" 'BEGIN { print r / 1000 }')"
done
read -r wmed _ _ _ _ _ < <(col C 6 | bench_stats)
printf '  run'"'"'s own CPU (C): %.3f us per command\n' "$wmed"
declare -A pm
for mode in B C; do
    read -r med p10 p90 mn mx n < <(paired "$mode" 3 | bench_stats)
    pm[$mode]=$med
    printf '  %s/A paired, %d rounds: median %+.2f%% (p10 %+.2f%%, p90 %+.2f%%, min %+.2f%%, max %+.2f%%)\n' \
        "$mode" "$n" "$med" "$p10" "$p90" "$mn" "$mx"
    bench_table "Redis GET/SET, server CPU per command, ${label[$mode]}" "$(printf '%+.2f%%' "$med")" \
        "$(printf 'paired p10 %+.1f%%, p90 %+.1f%% (%d rounds)' "$p10" "$p90" "$n")" "<= +1.0%" \
        "$(bench_verdict "$med" 1.0)"
done
echo "overhead: preloaded $(printf '%+.2f' "${pm[B]}")%, under run $(printf '%+.2f' "${pm[C]}")% server CPU per command (paired medians of $rounds rounds)"
bench_end
if [[ -n "$json" ]]; then
    jq -n --arg commit "$bench_commit_id" --arg load_start "$bench_load_start" --arg load_end "$(bench_load)" \
        --arg pinning "$pin_note" --argjson requests "$requests" --rawfile rounds "$results" \
        '{benchmark: "redis-overhead", commit: $commit, load_start: $load_start, load_end: $load_end,
          pinning: $pinning, requests: $requests,
          rounds: [$rounds | split("\n")[] | select(length > 0) | split(" ") |
                   {mode: .[0], round: (.[1] | tonumber), cpu_us_per_cmd: (.[2] | tonumber),
                    main_thread_us: (.[3] | tonumber), cmds_per_s: (.[4] | tonumber),
                    run_us_per_cmd: (.[5] | tonumber), cmds: (.[6] | tonumber)}]}' >"$json"
    echo "  results written to $json"
fi
