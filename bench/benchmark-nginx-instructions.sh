#!/usr/bin/env bash
# benchmark-nginx-instructions.sh -- the agent's cost on an nginx worker serving a static file, in
# instructions per request counted by valgrind (callgrind).
#
# nginx runs as one process (master_process off, daemon off: the worker is the process callgrind
# counts) with a configuration of its own: 127.0.0.1 on a free port, a small static file
# (--size bytes, default 1024), sendfile on, access_log off (--access-log: to a file), no open
# file cache, so every request opens, stats, sends and closes the file. The client is ab -k
# (keep-alive, --clients connections). Four ways, each repeat running all four in a rotated
# order:
#   A  bare:       valgrind --tool=callgrind nginx -p WORK -c nginx.conf
#   B  preloaded:  the same with LD_PRELOAD=libloopstall.so (direct use: the agent's own watcher
#                  thread runs inside the worker and is counted)
#   C  under run:  loopstall run -q -- valgrind --tool=callgrind nginx ... (the watcher is run)
#   D  preloaded with a collector: B's with LOOPSTALL_COLLECTOR naming a `loopstall collect`
#                  started for the round (the watcher is the collector, outside the worker)
# Each way serves N and then 2N requests in two fresh servers; the difference, divided by N, is
# the instructions per request with start-up and shutdown cancelled out. The threshold is 60 s
# (valgrind slows nginx fifty-fold). The figure is the median of the paired differences B_r - A_r,
# C_r - A_r and D_r - A_r of the same repeat, with their min and max.
#
# Usage: bench/benchmark-nginx-instructions.sh [--requests N] [--repeat R] [--clients C]
#          [--size BYTES] [--access-log] [--build DIR] [--keep DIR] [--json FILE]
#   --keep DIR  keep the callgrind outputs there (for callgrind_annotate --inclusive=yes)
# Each way's count is also split: "inside the agent" is what libloopstall.so's own functions
# executed (callgrind_annotate, per object), which the host's variation from run to run does not
# move; the rest of the difference is the host's own noise or glibc's (direct use makes a host
# multi-threaded: glibc's cancellation and malloc bookkeeping).
set -euo pipefail
bench_name=benchmark-nginx-instructions
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

requests=5000
repeat=3
clients=4
size=1024
access_log=0
build="$bench_root/build"
keep=""
json=""
while [[ $# -gt 0 ]]; do
    case "$1" in
    --requests) requests=${2:-}; shift 2 ;;
    --repeat) repeat=${2:-}; shift 2 ;;
    --clients) clients=${2:-}; shift 2 ;;
    --size) size=${2:-}; shift 2 ;;
    --access-log) access_log=1; shift ;;
    --build) build=${2:-}; shift 2 ;;
    --keep) keep=${2:-}; shift 2 ;;
    --json) json=${2:-}; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) bench_die "unknown option '$1' (accepted: --requests N, --repeat R, --clients C, --size BYTES, --access-log, --build DIR, --keep DIR, --json FILE)" ;;
    esac
done
bench_positive --requests "$requests"
bench_positive --repeat "$repeat"
bench_positive --clients "$clients"
bench_positive --size "$size"
bench_build_paths "$build"
bench_need valgrind nginx ab jq
nginx=$(command -v nginx)

work=$(mktemp -d "${TMPDIR:-/tmp}/loopstall-nginx.XXXXXX")
chmod 755 "$work"
server=""
cleanup() {
    [[ -n "$server" ]] && kill -TERM "$server" 2>/dev/null
    [[ -n "$collect_pid" ]] && kill -TERM "$collect_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[[ -n "$keep" ]] && mkdir -p "$keep"
mkdir -p "$work/www" "$work/tmp"
head -c "$size" /dev/zero | tr '\0' 'x' >"$work/www/index.html"

# config TAG PORT: an nginx.conf of its own, nothing from /etc/nginx.
config() {
    local log="access_log off;"
    [[ $access_log == 1 ]] && log="access_log $work/access-$1.log;"
    cat >"$work/nginx-$1.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
pid $work/nginx-$1.pid;
error_log $work/error-$1.log warn;
events { worker_connections 256; }
http {
    $log
    sendfile on;
    keepalive_timeout 60s;
    keepalive_requests 1000000;
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    types { text/html html; }
    server {
        listen 127.0.0.1:$2;
        root $work/www;
    }
}
EOF
}

# measure MODE N TAG: sets m_ir (instructions)
measure() {
    local mode=$1 n=$2 tag=$3 port out try
    out="$work/$tag.callgrind"
    for try in 1 2 3 4 5; do
        port=$(bench_free_port)
        config "$tag" "$port"
        local cg=(valgrind --tool=callgrind --callgrind-out-file="$out" "$nginx" -p "$work" -c "$work/nginx-$tag.conf")
        mkdir -p "$work/out-$tag"
        case $mode in
        A) "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
        B) LD_PRELOAD="$agent" LOOPSTALL_OUT="$work/out-$tag" LOOPSTALL_THRESHOLD_MS=60000 \
            "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
        C) "$loopstall" run -q -t 60000 --json "$work/out-$tag/run.json" -- "${cg[@]}" \
            >"$work/log-$tag" 2>&1 & ;;
        D) bench_collect_start "$tag"
            mkdir -p "$work/own-$tag"
            env LD_PRELOAD="$agent" "$collect_env" LOOPSTALL_OUT="$work/own-$tag" \
                LOOPSTALL_THRESHOLD_MS=60000 "${cg[@]}" >"$work/log-$tag" 2>&1 & ;;
        esac
        server=$!
        bench_wait_port "$port" "$server" 600 && break
        kill -TERM "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=""
        bench_collect_stop
    done
    [[ -n "$server" ]] || bench_die "nginx ($tag) did not listen: $(tail -3 "$work/log-$tag" "$work/error-$tag.log" 2>/dev/null)"
    local ab_out
    ab_out=$(ab -k -q -n "$n" -c "$clients" "http://127.0.0.1:$port/index.html" 2>&1) ||
        bench_die "$tag: ab failed: $(tail -3 <<<"$ab_out")"
    local complete failed
    complete=$(awk '/^Complete requests:/ { print $3 }' <<<"$ab_out")
    failed=$(awk '/^Failed requests:/ { print $3 }' <<<"$ab_out")
    [[ "$complete" == "$n" && "$failed" == 0 ]] || bench_die "$tag: ab completed $complete of $n requests, $failed failed"
    kill -TERM "$server"
    wait "$server" 2>/dev/null || true
    server=""
    bench_collect_stop
    bench_callgrind_result "$mode" "$tag" "$out"
}

bench_callgrind_ways collect
bench_start "nginx worker, static file of $size bytes, instructions per request under callgrind, $requests and $((requests * 2)) requests (ab -k -c $clients), $repeat repeats"
echo "  $(nginx -v 2>&1); access log $([[ $access_log == 1 ]] && echo on || echo off); A bare, B preloaded, C under loopstall run, D preloaded with loopstall collect; agent $agent"
bench_callgrind_rounds request

bench_callgrind_summary request req "nginx worker, static file, instructions per request" 2 nginx-instructions
