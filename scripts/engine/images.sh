# Image builds for up.sh. Sourced, never run.
# shellcheck shell=bash
#
# No registry is reachable from here, so every image starts from a debootstrap
# rootfs. Each image carries a label with a hash of its inputs (files, host
# node version, parent image id); a build runs only when that hash changed, so
# a warm run costs one `image inspect` per image and an edited Dockerfile or
# server.js is still picked up.

SRC_LABEL=minicloud.src
# Bump when the rootfs recipe below changes.
BASE_RECIPE="debootstrap minbase bookworm http://deb.debian.org/debian tweaks-2"

image_src() { dk image inspect -f "{{index .Config.Labels \"$SRC_LABEL\"}}" "$1" 2>/dev/null || true; }
image_id() { dk image inspect -f '{{.Id}}' "$1"; }

# src_hash [FILE...] -- [STRING...]
src_hash() {
  {
    while [ $# -gt 0 ] && [ "$1" != -- ]; do sha256sum "$1"; shift; done
    [ $# -eq 0 ] || shift
    printf '%s\n' "$@"
  } | sed "s|$REPO/||" | sha256sum | cut -c1-16
}

# debootstrap mounts /proc and /sys inside the target; if it died half-way they
# are still there and a plain rm -rf would walk into the host's /sys.
remove_rootfs() {
  local dir=$1
  [ -e "$dir" ] || return 0
  unmount_under "$dir"
  rm -rf --one-file-system "$dir"
}

build_base() {
  local tag=minicloud/debian:bookworm key rootfs="$MC_BUILD/rootfs"
  key=$(src_hash -- "$BASE_RECIPE")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  log "building $tag with debootstrap (about a minute)"
  remove_rootfs "$rootfs"
  timeout 900 debootstrap --variant=minbase bookworm "$rootfs" http://deb.debian.org/debian \
    >"$MC_LOGS/debootstrap.log" 2>&1 ||
    fail "debootstrap exited $?: $(tail -n 5 "$MC_LOGS/debootstrap.log")"
  # Image builds must not start daemons from postinst scripts; recommends
  # would double image sizes; the host's resolv.conf and apt lists are noise.
  printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
  chmod 755 "$rootfs/usr/sbin/policy-rc.d"
  # apt's binary caches alone would add 80 MB to every layer that runs apt-get update.
  cat >"$rootfs/etc/apt/apt.conf.d/90minicloud" <<'EOF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb || true"; };
EOF
  : >"$rootfs/etc/resolv.conf"
  rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb
  tar --numeric-owner -C "$rootfs" -c . |
    DK_TIMEOUT=300 dk import -c "LABEL $SRC_LABEL=$key" -c 'CMD ["bash"]' - "$tag" >/dev/null
  remove_rootfs "$rootfs"
}

# docker_build TAG KEY CONTEXT [BUILD ARGS...]
docker_build() {
  local tag=$1 key=$2 ctx=$3 logfile
  shift 3
  logfile="$MC_LOGS/build-${tag//[:\/]/_}.log"
  log "building $tag"
  DK_TIMEOUT=600 dk build --label "$SRC_LABEL=$key" -t "$tag" "$@" "$ctx" >"$logfile" 2>&1 ||
    fail "docker build $tag failed: $(tail -n 8 "$logfile")"
}

build_node() {
  local tag=minicloud/node:20 df="$REPO/images/debian/node/Dockerfile" node_bin version key ctx
  node_bin=$(readlink -f "$(command -v node)") || fail "no node binary on the host to copy into $tag"
  version=$("$node_bin" --version)
  [[ $version == v20.* ]] || fail "$tag needs the host's node to be v20, found $version at $node_bin"
  key=$(src_hash "$df" -- "$version" "$(image_id minicloud/debian:bookworm)")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  ctx="$MC_BUILD/node-ctx"
  rm -rf "$ctx" && mkdir -p "$ctx"
  cp "$df" "$ctx/Dockerfile"
  cp "$node_bin" "$ctx/node"
  docker_build "$tag" "$key" "$ctx"
  rm -rf "$ctx"
  [ "$(dk run --rm "$tag" node --version)" = "$version" ] || fail "$tag does not run node $version"
}

build_registry() {
  local tag=minicloud/registry:2 dir="$REPO/images/debian/registry" key
  key=$(src_hash "$dir"/* -- "$(image_id minicloud/debian:bookworm)")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  docker_build "$tag" "$key" "$dir"
}

# The ACME test server for the certificate tests (test/helpers/pebble.ts).
build_pebble() {
  local tag=minicloud/pebble:test dir="$REPO/images/debian/pebble" key
  key=$(src_hash "$dir"/* -- "$(image_id minicloud/debian:bookworm)")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  docker_build "$tag" "$key" "$dir"
}

build_testapp() {
  local v=$1 tag="minicloud/testapp:$1" dir="$REPO/stacks/apps/hello" key
  key=$(src_hash "$dir"/* -- "$v" "$(image_id minicloud/node:20)")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  docker_build "$tag" "$key" "$dir" --build-arg "APP_VERSION=$v"
}

ensure_images() {
  build_base
  build_node
  build_registry
  build_pebble
  build_testapp 1
  build_testapp 2
}

# Rebuilt tags leave their predecessors dangling; only ours are pruned, and
# only after the registry container and the push tags have moved on to the
# new images.
prune_images() {
  dk image prune -f --filter "label=$SRC_LABEL" >/dev/null
}
