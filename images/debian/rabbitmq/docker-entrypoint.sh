#!/bin/bash
# Runs the broker as the rabbitmq user with its data in /var/lib/rabbitmq. The first user
# comes from RABBITMQ_DEFAULT_USER / RABBITMQ_DEFAULT_PASS, as with the official image.
set -Eeuo pipefail

if [ "${1:-}" = rabbitmq-server ]; then
  if [ "$(id -u)" = 0 ]; then
    find /var/lib/rabbitmq \! -user rabbitmq -exec chown rabbitmq:rabbitmq '{}' +
    # The server reads its first user from these; written to a root-only config file so
    # that the password never shows in a process list.
    if [ -n "${RABBITMQ_DEFAULT_USER:-}" ] && [ -n "${RABBITMQ_DEFAULT_PASS:-}" ]; then
      umask 077
      printf 'default_user = %s\ndefault_pass = %s\n' "$RABBITMQ_DEFAULT_USER" "$RABBITMQ_DEFAULT_PASS" \
        >/etc/rabbitmq/conf.d/05-default-user.conf
      chown rabbitmq /etc/rabbitmq/conf.d/05-default-user.conf
      umask 022
    fi
    unset RABBITMQ_DEFAULT_PASS
    exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
  fi
  exec /usr/lib/rabbitmq/bin/rabbitmq-server
fi

exec "$@"
