#!/bin/sh
# As the official image's: `redis-server ARGS` (or just a config file or options) runs as the
# redis user, after the files under /data are made its own; anything else runs as given.
set -eu

case "${1:-}" in
  -* | *.conf) set -- redis-server "$@" ;;
esac

if [ "${1:-}" = redis-server ] && [ "$(id -u)" = 0 ]; then
  find /data \! -user redis -exec chown redis:redis '{}' +
  umask 0077
  exec setpriv --reuid=redis --regid=redis --init-groups "$@"
fi

exec "$@"
