# lib.sh -- what every benchmark script shares: the commit measured, the load, order statistics,
# pinning, ports, a process tree's CPU, and the one-line results run-all.sh turns into a table.
#
# Sourced, not run. Each script sets `bench_name` before sourcing it.

bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

bench_die() {
    echo "${bench_name:-bench}: $*" >&2
    exit 2
}

# The commit the agent was built from, as far as the tree can say: the short hash, and -dirty
# when tracked files outside bench/ differ from it (the code measured is then not exactly that
# commit's; the benchmarks' own scripts do not change what they measure).
bench_commit() {
    local id
    id=$(git -C "$bench_root" rev-parse --short HEAD 2>/dev/null) || {
        echo unknown
        return
    }
    git -C "$bench_root" diff --quiet HEAD -- . ':!bench' 2>/dev/null || id="$id-dirty"
    echo "$id"
}

# The 1, 5 and 15 minute load averages: CPU-time figures taken under load are bounds only.
bench_load() { awk '{ print $1 " " $2 " " $3 }' /proc/loadavg; }

bench_start() { # bench_start WHAT: the header every script prints first
    bench_commit_id=$(bench_commit)
    bench_load_start=$(bench_load)
    echo "$bench_name: $1"
    echo "  commit $bench_commit_id, $(nproc) CPUs, load at start $bench_load_start"
}

bench_end() { # the footer: the load at the end, next to the start's
    echo "  load at start $bench_load_start, at end $(bench_load) (commit $bench_commit_id)"
}

# Order statistics of the numbers on stdin (one a line): "median p10 p90 min max n", with
# percentiles linearly interpolated between the order statistics.
bench_stats() {
    sort -g | awk '
        NF { v[++n] = $1 }
        function q(p,   h, lo) { h = (n - 1) * p + 1; lo = int(h); return lo >= n ? v[n] : v[lo] + (h - lo) * (v[lo + 1] - v[lo]) }
        END {
            if (n == 0) { print "nan nan nan nan nan 0"; exit }
            printf "%.6g %.6g %.6g %.6g %.6g %d\n", q(0.5), q(0.1), q(0.9), v[1], v[n], n
        }'
}

# One figure for the table: `table: WHAT | FIGURE | SPREAD | TARGET | VERDICT`. run-all.sh
# collects these lines (with the command, commit and load) into the README's table.
bench_table() {
    echo "table: $1 | $2 | $3 | $4 | $5"
}

# met or missed: bench_verdict VALUE LIMIT (VALUE <= LIMIT is met)
bench_verdict() { awk -v v="$1" -v l="$2" 'BEGIN { print (v <= l) ? "met" : "missed" }'; }

bench_need() { # bench_need PROGRAM... (with the package that has it in the message)
    local p
    for p in "$@"; do
        command -v "$p" >/dev/null || bench_die "$p is required (scripts/setup.sh installs it)"
    done
}

bench_positive() { # bench_positive OPTION VALUE
    [[ "$2" =~ ^[1-9][0-9]*$ ]] || bench_die "$1 wants a positive integer, got '$2'"
}

# A free port on 127.0.0.1 (the kernel's choice; a race with other jobs is possible, so callers
# retry a server that fails to listen).
bench_free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

bench_wait_port() { # bench_wait_port PORT PID [TRIES]: 0 once something listens, 1 if PID died
    local i
    for i in $(seq "${3:-300}"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

# Pinning: the server on one CPU, the client on another, when there are two CPUs and taskset.
bench_pin_setup() { # sets server_pin, client_pin (arrays) and pin_note
    server_pin=()
    client_pin=()
    pin_note="not pinned"
    if ! command -v taskset >/dev/null; then
        pin_note="not pinned (no taskset)"
    elif [[ $(nproc) -lt 2 ]]; then
        pin_note="not pinned (one CPU)"
    else
        server_pin=(taskset -c "${1:-0}")
        client_pin=(taskset -c "${2:-1}")
        pin_note="server on CPU ${1:-0}, client on CPU ${2:-1}"
    fi
}

# CPU time of a process, every live thread of it, in nanoseconds: the first field of each
# /proc/PID/task/TID/schedstat (the scheduler's own sum, exact to the ns, where the utime and
# stime of /proc/PID/stat come in 10 ms ticks).
bench_cpu_ns() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}

# Instructions callgrind counted inside the agent in the output files FILE...: every cost line
# of libloopstall.so's code (its own functions and what it inlined; not the libc it calls),
# read from the files themselves (callgrind_annotate names an inlined function by its source
# file, not its object). The part of a count that the host's own variation from run to run
# (how many commands one loop iteration batches) does not move.
bench_agent_ir() {
    awk '
    # Object names are compressed: "(N) name" the first time (in ob= or cob=), "(N)" after.
    function object(spec, id, rest) {
        if (!match(spec, /^\([0-9]+\)/)) return spec
        id = substr(spec, 1, RLENGTH)
        rest = substr(spec, RLENGTH + 2)
        if (rest != "") names[id] = rest
        return names[id]
    }
    /^ob=/ { cur = object(substr($0, 4)); next }
    /^cob=/ { object(substr($0, 5)); next }
    /^calls=/ { inclusive = 1; next }   # the next cost line is the call'"'"'s, not this code'"'"'s
    /^[0-9+*-]/ {
        if (inclusive) { inclusive = 0; next }
        if (cur ~ /libloopstall\.so/) s += $2
        next
    }
    END { printf "%d\n", s }' "$@"
}

# A callgrind round's proof that the agent was there: its report shows loop iterations (mode B:
# the reports in DIR; C: run's DIR/run.json; A has none to show).
# bench_agent_ran MODE TAG DIR
bench_agent_ran() {
    local iters=""
    case $1 in
    B | D) iters=$(cat "$3"/loopstall.*.json 2>/dev/null | jq -s '[.[].processes[].loops[].iterations] | add // 0') ;;
    C) iters=$(jq '[.processes[].loops[].iterations] | add // 0' "$3/run.json" 2>/dev/null) ;;
    *) return 0 ;;
    esac
    [[ "${iters:-0}" -gt 0 ]] || bench_die "$2: the agent reported no loop iterations: was it loaded?"
}

# The end of a callgrind round, once its host has exited: the count in OUT (callgrind's file), the
# part inside the agent, the proof that the agent ran (bench_agent_ran), the file kept with --keep.
# Sets m_ir and m_agent. bench_callgrind_result MODE TAG OUT (the round's log is $work/log-TAG).
bench_callgrind_result() {
    local ir
    ir=$(awk '/^summary:/ { print $2 }' "$3"* 2>/dev/null | head -1)
    [[ -n "$ir" ]] || bench_die "no count from $2 ($(tail -3 "$work/log-$2"))"
    bench_agent_ran "$1" "$2" "$work/out-$2"
    [[ -n "$keep" ]] && cp "$3"* "$keep/"
    m_ir=$ir
    m_agent=$(bench_agent_ir "$3"*)
}

# The ways of a callgrind benchmark, A bare, B preloaded, C under run and, given "collect", D
# preloaded with a collector: sets names (the rotation's order) and label[MODE], and empties
# "$results" and "$results.agent" (results: $work/results), which the rounds append to.
# bench_callgrind_ways [collect]
bench_callgrind_ways() {
    names=(A B C)
    declare -gA label=([A]=bare [B]=preloaded [C]="under run")
    if [[ ${1:-} == collect ]]; then
        names+=(D)
        label[D]="preloaded with collect"
    fi
    results="$work/results"
    : >"$results"
    : >"$results.agent"
}

# The way "preloaded with a collector": `loopstall collect` started for round TAG, its reports in
# DIR (default $work/out-TAG). Sets collect_pid and collect_env (LOOPSTALL_COLLECTOR=@NAME, for the
# host's environment). bench_collect_start TAG [DIR]; bench_collect_stop once the host has exited
# (the caller's EXIT trap stops a collector still running: [[ -n $collect_pid ]]).
collect_pid=""
bench_collect_start() {
    local log="$work/collect-$1" i
    "$loopstall" collect --dir "${2:-$work/out-$1}" --name "bench-$$-$1" >"$log.out" 2>"$log.err" &
    collect_pid=$!
    for i in $(seq 200); do
        collect_env=$(head -1 "$log.out" 2>/dev/null)
        [[ $collect_env == LOOPSTALL_COLLECTOR=@* ]] && return 0
        kill -0 "$collect_pid" 2>/dev/null || break
        sleep 0.05
    done
    bench_die "loopstall collect ($1) did not start: $(tail -3 "$log.err")"
}
bench_collect_stop() {
    [[ -n "$collect_pid" ]] || return 0
    kill -TERM "$collect_pid" 2>/dev/null || true
    wait "$collect_pid" 2>/dev/null || true
    collect_pid=""
}

# The N/2N rounds of a callgrind benchmark that serves a fixed count ($requests): for each of
# $repeat repeats, the ways (names: A, B, C, and D where the benchmark has it) in a rotated order,
# each measured with N and 2N by the
# caller's `measure MODE N TAG` (which sets m_ir and m_agent); the per-request figures go to
# "$results" and "$results.agent" (lines "MODE REPEAT PER_UNIT"), one printed line per way.
# bench_callgrind_rounds UNIT
bench_callgrind_rounds() {
    local unit=$1 r k mode ir1 ag1 ir2 ag2 one inside ways=${#names[@]}
    for r in $(seq "$repeat"); do
        for k in $(seq 0 $((ways - 1))); do
            mode=${names[$(((r + k) % ways))]}
            measure "$mode" "$requests" "$mode$r-n"
            ir1=$m_ir ag1=$m_agent
            measure "$mode" $((requests * 2)) "$mode$r-2n"
            ir2=$m_ir ag2=$m_agent
            one=$(awk -v a="$ir1" -v b="$ir2" -v n="$requests" 'BEGIN { printf "%.1f", (b - a) / n }')
            echo "$mode $r $one" >>"$results"
            inside=$(awk -v a="$ag1" -v b="$ag2" -v n="$requests" 'BEGIN { printf "%.1f", (b - a) / n }')
            [[ $mode != A ]] && echo "$mode $r $inside" >>"$results.agent"
            printf '  %s%d %-10s %d instructions for %d %ss, %d for %d: %s per %s\n' \
                "$mode" "$r" "${label[$mode]}" "$ir1" "$requests" "$unit" "$ir2" $((requests * 2)) "$one" "$unit"
        done
    done
}

# The paired differences of each repeat of a callgrind benchmark's "$results", one a line:
# bench_callgrind_paired MODE COLUMN: COLUMN 1 = instructions, 2 = percent of A.
bench_callgrind_paired() {
    awk -v m="$1" -v c="$2" '{ x[$1, $2] = $3; n = $2 > n ? $2 : n }
        END { for (r = 1; r <= n; r++) print (c == 1) ? x[m, r] - x["A", r] : (x[m, r] / x["A", r] - 1) * 100 }' "$results"
}

# The end of a callgrind benchmark (N/2N method): from "$results" (lines "MODE REPEAT PER_UNIT",
# modes A bare, B preloaded, C under run, D preloaded with a collector; label[MODE] names them) and "$results.agent" (the part
# inside the agent, the same lines), the paired medians and spread, one table line per way, the
# footer, and with $json set, the rounds as JSON.
# bench_callgrind_summary UNIT SHORT WHAT LIMIT NAME: UNIT "request", SHORT "req" (the table's
# abbreviation), WHAT the table line's start, LIMIT the target in percent, NAME the benchmark's.
bench_callgrind_summary() {
    local unit=$1 short=$2 what=$3 limit=$4 name=$5
    local a_med a_min a_max d_med d_min d_max p_med p_min p_max i_med i_min i_max n mode
    read -r a_med _ _ a_min a_max _ < <(awk '$1 == "A" { print $3 }' "$results" | bench_stats)
    echo
    printf '  A bare: median %.1f instructions per %s (min %.1f, max %.1f)\n' "$a_med" "$unit" "$a_min" "$a_max"
    declare -A pct_med
    for mode in "${names[@]:1}"; do
        read -r d_med _ _ d_min d_max n < <(bench_callgrind_paired "$mode" 1 | bench_stats)
        read -r p_med _ _ p_min p_max _ < <(bench_callgrind_paired "$mode" 2 | bench_stats)
        pct_med[$mode]=$p_med
        printf '  %s %-10s paired %s_r - A_r: median %+.1f instructions per %s (%+.2f%%), min %+.1f (%+.2f%%), max %+.1f (%+.2f%%), %d pairs\n' \
            "$mode" "${label[$mode]}" "$mode" "$d_med" "$unit" "$p_med" "$d_min" "$p_min" "$d_max" "$p_max" "$n"
        read -r i_med _ _ i_min i_max _ < <(awk -v m="$mode" '$1 == m { print $3 }' "$results.agent" | bench_stats)
        printf '    of which inside the agent (libloopstall.so'"'"'s own functions): median %.1f per %s (%.2f%% of A), min %.1f, max %.1f\n' \
            "$i_med" "$unit" "$(awk -v i="$i_med" -v a="$a_med" 'BEGIN { print i / a * 100 }')" "$i_min" "$i_max"
        bench_table "$what, ${label[$mode]} (callgrind)" \
            "$(printf '%+.2f%% (%+.0f instr./%s over %.0f)' "$p_med" "$d_med" "$short" "$a_med")" \
            "$(printf 'paired min %+.2f%%, max %+.2f%% (%d pairs)' "$p_min" "$p_max" "$n")" \
            "<= +$limit%" "$(bench_verdict "$p_med" "$limit")"
    done
    local overhead="" sep=""
    for mode in "${names[@]:1}"; do
        overhead+="$sep${label[$mode]} $(printf '%+.2f' "${pct_med[$mode]}")%"
        sep=", "
    done
    echo "overhead: $overhead instructions per $unit (paired medians of $repeat)"
    bench_end
    if [[ -n "$json" ]]; then
        jq -n --arg commit "$bench_commit_id" --arg load_start "$bench_load_start" --arg load_end "$(bench_load)" \
            --arg name "$name" --arg key "per_$unit" --argjson requests "$requests" --rawfile rounds "$results" \
            '{benchmark: $name, commit: $commit, load_start: $load_start, load_end: $load_end,
              requests: $requests,
              rounds: [$rounds | split("\n")[] | select(length > 0) | split(" ") | {mode: .[0], repeat: (.[1] | tonumber), ($key): (.[2] | tonumber)}]}' >"$json"
    fi
}

# The children of a process (run's command, for one).
bench_children() { cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . || true; }

# The loopstall command and agent of a build directory.
bench_build_paths() { # bench_build_paths BUILD: sets loopstall and agent
    loopstall="$1/bin/loopstall"
    agent="$1/lib/libloopstall.so"
    [[ -x "$loopstall" && -f "$agent" ]] ||
        bench_die "no loopstall build in $1 (./scripts/build.sh $1, then pass --build $1)"
    loopstall=$(cd "$(dirname "$loopstall")" && pwd)/loopstall
    agent=$(cd "$(dirname "$agent")" && pwd)/libloopstall.so
}
