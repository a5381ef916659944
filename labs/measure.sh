#!/bin/sh
# measure.sh -- runs every lab at its defaults, one after another, as labs/README.md's figures were
# made, and writes the stress sweeps' plots and data.
# Usage: labs/measure.sh [BUILD_DIR] [OUT_DIR]   (defaults ./build and labs/results)
# The figures go to stdout, with the machine's load average before each lab: other work on a
# shared machine moves the numbers that need a free core.
set -eu
bin=$(cd "${1:-./build}" && pwd)/bin
out=${2:-$(dirname "$0")/results}
mkdir -p "$out"
load() { echo "# load $(cut -d' ' -f1-3 /proc/loadavg) before: $*"; }
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$(dirname "$0")" rev-parse --short HEAD 2>/dev/null || echo unknown)"
for v in bad good native; do load "lab-d3a $v"; "$bin/lab-d3a" "$v"; echo; done
load "lab-d3a good --server-cap 12"; "$bin/lab-d3a" good --server-cap 12; echo
for v in good native; do
    load "lab-d3a $v --concurrency 256 --requests 5000"
    "$bin/lab-d3a" "$v" --concurrency 256 --requests 5000; echo
done
for v in bad threads gil procpool; do load "lab-d3b $v"; "$bin/lab-d3b" "$v" 2>/dev/null; echo; done
for v in bounded unbounded threads; do load "lab-mixed $v"; "$bin/lab-mixed" "$v"; echo; done
# The stress sweeps last: the CPU-bound one puts hundreds of threads on the run queue, which
# keeps the load average high for minutes after it ends.
for d in sleep cpu; do
    load "lab-stress all --downstream $d"
    "$bin/lab-stress" all --downstream "$d" --svg "$out/stress-$d.svg" --csv "$out/stress-$d.csv" \
        --json "$out/stress-$d.json" 2>/dev/null
    echo
done
load "(the end)"
