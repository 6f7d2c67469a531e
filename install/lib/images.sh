# Getting or building the management images. Sourced by install.sh, never run.
# shellcheck shell=bash source-path=SCRIPTDIR
#
# hub:    the official images (pulled), and minicloud/api built FROM node:20-slim.
# debian: the same services built here from Debian packages on a debootstrap base
#         (images/debian/*), and minicloud/api FROM minicloud/node:20: for hosts that cannot or
#         should not pull from Docker Hub. Both kinds take the same environment and volumes.
#
# Every image is deployed by a tag that carries its image ID (name:tag-<id>), so a rebuilt
# image changes the stack file and `docker stack deploy` rolls the service; an unchanged one
# changes nothing. Builds are cached by a hash of their inputs (scripts/engine/images.sh).

# postgres and redis are the services of the need kinds of those names (the images match
# packages/core/src/needs/*/service.ts); postgres 15 in both modes, Debian bookworm's version.
declare -gA HUB_IMAGES=([proxy]=nginx:1.27 [registry]=registry:2 [mariadb]=mariadb:11.4 [rabbitmq]=rabbitmq:3.13-management [api]=node:20-slim [postgres]=postgres:15 [redis]=redis:7.2)

# shellcheck source=../../scripts/engine/images.sh
. "$REPO/scripts/engine/images.sh"

# name:tag -> name:tag-<12 hex of the image id>, tagged locally.
id_tag() {
  local ref=$1 id
  id=$(image_id "$ref") || fail "no image $ref"
  id=${id#sha256:}
  local pinned="${ref}-${id:0:12}"
  [ "$(image_id "$pinned" 2>/dev/null || true)" = "sha256:$id" ] || dk tag "$ref" "$pinned"
  echo "$pinned"
}

# Removes the id-tags of a repository other than the one deployed (old builds).
prune_id_tags() {
  local pinned=$1 base=${1%-*} t
  for t in $(dk images --format '{{.Repository}}:{{.Tag}}' "${base%%:*}"); do
    if [[ $t == "$base"-* ]] && [ "$t" != "$pinned" ]; then dk rmi "$t" >/dev/null 2>&1 || true; fi
  done
}

hub_reachable() {
  local mirrors code
  mirrors=$(dk info --format '{{range .RegistryConfig.Mirrors}}{{.}} {{end}}' 2>/dev/null || true)
  [ -z "${mirrors// /}" ] || return 0
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 "${MINICLOUD_HUB_PROBE_URL:-https://registry-1.docker.io/v2/}" 2>/dev/null || true)
  [ -n "$code" ] && [ "$code" != 000 ]
}

# Prints hub or debian: hub when Docker Hub (or a registry mirror) answers.
detect_images_mode() {
  if hub_reachable; then echo hub; else echo debian; fi
}

build_debian_service() {
  local tag="minicloud/$1:bookworm" dir="$REPO/images/debian/$1" key
  key=$(src_hash "$dir"/* -- "$(image_id minicloud/debian:bookworm)")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  docker_build "$tag" "$key" "$dir"
}

# The files the API image is made of, for its cache key.
api_inputs() {
  (cd "$REPO" && find package.json package-lock.json packages/*/package.json packages/cli/bin \
    packages/*/dist stacks/management install/join-worker.sh images/api -type f \
    ! -name '*.tsbuildinfo' ! -name '*.map' ! -name '*.d.ts' | LC_ALL=C sort)
}

# The tsc output is missing, or older than a source file (tsc -b writes tsconfig.tsbuildinfo).
repo_needs_build() {
  local p info
  for p in core api cli; do
    info="$REPO/packages/$p/tsconfig.tsbuildinfo"
    [ -d "$REPO/packages/$p/dist" ] && [ -f "$info" ] || return 0
    [ -z "$(find "$REPO/packages/$p/src" "$REPO/packages/$p/package.json" -newer "$info" -type f | head -n 1)" ] || return 0
  done
  return 1
}

ensure_repo_built() {
  [ "${MINICLOUD_SKIP_BUILD:-0}" = 1 ] && return 0
  repo_needs_build || return 0
  command -v node >/dev/null && command -v npm >/dev/null ||
    fail "building minicloud/api here needs Node.js 20 and npm on the host (or use --images=hub)"
  if [ ! -d "$REPO/node_modules" ]; then
    log "npm ci (the repository's dependencies)"
    (cd "$REPO" && npm ci --no-audit --no-fund >"$MC_LOGS/npm-ci.log" 2>&1) || fail "npm ci failed: $(tail -n 5 "$MC_LOGS/npm-ci.log")"
  fi
  (cd "$REPO" && npm run --silent build >"$MC_LOGS/build.log" 2>&1) || fail "npm run build failed: $(tail -n 8 "$MC_LOGS/build.log")"
}

# minicloud/api from this repository: tsc output plus production node_modules, on $1.
build_api_debian() {
  local base=$1 tag=minicloud/api:${API_VERSION} key ctx files
  ensure_repo_built
  [ -f "$REPO/packages/api/dist/server.js" ] || fail "packages/api/dist is missing: run npm run build"
  mapfile -t files < <(api_inputs)
  key=$(cd "$REPO" && src_hash "${files[@]}" -- "$(image_id "$base")")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  ctx="$MC_BUILD/api-ctx"
  rm -rf "$ctx" && mkdir -p "$ctx/app"
  (cd "$REPO" && tar -c --exclude='*.tsbuildinfo' package.json package-lock.json packages/*/package.json \
    packages/cli/bin packages/*/dist stacks/management install/join-worker.sh) | tar -C "$ctx/app" -x
  log "npm ci --omit=dev for minicloud/api"
  (cd "$ctx/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline \
    >"$MC_LOGS/npm-api.log" 2>&1) || fail "npm ci --omit=dev failed: $(tail -n 5 "$MC_LOGS/npm-api.log")"
  cp "$REPO/images/api/Dockerfile" "$ctx/Dockerfile"
  docker_build "$tag" "$key" "$ctx" --build-arg "BASE=$base"
  rm -rf "$ctx"
}

# Hub mode needs no Node.js on the host: a node:20 stage builds the repository.
build_api_hub() {
  local tag=minicloud/api:${API_VERSION} key files
  mapfile -t files < <(cd "$REPO" && find package.json package-lock.json tsconfig*.json packages/*/package.json \
    packages/*/tsconfig.json packages/*/src packages/cli/bin stacks/management install/join-worker.sh images/api \
    -type f | LC_ALL=C sort)
  key=$(cd "$REPO" && src_hash "${files[@]}" -- "$(image_id "${HUB_IMAGES[api]}")")
  [ "$(image_src "$tag")" = "$key" ] && return 0
  log "building $tag (npm ci and tsc in a node:20 stage)"
  (cd "$REPO" && tar -c "${files[@]}") |
    DK_TIMEOUT=900 dk build --label "$SRC_LABEL=$key" -t "$tag" -f images/api/Dockerfile.hub - \
      >"$MC_LOGS/build-api.log" 2>&1 || fail "docker build $tag failed: $(tail -n 8 "$MC_LOGS/build-api.log")"
}

# Sets IMAGE[service] to the reference each management service is deployed with.
declare -gA IMAGE=()
ensure_images() {
  local mode=$1 s
  if [ "$mode" = hub ]; then
    for s in proxy registry mariadb rabbitmq postgres redis api; do
      if ! image_id "${HUB_IMAGES[$s]}" >/dev/null 2>&1; then
        log "pulling ${HUB_IMAGES[$s]}"
        DK_TIMEOUT=900 dk pull "${HUB_IMAGES[$s]}" >>"$MC_LOGS/pull.log" 2>&1 ||
          fail "docker pull ${HUB_IMAGES[$s]} failed: $(tail -n 3 "$MC_LOGS/pull.log") (no access to Docker Hub? try --images=debian)"
      fi
    done
    build_api_hub
    for s in proxy registry mariadb rabbitmq postgres redis; do IMAGE[$s]=$(id_tag "${HUB_IMAGES[$s]}"); done
  else
    command -v debootstrap >/dev/null || apt_install debootstrap debian-archive-keyring
    build_base
    build_node
    build_registry
    for s in nginx mariadb rabbitmq postgres redis; do build_debian_service "$s"; done
    build_api_debian minicloud/node:20
    IMAGE[proxy]=$(id_tag minicloud/nginx:bookworm)
    IMAGE[registry]=$(id_tag minicloud/registry:2)
    IMAGE[mariadb]=$(id_tag minicloud/mariadb:bookworm)
    IMAGE[rabbitmq]=$(id_tag minicloud/rabbitmq:bookworm)
    IMAGE[postgres]=$(id_tag minicloud/postgres:bookworm)
    IMAGE[redis]=$(id_tag minicloud/redis:bookworm)
  fi
  IMAGE[api]=$(id_tag "minicloud/api:${API_VERSION}")
}

prune_images() {
  local s
  for s in "${!IMAGE[@]}"; do prune_id_tags "${IMAGE[$s]}"; done
  dk image prune -f --filter "label=$SRC_LABEL" >/dev/null 2>&1 || true
}
