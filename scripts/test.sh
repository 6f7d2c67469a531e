#!/usr/bin/env bash
# The one command that runs every test (README: `npm install-test`, which installs first).
# Order: cheap checks first so a type error fails in seconds, then the real engine, with the
# tests that need none running beside it.
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
  local name=$1 t=$SECONDS rc=0
  shift
  echo "== $name"
  "$@" || rc=$?
  echo "== $name: $((SECONDS - t)) s (total $((SECONDS - T0)) s)$([ "$rc" -eq 0 ] || echo ", FAILED: exit $rc")"
  return "$rc"
}

stage build npm run --silent build
stage lint npm run --silent lint
# The browser tests drive Debian's Chromium (playwright-core downloads no browser): install it once.
install_chromium() {
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; } >/dev/null
}
[ -x /usr/bin/chromium ] || stage 'installing chromium' install_chromium

# The unit, API and browser tests need no engine. They run beside the engine tests, at the lowest
# CPU and I/O priority: the engine tests mostly wait on the swarm (tasks starting, health checks,
# convergence), and these use the time the CPU is idle instead of adding ten minutes of their own.
# Their output is kept apart and printed whole when they end, so the two logs do not interleave.
BESIDE_LOG=$(mktemp /tmp/minicloud-beside.XXXXXX)
echo "== unit, API and browser tests: started beside the engine tests (printed when they end)"
(
  renice -n 19 -p "$BASHPID" >/dev/null
  ionice -c 3 -p "$BASHPID" 2>/dev/null || true
  stage 'unit tests' npx tap test/unit
  stage 'API tests' npx tap test/api --exclude='**/helpers/**' --exclude='**/engine/**'
  stage 'browser tests (screenshots in test/artifacts/browser)' npx tap test/browser --exclude='**/helpers/**'
  # The previous release's tree (npm ci and build, a few minutes), ready for the upgrade test.
  stage 'the previous release for test/engine/upgrade.test.ts' bash test/engine/previous-release.sh
) >"$BESIDE_LOG" 2>&1 &
BESIDE_PID=$!
trap 'kill "$BESIDE_PID" 2>/dev/null || true' EXIT

# The test swarm: its own engines in network namespaces of their own (scripts/engine), never
# the host's Docker, so a platform installed on this machine keeps serving throughout.
engine_up() { bash scripts/engine/up.sh >/dev/null; }
# Chained with &&: called as `engine_tests || ...`, a function runs without `set -e`.
engine_tests() {
  stage engine engine_up &&
    { set -a && . .engine/env && set +a; } &&
    stage 'engine tests (serial: they share one swarm)' npx tap --jobs=1 test/engine &&
    stage 'API tests against the engine' npx tap --jobs=1 test/api/engine &&
    stage 'browser tests against the installed platform' bash scripts/browser-platform.sh
}
# However the engine tests end, the tests beside them are waited for and printed. The engine
# tests' output streams and is kept too, for the list of failures at the very end: a CI log is
# often read from its tail, and the tail must say what failed.
ENGINE_LOG=$(mktemp /tmp/minicloud-engine.XXXXXX)
ENGINE_RC=0
{ engine_tests 2>&1 | tee "$ENGINE_LOG"; } || ENGINE_RC=$?
BESIDE_RC=0
wait "$BESIDE_PID" || BESIDE_RC=$?
echo "== unit, API and browser tests (run beside the engine tests): their output"
cat "$BESIDE_LOG"
# Failed tests at any depth (tap indents subtests by four spaces) and failed stages.
failures() { grep -hE '^ *not ok |^== .*FAILED: exit' "$@" || true; }
echo "== what failed (engine side, then the side beside it)"
failures "$ENGINE_LOG"
failures "$BESIDE_LOG"
rm -f "$BESIDE_LOG" "$ENGINE_LOG"
echo "== engine tests: exit $ENGINE_RC; unit, API and browser tests: exit $BESIDE_RC (total $((SECONDS - T0)) s)"
[ "$ENGINE_RC" -eq 0 ] && [ "$BESIDE_RC" -eq 0 ]
