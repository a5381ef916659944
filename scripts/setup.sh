#!/usr/bin/env bash
# setup.sh -- install everything loopstall's build, labs, tests and benchmarks need (Debian 12). Safe to re-run.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
packages=(
  build-essential cmake pkg-config git
  libunwind-dev libjansson-dev libdw-dev libelf-dev   # libunwind: tests/unwind compares our walker with it; report model; symbolization
  libuv1-dev libcurl4-openssl-dev                     # labs
  libcriterion-dev                                    # tests
  python3 nodejs redis-server redis-tools             # real runtimes the tests observe
  clang                                               # the rule-parser fuzzer (libFuzzer)
  jq                                                  # the benchmarks check the agent's reports
  python3-jsonschema                                  # the tests validate SARIF against its official schema
  libunwind-14                                        # tests/hostile: a C++ host on LLVM's libunwind
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

# The real services tests/services runs under loopstall (issue 9). Debian starts a service when
# its package is installed, and nginx's default site listens on every address: a policy-rc.d
# that refuses every start is in place during the install (Docker images already have one; ours
# is removed afterwards), and where systemd runs the units are stopped and disabled, so that
# nothing of these listens until a test starts it on 127.0.0.1.
service_packages=(
  nginx memcached haproxy strace
  python3-uvicorn python3-fastapi python3-uvloop python3-aiohttp python3-requests python3-httpx
)
service_missing=()
for p in "${service_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || service_missing+=("$p")
done
if [ "${#service_missing[@]}" -gt 0 ]; then
  own_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# setup.sh: no service starts while loopstall installs its test services.\nexit 101\n' |
      $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  $SUDO apt-get update -qq
  status=0
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${service_missing[@]}" || status=$?
  if [ -n "$own_policy" ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
  [ "$status" -eq 0 ] || exit "$status"
fi
if [ -d /run/systemd/system ]; then
  for unit in nginx memcached haproxy; do
    $SUDO systemctl disable --now "$unit" >/dev/null 2>&1 || true
  done
fi
echo "setup: nginx, memcached, haproxy and the Python web stack for tests/services are installed (not started)"
