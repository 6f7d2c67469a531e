#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# A second, bare worker machine for the platform tests: test host w2 (network namespace
# mc-test-w2 on the test swarm's bridge, 10.79.0.3) with its own dockerd, started the way
# scripts/engine/up.sh starts the others, but NOT joined to the swarm: joining it is what
# install/join-worker.sh is tested for.
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

W2=w2
W2_IP=$TEST_NET.3
W2_SOCK=$(host_sock "$W2")

w2() { timeout "${DK_TIMEOUT:-60}" "$DOCKER" -H "unix://$W2_SOCK" "$@"; }

up() {
  # A run cut short (its teardown never ran) leaves w2 joined to the swarm, or to a swarm that
  # no longer lists it: start from the bare machine the join test needs, every time.
  if ping_sock "$W2_SOCK" && [ "$(w2 info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true)" != inactive ]; then
    down
  fi
  ensure_bridge
  ensure_host_net "$W2" "$W2_IP"
  if ! ping_sock "$W2_SOCK"; then
    start_host_dockerd "$W2" mc-w2 --iptables=false || fail "$START_ERR"
  fi
  echo "DOCKER_HOST=unix://$W2_SOCK"
}

down() {
  local nid
  if ping_sock "$W2_SOCK"; then
    nid=$(w2 info --format '{{.Swarm.NodeID}}' 2>/dev/null || true)
    w2 swarm leave --force >/dev/null 2>&1 || true
    if [ -n "$nid" ] && ping_sock "$MGR_SOCK"; then
      wait_until 30 sh -c "[ \"\$($DOCKER -H unix://$MGR_SOCK node inspect -f '{{.Status.State}}' $nid 2>/dev/null)\" != ready ]" || true
      dk node rm --force "$nid" >/dev/null 2>&1 || true
    fi
  fi
  stop_host_dockerd "$W2"
  remove_host_net "$W2"
  # A bare machine next time: no images, no swarm state.
  unmount_under "$(host_dir "$W2")"
  rm -rf --one-file-system "$(host_dir "$W2")"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) fail "usage: worker-node.sh up|down" ;;
esac
