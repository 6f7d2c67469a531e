# Shared by up.sh, down.sh and test/engine/worker-node.sh. Sourced, never run.
# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034  # the settings below are read by the sourcing scripts

# The step and log helpers: the installer's, with messages under this script's MC_PROG.
# shellcheck source=../../install/lib/steps.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../install/lib/steps.sh"

MC_ROOT=/var/lib/minicloud-test
MC_RUN="$MC_ROOT/run"
MC_LOGS="$MC_ROOT/logs"
MC_BUILD="$MC_ROOT/build"

MGR_DATA="$MC_ROOT/docker"
MGR_SOCK=/var/run/docker.sock
MGR_PIDFILE="$MC_RUN/dockerd.pid"
MGR_LOG="$MC_LOGS/dockerd.log"

W1_DIR="$MC_ROOT/w1"
W1_DATA="$W1_DIR/data"
W1_EXEC="$W1_DIR/exec"
W1_SOCK="$W1_DIR/docker.sock"
W1_PIDFILE="$W1_DIR/docker.pid"
W1_LOG="$MC_LOGS/w1-dockerd.log"
W1_HOSTNAME=mc-w1
W1_LABEL=minicloud.test=worker1

NETNS=mc-w1
NETNS_PATH="/var/run/netns/$NETNS"
VETH_HOST=mc-vh1
VETH_W1=mc-vw1
HOST_IP=10.77.0.1
W1_IP=10.77.0.2

REGISTRY_ADDR="$HOST_IP:5000"
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
