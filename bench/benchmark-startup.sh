#!/usr/bin/env bash
# benchmark-startup.sh -- what the agent costs a process that never runs a loop: `true`,
# `python3 -c pass` and `node -e 0`, bare, preloaded and under `loopstall run`.
#
# Runs build/bin/benchmark-startup (bench/benchmark-startup.c) for each command: interleaved rounds
# of the three ways, CPU (user + system of the child and everything it waited for, run's own
# included) and wall time from fork to reaping, each way's median and 10th-90th percentile, and
# the paired differences to bare of the same round. Python is Debian's /usr/bin/python3 (not a
# pyenv shim, whose own start-up would swamp the figure).
#
# Targets (issue 12): preloaded, a process that never runs a loop costs <= 50 us of extra CPU
# (`true`, `python3 -c pass`; `node -e 0` does run its loop once, an epoll_pwait with timeout 0,
# so the agent adopts it and starts its watcher); `loopstall run -- true` costs <= 1 ms over
# bare (judged on CPU and on wall time).
#
# Usage: bench/benchmark-startup.sh [--runs N] [--build DIR] [--only true|python|node]
#   --runs N  rounds for `true` (default 300); python gets N/3, node N/6 (at least 20)
set -euo pipefail
bench_name=benchmark-startup
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

runs=300
build="$bench_root/build"
only=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    --runs) runs=${2:-}; shift 2 ;;
    --build) build=${2:-}; shift 2 ;;
    --only) only=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --runs N, --build DIR, --only true|python|node)" ;;
    esac
done
bench_positive --runs "$runs"
[[ -z "$only" || "$only" =~ ^(true|python|node)$ ]] || bench_die "--only wants true, python or node, got '$only'"
bench_build_paths "$build"
bin="$build/bin/benchmark-startup"
[[ -x "$bin" ]] || bench_die "no $bin: build the benchmark (cmake --build $build --target benchmark-startup)"

at_least() { echo $(($1 > $2 ? $1 : $2)); }
bench_start "start-up of processes that never run a loop: bare, preloaded, under loopstall run"
commands=()
[[ -z "$only" || $only == true ]] && commands+=("$runs|$(command -v true)")
[[ -z "$only" || $only == python ]] && commands+=("$(at_least $((runs / 3)) 20)|/usr/bin/python3 -c pass")
if [[ -z "$only" || $only == node ]]; then
    bench_need node
    commands+=("$(at_least $((runs / 6)) 20)|$(command -v node) -e 0")
fi
for entry in "${commands[@]}"; do
    n=${entry%%|*}
    read -r -a cmd <<<"${entry#*|}"
    out=$("$bin" --runs "$n" --agent "$agent" --loopstall "$loopstall" --commit "$bench_commit_id" -- "${cmd[@]}") ||
        bench_die "benchmark-startup failed for ${cmd[*]}"
    echo "$out"
    short=$(basename "${cmd[0]}")${cmd[1]:+ ${cmd[*]:1}}
    # "  preloaded  - bare, paired: CPU    +12.3 us (p10 +1.0, p90 +20.0)   wall ..." -> the six
    # signed numbers: CPU median, p10, p90, then the same for wall.
    for way in preloaded "under run"; do
        read -r cpu cp10 cp90 wall wp10 wp90 < <(grep "^  $way *- bare, paired" <<<"$out" |
            grep -oE '[-+][0-9.]+' | paste -sd ' ')
        target="" verdict=""
        if [[ $short == true && $way == preloaded ]]; then
            target="<= 50 us CPU"
            verdict=$(bench_verdict "$cpu" 50)
        elif [[ $short == true ]]; then
            target="<= 1 ms (CPU and wall)"
            verdict=$(awk -v c="$cpu" -v w="$wall" 'BEGIN { print (c <= 1000 && w <= 1000) ? "met" : "missed" }')
        elif [[ $short == python3* && $way == preloaded ]]; then
            target="<= 50 us CPU (never runs a loop)"
            verdict=$(bench_verdict "$cpu" 50)
        elif [[ $short == node* ]]; then
            target="(none: node runs its loop once, epoll_pwait with timeout 0)"
        fi
        bench_table "start-up of \`$short\`, $way - bare (paired, $n rounds)" \
            "$(printf 'CPU %+.0f us, wall %+.0f us' "$cpu" "$wall")" \
            "$(printf 'CPU p10 %+.0f, p90 %+.0f us; wall p10 %+.0f, p90 %+.0f us' "$cp10" "$cp90" "$wp10" "$wp90")" \
            "${target:-(none)}" "${verdict:-}"
    done
done
bench_end
