#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Installs the minicloud platform on this machine, as root, from a clone of the repository:
# Docker Engine (if missing), a swarm (reused if this node already manages one), the overlay
# networks, the CA, certificates and secrets, the images (official, or built from Debian
# packages), and the management stack: reverse proxy, private registry, MariaDB, RabbitMQ
# and the minicloud API. Waits until every service is healthy and prints the admin URL, the
# admin token and how to join a worker.
#
# Idempotent: each step looks at what is there and changes only what is missing or stale;
# secrets, keys and data are never made again. A failure stops with the step's name.
set -Eeuo pipefail

MC_PROG=install
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/.." && pwd)
. "$HERE/lib/common.sh"
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

usage() {
  cat <<'USAGE'
usage: install/install.sh [options]
  --domain BASE              base domain; the admin app is https://admin.BASE/ (default minicloud.localhost)
  --images hub|debian|auto   official images from Docker Hub, or images built here from Debian
                             packages; auto (the default on a first install) picks debian when
                             Docker Hub cannot be reached. A re-run keeps the installed choice.
  --data-dir DIR             where config, secrets and data live (default /data/minicloud)
  --advertise-addr ADDR      this node's address for the swarm and the registry (default: the
                             address of the default route; an existing swarm's own address)
  --endpoint-mode vip|dnsrr|auto   service endpoint mode (auto: dnsrr where the kernel has no IPVS)
  --registry-keep N          previous images per repository the registry clean-up keeps (default 3)
  --default-addr-pool CIDR   address pool for a new swarm's overlay networks
  --cli-path PATH|none       where to install the `minicloud` command (default /usr/local/bin/minicloud)
  --acme-email EMAIL         certificates browsers trust, from Let's Encrypt (ACME HTTP-01), for every
                             app domain and admin.BASE; EMAIL is the ACME account's contact. Point DNS
                             at this server first. Without it, the platform CA issues them.
  --acme-directory URL       another ACME server's directory, e.g. Let's Encrypt's staging one
                             (default https://acme-v02.api.letsencrypt.org/directory)
  --acme-ca-file FILE        a CA bundle to trust for the ACME server (a private or test one)
  --no-acme                  turn ACME off again: the platform CA's certificates serve again
  --node-socket PATH         each node's own Docker socket, as its node agent mounts it (default
                             $MINICLOUD_NODE_SOCKET, else the engine's socket; a test swarm whose
                             hosts share one machine gives each engine its own at one path)
  --timeout SECONDS          how long to wait for the services to be healthy (default 600)
Options not given on a re-run keep their installed values.
USAGE
}

DATA_DIR=/data/minicloud
OPT_DOMAIN='' OPT_IMAGES='' OPT_ADDR='' OPT_ENDPOINT='' OPT_KEEP='' OPT_POOL='' OPT_CLI='' TIMEOUT=600
OPT_ACME_EMAIL='' OPT_ACME_DIR='' OPT_ACME_CA='' OPT_NO_ACME='' OPT_NODE_SOCK=${MINICLOUD_NODE_SOCKET:-}

parse_args() {
  while [ $# -gt 0 ]; do
    local opt=$1
    case "$opt" in
      --*=*) set -- "${opt%%=*}" "${opt#*=}" "${@:2}"; continue ;;
      -h | --help) usage; exit 0 ;;
      --no-acme) OPT_NO_ACME=1; shift; continue ;;
    esac
    [ $# -ge 2 ] || { usage >&2; fail "option $opt needs a value"; }
    case "$opt" in
      --domain) OPT_DOMAIN=$2 ;;
      --images) OPT_IMAGES=$2 ;;
      --data-dir) DATA_DIR=$2 ;;
      --advertise-addr) OPT_ADDR=$2 ;;
      --endpoint-mode) OPT_ENDPOINT=$2 ;;
      --registry-keep) OPT_KEEP=$2 ;;
      --default-addr-pool) OPT_POOL=$2 ;;
      --cli-path) OPT_CLI=$2 ;;
      --timeout) TIMEOUT=$2 ;;
      --acme-email) OPT_ACME_EMAIL=$2 ;;
      --acme-directory) OPT_ACME_DIR=$2 ;;
      --acme-ca-file) OPT_ACME_CA=$2 ;;
      --node-socket) OPT_NODE_SOCK=$2 ;;
      *) usage >&2; fail "unknown option $opt" ;;
    esac
    shift 2
  done
  case "$OPT_IMAGES" in '' | hub | debian | auto) ;; *) fail "--images must be hub, debian or auto" ;; esac
  case "$OPT_ENDPOINT" in '' | vip | dnsrr | auto) ;; *) fail "--endpoint-mode must be vip, dnsrr or auto" ;; esac
  [[ $DATA_DIR =~ ^/[A-Za-z0-9._/-]+$ ]] && [[ ! $DATA_DIR =~ (^|/)\.\.?(/|$) ]] ||
    fail "--data-dir must be an absolute path of letters, digits, '.', '_', '-' and '/'"
  DATA_DIR=${DATA_DIR%/}
  [ -z "$OPT_DOMAIN" ] || [[ $OPT_DOMAIN =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$ ]] ||
    fail "--domain must be a lower-case DNS name such as example.com"
  [ -z "$OPT_ADDR" ] || [[ $OPT_ADDR =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--advertise-addr must be an IPv4 address"
  [ -z "$OPT_KEEP" ] || [[ $OPT_KEEP =~ ^[0-9]+$ ]] || fail "--registry-keep must be a whole number"
  [[ $TIMEOUT =~ ^[0-9]+$ ]] || fail "--timeout must be a number of seconds"
  [ -z "$OPT_NODE_SOCK" ] || { [[ $OPT_NODE_SOCK =~ ^/[A-Za-z0-9._/-]+$ ]] && [[ ! $OPT_NODE_SOCK =~ (^|/)\.\.?(/|$) ]]; } ||
    fail "--node-socket must be an absolute path of letters, digits, '.', '_', '-' and '/'"
  [ -z "$OPT_ACME_EMAIL" ] || [[ $OPT_ACME_EMAIL =~ ^[A-Za-z0-9._%+-]+@[a-z0-9.-]+\.[a-z0-9-]+$ ]] ||
    fail "--acme-email must be an e-mail address such as ops@example.com"
  [ -z "$OPT_ACME_DIR" ] || [[ $OPT_ACME_DIR =~ ^https://[A-Za-z0-9.-]+(:[0-9]+)?(/[A-Za-z0-9._~%/-]*)?$ ]] ||
    fail "--acme-directory must be an https:// URL"
  [ -z "$OPT_ACME_CA" ] || [ -r "$OPT_ACME_CA" ] || fail "--acme-ca-file $OPT_ACME_CA cannot be read"
  [ -z "$OPT_ACME_CA" ] || grep -q -- '-----BEGIN CERTIFICATE-----' "$OPT_ACME_CA" ||
    fail "--acme-ca-file $OPT_ACME_CA holds no PEM certificate"
  [ -z "$OPT_NO_ACME" ] || [ -z "$OPT_ACME_EMAIL$OPT_ACME_DIR$OPT_ACME_CA" ] ||
    fail "--no-acme cannot go with the other --acme options"
}

# ACME settings: given ones, else the installed ones (--no-acme clears them). The CA bundle is
# copied into the data dir, which the API (and the CLI that runs platform init) can read.
resolve_acme() {
  local recorded="$DATA_DIR/config/platform.json"
  ACME_EMAIL='' ACME_DIR='' ACME_CA=''
  [ -z "$OPT_NO_ACME" ] || { rm -rf "$DATA_DIR/config/acme"; return 0; }
  ACME_EMAIL=${OPT_ACME_EMAIL:-$(platform_value "$recorded" acmeEmail)}
  ACME_DIR=${OPT_ACME_DIR:-$(platform_value "$recorded" acmeDirectory)}
  ACME_CA=$(platform_value "$recorded" acmeCaFile)
  if [ -n "$OPT_ACME_CA" ]; then
    ACME_CA="$DATA_DIR/config/acme/ca.pem"
    mkdir -p "$DATA_DIR/config/acme"
    cmp -s "$OPT_ACME_CA" "$ACME_CA" || install -m 0644 "$OPT_ACME_CA" "$ACME_CA"
  fi
  if [ -z "$ACME_EMAIL" ]; then
    [ -z "$OPT_ACME_DIR$OPT_ACME_CA" ] || fail "--acme-directory and --acme-ca-file need --acme-email"
    ACME_DIR='' ACME_CA=''
  fi
}

apt_install() {
  command -v apt-get >/dev/null || fail "$* missing and this is not a Debian/Ubuntu system: install $* and run again"
  log "installing $* (apt)"
  export DEBIAN_FRONTEND=noninteractive
  { timeout 600 apt-get update -qq && timeout 900 apt-get install -y -qq --no-install-recommends "$@"; } \
    >>"$MC_LOGS/apt.log" 2>&1 || fail "apt-get install $* failed: $(tail -n 5 "$MC_LOGS/apt.log")"
}

ensure_packages() {
  local missing=() tool
  for tool in curl timeout flock sha256sum ip; do command -v "$tool" >/dev/null || missing+=("$tool"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install curl ca-certificates coreutils util-linux iproute2
}

# Docker Engine: reuse a running one; install Debian's docker.io where there is no engine to
# start (a docker client alone is not an engine); start it with systemd where it runs,
# directly where it does not (containers, minimal hosts).
ensure_docker() {
  pick_docker
  engine_up && return 0
  [ -z "${DOCKER_HOST:-}" ] || fail "the Docker Engine at DOCKER_HOST=$DOCKER_HOST does not answer"
  if ! command -v dockerd >/dev/null; then
    if [ -n "$DOCKER" ]; then
      log "found the docker client $DOCKER ($("$DOCKER" --version 2>/dev/null | head -n 1)) but no engine (dockerd): installing Debian's docker.io"
    else
      log "no Docker Engine here: installing Debian's docker.io"
    fi
    apt_install docker.io
    # /usr/bin/docker, the engine's own client, from now on.
    DOCKER=''
    pick_docker
    [ -n "$DOCKER" ] || fail "docker.io installed but no docker command found"
    command -v dockerd >/dev/null || fail "docker.io installed but no dockerd found"
    # Its postinst may have started the engine already.
    wait_until 5 engine_up && return 0
  fi
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null; then
    log "starting docker (systemd)"
    systemctl enable --now docker >>"$MC_LOGS/dockerd.log" 2>&1 || systemctl start docker
  else
    log "no systemd: starting dockerd in the background (log $MC_LOGS/dockerd.log)"
    setsid dockerd </dev/null >>"$MC_LOGS/dockerd.log" 2>&1 9>&- &
  fi
  wait_until 60 engine_up || fail "the Docker Engine did not answer within 60 s; see $MC_LOGS/dockerd.log"
}

# The engine's socket on this host: the API and the CLI wrapper get it mounted. From
# DOCKER_HOST when it names a unix socket (a second engine on the same machine, such as
# the test swarm's), else Docker's default.
engine_socket() {
  case "${DOCKER_HOST:-}" in
    '') echo /var/run/docker.sock ;;
    unix://*) echo "${DOCKER_HOST#unix://}" ;;
    *) fail "DOCKER_HOST=$DOCKER_HOST: minicloud needs the engine's unix socket (unix:///path)" ;;
  esac
}

swarm_state() { dk info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeAddr}}'; }

default_addr() {
  ip -4 route get 1.1.1.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p' | head -n 1
}

# Sets ADDR, this manager's advertise address.
ensure_swarm() {
  local state ctl addr
  read -r state ctl addr <<<"$(swarm_state)"
  if [ "$state" = pending ]; then
    sleep 5
    read -r state ctl addr <<<"$(swarm_state)"
  fi
  case "$state" in
    active)
      [ "$ctl" = true ] || fail "this node is a swarm worker: run install on a manager"
      if [ -n "$OPT_ADDR" ] && [ "$OPT_ADDR" != "$addr" ]; then
        fail "this node already manages a swarm advertised at $addr, not $OPT_ADDR; drop --advertise-addr or re-create the swarm"
      fi
      ADDR=$addr
      log "reusing the swarm this node manages (advertised at $ADDR)"
      ;;
    inactive)
      ADDR=${OPT_ADDR:-$(default_addr)}
      [ -n "$ADDR" ] || fail "cannot tell this node's address: give --advertise-addr"
      log "initialising a swarm advertised at $ADDR"
      dk swarm init --advertise-addr "$ADDR" ${OPT_POOL:+--default-addr-pool "$OPT_POOL"} >>"$MC_LOGS/swarm.log" 2>&1 ||
        fail "docker swarm init failed: $(tail -n 3 "$MC_LOGS/swarm.log")"
      ;;
    *) fail "the engine's swarm state is '$state'; fix it (docker swarm leave --force?) and run again" ;;
  esac
}

detect_endpoint_mode() {
  [ -e /proc/net/ip_vs ] || modprobe -q ip_vs 2>/dev/null || true
  if [ -e /proc/net/ip_vs ]; then echo vip; else echo dnsrr; fi
}

# minicloud-services is internal: MariaDB and RabbitMQ, on it alone, get no route out.
ensure_network() {
  local name=$1 have internal=()
  [ "$name" != minicloud-services ] || internal=(--internal)
  have=$(dk network inspect -f '{{.Driver}} {{.Attachable}} {{.Scope}}' "$name" 2>/dev/null || true)
  if [ -z "$have" ]; then
    log "creating overlay network $name"
    dk network create --driver overlay --attachable "${internal[@]}" --label "$MANAGED_LABEL" "$name" >/dev/null
  elif [ "$have" != "overlay true swarm" ]; then
    fail "network $name exists but is '$have', not an attachable swarm overlay: remove it and run again"
  elif [ ${#internal[@]} -gt 0 ] && [ "$(dk network inspect -f '{{.Internal}}' "$name")" != true ]; then
    log "note: network $name exists without --internal (kept; it is recreated internal after uninstall.sh)"
  fi
}

# Runs the minicloud CLI inside the API image, with the data dir (and optional extra args).
cli() {
  local extra=()
  while [ "${1:-}" != -- ]; do extra+=("$1"); shift; done
  shift
  dk run --rm --label "$MANAGED_LABEL" -v "$DATA_DIR:$DATA_DIR" "${extra[@]}" "${IMAGE[api]}" \
    node packages/cli/bin/minicloud.js "$@"
}

platform_init() {
  local out args=(platform init --data-dir "$DATA_DIR" --domain "$DOMAIN" --registry-addr "$REGISTRY_ADDR"
    --endpoint-mode "$ENDPOINT_MODE" --images "$IMAGES_MODE" --engine-socket "$ENGINE_SOCK"
    --node-socket "$NODE_SOCK" --node-agent-image "$NODE_AGENT_IMAGE"
    ${OPT_KEEP:+--registry-keep "$OPT_KEEP"} ${ACME_EMAIL:+--acme-email "$ACME_EMAIL"}
    ${ACME_DIR:+--acme-directory "$ACME_DIR"} ${ACME_CA:+--acme-ca-file "$ACME_CA"})
  local s
  for s in "${SERVICES[@]}"; do args+=(--image "$s=${IMAGE[$s]}"); done
  out=$(cli --network none -- "${args[@]}" 2>&1) || fail "platform init failed: $out"
  printf '%s\n' "$out" | sed 's/^/  /' >&2
  mapfile -t RESTART < <(printf '%s\n' "$out" | sed -n 's/^restart: //p')
}

ensure_trust() {
  local dest="/etc/docker/certs.d/$REGISTRY_ADDR/ca.crt"
  if ! cmp -s "$DATA_DIR/pki/ca.crt" "$dest"; then
    mkdir -p "$(dirname "$dest")"
    install -m 0644 "$DATA_DIR/pki/ca.crt" "$dest"
    log "the engine trusts the platform CA for $REGISTRY_ADDR ($dest)"
  fi
}

service_names() { dk service ls --filter "label=com.docker.stack.namespace=$STACK" --format '{{.Name}}'; }

# Through minicloud's own Engine-API deploy (the one apps get), run from the API image: a
# service whose spec is unchanged is left alone, and objects `docker stack deploy` made for
# the stack before (earlier versions deployed with it) are taken over (--adopt). Like
# `docker stack deploy` it does not wait: wait_healthy does, with the reasons.
deploy() {
  BEFORE=$(service_names | tr '\n' ' ')
  DK_TIMEOUT=300 cli --network none -v "$ENGINE_SOCK:/var/run/docker.sock" -- stack deploy "$STACK" \
    -c "$DATA_DIR/config/management/minicloud.yml" --prune --adopt --detach \
    >>"$MC_LOGS/deploy.log" 2>&1 || fail "the management stack deploy failed: $(tail -n 5 "$MC_LOGS/deploy.log")"
}

# Files a running service reads changed: nginx reloads, the others restart.
apply_restarts() {
  local s cid
  for s in "${RESTART[@]}"; do
    [[ " $BEFORE " == *" $STACK_PREFIX$s "* ]] || continue
    if [ "$s" = proxy ] && cid=$(service_container proxy) && [ -n "$cid" ]; then
      dk exec "$cid" nginx -t -c /etc/nginx/minicloud/nginx.conf >>"$MC_LOGS/deploy.log" 2>&1 ||
        fail "the new proxy configuration does not pass nginx -t: $(tail -n 3 "$MC_LOGS/deploy.log")"
      dk exec "$cid" nginx -s reload -c /etc/nginx/minicloud/nginx.conf >/dev/null
      log "reloaded nginx"
    else
      log "restarting $STACK_PREFIX$s (its configuration or certificate changed)"
      dk service update --force --detach=true "$STACK_PREFIX$s" >/dev/null
    fi
  done
}

# Healthy: idle by design (0/0), or one task running for the current spec, no update in flight, and its container's
# healthcheck passing.
service_healthy() {
  local name=$STACK_PREFIX$1 replicas update cid health task
  replicas=$(dk service ls --filter "name=$name" --format '{{.Name}} {{.Replicas}}' | awk -v n="$name" '$1 == n { print $2 }')
  # A shared service no app needs is rendered with 0 replicas (the API starts it on demand).
  [ "$replicas" != 0/0 ] || return 0
  [ "$replicas" = 1/1 ] || return 1
  update=$(dk service inspect -f '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}' "$name")
  case "$update" in updating | rollback_started | paused | rollback_paused) return 1 ;; esac
  cid=$(service_container "$1")
  [ -n "$cid" ] || return 1
  task=$(dk inspect -f '{{index .Config.Labels "com.docker.swarm.task.id"}}' "$cid")
  dk service ps -q --no-trunc --filter desired-state=running "$name" | grep -qx "$task" || return 1
  health=$(dk inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$cid")
  [ "$health" = healthy ]
}

all_healthy() {
  local s
  for s in "${SERVICES[@]}"; do service_healthy "$s" || return 1; done
}

wait_healthy() {
  if ! wait_until "$TIMEOUT" all_healthy; then
    local s report=''
    for s in "${SERVICES[@]}"; do
      service_healthy "$s" && continue
      report+=$'\n'"  $STACK_PREFIX$s: $(dk service ps --no-trunc --format '{{.CurrentState}} {{.Error}}' "$STACK_PREFIX$s" 2>&1 | head -n 2 | tr '\n' ';')"
      local cid
      cid=$(service_container "$s")
      [ -z "$cid" ] || report+=$'\n'"    logs: $(dk logs --tail 5 "$cid" 2>&1 | tr '\n' ' ' | cut -c1-400)"
    done
    fail "services not healthy after $TIMEOUT s:$report"
  fi
}

# The node agents run on every node, and a worker has none of the management images (built or
# pulled on the manager): theirs is the proxy's image under a name in the platform's registry.
# Tagged here first, so the manager's agent starts before the registry is up.
node_agent_image() {
  NODE_AGENT_IMAGE="$REGISTRY_ADDR/minicloud/node-agent:${IMAGE[proxy]##*-}"
  [ "$(image_id "$NODE_AGENT_IMAGE" 2>/dev/null || true)" = "$(image_id "${IMAGE[proxy]}")" ] ||
    dk tag "${IMAGE[proxy]}" "$NODE_AGENT_IMAGE"
}

# Once the registry serves and we are logged in: the image goes into it, and the agents' service
# gets the registry credentials, so a worker (one joining later too) can pull it. Neither
# changes anything on a re-run that has nothing new.
publish_node_agent_image() {
  DK_TIMEOUT=300 dk push "$NODE_AGENT_IMAGE" >>"$MC_LOGS/deploy.log" 2>&1 ||
    fail "docker push $NODE_AGENT_IMAGE failed: $(tail -n 3 "$MC_LOGS/deploy.log")"
  dk service update --with-registry-auth --detach=true --quiet "${STACK_PREFIX}node-agent" >>"$MC_LOGS/deploy.log" 2>&1 ||
    fail "could not give the node agents the registry's credentials: $(tail -n 3 "$MC_LOGS/deploy.log")"
}

ensure_login() {
  local config="${DOCKER_CONFIG:-${HOME:-/root}/.docker}/config.json" auth
  auth=$(printf '%s:%s' "$REGISTRY_USER" "$(cat "$DATA_DIR/secrets/registry-password")" | base64 -w0)
  if [ -f "$config" ] && grep -q "\"auth\": \"$auth\"" "$config"; then return 0; fi
  tr -d '\n' <"$DATA_DIR/secrets/registry-password" |
    dk login "$REGISTRY_ADDR" -u "$REGISTRY_USER" --password-stdin >>"$MC_LOGS/deploy.log" 2>&1 ||
    fail "docker login $REGISTRY_ADDR failed: $(tail -n 3 "$MC_LOGS/deploy.log")"
  log "logged in to the registry $REGISTRY_ADDR as $REGISTRY_USER (for docker push and --with-registry-auth)"
}

CLI_MARKER='# minicloud CLI wrapper, written by minicloud install/install.sh'

ensure_cli() {
  [ "$CLI_PATH" != none ] || return 0
  if [ -e "$CLI_PATH" ] && ! grep -qF "$CLI_MARKER" "$CLI_PATH"; then
    log "$CLI_PATH exists and is not ours: not installing the minicloud command (use --cli-path)"
    return 0
  fi
  local text
  text=$(
    cat <<EOF
#!/bin/sh
$CLI_MARKER
# Runs the minicloud CLI in its image with the Docker socket, the data dir and the current dir.
# A path named on the command line elsewhere (app add --compose FILE, apply DIR, -o FILE) is
# seen at the same path: its directory is mounted too. Not a system directory (it would hide
# the image's own), nor one with blanks: give those from the current dir.
tty=; [ -t 0 ] && [ -t 1 ] && tty=-t
mounts=
for arg in "\$@"; do
  path=\${arg#--*=}
  case "\$path" in */*) ;; *) continue ;; esac
  [ -e "\$path" ] || [ -d "\$(dirname -- "\$path")" ] || continue
  dir=\$(cd "\$(dirname -- "\$path")" 2>/dev/null && pwd -P) || continue
  case "\$dir" in / | "\$PWD" | $DATA_DIR | *[[:space:]]*) continue ;; esac
  case "\$dir" in /usr | /usr/* | /etc | /etc/* | /bin* | /sbin* | /lib* | /app | /app/* | /proc* | /sys | /sys/* | /dev* | /run* | /var/run* | /boot*) continue ;; esac
  case " \$mounts " in *" \$dir:\$dir "*) continue ;; esac
  mounts="\$mounts -v \$dir:\$dir"
done
exec $DOCKER -H unix://$ENGINE_SOCK run --rm -i \$tty --network host --label $MANAGED_LABEL \\
  -v $ENGINE_SOCK:/var/run/docker.sock -v $DATA_DIR:$DATA_DIR -v "\$PWD:\$PWD" \$mounts -w "\$PWD" \\
  -e MINICLOUD_DATA_DIR=$DATA_DIR ${IMAGE[api]} node /app/packages/cli/bin/minicloud.js "\$@"
EOF
  )
  if [ "$(cat "$CLI_PATH" 2>/dev/null || true)" != "$text" ]; then
    mkdir -p "$(dirname "$CLI_PATH")"
    printf '%s\n' "$text" >"$CLI_PATH.tmp" && chmod 0755 "$CLI_PATH.tmp" && mv "$CLI_PATH.tmp" "$CLI_PATH"
    log "installed the minicloud command at $CLI_PATH"
  fi
}

write_state() {
  local text
  text=$(printf 'CLI_PATH=%s\nREGISTRY_ADDR=%s\n' "$CLI_PATH" "$REGISTRY_ADDR")
  [ "$(cat "$DATA_DIR/install.env" 2>/dev/null || true)" = "$text" ] || printf '%s\n' "$text" >"$DATA_DIR/install.env"
}

summary() {
  local join certs="the CA certificate is
            $DATA_DIR/pki/ca.crt, also at http://$ADDR/.well-known/minicloud/ca.crt"
  [ -z "$ACME_EMAIL" ] || certs="its certificate comes from the ACME server once DNS points here"
  join=$(cli -v "$ENGINE_SOCK:/var/run/docker.sock" -- platform join-command --data-dir "$DATA_DIR" 2>&1) ||
    join="(could not compute it: $join)"
  cat <<EOF

minicloud is up ($((SECONDS - T0)) s).
  admin:    https://admin.$DOMAIN/  (point admin.$DOMAIN at $ADDR; $certs)
  token:    $(cat "$DATA_DIR/secrets/admin-token")  (in $DATA_DIR/secrets/admin-token)
  registry: $REGISTRY_ADDR  (user $REGISTRY_USER; push with: minicloud push IMAGE)
  images:   $IMAGES_MODE, endpoint mode $ENDPOINT_MODE, data in $DATA_DIR

To add a worker node, run this on it as root (\`minicloud node join-command\` prints it again):
$join
EOF
}

main() {
  parse_args "$@"
  T0=$SECONDS
  step root
  [ "$(id -u)" = 0 ] || fail "install.sh must run as root (try: sudo install/install.sh ...)"
  mkdir -p "$DATA_DIR/logs" "$DATA_DIR/build"
  MC_LOGS="$DATA_DIR/logs" MC_BUILD="$DATA_DIR/build"
  exec 9>>"$DATA_DIR/.install.lock"
  flock -w 600 9 || fail "another install holds $DATA_DIR/.install.lock"
  # No BuildKit: the images are built with the classic builder, which needs no buildx.
  export DOCKER_BUILDKIT=0

  local recorded="$DATA_DIR/config/platform.json" previous_addr
  previous_addr=$(platform_value "$recorded" registryAddr)

  step packages;            ensure_packages
  step 'docker engine';     ensure_docker
  ENGINE_SOCK=$(engine_socket)
  NODE_SOCK=${OPT_NODE_SOCK:-$(platform_value "$recorded" nodeSocket)}
  # Unset: the manager's own socket path; /var/run/docker.sock on a machine with one engine.
  NODE_SOCK=${NODE_SOCK:-$ENGINE_SOCK}
  step swarm;               ensure_swarm
  REGISTRY_ADDR="$ADDR:$REGISTRY_PORT"
  [ -z "$previous_addr" ] || [ "$previous_addr" = "$REGISTRY_ADDR" ] ||
    log "the registry address changes from $previous_addr to $REGISTRY_ADDR: nodes must trust and log in to the new one"

  step 'endpoint mode'
  ENDPOINT_MODE=${OPT_ENDPOINT:-$(platform_value "$recorded" endpointMode)}
  [ -n "$ENDPOINT_MODE" ] && [ "$ENDPOINT_MODE" != auto ] || ENDPOINT_MODE=$(detect_endpoint_mode)
  log "endpoint mode $ENDPOINT_MODE"

  step networks
  for n in "${NETWORKS[@]}"; do ensure_network "$n"; done

  step 'image mode'
  IMAGES_MODE=${OPT_IMAGES:-$(platform_value "$recorded" imagesMode)}
  if [ -z "$IMAGES_MODE" ] || [ "$IMAGES_MODE" = auto ]; then
    . "$HERE/lib/images.sh"
    IMAGES_MODE=$(detect_images_mode)
    [ "$IMAGES_MODE" = hub ] || log "Docker Hub cannot be reached: using images built from Debian packages (--images=debian)"
  fi
  log "images: $IMAGES_MODE"
  DOMAIN=${OPT_DOMAIN:-$(platform_value "$recorded" domain)}
  DOMAIN=${DOMAIN:-minicloud.localhost}
  REGISTRY_USER=$(platform_value "$recorded" registryUser)
  REGISTRY_USER=${REGISTRY_USER:-minicloud}
  CLI_PATH=${OPT_CLI:-$(sed -n 's/^CLI_PATH=//p' "$DATA_DIR/install.env" 2>/dev/null || true)}
  CLI_PATH=${CLI_PATH:-/usr/local/bin/minicloud}
  resolve_acme
  [ -z "$ACME_EMAIL" ] || log "certificates from the ACME server at ${ACME_DIR:-the default directory} (account $ACME_EMAIL)"
  API_VERSION=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$REPO/packages/api/package.json")

  step images
  . "$HERE/lib/images.sh"
  ensure_images "$IMAGES_MODE"
  node_agent_image

  step 'platform init';     platform_init
  step 'registry trust';    ensure_trust
  step deploy;              deploy
  step restarts;            apply_restarts
  step 'wait for health';   wait_healthy
  step 'registry login';    ensure_login
  step 'node agent image';  publish_node_agent_image
  step 'minicloud command'; ensure_cli
  step 'clean up';          write_state; prune_images
  summary
}

# Sourced (by a test of one step), it only defines the steps.
[[ ${BASH_SOURCE[0]} != "$0" ]] || main "$@"
