#!/usr/bin/env bash
# The one command that runs every test (README: `npm install-test`, which installs first).
# Order: cheap checks first so a type error fails in seconds, then the real engine.
set -euo pipefail
cd "$(dirname "$0")/.."

# tap's TypeScript loader (ts-node) looks for the project file here.
export TS_NODE_PROJECT="$PWD/tsconfig.test.json"

echo "== build" && npm run --silent build
echo "== lint" && npm run --silent lint
echo "== unit tests" && npx tap test/unit
echo "== API tests" && npx tap test/api --exclude='**/helpers/**' --exclude='**/engine/**'
# The browser tests drive Debian's Chromium (playwright-core downloads no browser): install it once.
if ! [ -x /usr/bin/chromium ]; then
  echo "== installing chromium"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >/dev/null
fi
echo "== browser tests (screenshots in test/artifacts/browser)" && npx tap test/browser --exclude='**/helpers/**'

echo "== engine" && bash scripts/engine/up.sh >/dev/null
set -a && . .engine/env && set +a
echo "== engine tests (serial: they share one swarm)"
npx tap --jobs=1 test/engine
echo "== API tests against the engine" && npx tap --jobs=1 test/api/engine
echo "== browser tests against the installed platform" && bash scripts/browser-platform.sh
