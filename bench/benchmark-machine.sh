#!/usr/bin/env bash
# benchmark-machine.sh -- the machine's own floor under the CPU-time rows, so that two tables read
# on two machines are not taken for a change in loopstall: a system call, another thread's CPU
# clock, a vDSO clock read, and a 0.5 ms clock_nanosleep (how late it wakes and the CPU it is
# charged: the watchers sleep that way while a loop is busy). Nothing here runs under the agent.
#
# Runs build/bin/machine-costs (bench/machine-costs.c), which prints one line a round; each figure is
# the median over --rounds (bench_stats).
#
# Usage: bench/benchmark-machine.sh [--rounds N] [--build DIR]
set -euo pipefail
bench_name=benchmark-machine
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

rounds=5
build="$bench_root/build"
while [[ $# -gt 0 ]]; do
    case "$1" in
    --rounds) rounds=${2:-}; shift 2 ;;
    --build) build=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --rounds N, --build DIR)" ;;
    esac
done
bench_positive --rounds "$rounds"
bin="$build/bin/machine-costs"
[[ -x "$bin" ]] || bench_die "no $bin: build it (cmake --build $build --target machine-costs)"

bench_start "what the watchers' operations cost on this machine, medians of $rounds rounds"
out=$("$bin" --rounds "$rounds")
echo "$out" | sed 's/^/  /'
# The median of column k of the rounds (bench_stats' first figure).
median() { echo "$out" | awk -v k="$1" '$1 == "round" { print $k }' | bench_stats | cut -d' ' -f1; }
sys=$(median 2)
tclock=$(median 3)
late=$(median 5)
wake_cpu=$(median 6)
bench_table "machine: a system call (getppid)" "$sys ns" "median of $rounds rounds" "(none)" ""
bench_table "machine: another thread's CPU clock" "$tclock ns" "median of $rounds rounds" "(none)" ""
bench_table "machine: a 0.5 ms clock_nanosleep (a watcher's sleep)" "$wake_cpu us of CPU, $late us late" \
    "median of $rounds rounds" "(none)" ""
bench_end
