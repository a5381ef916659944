#!/bin/sh
# measure.sh -- runs every lab at its defaults, one after another, as the README's table was made.
# Usage: labs/measure.sh [BUILD_DIR]   (default ./build); writes nothing but stdout.
set -eu
bin=$(cd "${1:-./build}" && pwd)/bin
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for v in bad good native; do "$bin/lab-d3a" "$v"; echo; done
for v in bad threads gil procpool; do "$bin/lab-d3b" "$v" 2>/dev/null; echo; done
"$bin/lab-stress" both 2>/dev/null
echo
for v in bounded unbounded; do "$bin/lab-mixed" "$v"; echo; done
