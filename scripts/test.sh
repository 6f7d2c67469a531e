#!/usr/bin/env bash
# The one command that runs every test (README: `npm install-test`, which installs first).
# Order: cheap checks first so a type error fails in seconds, then the real engine.
set -euo pipefail
cd "$(dirname "$0")/.."

# tap's TypeScript loader (ts-node) looks for the project file here.
export TS_NODE_PROJECT="$PWD/tsconfig.test.json"
# What would default to a platform installed on this machine (/data/minicloud) finds none: the
# tests' platforms live under /var/lib/minicloud-test and are always named explicitly.
export MINICLOUD_DATA_DIR=/var/lib/minicloud-test/no-platform

# Each stage's time, so the slow ones are visible: "== NAME" then "== NAME: N s".
T0=$SECONDS
stage() {
  local name=$1 t=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - t)) s (total $((SECONDS - T0)) s)"
}

stage build npm run --silent build
stage lint npm run --silent lint
stage 'unit tests' npx tap test/unit
stage 'API tests' npx tap test/api --exclude='**/helpers/**' --exclude='**/engine/**'
# The browser tests drive Debian's Chromium (playwright-core downloads no browser): install it once.
install_chromium() {
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >/dev/null
}
[ -x /usr/bin/chromium ] || stage 'installing chromium' install_chromium
stage 'browser tests (screenshots in test/artifacts/browser)' npx tap test/browser --exclude='**/helpers/**'

# The test swarm: its own engines in network namespaces of their own (scripts/engine), never
# the host's Docker, so a platform installed on this machine keeps serving throughout.
engine_up() { bash scripts/engine/up.sh >/dev/null; }
stage engine engine_up
set -a && . .engine/env && set +a
stage 'engine tests (serial: they share one swarm)' npx tap --jobs=1 test/engine
stage 'API tests against the engine' npx tap --jobs=1 test/api/engine
stage 'browser tests against the installed platform' bash scripts/browser-platform.sh
