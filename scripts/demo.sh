#!/usr/bin/env bash
# demo.sh -- the main job: a lab with a known stall (blocking HTTP in the loop) run under loopstall,
# printing its stall report.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh build
mkdir -p out
build/bin/loopstall run -t 20 --json out/d3a-bad.json -o - -- build/bin/lab-d3a bad --quick
