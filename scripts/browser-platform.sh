#!/usr/bin/env bash
# The browser test again, this time against a real installed platform (not the stand-in app
# lifecycle): log in, add an app from an image in the platform's registry, attach a database,
# add a domain, see the app served through the proxy. Installs the platform on the test swarm
# first (a no-op when it is there) and removes it again afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
set -a && . .engine/env && set +a

DATA=/var/lib/minicloud-test/platform
CLI=/var/lib/minicloud-test/bin/minicloud
DOMAIN=minicloud.test

cleanup() {
  "$CLI" app rm hello --purge >/dev/null 2>&1 || true
  bash install/uninstall.sh --data-dir="$DATA" --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT

bash install/install.sh --images=debian --data-dir="$DATA" --domain="$DOMAIN" \
  --advertise-addr="$MINICLOUD_SWARM_ADDR" --cli-path="$CLI" >/dev/null
"$CLI" app rm hello --purge >/dev/null 2>&1 || true
"$CLI" push minicloud/testapp:1 --name browser/hello:1 >/dev/null

MINICLOUD_BROWSER_TARGET=platform \
  MINICLOUD_PROXY_ADDR="$MINICLOUD_SWARM_ADDR" \
  MINICLOUD_ADMIN_URL="https://admin.$DOMAIN" \
  MINICLOUD_ADMIN_TOKEN="$(cat "$DATA/secrets/admin-token")" \
  MINICLOUD_BROWSER_IMAGE="$MINICLOUD_SWARM_ADDR:5443/browser/hello:1" \
  MINICLOUD_BASE_DOMAIN="$DOMAIN" \
  npx tap test/browser --exclude='**/helpers/**'
