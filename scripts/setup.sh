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
  python3-jsonschema                                  # the tests validate SARIF against its official schema
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
