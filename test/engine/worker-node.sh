#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A second, bare worker machine for the platform tests: its own network namespace mc-w2
# (10.78.0.2, host side 10.78.0.1) and its own dockerd, started the way scripts/engine/up.sh
# starts mc-w1 (nsenter, not `ip netns exec`), but NOT joined to the swarm: joining it is
# what install/join-worker.sh is tested for.
#   worker-node.sh up     prints DOCKER_HOST=... for the new engine
#   worker-node.sh down   leaves the swarm, stops the dockerd by its pid, deletes the netns
#                         and the dockerd's data
set -Eeuo pipefail

MC_PROG=worker-node
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=../../scripts/engine/lib.sh
. "$REPO/scripts/engine/lib.sh"
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

W2_NETNS=mc-w2
W2_NETNS_PATH=/var/run/netns/$W2_NETNS
W2_VETH_HOST=mc-vh2
W2_VETH=mc-vw2
W2_HOST_IP=10.78.0.1
W2_IP=10.78.0.2
W2_DIR="$MC_ROOT/w2"
W2_DATA="$W2_DIR/data"
W2_EXEC="$W2_DIR/exec"
W2_SOCK="$W2_DIR/docker.sock"
W2_PIDFILE="$W2_DIR/docker.pid"
W2_LOG="$MC_LOGS/w2-dockerd.log"

w2() { timeout "${DK_TIMEOUT:-60}" "$DOCKER" -H "unix://$W2_SOCK" "$@"; }

up() {
  mkdir -p "$MC_LOGS" "$W2_DATA" "$W2_EXEC"
  if [ -e "$W2_NETNS_PATH" ] && ! nsenter --net="$W2_NETNS_PATH" true 2>/dev/null; then
    ip netns delete "$W2_NETNS" 2>/dev/null || rm -f "$W2_NETNS_PATH"
  fi
  [ -e "$W2_NETNS_PATH" ] || ip netns add "$W2_NETNS"
  if ! ip link show "$W2_VETH_HOST" >/dev/null 2>&1; then
    ip link add "$W2_VETH_HOST" type veth peer name "$W2_VETH" netns "$W2_NETNS"
    ip addr add "$W2_HOST_IP/24" dev "$W2_VETH_HOST"
    ip link set "$W2_VETH_HOST" up
    ip -n "$W2_NETNS" addr add "$W2_IP/24" dev "$W2_VETH"
    ip -n "$W2_NETNS" link set "$W2_VETH" up
    ip -n "$W2_NETNS" link set lo up
    ip -n "$W2_NETNS" route add default via "$W2_HOST_IP"
  fi
  # The manager must speak to this node from its advertised address (10.77.0.1), as a real
  # host with one address would: the overlay's VXLAN packets from 10.78.0.1 are dropped.
  ip route replace "${W2_HOST_IP%.*}.0/24" dev "$W2_VETH_HOST" src "$HOST_IP"
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || sysctl -qw net.ipv4.ip_forward=1
  if ! ping_sock "$W2_SOCK"; then
    clear_stale_containerd_pid "$W2_EXEC/containerd/containerd.pid"
    rm -f "$W2_PIDFILE"
    # shellcheck disable=SC2016 # $0/$@ belong to the inner sh
    setsid nsenter --net="$W2_NETNS_PATH" -- unshare --uts -- \
      sh -c 'hostname "$0" && exec "$@"' mc-w2 \
      dockerd --data-root "$W2_DATA" --exec-root "$W2_EXEC" --pidfile "$W2_PIDFILE" \
      -H "unix://$W2_SOCK" --iptables=false </dev/null >>"$W2_LOG" 2>&1 &
    wait_until 60 ping_sock "$W2_SOCK" || fail "the mc-w2 dockerd did not start; see $W2_LOG"
  fi
  echo "DOCKER_HOST=unix://$W2_SOCK"
}

down() {
  local nid pid
  if ping_sock "$W2_SOCK"; then
    nid=$(w2 info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
    w2 swarm leave --force >/dev/null 2>&1 || true
    if [ -n "$nid" ] && ping_sock "$MGR_SOCK"; then
      wait_until 30 sh -c "[ \"\$($DOCKER -H unix://$MGR_SOCK node inspect -f '{{.Status.State}}' $nid 2>/dev/null)\" != ready ]" || true
      dk node rm --force "$nid" >/dev/null 2>&1 || true
    fi
  fi
  if pid=$(find_dockerd "$W2_PIDFILE" "$W2_DATA"); then stop_pid "$pid" "mc-w2 dockerd"; fi
  ip link del "$W2_VETH_HOST" 2>/dev/null || true
  if [ -e "$W2_NETNS_PATH" ]; then ip netns delete "$W2_NETNS" 2>/dev/null || rm -f "$W2_NETNS_PATH"; fi
  # A bare machine next time: no images, no swarm state.
  unmount_under "$W2_DIR"
  rm -rf --one-file-system "$W2_DIR"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) fail "usage: worker-node.sh up|down" ;;
esac
