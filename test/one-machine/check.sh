#!/usr/bin/env bash
# The README's two commands on ONE machine (CI runs them in this order):
#   install/install.sh --images=debian   the platform, on this machine's own Docker
#   check.sh before                      an app on that platform, and a record of what runs
#   npm install-test                     every test, on a test swarm of its own
#   check.sh after                       the platform still serves its admin and the app,
#                                        nothing of it restarted, its data dir untouched
# Talks only to this machine: the platform's proxy on 127.0.0.1, its registry, its engine.
set -Eeuo pipefail

MC_PROG=one-machine
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# The installer's own helpers: log, step, fail, wait_until.
# shellcheck source=../../install/lib/common.sh
. "$REPO/install/lib/common.sh"
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

DATA=${MINICLOUD_DATA_DIR:-/data/minicloud}
STATE=${MINICLOUD_ONE_MACHINE_STATE:-${TMPDIR:-/tmp}/minicloud-one-machine}
APP=one-machine-hello
# The platform's own engine: Docker's default socket, whatever the caller's environment says.
unset DOCKER_HOST DOCKER_CONTEXT DOCKER_CONFIG
DOCKER=/usr/bin/docker
CLI=$(sed -n 's/^CLI_PATH=//p' "$DATA/install.env" 2>/dev/null || true)
PASSED=0

pass() {
  PASSED=$((PASSED + 1))
  echo "ok $PASSED - $*"
}

domain() { sed -n 's/^ *"domain": "\(.*\)",*$/\1/p' "$DATA/config/platform.json" | head -n 1; }

# status HOST PATH: the HTTP status of an HTTPS request through the platform's proxy.
status() {
  curl -s --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code}' \
    --resolve "$1:443:127.0.0.1" --cacert "$DATA/pki/ca.crt" "https://$1$2"
}

# What must not change while the tests run: the platform's and the app's containers (a restart
# makes a new one), and every file of the config and secrets dirs.
fingerprint() {
  $DOCKER ps --filter label=com.docker.stack.namespace --format '{{.ID}} {{.Names}}' | sort
  (cd "$DATA" && find config secrets pki public -type f -print0 | sort -z | xargs -0 sha256sum)
}

app_served() { [ "$(status "$APP.$(domain)" /)" = 200 ]; }

served() {
  local d
  d=$(domain)
  [ "$(status "admin.$d" /health)" = 200 ] || fail "https://admin.$d/health does not answer 200"
  pass "the admin API answers on https://admin.$d/"
  [ "$(status "$APP.$d" /)" = 200 ] || fail "https://$APP.$d/ does not answer 200"
  pass "the app answers on https://$APP.$d/"
}

before() {
  [ -f "$DATA/config/platform.json" ] || fail "no platform in $DATA: run install/install.sh --images=debian first"
  [ -n "$CLI" ] && [ -x "$CLI" ] || fail "the installed minicloud command is missing (install.env: CLI_PATH=$CLI)"
  step 'app image'
  DOCKER_BUILDKIT=0 $DOCKER build -q -t "minicloud-ci/hello:1" "$REPO/stacks/apps/hello" >/dev/null
  "$CLI" push minicloud-ci/hello:1 --name "ci/hello:1" >/dev/null
  step 'app add'
  local registry
  registry=$(sed -n 's/^REGISTRY_ADDR=//p' "$DATA/install.env")
  "$CLI" app rm "$APP" --purge >/dev/null 2>&1 || true
  "$CLI" app add "$APP" --image "$registry/ci/hello:1" >/dev/null
  step served
  wait_until 90 app_served || fail "the app added before the tests is not served"
  served
  mkdir -p "$(dirname "$STATE")"
  fingerprint >"$STATE"
  echo "one-machine: $PASSED passed, 0 failed"
}

after() {
  [ -f "$STATE" ] || fail "no record from 'check.sh before' at $STATE"
  step served
  served
  step unchanged
  local now
  now=$(fingerprint)
  if [ "$now" != "$(cat "$STATE")" ]; then
    diff <(cat "$STATE") <(printf '%s\n' "$now") >&2 || true
    fail "the installed platform changed while the tests ran (above: before < > after)"
  fi
  pass "no container of the platform or the app restarted, and its config, secrets and certificates are as they were"
  "$CLI" app rm "$APP" --purge >/dev/null
  pass "the app is removed again"
  rm -f "$STATE"
  echo "one-machine: $PASSED passed, 0 failed"
}


case "${1:-}" in
  before) before ;;
  after) after ;;
  *) fail "usage: check.sh before|after" ;;
esac
