#!/bin/bash
# First start: create the system tables and the root user from MARIADB_ROOT_PASSWORD or
# MARIADB_ROOT_PASSWORD_FILE (root@localhost and root@'%', as the official image does), and
# an optional MARIADB_DATABASE / MARIADB_USER. Later starts: just run the server.
set -Eeuo pipefail

log() { printf '%s [Entrypoint]: %s\n' "$(date -Is)" "$*" >&2; }

# VAR or VAR_FILE (not both), also under the MYSQL_ names the official image accepts.
file_env() {
  local var=$1 alt=$2 file_var="${1}_FILE" alt_file="${2}_FILE" value=''
  if [ -n "${!file_var:-}" ]; then value=$(<"${!file_var}")
  elif [ -n "${!var:-}" ]; then value=${!var}
  elif [ -n "${!alt_file:-}" ]; then value=$(<"${!alt_file}")
  elif [ -n "${!alt:-}" ]; then value=${!alt}
  fi
  unset "$file_var" "$alt_file" "$alt"
  export "$var"="$value"
}

# Quotes a string for an SQL literal.
sql_string() {
  local s=${1//\\/\\\\}
  printf "'%s'" "${s//\'/\'\'}"
}

if [ "${1:0:1}" = - ]; then set -- mariadbd "$@"; fi

if [ "$1" = mariadbd ] || [ "$1" = mysqld ]; then
  DATADIR=/var/lib/mysql
  mkdir -p /run/mysqld
  if [ "$(id -u)" = 0 ]; then
    chown mysql:mysql /run/mysqld
    find "$DATADIR" \! -user mysql -exec chown mysql:mysql '{}' +
  fi
  if [ ! -d "$DATADIR/mysql" ]; then
    file_env MARIADB_ROOT_PASSWORD MYSQL_ROOT_PASSWORD
    file_env MARIADB_PASSWORD MYSQL_PASSWORD
    : "${MARIADB_DATABASE:=${MYSQL_DATABASE:-}}" "${MARIADB_USER:=${MYSQL_USER:-}}"
    if [ -z "$MARIADB_ROOT_PASSWORD" ] && [ -z "${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-}" ]; then
      log "error: database is uninitialized and MARIADB_ROOT_PASSWORD(_FILE) is not set"
      exit 1
    fi
    log "initializing $DATADIR"
    mariadb-install-db --user=mysql --datadir="$DATADIR" --skip-test-db \
      --auth-root-authentication-method=normal >/dev/null
    socket=/run/mysqld/init.sock
    "$@" --user=mysql --skip-networking --socket="$socket" --skip-log-bin &
    pid=$!
    for _ in $(seq 1 60); do
      mariadb-admin --socket="$socket" -uroot ping --silent >/dev/null 2>&1 && break
      kill -0 "$pid" 2>/dev/null || { log "error: the server died during initialization"; exit 1; }
      sleep 0.5
    done
    pw=$(sql_string "$MARIADB_ROOT_PASSWORD")
    {
      echo "SET @@SESSION.SQL_LOG_BIN=0;"
      echo "DELETE FROM mysql.user WHERE User='';"
      echo "DROP USER IF EXISTS 'root'@'$(hostname)', 'root'@'127.0.0.1', 'root'@'::1';"
      echo "ALTER USER 'root'@'localhost' IDENTIFIED BY $pw;"
      echo "CREATE USER 'root'@'%' IDENTIFIED BY $pw;"
      echo "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
      if [ -n "$MARIADB_DATABASE" ]; then
        echo "CREATE DATABASE IF NOT EXISTS \`${MARIADB_DATABASE//\`/\`\`}\`;"
      fi
      if [ -n "$MARIADB_USER" ] && [ -n "$MARIADB_PASSWORD" ]; then
        echo "CREATE USER $(sql_string "$MARIADB_USER")@'%' IDENTIFIED BY $(sql_string "$MARIADB_PASSWORD");"
        [ -z "$MARIADB_DATABASE" ] ||
          echo "GRANT ALL ON \`${MARIADB_DATABASE//\`/\`\`}\`.* TO $(sql_string "$MARIADB_USER")@'%';"
      fi
      echo "FLUSH PRIVILEGES;"
    } | mariadb --socket="$socket" -uroot --protocol=socket
    MYSQL_PWD=$MARIADB_ROOT_PASSWORD mariadb-admin --socket="$socket" -uroot shutdown
    wait "$pid" || true
    log "initialized"
  fi
  unset MARIADB_ROOT_PASSWORD MARIADB_PASSWORD MYSQL_ROOT_PASSWORD
  # MARIADB_AUTO_UPGRADE is accepted for compatibility: this image's server version only
  # changes with Debian's package, whose upgrade runs at build time.
  if [ "$(id -u)" = 0 ]; then set -- "$@" --user=mysql; fi
fi

exec "$@"
