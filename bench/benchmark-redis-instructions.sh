#!/usr/bin/env bash
# benchmark-redis-instructions.sh -- the agent's cost on Redis in instructions per command, counted
# by valgrind (callgrind), which, unlike CPU time on a shared VM, comes out the same every run.
#
# For each of A (plain redis-server) and B (with the agent preloaded), Redis runs under callgrind
# twice, serving N and 2N requests (redis-benchmark -c 50 -t get,set); A and B alternate, --repeat
# times each, and the medians are compared: Redis's own count per command moves by a percent or
# two with how many commands each loop iteration batches, which timing under valgrind decides. The difference between
# the two runs is the cost of N requests with start-up and shutdown cancelled out; divided by
# the commands served it gives instructions per command. The agent's threshold is set high
# (LOOPSTALL_THRESHOLD_MS=60000) because valgrind slows Redis fifty-fold: at 20 ms its
# iterations would be stalls, which is valgrind's doing, not Redis's.
#
# Usage: bench/benchmark-redis-instructions.sh [--requests N] [--repeat R] [--agent PATH] [--json FILE]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
agent="$root/build/lib/libloopstall.so"
requests=10000
repeat=3
json=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --requests) requests=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --agent) agent=$2; shift 2 ;;
    --json) json=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "benchmark-redis-instructions: unknown option $1 (accepted: --requests N, --repeat R, --agent PATH, --json FILE)" >&2; exit 2 ;;
  esac
done
[[ -f "$agent" ]] || { echo "benchmark-redis-instructions: agent not found at $agent: build it first" >&2; exit 2; }
for p in valgrind redis-server redis-benchmark redis-cli; do
  command -v "$p" >/dev/null || { echo "benchmark-redis-instructions: $p is required (scripts/setup.sh)" >&2; exit 2; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-instr.XXXXXX")
server=""
cleanup() { [[ -n "$server" ]] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# run MODE N -> prints "instructions commands"
run() {
  local mode=$1 n=$2 port out pre=""
  port=$(free_port)
  out="$work/$mode-$n.callgrind"
  [[ $mode == B ]] && pre="$agent"
  LD_PRELOAD="$pre" LOOPSTALL_OUT="$work" LOOPSTALL_THRESHOLD_MS=60000 \
    valgrind --tool=callgrind --callgrind-out-file="$out" \
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$work/log" 2>&1 &
  server=$!
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.2; done
  redis-benchmark -h 127.0.0.1 -p "$port" -c 50 -n "$n" -t get,set -q >/dev/null 2>&1
  local cmds
  cmds=$(redis-cli -p "$port" info stats | tr -d '\r' | awk -F: '/^total_commands_processed/ {print $2}')
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  wait "$server" 2>/dev/null || true
  server=""
  local ir
  ir=$(awk '/^summary:/ {print $2}' "$out"*)
  echo "$ir $cmds"
}

declare -A all
for r in $(seq "$repeat"); do
  for mode in A B; do
    read -r ir1 c1 < <(run "$mode" "$requests")
    read -r ir2 c2 < <(run "$mode" $((requests * 2)))
    one=$(( (ir2 - ir1) / (c2 - c1) ))
    all[$mode]="${all[$mode]:-} $one"
    echo "$mode$r: $ir1 instructions for $c1 commands, $ir2 for $c2: $one instructions per command"
  done
done
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : int((v[NR/2]+v[NR/2+1])/2)}'; }
declare -A per
per[A]=$(echo "${all[A]}" | median)
per[B]=$(echo "${all[B]}" | median)
overhead=$(awk -v a="${per[A]}" -v b="${per[B]}" 'BEGIN { printf "%.2f", (b / a - 1) * 100 }')
echo "overhead: +$overhead% instructions per command (medians of $repeat: A ${per[A]} [${all[A]# }], B ${per[B]} [${all[B]# }]; $requests and $((requests * 2)) requests, 50 clients, get+set)"
if [[ -n "$json" ]]; then
  printf '{"benchmark":"redis-instructions","date":"%s","requests":%d,"repeat":%d,"A_per_command":%d,"B_per_command":%d,"overhead_pct":%s}\n' \
    "$(date -u +%FT%TZ)" "$requests" "$repeat" "${per[A]}" "${per[B]}" "$overhead" >"$json"
fi
