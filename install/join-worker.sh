#!/usr/bin/env bash
# Joins this machine to a minicloud platform as a worker node: installs Docker Engine if it
# is missing, trusts the platform CA for the private registry, logs in to the registry and
# joins the swarm. Self-contained (a new node downloads just this file; see
# `minicloud node join-command` on the manager). Idempotent: run it again and it only
# repairs what is missing.
#
#   join-worker.sh --manager HOST:2377 --token SWMTKN-... --registry HOST:5443 \
#     --ca-sha256 HEX [--registry-user minicloud] [--advertise-addr ADDR]
#
# The registry password comes from MINICLOUD_REGISTRY_PASSWORD or --registry-password-file.
# DOCKER_HOST, when set, names the Docker Engine to join (one that already runs).
set -Eeuo pipefail

PROG=join-worker
STEP=init
log() { printf '%s: %s\n' "$PROG" "$*" >&2; }
step() { STEP=$1; log "$1"; }
fail() { printf "%s: step '%s' failed: %s\n" "$PROG" "$STEP" "$*" >&2; exit 1; }
on_err() {
  trap - ERR
  printf "%s: step '%s' failed: command \`%s\` exited %s (line %s)\n" "$PROG" "$STEP" "$3" "$1" "$2" >&2
  exit "$1"
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

usage() {
  cat <<'USAGE'
usage: join-worker.sh --manager HOST:PORT --token TOKEN --registry HOST:PORT
                      (--ca-sha256 HEX | --ca-file FILE) [options]
  --manager HOST:PORT          a manager's swarm address (port 2377)
  --token TOKEN                the worker join token (or MINICLOUD_JOIN_TOKEN)
  --registry HOST:PORT         the platform registry
  --registry-user USER         registry user (default minicloud)
  --registry-password-file F   registry password file (default: MINICLOUD_REGISTRY_PASSWORD)
  --ca-sha256 HEX              sha256 of the platform CA, fetched from http://HOST/.well-known/minicloud/ca.crt
  --ca-file FILE               the platform CA certificate, when copied by hand
  --advertise-addr ADDR        address other nodes reach this one at (default: docker's choice)
  --certs-dir DIR              Docker's certificate dir (default /etc/docker/certs.d)
  --no-install                 fail instead of installing Docker when it is missing
USAGE
}

MANAGER='' TOKEN=${MINICLOUD_JOIN_TOKEN:-} REGISTRY='' REGISTRY_USER=minicloud PASSWORD_FILE=''
CA_SHA='' CA_FILE='' ADVERTISE='' CERTS_DIR=/etc/docker/certs.d INSTALL=1
while [ $# -gt 0 ]; do
  opt=$1
  case "$opt" in
    --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
  esac
  case "$opt" in
    --no-install) INSTALL=0; shift; continue ;;
    -h | --help) usage; exit 0 ;;
  esac
  [ $# -ge 2 ] || { usage >&2; fail "option $opt needs a value"; }
  case "$opt" in
    --manager) MANAGER=$2 ;;
    --token) TOKEN=$2 ;;
    --registry) REGISTRY=$2 ;;
    --registry-user) REGISTRY_USER=$2 ;;
    --registry-password-file) PASSWORD_FILE=$2 ;;
    --ca-sha256) CA_SHA=$2 ;;
    --ca-file) CA_FILE=$2 ;;
    --advertise-addr) ADVERTISE=$2 ;;
    --certs-dir) CERTS_DIR=$2 ;;
    *) usage >&2; fail "unknown option $opt" ;;
  esac
  shift 2
done

step options
[[ $MANAGER =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || fail "--manager must be HOST:PORT, got '$MANAGER'"
[[ $REGISTRY =~ ^[A-Za-z0-9.-]+:[0-9]+$ ]] || fail "--registry must be HOST:PORT, got '$REGISTRY'"
[[ $TOKEN =~ ^SWMTKN-[A-Za-z0-9-]+$ ]] || fail "--token must be a swarm join token (SWMTKN-...)"
[[ $REGISTRY_USER =~ ^[a-z][a-z0-9_-]*$ ]] || fail "--registry-user must be a user name"
[ -z "$ADVERTISE" ] || [[ $ADVERTISE =~ ^[A-Za-z0-9.:-]+$ ]] || fail "--advertise-addr is not an address"
if [ -n "$CA_SHA" ]; then [[ $CA_SHA =~ ^[0-9a-f]{64}$ ]] || fail "--ca-sha256 must be 64 hex digits"; fi
[ -n "$CA_SHA" ] || [ -n "$CA_FILE" ] || fail "give --ca-sha256 (or --ca-file)"
if [ -n "$PASSWORD_FILE" ]; then
  PASSWORD=$(cat "$PASSWORD_FILE") || fail "cannot read $PASSWORD_FILE"
else
  PASSWORD=${MINICLOUD_REGISTRY_PASSWORD:-}
fi
[ -n "$PASSWORD" ] || fail "no registry password: set MINICLOUD_REGISTRY_PASSWORD or --registry-password-file"
unset MINICLOUD_REGISTRY_PASSWORD

step root
[ "$(id -u)" = 0 ] || fail "join-worker.sh must run as root (try: sudo bash join-worker.sh ...)"

apt_install() {
  command -v apt-get >/dev/null || fail "$* missing and this is not a Debian/Ubuntu system: install $* and run again"
  log "installing $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

step packages
command -v curl >/dev/null || apt_install curl ca-certificates
command -v sha256sum >/dev/null || fail "sha256sum (coreutils) is missing"

step docker
if ! command -v docker >/dev/null; then
  [ "$INSTALL" = 1 ] || fail "docker is not installed (and --no-install was given)"
  apt_install docker.io
fi
engine_up() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }
if ! engine_up; then
  [ -z "${DOCKER_HOST:-}" ] || fail "the Docker Engine at DOCKER_HOST=$DOCKER_HOST does not answer"
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    systemctl enable --now docker >/dev/null 2>&1 || systemctl start docker
  else
    log "no systemd: starting dockerd in the background (log /var/log/dockerd.log)"
    setsid dockerd >>/var/log/dockerd.log 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do engine_up && break; sleep 1; done
  engine_up || fail "the Docker Engine did not start within 60 s"
fi

step 'registry CA'
ca_tmp=$(mktemp)
trap 'rm -f "$ca_tmp"' EXIT
if [ -n "$CA_FILE" ]; then
  cp "$CA_FILE" "$ca_tmp"
else
  url="http://${MANAGER%:*}/.well-known/minicloud/ca.crt"
  curl -fsS --max-time 20 -o "$ca_tmp" "$url" || fail "cannot download the platform CA from $url"
fi
if [ -n "$CA_SHA" ]; then
  got=$(sha256sum "$ca_tmp" | cut -d' ' -f1)
  [ "$got" = "$CA_SHA" ] || fail "the CA certificate's sha256 is $got, not $CA_SHA: not installing it"
fi
grep -q 'BEGIN CERTIFICATE' "$ca_tmp" || fail "the CA file is not a PEM certificate"
ca_dest="$CERTS_DIR/$REGISTRY/ca.crt"
if ! cmp -s "$ca_tmp" "$ca_dest"; then
  mkdir -p "$(dirname "$ca_dest")"
  install -m 0644 "$ca_tmp" "$ca_dest"
  log "trusting the platform CA for $REGISTRY ($ca_dest)"
fi

step 'registry login'
printf '%s' "$PASSWORD" | docker login "$REGISTRY" -u "$REGISTRY_USER" --password-stdin >/dev/null ||
  fail "docker login $REGISTRY was refused"

step 'swarm join'
state=$(docker info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" = pending ]; then
  for _ in $(seq 1 20); do
    state=$(docker info --format '{{.Swarm.LocalNodeState}}')
    [ "$state" = pending ] || break
    sleep 1
  done
fi
case "$state" in
  active)
    managers=$(docker info --format '{{range .Swarm.RemoteManagers}}{{.Addr}} {{end}}')
    [[ " $managers" == *" $MANAGER "* ]] ||
      fail "this node is already in another swarm (managers: $managers); run \`docker swarm leave\` first"
    log "already a member of the swarm at $MANAGER"
    ;;
  inactive)
    docker swarm join --token "$TOKEN" ${ADVERTISE:+--advertise-addr "$ADVERTISE"} "$MANAGER" >/dev/null ||
      fail "docker swarm join $MANAGER was refused"
    ;;
  *) fail "unexpected swarm state '$state'; see \`docker info\`" ;;
esac
log "joined: node $(docker info --format '{{.Swarm.NodeID}}') is a worker of the swarm at $MANAGER"
