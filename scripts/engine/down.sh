#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Takes down what up.sh brought up. Daemons are stopped only if up.sh started
# them (a dockerd of ours, found by pid file and data root); the images and
# data dirs stay as a cache for the next up unless --purge is given.
set -Eeuo pipefail

MC_PROG=engine:down
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH

purge=0
case "${1:-}" in
  '') ;;
  --purge) purge=1 ;;
  *) fail "usage: down.sh [--purge]" ;;
esac

[ "$(id -u)" = 0 ] || fail "needs root"
mkdir -p "$MC_RUN"

step lock
exec 9>"$MC_RUN/engine.lock"
flock -w 900 9 || fail "another engine:up/down held $MC_RUN/engine.lock for 900 s"

step registry
if [ -x "$DOCKER" ] && ping_sock "$MGR_SOCK"; then
  # Removed rather than left to `--restart always`, which would bring it back
  # with a daemon that someone else runs.
  dk rm -f "$REGISTRY_NAME" >/dev/null 2>&1 || true
  [ "$purge" = 0 ] || dk volume rm -f "$REGISTRY_VOLUME" >/dev/null 2>&1 || true
fi

step 'worker dockerd'
stop_host_dockerd "$W1"

step 'manager dockerd'
stop_host_dockerd "$MGR"

step network
remove_host_net "$W1"
remove_host_net "$MGR"
# The bridge stays while a test host (worker-node.sh's w2) still hangs on it.
remove_bridge

rm -f "$REPO/.engine/env"

if [ "$purge" = 1 ]; then
  step purge
  unmount_under "$MC_ROOT"
  rm -rf --one-file-system "$MC_ROOT"
fi
log "down"
