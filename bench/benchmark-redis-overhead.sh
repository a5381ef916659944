#!/usr/bin/env bash
# benchmark-redis-overhead.sh -- what the agent costs a busy Redis.
#
# Interleaved rounds A (plain redis-server) and B (the same under
# LD_PRELOAD=libloopstall.so): A,B,B,A,A,B,... (--order abba, the default, so
# that a steady drift in the machine's load falls on both alike) or A,B,A,B
# (--order abab). Each round starts a fresh server on
# a free 127.0.0.1 port (--save "" --appendonly no), warms it up, then runs
#   redis-benchmark -p P -c 50 -n N -t get,set -q
# The metric is the server's CPU per request: INFO cpu (used_cpu_sys +
# used_cpu_user, the whole process, so the agent's watchdog thread counts too)
# before and after the benchmark, divided by the commands it served (INFO stats
# total_commands_processed). Throughput (requests/s) is recorded as well, but
# on a small VM it mostly measures the client and the scheduler.
#
# Server and client are pinned to different cores with taskset when there are
# at least two (server on --server-cpu, client on --client-cpu).
#
# Usage: bench/benchmark-redis-overhead.sh [--rounds N] [--requests N]
#          [--agent PATH] [--json FILE] [--warmup N] [--server-cpu C]
#          [--client-cpu C] [--no-pin] [--order abba|abab] [--keep]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)

rounds=6
requests=100000
warmup=20000
agent="$root/build/lib/libloopstall.so"
json=""
server_cpu=0
client_cpu=1
pin=1
keep=0
order=abba

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
}

die() {
    echo "benchmark-redis-overhead: $*" >&2
    exit 2
}

need_value() {
    [[ $# -ge 2 && -n "$2" ]] || die "$1 needs a value"
}

while [[ $# -gt 0 ]]; do
    case "$1" in
    --rounds) need_value "$@"; rounds=$2; shift 2 ;;
    --requests) need_value "$@"; requests=$2; shift 2 ;;
    --warmup) need_value "$@"; warmup=$2; shift 2 ;;
    --agent) need_value "$@"; agent=$2; shift 2 ;;
    --json) need_value "$@"; json=$2; shift 2 ;;
    --server-cpu) need_value "$@"; server_cpu=$2; shift 2 ;;
    --client-cpu) need_value "$@"; client_cpu=$2; shift 2 ;;
    --order) need_value "$@"; order=$2; shift 2 ;;
    --no-pin) pin=0; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
done

[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || die "--rounds wants a positive integer, got '$rounds'"
[[ "$requests" =~ ^[1-9][0-9]*$ ]] || die "--requests wants a positive integer, got '$requests'"
[[ "$warmup" =~ ^[0-9]+$ ]] || die "--warmup wants an integer, got '$warmup'"
[[ "$order" == abab || "$order" == abba ]] || die "--order wants abab or abba, got '$order'"
for tool in redis-server redis-benchmark redis-cli awk; do
    command -v "$tool" >/dev/null || die "$tool not found (Debian: apt-get install redis-server redis-tools)"
done
[[ -f "$agent" ]] || die "agent not found at '$agent': build it (cmake --build <dir> --target loopstall) or pass --agent PATH"
agent=$(cd "$(dirname "$agent")" && pwd)/$(basename "$agent")

ncpu=$(nproc)
server_pin=()
client_pin=()
pin_note="not pinned"
if [[ $pin -eq 1 ]]; then
    if ! command -v taskset >/dev/null; then
        pin_note="not pinned (no taskset)"
    elif [[ $ncpu -lt 2 ]]; then
        pin_note="not pinned (one CPU)"
    else
        server_pin=(taskset -c "$server_cpu")
        client_pin=(taskset -c "$client_cpu")
        pin_note="server on CPU $server_cpu, client on CPU $client_cpu (taskset)"
    fi
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-bench.XXXXXX")
server_pid=""
server_port=""

stop_server() {
    if [[ -n "$server_pid" ]]; then
        if kill -0 "$server_pid" 2>/dev/null; then
            [[ -n "$server_port" ]] && redis-cli -h 127.0.0.1 -p "$server_port" shutdown nosave >/dev/null 2>&1 || true
            for _ in $(seq 50); do
                kill -0 "$server_pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -TERM "$server_pid" 2>/dev/null || true
        fi
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
        server_port=""
    fi
}

cleanup() {
    stop_server
    if [[ $keep -eq 0 ]]; then
        rm -rf "$work"
    else
        echo "benchmark-redis-overhead: kept $work" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_server MODE LOG: a fresh redis-server on a free loopback port; sets
# server_pid and server_port.
start_server() {
    local mode=$1 log=$2 try port
    for try in $(seq 20); do
        port=$((20000 + RANDOM % 40000))
        port_in_use "$port" && continue
        local pre=()
        if [[ $mode == B ]]; then
            mkdir -p "$work/out"
            pre=(env "LD_PRELOAD=$agent" "LOOPSTALL_OUT=$work/out")
        fi
        (cd "$work" && exec "${server_pin[@]}" "${pre[@]}" redis-server --port "$port" --bind 127.0.0.1 \
            --save "" --appendonly no --daemonize no --logfile "$log" --dir "$work") &
        server_pid=$!
        server_port=$port
        for _ in $(seq 100); do
            if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
                return 0
            fi
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.05
        done
        stop_server # port taken meanwhile, or the server failed: try another
    done
    die "could not start redis-server (see $log)"
}

info_field() { # info_field SECTION FIELD
    redis-cli -h 127.0.0.1 -p "$server_port" info "$1" | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'
}

# snapshot: "total_cpu_s main_cpu_s commands"
snapshot() {
    local cpu stats
    cpu=$(redis-cli -h 127.0.0.1 -p "$server_port" info cpu | tr -d '\r')
    stats=$(redis-cli -h 127.0.0.1 -p "$server_port" info stats | tr -d '\r')
    awk -F: '
        $1 == "used_cpu_sys" || $1 == "used_cpu_user" { total += $2 }
        $1 == "used_cpu_sys_main_thread" || $1 == "used_cpu_user_main_thread" { main += $2 }
        $1 == "total_commands_processed" { cmds = $2 }
        END { printf "%.6f %.6f %d\n", total, main, cmds }' <<<"$cpu"$'\n'"$stats"
}

now_ns() { date +%s%N; }

# Per-round results, one line each: mode round cpu_us main_us rps set_rps get_rps cmds
results="$work/results"
: >"$results"

run_round() {
    local mode=$1 i=$2
    local log="$work/redis-$mode-$i.log"
    start_server "$mode" "$log"
    local pid
    pid=$(info_field server process_id)
    if [[ $warmup -gt 0 ]]; then
        "${client_pin[@]}" redis-benchmark -h 127.0.0.1 -p "$server_port" -c 50 -n "$warmup" -t get,set -q \
            >/dev/null 2>&1
    fi
    local before after t0 t1 out
    before=$(snapshot)
    t0=$(now_ns)
    out=$("${client_pin[@]}" redis-benchmark -h 127.0.0.1 -p "$server_port" -c 50 -n "$requests" \
        -t get,set -q 2>&1 | tr '\r' '\n')
    t1=$(now_ns)
    after=$(snapshot)
    stop_server
    if [[ $mode == B ]]; then
        # The agent must really have been there: a report naming a loop.
        local rep="$work/out/loopstall.$pid.json"
        [[ -s "$rep" ]] || die "round B$i: the agent left no report ($rep); was it loaded?"
        if command -v jq >/dev/null; then
            local iters
            iters=$(jq '[.processes[].loops[].iterations] | add // 0' "$rep")
            [[ "$iters" -gt 0 ]] || die "round B$i: the agent saw no loop iterations in $rep"
        fi
        rm -f "$rep"
    fi
    local set_rps get_rps
    set_rps=$(awk '/^ *SET: [0-9.]+ requests per second/ { print $2 }' <<<"$out" | tail -1)
    get_rps=$(awk '/^ *GET: [0-9.]+ requests per second/ { print $2 }' <<<"$out" | tail -1)
    [[ -n "$set_rps" && -n "$get_rps" ]] || die "round $mode$i: redis-benchmark printed no results: $out"
    read -r b_total b_main b_cmds <<<"$before"
    read -r a_total a_main a_cmds <<<"$after"
    # The count also holds the snapshots' own INFO and redis-benchmark's
    # CONFIG GET: a handful in 10^5, left in.
    awk -v bt="$b_total" -v bm="$b_main" -v bc="$b_cmds" -v at="$a_total" -v am="$a_main" -v ac="$a_cmds" \
        -v t0="$t0" -v t1="$t1" -v mode="$mode" -v i="$i" -v sr="$set_rps" -v gr="$get_rps" '
        BEGIN {
            cmds = ac - bc
            if (cmds <= 0) { print "no commands counted" > "/dev/stderr"; exit 1 }
            printf "%s %d %.4f %.4f %.1f %.1f %.1f %d\n", mode, i,
                (at - bt) * 1e6 / cmds, (am - bm) * 1e6 / cmds, cmds / ((t1 - t0) / 1e9), sr, gr, cmds
        }' >>"$results"
    tail -1 "$results" | awk '{ printf "  round %s%-3d cpu/req %7.3f us (main thread %7.3f us)  %8.0f req/s (SET %.0f, GET %.0f)  %d cmds\n", $1, $2, $3, $4, $5, $6, $7, $8 }'
}

echo "loopstall Redis overhead: $rounds rounds each, A (plain) / B (agent $agent), interleaved $order"
echo "  redis-benchmark -c 50 -n $requests -t get,set -q, warm-up $warmup; $pin_note; $ncpu CPUs"
for i in $(seq "$rounds"); do
    if [[ $order == abba && $((i % 2)) -eq 0 ]]; then
        run_round B "$i"
        run_round A "$i"
    else
        run_round A "$i"
        run_round B "$i"
    fi
done

# Statistics: median, quartiles (linear interpolation), min, max.
stats() { # stats MODE COLUMN -> "median q1 q3 min max"
    awk -v m="$1" -v c="$2" '$1 == m { print $c }' "$results" | sort -g | awk '
        { v[NR] = $1 }
        function q(p,   h, lo) { h = (NR - 1) * p + 1; lo = int(h); return lo >= NR ? v[NR] : v[lo] + (h - lo) * (v[lo + 1] - v[lo]) }
        END { printf "%.4f %.4f %.4f %.4f %.4f\n", q(0.5), q(0.25), q(0.75), v[1], v[NR] }'
}
# Paired overhead of round i (B_i / A_i - 1, in %): drift between rounds cancels.
paired() { # paired COLUMN -> "median min max"
    awk -v c="$1" '{ x[$1, $2] = $c; n = $2 > n ? $2 : n }
        END { for (i = 1; i <= n; i++) print (x["B", i] / x["A", i] - 1) * 100 }' "$results" | sort -g | awk '
        { v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f %.2f %.2f\n", m, v[1], v[NR] }'
}

read -r a_cpu a_cpu_q1 a_cpu_q3 a_cpu_min a_cpu_max <<<"$(stats A 3)"
read -r b_cpu b_cpu_q1 b_cpu_q3 b_cpu_min b_cpu_max <<<"$(stats B 3)"
read -r a_main _ _ a_main_min a_main_max <<<"$(stats A 4)"
read -r b_main _ _ b_main_min b_main_max <<<"$(stats B 4)"
read -r a_rps _ _ a_rps_min a_rps_max <<<"$(stats A 5)"
read -r b_rps _ _ b_rps_min b_rps_max <<<"$(stats B 5)"
read -r pair_med pair_min pair_max <<<"$(paired 3)"
read -r pair_main_med pair_main_min pair_main_max <<<"$(paired 4)"
# CPU outside the main thread (bio threads, jemalloc; in B the agent's watchdog too).
other() { # other MODE -> median of (process - main thread) CPU per request
    awk -v m="$1" '$1 == m { print $3 - $4 }' "$results" | sort -g | awk '
        { v[NR] = $1 } END { printf "%.4f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
a_other=$(other A)
b_other=$(other B)
other_pct=$(awk -v a="$a_other" -v b="$b_other" -v m="$a_cpu" 'BEGIN { printf "%.2f", (b - a) / m * 100 }')
pct() { awk -v b="$1" -v a="$2" 'BEGIN { printf "%+.1f", (b / a - 1) * 100 }'; }
overhead=$(pct "$b_cpu" "$a_cpu")
overhead_main=$(pct "$b_main" "$a_main")
overhead_rps=$(pct "$b_rps" "$a_rps")
kps() { awk -v r="$1" 'BEGIN { printf "%.1fk", r / 1000 }'; }

echo
printf '  A cpu/req median %.3f us (IQR %.3f..%.3f, min %.3f, max %.3f)\n' "$a_cpu" "$a_cpu_q1" "$a_cpu_q3" "$a_cpu_min" "$a_cpu_max"
printf '  B cpu/req median %.3f us (IQR %.3f..%.3f, min %.3f, max %.3f)\n' "$b_cpu" "$b_cpu_q1" "$b_cpu_q3" "$b_cpu_min" "$b_cpu_max"
printf '  main thread only: A %.3f us, B %.3f us (%s%%)\n' "$a_main" "$b_main" "$overhead_main"
printf '  outside the main thread: A %.3f us, B %.3f us per request (the watchdog: %s%% of A)\n' "$a_other" "$b_other" "$other_pct"
printf '  paired rounds B_i/A_i: median %+.2f%%, min %+.2f%%, max %+.2f%%\n' "$pair_med" "$pair_min" "$pair_max"
printf '  throughput: A %s/s (%s..%s), B %s/s (%s..%s), %s%%\n' "$(kps "$a_rps")" "$(kps "$a_rps_min")" \
    "$(kps "$a_rps_max")" "$(kps "$b_rps")" "$(kps "$b_rps_min")" "$(kps "$b_rps_max")" "$overhead_rps"
printf 'overhead: %s%% server CPU per request (A %.2f us, B %.2f us, %d rounds each); throughput A %s/s, B %s/s\n' \
    "$overhead" "$a_cpu" "$b_cpu" "$rounds" "$(kps "$a_rps")" "$(kps "$b_rps")"

if [[ -n "$json" ]]; then
    {
        printf '{\n'
        printf '  "benchmark": "redis-overhead",\n'
        printf '  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
        printf '  "machine": {"nproc": %d, "cpu_model": "%s", "kernel": "%s"},\n' "$ncpu" \
            "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo | sed 's/["\\]//g')" "$(uname -r)"
        printf '  "redis_version": "%s",\n' "$(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p')"
        printf '  "agent": "%s",\n' "$(sed 's/["\\]/\\&/g' <<<"$agent")"
        printf '  "rounds": %d, "requests_per_test": %d, "warmup_requests": %d, "clients": 50, "tests": "get,set",\n' \
            "$rounds" "$requests" "$warmup"
        printf '  "pinning": "%s", "order": "%s",\n' "$pin_note" "$order"
        printf '  "metric": "server process CPU (used_cpu_sys + used_cpu_user) per command, microseconds",\n'
        printf '  "rounds_data": [\n'
        awk '{ printf "%s    {\"mode\": \"%s\", \"round\": %d, \"cpu_us_per_req\": %s, \"main_thread_cpu_us_per_req\": %s, \"requests_per_s\": %s, \"set_rps\": %s, \"get_rps\": %s, \"commands\": %d}",
                   (NR > 1 ? ",\n" : ""), $1, $2, $3, $4, $5, $6, $7, $8 } END { print "" }' "$results"
        printf '  ],\n'
        printf '  "A": {"cpu_us_median": %s, "cpu_us_q1": %s, "cpu_us_q3": %s, "cpu_us_min": %s, "cpu_us_max": %s, "main_thread_cpu_us_median": %s, "rps_median": %s, "rps_min": %s, "rps_max": %s},\n' \
            "$a_cpu" "$a_cpu_q1" "$a_cpu_q3" "$a_cpu_min" "$a_cpu_max" "$a_main" "$a_rps" "$a_rps_min" "$a_rps_max"
        printf '  "B": {"cpu_us_median": %s, "cpu_us_q1": %s, "cpu_us_q3": %s, "cpu_us_min": %s, "cpu_us_max": %s, "main_thread_cpu_us_median": %s, "rps_median": %s, "rps_min": %s, "rps_max": %s},\n' \
            "$b_cpu" "$b_cpu_q1" "$b_cpu_q3" "$b_cpu_min" "$b_cpu_max" "$b_main" "$b_rps" "$b_rps_min" "$b_rps_max"
        printf '  "overhead_pct": %s,\n' "${overhead#+}"
        printf '  "overhead_main_thread_pct": %s,\n' "${overhead_main#+}"
        printf '  "other_threads_cpu_us": {"A": %s, "B": %s, "B_minus_A_pct_of_A": %s},\n' "$a_other" "$b_other" "$other_pct"
        printf '  "paired_overhead_pct": {"median": %s, "min": %s, "max": %s},\n' "$pair_med" "$pair_min" "$pair_max"
        printf '  "throughput_change_pct": %s\n' "${overhead_rps#+}"
        printf '}\n'
    } >"$json"
    echo "  results written to $json"
fi
