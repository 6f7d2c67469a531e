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

echo "== engine" && bash scripts/engine/up.sh >/dev/null
set -a && . .engine/env && set +a
echo "== engine tests (serial: they share one swarm)"
npx tap --jobs=1 test/engine
