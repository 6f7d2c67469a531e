# Shared by install.sh and uninstall.sh. Sourced, never run.
# shellcheck shell=bash disable=SC2034  # settings are read by the sourcing scripts

MC_PROG=${MC_PROG:-minicloud}
MC_STEP=init
STACK=minicloud
NETWORKS=(minicloud-proxy minicloud-services)
SERVICES=(proxy registry mariadb rabbitmq api)
REGISTRY_PORT=5443
MANAGED_LABEL=minicloud.managed=true

log() { printf '%s: %s\n' "$MC_PROG" "$*" >&2; }

step() {
  MC_STEP=$1
  log "$1"
}

fail() {
  printf "%s: step '%s' failed: %s\n" "$MC_PROG" "$MC_STEP" "$*" >&2
  exit 1
}

# With `set -E` this fires for any unhandled failing command, so even a bare `set -e` exit
# names the step that broke.
on_err() {
  local rc=$1 line=$2 cmd=$3
  trap - ERR
  printf "%s: step '%s' failed: command \`%s\` exited %s (%s line %s)\n" \
    "$MC_PROG" "$MC_STEP" "$cmd" "$rc" "${BASH_SOURCE[1]##*/}" "$line" >&2
  exit "$rc"
}

# The Debian client when there is one: /usr/local/bin/docker may be a newer CLI whose
# `build` needs buildx. DOCKER may be set to choose another.
pick_docker() {
  if [ -n "${DOCKER:-}" ]; then return 0; fi
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=$(command -v docker || true); fi
}

# Every docker call is bounded: a wedged daemon turns into an error naming the step.
dk() { timeout "${DK_TIMEOUT:-120}" "$DOCKER" "$@"; }

engine_up() { [ -n "${DOCKER:-}" ] && dk version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# wait_until SECONDS CMD... : poll CMD until it succeeds or time runs out.
wait_until() {
  local limit=$1 start=$SECONDS
  shift
  until "$@"; do
    [ $((SECONDS - start)) -lt "$limit" ] || return 1
    sleep 0.5
  done
}

# A setting from config/platform.json (pretty-printed: settings are at 4 spaces).
platform_value() {
  local file=$1 key=$2
  [ -f "$file" ] || return 0
  sed -n "s/^    \"$key\": \"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}\$/\1/p" "$file" | head -n 1
}

# The one container of a service on this node (management services run on the manager).
service_container() {
  dk ps -q --filter "label=com.docker.swarm.service.name=$STACK_PREFIX$1" --filter status=running | head -n 1
}
STACK_PREFIX="${STACK}_"

# debootstrap leaves /proc and /sys mounted in a rootfs if it dies half-way; the image
# builds (scripts/engine/images.sh) call this before removing one.
unmount_under() {
  local dir=$1
  findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
