#!/usr/bin/env bash
# test.sh -- build with sanitizers (everything but the agent) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh build-test -DLOOPSTALL_SANITIZE=ON
# Sanitized programs run under the agent in the integration tests: the agent is
# preloaded ahead of the ASan runtime, which ASan must be told is intended.
export ASAN_OPTIONS=verify_asan_link_order=0
export UBSAN_OPTIONS=print_stacktrace=1
cd build-test
ctest --output-on-failure --timeout 600 "$@"
