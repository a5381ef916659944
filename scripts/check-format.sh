#!/usr/bin/env bash
# check-format.sh -- every C source and header is formatted as .clang-format says (CI fails otherwise).
set -euo pipefail
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    mapfile -t files < <(git ls-files '*.c' '*.h')
else
    mapfile -t files < <(find . -path ./build\* -prune -o \( -name '*.c' -o -name '*.h' \) -print)
fi
out=$(clang-format --dry-run "${files[@]}" 2>&1 | grep 'warning:' || true)
if [ -n "$out" ]; then
    echo "$out" | sed 's/:[0-9]*:[0-9]*: warning:.*//' | sort -u | sed 's/^/check-format: not clang-format clean: /'
    echo "check-format: fix with: git ls-files '*.c' '*.h' | xargs clang-format -i"
    exit 1
fi
echo "check-format: ${#files[@]} files clang-format clean"
