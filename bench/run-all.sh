#!/usr/bin/env bash
# run-all.sh -- every benchmark in bench/, one after the other, and a markdown table of what they
# printed (the README's performance table is this table).
#
# The order: first the figures the machine's load cannot move (memory; instruction counts under
# callgrind), then the CPU-time ones (start-up, the wrapper's ns per call, idle watcher, the storm,
# Redis, Python and Node servers), whose figures are only bounds while other work loads the machine: the table says the
# load at the start and the end of each script. Each script's whole output is kept in --out DIR
# (default: a fresh directory under /tmp); a script that fails gets a row that says so and the
# others still run.
#
# Usage: bench/run-all.sh [--build DIR] [--out DIR] [--quick] [--only NAME...]
#   --quick     smaller counts (a check that everything runs, not figures to publish)
#   --only      run only these (machine, rss, redis-instructions, nginx-instructions, python-instructions,
#               node-instructions, startup, wrapper-cost, idle, storm, redis-cpu, python-cpu,
#               node-cpu)
set -uo pipefail
bench_name=run-all
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build="$bench_root/build"
out=""
quick=0
only=()
while [[ $# -gt 0 ]]; do
    case "$1" in
    --build) build=${2:-}; shift 2 ;;
    --out) out=${2:-}; shift 2 ;;
    --quick) quick=1; shift ;;
    --only) shift; while [[ $# -gt 0 && $1 != --* ]]; do only+=("$1"); shift; done ;;
    -h | --help) sed -n '2,/^set -uo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --build DIR, --out DIR, --quick, --only NAME...)" ;;
    esac
done
bench_build_paths "$build"
build=$(cd "$build" && pwd)
[[ -n "$out" ]] || out=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-bench-all.XXXXXX")
mkdir -p "$out"
b=bench
# name | command (relative to the repository root), full and --quick
benches=(
    "machine|$b/benchmark-machine.sh --rounds 5|$b/benchmark-machine.sh --rounds 1"
    "rss|$b/benchmark-rss.sh --repeat 3|$b/benchmark-rss.sh --repeat 1"
    "redis-instructions|$b/benchmark-redis-instructions.sh --requests 10000 --repeat 5|$b/benchmark-redis-instructions.sh --requests 2000 --repeat 1"
    "nginx-instructions|$b/benchmark-nginx-instructions.sh --requests 5000 --repeat 5|$b/benchmark-nginx-instructions.sh --requests 1000 --repeat 1"
    "python-instructions|$b/benchmark-http-instructions.sh --server python --requests 2000 --repeat 3|$b/benchmark-http-instructions.sh --server python --requests 300 --repeat 1"
    "node-instructions|$b/benchmark-http-instructions.sh --server node --requests 1000 --repeat 3|$b/benchmark-http-instructions.sh --server node --requests 100 --repeat 1"
    "startup|$b/benchmark-startup.sh --runs 300|$b/benchmark-startup.sh --runs 30"
    "wrapper-cost|$b/benchmark-wrapper-cost.sh --runs 5 -n 5e6|$b/benchmark-wrapper-cost.sh --runs 2 -n 1e6"
    "idle|$b/benchmark-idle.sh --seconds 10|$b/benchmark-idle.sh --seconds 2"
    "storm|$b/benchmark-storm.sh --stalls 10000 --rounds 3|$b/benchmark-storm.sh --stalls 1000 --rounds 1"
    "redis-cpu|$b/benchmark-redis-overhead.sh --rounds 30 --requests 50000|$b/benchmark-redis-overhead.sh --rounds 2 --requests 10000 --warmup 2000"
    "python-cpu|$b/benchmark-http-cpu.sh --server python --rounds 40 --requests 30000|$b/benchmark-http-cpu.sh --server python --rounds 2 --requests 5000 --warmup 500"
    "node-cpu|$b/benchmark-http-cpu.sh --server node --rounds 30 --requests 20000 --warmup 5000|$b/benchmark-http-cpu.sh --server node --rounds 2 --requests 5000 --warmup 2000"
)
wanted() {
    [[ ${#only[@]} -eq 0 ]] && return 0
    local o
    for o in "${only[@]}"; do [[ $o == "$1" ]] && return 0; done
    return 1
}

bench_start "every benchmark, output kept in $out"
table="$out/table.md"
{
    echo "| what | figure | spread | target | verdict | load (start -> end) | command |"
    echo "|---|---|---|---|---|---|---|"
} >"$table"
cd "$bench_root" || exit 2
for entry in "${benches[@]}"; do
    IFS='|' read -r name full short <<<"$entry"
    wanted "$name" || continue
    cmd=$full
    [[ $quick == 1 ]] && cmd=$short
    log="$out/$name.log"
    echo
    echo "== $name: $cmd --build $build"
    read -r -a argv <<<"$cmd"
    "${argv[@]}" --build "$build" 2>&1 | tee "$log"
    rc=${PIPESTATUS[0]}
    load_start=$(sed -n 's/.*load at start \([0-9.]*\) .*/\1/p' "$log" | head -1)
    load_end=$(sed -n 's/.*at end \([0-9.]*\) .*/\1/p' "$log" | tail -1)
    if [[ $rc -ne 0 ]]; then
        echo "| $name | **failed** (exit $rc: $(grep -v '^table:' "$log" | tail -1 | tr '|' '/')) | | | | | \`$cmd\` |" >>"$table"
        continue
    fi
    grep '^table: ' "$log" | sed 's/^table: //' | while IFS= read -r row; do
        echo "| $row | ${load_start:-?} -> ${load_end:-?} | \`$cmd\` |" >>"$table"
    done
done
echo
echo "## Figures at commit $bench_commit_id ($(date -u +%Y-%m-%dT%H:%MZ); $(nproc) CPUs, $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), Linux $(uname -r))"
echo
cat "$table"
echo
echo "CPU-time figures (start-up, idle, storm, Redis CPU, Python, Node) taken with a 1-minute load"
echo "average above the CPU count ($(nproc)) are bounds, not measurements; callgrind counts and memory are not"
echo "moved by the load."
bench_end
