# Shared by install.sh and uninstall.sh. Sourced, never run.
# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034  # settings are read by the sourcing scripts

MC_PROG=${MC_PROG:-minicloud}
# log, step, fail, on_err and unmount_under, with messages prefixed by MC_PROG.
# shellcheck source=steps.sh
. "$(dirname "${BASH_SOURCE[0]}")/steps.sh"

STACK=minicloud
NETWORKS=(minicloud-proxy minicloud-services)
SERVICES=(proxy registry mariadb rabbitmq postgres redis api)
REGISTRY_PORT=5443
MANAGED_LABEL=minicloud.managed=true

# The Debian client when there is one: /usr/local/bin/docker may be a newer CLI whose
# `build` needs buildx. DOCKER may be set to choose another.
pick_docker() {
  if [ -n "${DOCKER:-}" ]; then return 0; fi
  if [ -x /usr/bin/docker ]; then DOCKER=/usr/bin/docker; else DOCKER=$(command -v docker || true); fi
}

# Every docker call is bounded: a wedged daemon turns into an error naming the step.
dk() { timeout "${DK_TIMEOUT:-120}" "$DOCKER" "$@"; }

engine_up() { [ -n "${DOCKER:-}" ] && dk version --format '{{.Server.Version}}' >/dev/null 2>&1; }

# wait_until SECONDS CMD... : poll CMD until it succeeds or time runs out. Install's own:
# scripts/engine/lib.sh's polls every 0.3 s, this one every 0.5 s.
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
