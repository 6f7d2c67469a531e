# Shared by up.sh, down.sh and test/engine/worker-node.sh. Sourced, never run.
# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034  # the settings below are read by the sourcing scripts

# The step and log helpers: the installer's, with messages under this script's MC_PROG.
# shellcheck source=../../install/lib/steps.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../install/lib/steps.sh"

MC_ROOT=/var/lib/minicloud-test
MC_RUN="$MC_ROOT/run"
MC_LOGS="$MC_ROOT/logs"
MC_BUILD="$MC_ROOT/build"

# The test swarm's hosts are network namespaces on one bridge, each with its own dockerd:
# nothing of the test swarm lives in the host's own network namespace or on the host's
# Docker socket, so a minicloud installed on this machine (its dockerd on
# /var/run/docker.sock, its ports 80/443/5443, its swarm ports) is never used or disturbed.
# The host itself is TEST_NET.254 on the bridge: tests reach the hosts' published ports there.
TEST_NET=10.79.0
BRIDGE=mc-test-br
BRIDGE_IP=$TEST_NET.254
HOSTS_DIR="$MC_ROOT/hosts"

# host_var NAME FIELD: the settings of a test host, derived from its name alone.
#   netns mc-test-NAME, veth mct-NAME (bridge side) / mct-NAME-in, dirs under hosts/NAME.
host_netns() { printf 'mc-test-%s' "$1"; }
host_netns_path() { printf '/var/run/netns/mc-test-%s' "$1"; }
host_dir() { printf '%s/%s' "$HOSTS_DIR" "$1"; }
host_sock() { printf '%s/%s/docker.sock' "$HOSTS_DIR" "$1"; }
host_data() { printf '%s/%s/data' "$HOSTS_DIR" "$1"; }
host_pidfile() { printf '%s/%s/docker.pid' "$HOSTS_DIR" "$1"; }
host_log() { printf '%s/%s-dockerd.log' "$MC_LOGS" "$1"; }

# Each test host's dockerd runs in a mount namespace of its own, where THIS_NODE is its own
# host dir: a path that means "this node's engine" on every node, as /var/run/docker.sock
# does on real machines (the platform's per-node agent mounts it; --node-socket). On the
# host itself the directory stays empty, so nothing there reaches an installed platform.
THIS_NODE="$MC_ROOT/this-node"
NODE_SOCK="$THIS_NODE/docker.sock"

MGR=mgr
MGR_IP=$TEST_NET.1
MGR_SOCK=$(host_sock "$MGR")
MGR_DATA=$(host_data "$MGR")

W1=w1
W1_IP=$TEST_NET.2
W1_SOCK=$(host_sock "$W1")
W1_DATA=$(host_data "$W1")
W1_HOSTNAME=mc-w1
W1_LABEL=minicloud.test=worker1

# What tests call the swarm's address: the manager's.
HOST_IP=$MGR_IP
REGISTRY_ADDR="$MGR_IP:5000"
REGISTRY_NAME=minicloud-test-registry
REGISTRY_VOLUME=minicloud-test-registry

# Only the Debian client: /usr/local/bin/docker may be a newer CLI whose `build`
# needs buildx, which this machine cannot download.
DOCKER=/usr/bin/docker

# Every docker call is bounded: a wedged daemon must turn into an error,
# never into a CI run that hangs until its global timeout.
dk() { timeout "${DK_TIMEOUT:-60}" "$DOCKER" -H "unix://$MGR_SOCK" "$@"; }
wk() { timeout "${DK_TIMEOUT:-60}" "$DOCKER" -H "unix://$W1_SOCK" "$@"; }

ping_sock() {
  [ -S "$1" ] && [ "$(curl -s --max-time 2 --unix-socket "$1" http://localhost/_ping 2>/dev/null)" = OK ]
}

# wait_until SECONDS CMD... : poll CMD until it succeeds or time runs out.
wait_until() {
  local limit=$1 start=$SECONDS
  shift
  until "$@"; do
    [ $((SECONDS - start)) -lt "$limit" ] || return 1
    sleep 0.3
  done
}

# Pid files outlive their processes (kill -9, reboot) and pids get reused, so
# a pid counts only if it is a live dockerd started with our own data root.
# The pgrep fallback finds a daemon of ours whose pid file was lost.
find_dockerd() {
  local file=$1 data=$2 pid=
  [ -f "$file" ] && pid=$(tr -dc '0-9' <"$file")
  if [ -z "$pid" ] || ! is_our_dockerd "$pid" "$data"; then
    pid=$(pgrep -o -f -- "^([^ ]*/)?dockerd --data-root $data( |\$)") || return 1
  fi
  echo "$pid"
}

is_our_dockerd() {
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qE -- "^([^ ]*/)?dockerd --data-root $2 "
}

# dockerd reuses a containerd whose pid file names a live process; after a
# reboot that pid may belong to anything, and dockerd would wait on it forever.
clear_stale_containerd_pid() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(tr -dc '0-9' <"$file")
  if [ -z "$pid" ] || ! grep -qa containerd "/proc/$pid/cmdline" 2>/dev/null; then
    rm -f "$file"
  fi
}

# stop_pid PID LABEL: TERM, wait, then KILL; dockerd needs a few seconds to
# stop its containers, but a hung one must not stall down.sh forever.
stop_pid() {
  local pid=$1 label=$2
  kill -TERM "$pid" 2>/dev/null || return 0
  if ! wait_until 30 pid_gone "$pid"; then
    log "$label (pid $pid) ignored SIGTERM for 30 s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 10 pid_gone "$pid" || fail "$label (pid $pid) survived SIGKILL"
  fi
}

pid_gone() { ! kill -0 "$1" 2>/dev/null; }

# --- the test hosts' network -------------------------------------------------------------

# The bridge the test hosts hang on, the host's address on it, and the way out for image
# builds (the manager's build containers fetch Debian packages): forwarding and NAT for the
# test net only. A dockerd installed on this machine sets the FORWARD policy to DROP, so
# the bridge's traffic is accepted explicitly; the rules are added once, never duplicated.
ensure_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    log "creating bridge $BRIDGE ($BRIDGE_IP/24)"
    ip link add "$BRIDGE" type bridge
  fi
  ip -o -4 addr show dev "$BRIDGE" | grep -q "inet $BRIDGE_IP/24" || ip addr add "$BRIDGE_IP/24" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = 1 ] || sysctl -qw net.ipv4.ip_forward=1
  ipt_once filter FORWARD -i "$BRIDGE" -j ACCEPT
  ipt_once filter FORWARD -o "$BRIDGE" -j ACCEPT
  ipt_once nat POSTROUTING -s "$TEST_NET.0/24" ! -o "$BRIDGE" -j MASQUERADE
}

# remove_bridge: once no test host hangs on it, the bridge and its rules go.
remove_bridge() {
  [ -z "$(ls "/sys/class/net/$BRIDGE/brif" 2>/dev/null)" ] || return 0
  ip link del "$BRIDGE" 2>/dev/null || true
  iptables -w -D FORWARD -i "$BRIDGE" -j ACCEPT 2>/dev/null || true
  iptables -w -D FORWARD -o "$BRIDGE" -j ACCEPT 2>/dev/null || true
  iptables -w -t nat -D POSTROUTING -s "$TEST_NET.0/24" ! -o "$BRIDGE" -j MASQUERADE 2>/dev/null || true
}

# ipt_once TABLE CHAIN RULE...: insert the rule at the top of the chain unless it is there.
ipt_once() {
  local table=$1 chain=$2
  shift 2
  iptables -w -t "$table" -C "$chain" "$@" 2>/dev/null || iptables -w -t "$table" -I "$chain" 1 "$@"
}

host_net_ok() {
  local name=$1 ip=$2 out="mct-$1" in="mct-$1-in" ns
  ns=$(host_netns "$name")
  [ "$(cat "/sys/class/net/$out/operstate" 2>/dev/null)" = up ] &&
    [ "$(basename "$(readlink "/sys/class/net/$out/master" 2>/dev/null)")" = "$BRIDGE" ] &&
    ip -n "$ns" -o -4 addr show dev "$in" 2>/dev/null | grep -q "inet $ip/24" &&
    ip -n "$ns" route show default | grep -q "via $BRIDGE_IP" &&
    ip -n "$ns" -o link show dev lo | grep -q 'UP'
}

# ensure_host_net NAME IP: namespace mc-test-NAME with address IP on the bridge.
ensure_host_net() {
  local name=$1 ip=$2 out="mct-$1" in="mct-$1-in" ns path
  ns=$(host_netns "$name")
  path=$(host_netns_path "$name")
  # After a reboot the file under /var/run/netns survives with no namespace mounted on it;
  # nsenter then fails and the name must be freed.
  if [ -e "$path" ] && ! nsenter --net="$path" true 2>/dev/null; then
    log "stale netns file $path, recreating the namespace"
    ip netns delete "$ns" 2>/dev/null || rm -f "$path"
  fi
  [ -e "$path" ] || ip netns add "$ns"
  host_net_ok "$name" "$ip" && return 0
  log "connecting $ns ($ip) to $BRIDGE"
  ip link del "$out" 2>/dev/null || true
  ip -n "$ns" link del "$in" 2>/dev/null || true
  ip link add "$out" type veth peer name "$in" netns "$ns"
  ip link set "$out" master "$BRIDGE"
  ip link set "$out" up
  ip -n "$ns" addr add "$ip/24" dev "$in"
  ip -n "$ns" link set "$in" up
  ip -n "$ns" link set lo up
  ip -n "$ns" route add default via "$BRIDGE_IP"
  wait_until 10 host_net_ok "$name" "$ip" || fail "$ns did not come up on $BRIDGE"
}

# remove_host_net NAME: the veth and the namespace.
remove_host_net() {
  local ns path
  ns=$(host_netns "$1")
  path=$(host_netns_path "$1")
  ip link del "mct-$1" 2>/dev/null || true
  if [ -e "$path" ]; then ip netns delete "$ns" 2>/dev/null || rm -f "$path"; fi
}

# start_host_dockerd NAME HOSTNAME [DOCKERD-ARG...]: the test host's dockerd, in its network
# namespace, a UTS namespace of its own (its hostname in `docker node ls`) and a mount
# namespace of its own (THIS_NODE bound to its host dir; mounts made there stay private),
# with data, exec root, socket and pid file under hosts/NAME. Returns 1 with the reason in
# START_ERR.
# nsenter, not `ip netns exec`: the latter remounts /sys and dockerd then fails with
# "Devices cgroup isn't mounted".
start_host_dockerd() {
  local name=$1 hostname=$2 dir
  shift 2
  dir=$(host_dir "$name")
  mkdir -p "$dir/data" "$dir/exec" "$MC_LOGS" "$THIS_NODE"
  clear_stale_containerd_pid "$dir/exec/containerd/containerd.pid"
  # shellcheck disable=SC2016 # $0/$@ belong to the inner sh
  start_dockerd "$name dockerd" "$(host_sock "$name")" "$(host_pidfile "$name")" "$(host_log "$name")" \
    nsenter --net="$(host_netns_path "$name")" -- unshare --uts --mount --propagation private -- \
    sh -c 'hostname "$0" && mount --bind "$1" "$2" && shift 2 && exec "$@"' "$hostname" "$dir" "$THIS_NODE" \
    dockerd --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$(host_pidfile "$name")" \
    -H "unix://$(host_sock "$name")" "$@"
}

# start_dockerd LABEL SOCK PIDFILE LOG COMMAND...
# Returns 1 with the reason in START_ERR, so the caller can choose to repair.
# fd 9 holds the engine lock: closing it for the daemon keeps the lock from
# living on in a process that outlasts this script.
start_dockerd() {
  local label=$1 sock=$2 pidfile=$3 logfile=$4
  shift 4
  log "starting $label"
  rm -f "$pidfile"
  printf '\n==== %s start %s\n' "$MC_PROG" "$(date -Is)" >>"$logfile"
  setsid "$@" </dev/null >>"$logfile" 2>&1 9>&- &
  local pid=$! start=$SECONDS
  until ping_sock "$sock"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      START_ERR="$label exited during startup; last log lines:"$'\n'"$(tail -n 8 "$logfile")"
      return 1
    fi
    if [ $((SECONDS - start)) -ge 60 ]; then
      stop_pid "$pid" "$label"
      START_ERR="$label did not answer $sock/_ping within 60 s; see $logfile"
      return 1
    fi
    sleep 0.2
  done
}

# has_own_mounts PID: the dockerd runs in a mount namespace of its own (a daemon started by an
# older up.sh shares the host's, and its node agent would not reach it through THIS_NODE).
has_own_mounts() { [ "$(stat -L -c %i "/proc/$1/ns/mnt")" != "$(stat -L -c %i /proc/self/ns/mnt)" ]; }

# host_dockerd_pid NAME: the pid of the test host's dockerd, if one of ours runs.
host_dockerd_pid() { find_dockerd "$(host_pidfile "$1")" "$(host_data "$1")"; }

# stop_host_dockerd NAME
stop_host_dockerd() {
  local pid
  if pid=$(host_dockerd_pid "$1"); then
    log "stopping $1 dockerd (pid $pid)"
    stop_pid "$pid" "$1 dockerd"
  fi
}
