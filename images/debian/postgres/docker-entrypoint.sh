#!/bin/bash
# First start: initdb with the superuser postgres and its password from POSTGRES_PASSWORD or
# POSTGRES_PASSWORD_FILE (given to initdb through a pipe, never on a command line), local
# connections by peer, TCP by scram-sha-256 (as the official image does). Later starts: just
# run the server. Started as root, it fixes ownership and runs everything as postgres.
set -Eeuo pipefail

log() { printf '%s [Entrypoint]: %s\n' "$(date -Is)" "$*" >&2; }

# VAR or VAR_FILE (not both).
file_env() {
  local var=$1 file_var="${1}_FILE" value=''
  if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
    log "error: both $var and $file_var are set"
    exit 1
  fi
  if [ -n "${!file_var:-}" ]; then value=$(<"${!file_var}")
  elif [ -n "${!var:-}" ]; then value=${!var}
  fi
  unset "$file_var"
  export "$var"="$value"
}

if [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi

if [ "$1" = postgres ]; then
  : "${PGDATA:=/var/lib/postgresql/data}"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    chown postgres:postgres /var/run/postgresql
    chmod 2775 /var/run/postgresql
    find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "${BASH_SOURCE[0]}" "$@"
  fi
  if [ ! -s "$PGDATA/PG_VERSION" ]; then
    file_env POSTGRES_PASSWORD
    if [ -z "$POSTGRES_PASSWORD" ]; then
      log "error: the database is uninitialized and POSTGRES_PASSWORD(_FILE) is not set"
      exit 1
    fi
    log "initializing $PGDATA"
    # Word-split on purpose, as the official image does.
    # shellcheck disable=SC2086
    initdb --username=postgres --pwfile=<(printf '%s\n' "$POSTGRES_PASSWORD") \
      --auth-local=peer --auth-host=scram-sha-256 \
      ${POSTGRES_INITDB_ARGS:---encoding=UTF8 --locale=C.UTF-8} -D "$PGDATA" >/dev/null
    printf 'host all all all %s\n' "${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}" >>"$PGDATA/pg_hba.conf"
    log "initialized"
  fi
  unset POSTGRES_PASSWORD POSTGRES_PASSWORD_FILE
fi

exec "$@"
