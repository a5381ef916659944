#!/usr/bin/env bash
# setup.sh -- install everything loopstall's build, labs, tests and benchmarks need (Debian 12). Safe to re-run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(
  build-essential cmake pkg-config git
  libunwind-dev libjansson-dev libdw-dev libelf-dev   # agent stacks, report model, symbolization
  libuv1-dev libcurl4-openssl-dev                     # labs
  libcriterion-dev                                    # tests
  python3 nodejs redis-server redis-tools             # real runtimes the tests observe
  clang                                               # the rule-parser fuzzer (libFuzzer)
  jq                                                  # the benchmarks check the agent's reports
  valgrind nginx apache2-utils wrk                    # bench/: callgrind counts, nginx worker, ab (wrk by hand)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
echo "setup: all build and test dependencies are installed"

# The HTML report's browser test (tests/browser): Debian's Chromium (the fonts its screenshots
# use), and playwright-core from npm into tests/browser/node_modules as its lock file pins it.
browser_missing=()
for p in chromium fonts-dejavu-core; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || browser_missing+=("$p")
done
if [ "${#browser_missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${browser_missing[@]}"
fi
browser_dir="$(cd "$(dirname "$0")/.." && pwd)/tests/browser"
want=$(node -p "require('$browser_dir/package-lock.json').packages['node_modules/playwright-core'].version")
have=$(node -p "try { require('$browser_dir/node_modules/playwright-core/package.json').version } catch (e) { '' }")
if [ "$want" != "$have" ]; then
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: chromium and playwright-core $want for the browser test are installed"
