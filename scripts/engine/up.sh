#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Brings up the real two-node swarm the integration tests run against: a manager and a
# worker, each a dockerd in a network namespace of its own on bridge mc-test-br (see
# lib.sh), locally built images and a plain-HTTP fixture registry on the manager's :5000.
# Nothing of it uses the host's own Docker socket, network namespace or ports.
# Idempotent: each step checks what is there and repairs only what is not.
set -Eeuo pipefail

MC_PROG=engine:up
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
. "$HERE/lib.sh"
. "$HERE/images.sh"
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

# Our calls pass -H themselves; an inherited context or TLS setting would
# point the client elsewhere, and BuildKit is not what the images were tested with.
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
export DOCKER_BUILDKIT=0
# A proxy from the environment must never see test traffic to the test hosts.
export NO_PROXY="${NO_PROXY:+$NO_PROXY,}$HOST_IP,$W1_IP" no_proxy="${no_proxy:+$no_proxy,}$HOST_IP,$W1_IP"

PACKAGES=(docker.io debootstrap iproute2 curl iptables ca-certificates debian-archive-keyring gpgv)

ensure_packages() {
  local missing=()
  read -r -a missing < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null |
    awk -v want="${PACKAGES[*]}" '$2 == "installed" { ok[$1] = 1 }
      END { n = split(want, w, " "); for (i = 1; i <= n; i++) if (!ok[w[i]]) printf "%s ", w[i]; print "" }')
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # docker.io's postinst would start Debian's own dockerd through its init
  # script (wrong data root, no insecure registry); policy-rc.d forbids that.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1
  fi
  local rc=0
  { timeout 600 apt-get update -qq &&
    timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$MC_LOGS/apt.log" 2>&1 || rc=$?
  [ "$added_policy" = 0 ] || rm -f "$policy"
  [ "$rc" = 0 ] || fail "apt-get install ${missing[*]} exited $rc: $(tail -n 5 "$MC_LOGS/apt.log")"
}

ensure_network() {
  ensure_bridge
  ensure_host_net "$MGR" "$MGR_IP"
  ensure_host_net "$W1" "$W1_IP"
}

ensure_manager() {
  local pid
  if pid=$(host_dockerd_pid "$MGR") && ! has_own_mounts "$pid"; then
    log "manager dockerd (pid $pid) shares the host's mount namespace; restarting it in its own"
    stop_pid "$pid" "manager dockerd"
  fi
  if ! ping_sock "$MGR_SOCK"; then
    if pid=$(host_dockerd_pid "$MGR"); then
      log "manager dockerd (pid $pid) is alive but silent; giving it 20 s"
      wait_until 20 ping_sock "$MGR_SOCK" || { stop_pid "$pid" "manager dockerd"; }
    fi
  fi
  ping_sock "$MGR_SOCK" && return 0
  # iptables on: the manager's own namespace has its own tables (NAT for build containers
  # and published ports), which touch nothing of the host's.
  start_host_dockerd "$MGR" mc-mgr --insecure-registry "$REGISTRY_ADDR" || fail "$START_ERR"
}

# Swarm's default pool is 10.0.0.0/8, which contains the test net.
ADDR_POOL=10.10.0.0/16

swarm_state() { dk info --format '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeAddr}}'; }
manager_ready() { dk node ls -q >/dev/null 2>&1; }
manager_settled() { [ "$(dk info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" != pending ]; }

ensure_swarm() {
  local out state ctl addr
  out=$(swarm_state)
  read -r state ctl addr <<<"$out"
  if [ "$state" = pending ]; then
    wait_until 20 manager_settled || true
    out=$(swarm_state)
    read -r state ctl addr <<<"$out"
  fi
  if [ "$state" = active ] && [ "$ctl" = true ] && [ "$addr" = "$HOST_IP" ] &&
    [[ "$(dk info --format '{{.Swarm.Cluster.DefaultAddrPool}}')" == *"$ADDR_POOL"* ]]; then
    wait_until 30 manager_ready || fail "swarm is active but the manager does not list nodes after 30 s"
    return 0
  fi
  if [ "$state" != inactive ]; then
    log "swarm state '$state' (manager: $ctl, addr: $addr) is not ours; leaving and re-initialising"
    dk swarm leave --force >/dev/null
  fi
  dk swarm init --advertise-addr "$HOST_IP" --default-addr-pool "$ADDR_POOL" >/dev/null
  wait_until 30 manager_ready || fail "swarm init returned but the manager does not list nodes"
}

launch_worker() {
  start_host_dockerd "$W1" "$W1_HOSTNAME" --iptables=false --insecure-registry "$REGISTRY_ADDR"
}

# The worker holds nothing that the registry and the manager cannot give it
# again, so a data dir it cannot start from (a kill -9 in the middle of a
# write) is wiped rather than debugged.
start_worker() {
  launch_worker && return 0
  log "$START_ERR"
  log "wiping the worker's data dir $W1_DATA and starting again"
  unmount_under "$(host_dir "$W1")"
  rm -rf --one-file-system "$(host_dir "$W1")/data" "$(host_dir "$W1")/exec"
  launch_worker || fail "$START_ERR"
}

stop_worker() { stop_host_dockerd "$W1"; }

ensure_worker_daemon() {
  local pid
  if pid=$(host_dockerd_pid "$W1"); then
    # A daemon left in a namespace that was since recreated is cut off from
    # the veth: it answers on its socket but can reach no manager.
    if [ "$(stat -L -c %i "/proc/$pid/ns/net")" != "$(stat -L -c %i "$(host_netns_path "$W1")")" ]; then
      log "worker dockerd (pid $pid) runs in an old network namespace; restarting it"
      stop_pid "$pid" "worker dockerd"
    elif ! has_own_mounts "$pid"; then
      log "worker dockerd (pid $pid) shares the host's mount namespace; restarting it in its own"
      stop_pid "$pid" "worker dockerd"
    elif ! wait_until 20 ping_sock "$W1_SOCK"; then
      log "worker dockerd (pid $pid) does not answer; restarting it"
      stop_pid "$pid" "worker dockerd"
    fi
  fi
  ping_sock "$W1_SOCK" || start_worker
}

worker_state() { wk info --format '{{.Swarm.LocalNodeState}} {{.Swarm.NodeID}}'; }
worker_settled() { [ "$(wk info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null)" != pending ]; }

join_worker() {
  local token
  token=$(dk swarm join-token -q worker)
  wk swarm join --token "$token" --advertise-addr "$W1_IP" "$HOST_IP:2377" >/dev/null 2>>"$(host_log "$W1")"
}

# Last resort for a worker whose swarm state cannot be left cleanly: its
# swarm dir is only a cache of the manager's view, the images stay.
wipe_worker_swarm() {
  log "wiping the worker's swarm state and re-joining"
  stop_worker
  unmount_under "$(host_dir "$W1")/exec"
  rm -rf "$W1_DATA/swarm"
  start_worker
}

ensure_worker_joined() {
  local out state nid
  out=$(worker_state)
  read -r state nid <<<"$out"
  if [ "$state" = pending ]; then
    wait_until 20 worker_settled || true
    out=$(worker_state)
    read -r state nid <<<"$out"
  fi
  # The manager knowing the node id is what proves the worker is in *this*
  # swarm; after a manager re-init the worker is still "active" in the old one.
  if [ "$state" = active ] && dk node inspect "$nid" >/dev/null 2>&1; then
    return 0
  fi
  if [ "$state" != inactive ]; then
    log "worker swarm state '$state' (node '$nid') is stale; leaving"
    DK_TIMEOUT=30 wk swarm leave --force >/dev/null 2>&1 || wipe_worker_swarm
  fi
  join_worker || { wipe_worker_swarm && join_worker; } ||
    fail "could not join $W1_SOCK to the swarm at $HOST_IP:2377; see $(host_log "$W1")"
}

worker_ready() { [ "$(dk node inspect -f '{{.Status.State}}' "$1" 2>/dev/null)" = ready ]; }

ensure_nodes() {
  local self nid id
  self=$(dk info --format '{{.Swarm.NodeID}}')
  nid=$(wk info --format '{{.Swarm.NodeID}}')
  if ! wait_until 45 worker_ready "$nid"; then
    log "worker node $nid not Ready after 45 s"
    wipe_worker_swarm
    join_worker || fail "could not re-join $W1_SOCK to the swarm; see $(host_log "$W1")"
    nid=$(wk info --format '{{.Swarm.NodeID}}')
    wait_until 60 worker_ready "$nid" || fail "worker node $nid not Ready 60 s after a fresh join; see $(host_log "$W1")"
  fi
  # Earlier sessions leave their worker behind as a Down node; tests count on
  # exactly one worker, so anything that is neither us nor it goes.
  for id in $(dk node ls -q); do
    [ "$id" = "$self" ] || [ "$id" = "$nid" ] || {
      log "removing stale node $id"
      dk node demote "$id" >/dev/null 2>&1 || true
      dk node rm --force "$id" >/dev/null
    }
  done
  [ "$(dk node inspect -f '{{index .Spec.Labels "minicloud.test"}}' "$nid")" = "${W1_LABEL#*=}" ] ||
    dk node update --label-add "$W1_LABEL" "$nid" >/dev/null
  W1_NODE_ID=$nid
}

registry_up() {
  [ "$(curl -s --noproxy '*' -o /dev/null -w '%{http_code}' --max-time 2 "http://$REGISTRY_ADDR/v2/")" = 200 ]
}

ensure_registry() {
  local want have
  want=$(dk image inspect -f '{{.Id}}' minicloud/registry:2)
  have=$(dk container inspect -f '{{.Image}} {{.State.Running}}' "$REGISTRY_NAME" 2>/dev/null || true)
  if [ "$have" = "$want false" ]; then
    dk start "$REGISTRY_NAME" >/dev/null
  elif [ "$have" != "$want true" ]; then
    [ -z "$have" ] || dk rm -f "$REGISTRY_NAME" >/dev/null
    dk run -d --name "$REGISTRY_NAME" --restart always \
      --label minicloud.test=registry -p "$REGISTRY_ADDR:5000" \
      -v "$REGISTRY_VOLUME:/var/lib/registry" minicloud/registry:2 >/dev/null
  fi
  if ! wait_until 20 registry_up; then
    # The published port is bound to the manager's address when the container starts;
    # if the veth and its address were recreated since, a restart binds it again.
    log "registry does not answer on $REGISTRY_ADDR; restarting it"
    dk restart "$REGISTRY_NAME" >/dev/null
    wait_until 20 registry_up ||
      fail "registry $REGISTRY_NAME does not answer http://$REGISTRY_ADDR/v2/: $(dk logs --tail 5 "$REGISTRY_NAME" 2>&1)"
  fi
}

# Pushes only when the registry lacks the exact manifest this image was last
# pushed as, so a warm run costs one HEAD request per tag.
push_testapp() {
  local v=$1 ref="$REGISTRY_ADDR/hello:$1" remote digests
  dk tag "minicloud/testapp:$v" "$ref"
  remote=$(curl -sI --noproxy '*' --max-time 5 \
    -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$REGISTRY_ADDR/v2/hello/manifests/$v" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')
  digests=$(dk image inspect -f '{{join .RepoDigests " "}}' "minicloud/testapp:$v")
  if [ -n "$remote" ] && [[ " $digests " == *" $REGISTRY_ADDR/hello@$remote "* ]]; then
    return 0
  fi
  log "pushing $ref"
  DK_TIMEOUT=300 dk push "$ref" >>"$MC_LOGS/push.log" 2>&1 ||
    fail "docker push $ref failed: $(tail -n 5 "$MC_LOGS/push.log")"
}

worker_reaches_registry() {
  [ "$(nsenter --net="$(host_netns_path "$W1")" curl -s --noproxy '*' -o /dev/null -w '%{http_code}' \
    --max-time 3 "http://$REGISTRY_ADDR/v2/")" = 200 ]
}

write_env() {
  local mode=vip
  [ -e /proc/net/ip_vs ] || mode=dnsrr
  mkdir -p "$REPO/.engine"
  cat >"$REPO/.engine/env.tmp" <<EOF
export DOCKER_HOST=unix://$MGR_SOCK
export MINICLOUD_WORKER_DOCKER_HOST=unix://$W1_SOCK
export MINICLOUD_SWARM_ADDR=$HOST_IP
export MINICLOUD_TEST_REGISTRY=$REGISTRY_ADDR
export MINICLOUD_ENDPOINT_MODE=$mode
export MINICLOUD_WORKER_NODE_ID=$W1_NODE_ID
export MINICLOUD_WORKER_ADDR=$W1_IP
export MINICLOUD_TEST_HOST_ADDR=$BRIDGE_IP
export MINICLOUD_NODE_SOCKET=$NODE_SOCK
export DOCKER_CONFIG=$MC_ROOT/docker-config
EOF
  mv "$REPO/.engine/env.tmp" "$REPO/.engine/env"
  local gi="$REPO/.gitignore"
  if [ ! -e "$gi" ]; then
    printf '.engine/\nnode_modules/\ndist/\n' >"$gi"
  elif ! grep -qxE '/?\.engine/?' "$gi"; then
    printf '.engine/\n' >>"$gi"
  fi
  cat "$REPO/.engine/env"
}

# Before the test swarm had a namespace of its own, its manager ran in the host's namespace
# on /var/run/docker.sock with a veth mc-vh1 (10.77.0.1) to the worker's namespace mc-w1.
# What such a run left behind goes, unless its daemons still run.
remove_old_layout() {
  if pgrep -f -- "dockerd --data-root $MC_ROOT/(docker|w1/data) " >/dev/null; then
    log "a test dockerd of the old layout still runs; leaving its network and data alone"
    return 0
  fi
  ip link del mc-vh1 2>/dev/null || true
  [ ! -e /var/run/netns/mc-w1 ] || ip netns delete mc-w1 2>/dev/null || true
  local dir
  for dir in "$MC_ROOT/docker" "$MC_ROOT/w1"; do
    [ -e "$dir" ] || continue
    log "removing $dir (old layout)"
    unmount_under "$dir"
    rm -rf --one-file-system "$dir"
  done
}

main() {
  [ "$(id -u)" = 0 ] || fail "needs root (it starts dockerd and creates a network namespace)"
  mkdir -p "$MC_RUN" "$MC_LOGS" "$MC_BUILD"
  local t0=$SECONDS

  step lock
  # Two runs at once (parallel test jobs) would race on the same daemons.
  exec 9>"$MC_RUN/engine.lock"
  flock -w 900 9 || fail "another engine:up/down held $MC_RUN/engine.lock for 900 s"

  step packages;        ensure_packages
  step 'old layout';    remove_old_layout
  step network;         ensure_network
  step 'manager dockerd'; ensure_manager
  step swarm;           ensure_swarm
  step 'worker dockerd'; ensure_worker_daemon
  step 'worker join';   ensure_worker_joined
  step nodes;           ensure_nodes
  step images;          ensure_images
  step registry;        ensure_registry
  step 'registry push'; push_testapp 1; push_testapp 2
  step 'image prune';   prune_images
  step 'worker reaches registry'
  wait_until 10 worker_reaches_registry ||
    fail "the worker namespace cannot reach http://$REGISTRY_ADDR/v2/"
  step env;             write_env
  log "ready in $((SECONDS - t0)) s"
}

main "$@"
