#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Removes the minicloud management stack from this node, as root. Keeps the data dir (config,
# secrets, CA, registry images, databases) unless --purge is given, and keeps Docker, the
# swarm, the images and every app stack. Running install.sh again brings the platform back
# with its data.
set -Eeuo pipefail

MC_PROG=uninstall
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib/common.sh"
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

usage() {
  cat <<'USAGE'
usage: install/uninstall.sh [--data-dir DIR] [--purge]
  --data-dir DIR   the platform's data dir (default /data/minicloud)
  --purge          also delete the data dir: every secret, certificate, image and database
USAGE
}

DATA_DIR=/data/minicloud
PURGE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir=*) DATA_DIR=${1#*=} ;;
    --data-dir) [ $# -ge 2 ] || fail "--data-dir needs a value"; DATA_DIR=$2; shift ;;
    --purge) PURGE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fail "unknown option $1" ;;
  esac
  shift
done
DATA_DIR=${DATA_DIR%/}

stack_gone() {
  [ -z "$(dk service ls -q --filter "label=com.docker.stack.namespace=$STACK")" ] &&
    [ -z "$(dk ps -aq --filter "label=com.docker.stack.namespace=$STACK")" ]
}

step root
[ "$(id -u)" = 0 ] || fail "uninstall.sh must run as root"
pick_docker
engine_up || fail "the Docker Engine does not answer"
CLI_PATH='' REGISTRY_ADDR=''
if [ -f "$DATA_DIR/install.env" ]; then
  CLI_PATH=$(sed -n 's/^CLI_PATH=//p' "$DATA_DIR/install.env")
  REGISTRY_ADDR=$(sed -n 's/^REGISTRY_ADDR=//p' "$DATA_DIR/install.env")
fi

step 'management stack'
if [ -n "$(dk service ls -q --filter "label=com.docker.stack.namespace=$STACK")" ]; then
  dk stack rm "$STACK" >/dev/null
fi
wait_until 120 stack_gone || fail "the $STACK stack's containers did not go within 120 s"

step networks
for n in "${NETWORKS[@]}"; do
  dk network inspect "$n" >/dev/null 2>&1 || continue
  # In use by app stacks: kept, they are the apps' too.
  if ! dk network rm "$n" >/dev/null 2>&1; then log "network $n is still in use by apps: kept"; fi
done

step 'registry trust'
if [[ $REGISTRY_ADDR =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]]; then
  dk logout "$REGISTRY_ADDR" >/dev/null 2>&1 || true
  rm -f "/etc/docker/certs.d/$REGISTRY_ADDR/ca.crt"
  rmdir "/etc/docker/certs.d/$REGISTRY_ADDR" 2>/dev/null || true
fi

step 'minicloud command'
if [ -n "$CLI_PATH" ] && [ "$CLI_PATH" != none ] && [ -f "$CLI_PATH" ] &&
  grep -qF '# minicloud CLI wrapper, written by minicloud install/install.sh' "$CLI_PATH"; then
  rm -f "$CLI_PATH"
fi

if [ "$PURGE" = 1 ]; then
  step purge
  [[ $DATA_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] && [ "$DATA_DIR" != / ] || fail "refusing to delete '$DATA_DIR'"
  if [ -d "$DATA_DIR" ]; then
    [ -f "$DATA_DIR/config/platform.json" ] || [ -f "$DATA_DIR/.install.lock" ] || [ -z "$(ls -A "$DATA_DIR")" ] ||
      fail "$DATA_DIR holds no config/platform.json: not a minicloud data dir, not deleting it"
    rm -rf --one-file-system "$DATA_DIR"
    log "deleted $DATA_DIR"
  fi
else
  log "kept the data dir $DATA_DIR (delete it with --purge)"
fi
log "done: the management stack is gone; Docker, the swarm, the images and app stacks remain"
