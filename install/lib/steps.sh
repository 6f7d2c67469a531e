# Step and log helpers, shared by the installer (install/lib/common.sh) and the test swarm's
# scripts (scripts/engine/lib.sh). Sourced, never run.
# shellcheck shell=bash

# Every message starts with MC_PROG, which the sourcing script sets (engine:up, install, ...).
MC_PROG=${MC_PROG:-engine}
MC_STEP=init

log() { printf '%s: %s\n' "$MC_PROG" "$*" >&2; }

step() {
  MC_STEP=$1
  log "$1"
}

fail() {
  printf "%s: step '%s' failed: %s\n" "$MC_PROG" "$MC_STEP" "$*" >&2
  exit 1
}

# With `set -E` this fires for any unhandled failing command, so a bare
# `set -e` exit still names the step that broke.
on_err() {
  local rc=$1 line=$2 cmd=$3
  trap - ERR
  printf "%s: step '%s' failed: command \`%s\` exited %s (%s line %s)\n" \
    "$MC_PROG" "$MC_STEP" "$cmd" "$rc" "${BASH_SOURCE[1]##*/}" "$line" >&2
  exit "$rc"
}

# A killed dockerd leaves overlay and netns mounts under its roots, and a debootstrap that
# died half-way leaves /proc and /sys mounted in its rootfs; they keep rm -rf from working
# (or let it walk into the host's /sys) and can confuse the next daemon's startup.
unmount_under() {
  local dir=$1
  findmnt -rn -o TARGET | awk -v d="$dir/" 'index($0, d) == 1' | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}
