#!/usr/bin/env bash
# The previous release, as test/engine/upgrade.test.ts installs it: its tree from this
# repository's history, its dependencies installed and built, in /var/lib/minicloud-test (a
# cache, like the test images). Run by that test, and by scripts/test.sh beside the engine
# tests so that the test finds it ready. Idempotent; two runs at once wait for each other.
#   previous-release.sh      prints the tree's path once it is ready
set -euo pipefail
# 0.1.0 as it landed on 2026-11-26 (the last commit of that day): CHANGELOG.md's [0.1.0].
COMMIT=fbad73b
DIR=/var/lib/minicloud-test/upgrade-from
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

mkdir -p "$(dirname "$DIR")"
exec 9>"$DIR.lock"
flock -w 900 9
if [ "$(cat "$DIR/.commit" 2>/dev/null || true)" != "$COMMIT" ] || [ ! -f "$DIR/packages/api/dist/server.js" ]; then
  rm -rf "$DIR"
  mkdir -p "$DIR"
  git -C "$REPO" archive "$COMMIT" | tar -x -C "$DIR"
  if ! (cd "$DIR" && npm ci --no-audit --no-fund && npm run --silent build) >"$DIR.log" 2>&1; then
    tail -n 20 "$DIR.log" >&2
    exit 1
  fi
  echo "$COMMIT" >"$DIR/.commit"
fi
echo "$DIR"
