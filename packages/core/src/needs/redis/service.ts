// The shared Redis as the management stack runs it, as data for the need-kind registry to
// render: the same config file and start script in both image modes (Debian's redis-server
// in minicloud/redis:bookworm, built from images/debian/redis; or the official image), the
// admin password from a swarm secret, and the apps' users kept in an ACL file on the volume.
//
// Choices, each for a small shared server whose data apps keep:
// - maxmemory 32mb with volatile-lru: when full, only keys that carry a TTL (what apps mark as
//   cache) are evicted, least recently used first; a key without one is never dropped behind
//   its app's back, and when nothing is evictable a write fails with an OOM error the app
//   sees. allkeys-lru would let one app's writes silently evict another app's sessions or
//   queued jobs.
// - AOF with fsync every second, RDB snapshots off: a crash loses at most about a second of
//   writes, where snapshot points lose minutes; the AOF starts with an RDB preamble and is
//   rewritten from 16 MB on (the fork it takes is small beside a 32 MB data set). A clean stop
//   (SIGTERM from the swarm) flushes it.
// - one database (databases 1): every key is where drop and backup look.
// - the `default` user is off with no password and no rights: a connection must AUTH as the
//   admin or an app. The admin's line is written at each start from the secret (its SHA-256,
//   never the password), so a rotated secret takes effect with the next restart.
// - DEBUG and MODULE commands and protected configs stay off (the 7.x defaults, said here).

export const REDIS_PORT = 6379;
/** The admin user the platform provisions apps with. */
export const REDIS_ADMIN_USER = 'mcadmin';
export const REDIS_CONFIG_PATH = '/etc/redis/minicloud.conf';
export const REDIS_START_PATH = '/etc/redis/minicloud-start.sh';
export const REDIS_PASSWORD_SECRET = '/run/secrets/redis-password';
export const REDIS_ACL_FILE = '/data/users.acl';

/** The images of the two modes: 7.2 is the hub's closest to Debian's 7.0 (and the last BSD-licensed). */
export const REDIS_IMAGES = { hub: 'redis:7.2', debian: 'minicloud/redis:bookworm' } as const;

/** The container's memory limit: maxmemory plus the server, its buffers and an AOF rewrite's fork. */
export const REDIS_MEMORY = { limit: '64M', reservation: '16M' } as const;

export const REDIS_CONFIG = `# minicloud's shared Redis (see packages/core/src/needs/redis/service.ts for the choices).
bind 0.0.0.0
port ${REDIS_PORT}
# Every connection must authenticate (the default user is off): protected mode adds nothing.
protected-mode no
daemonize no
logfile ""
dir /data
databases 1
maxmemory 32mb
maxmemory-policy volatile-lru
maxmemory-samples 5
save ""
appendonly yes
appendfsync everysec
aof-use-rdb-preamble yes
auto-aof-rewrite-percentage 100
auto-aof-rewrite-min-size 16mb
aclfile ${REDIS_ACL_FILE}
acl-pubsub-default resetchannels
enable-debug-command no
enable-module-command no
enable-protected-configs no
`;

/**
 * Run as root by both images' entrypoint path: writes the default and admin users' lines of
 * the ACL file (keeping the apps' lines), then hands over to the image's docker-entrypoint.sh,
 * which owns /data to redis and drops to that user. The password is read from the secret
 * through a pipe into sha256sum: it is on no command line and in no file but the secret.
 */
export const REDIS_START_SCRIPT = `#!/bin/sh
set -eu
umask 077
user=\${REDIS_ADMIN_USER:-${REDIS_ADMIN_USER}}
secret=\${REDIS_PASSWORD_FILE:-${REDIS_PASSWORD_SECRET}}
acl=${REDIS_ACL_FILE}
case $user in *[!a-z0-9_]* | '' | default) echo "REDIS_ADMIN_USER must be [a-z0-9_]+ and not default" >&2; exit 2 ;; esac
[ -s "$secret" ] || { echo "no admin password in $secret" >&2; exit 2; }
hash=$(tr -d '\\n' <"$secret" | sha256sum | cut -d ' ' -f 1)
mkdir -p /data
touch "$acl"
{
  echo 'user default off resetchannels -@all'
  echo "user $user on #$hash ~* &* +@all"
  grep -v -e '^user default ' -e "^user $user " "$acl" || true
} >"$acl.new"
mv "$acl.new" "$acl"
exec docker-entrypoint.sh redis-server ${REDIS_CONFIG_PATH}
`;

/**
 * The healthcheck: the server answers (NOAUTH to an anonymous PING is an answer: the default
 * user is off). redis-cli is in both images.
 */
export const REDIS_HEALTHCHECK = [
  'CMD-SHELL',
  `redis-cli -p ${REDIS_PORT} ping 2>&1 | grep -qE 'PONG|NOAUTH'`,
] as const;

/** How the management stack runs the service (the registry renders this into the stack). */
export const REDIS_SERVICE = {
  name: 'redis',
  port: REDIS_PORT,
  images: REDIS_IMAGES,
  memory: REDIS_MEMORY,
  entrypoint: ['sh', REDIS_START_PATH],
  environment: { REDIS_ADMIN_USER, REDIS_PASSWORD_FILE: REDIS_PASSWORD_SECRET },
  /** Files of the config dir, mounted read-only at these paths. */
  files: { 'redis/minicloud.conf': REDIS_CONFIG_PATH, 'redis/minicloud-start.sh': REDIS_START_PATH },
  fileContents: { 'redis/minicloud.conf': REDIS_CONFIG, 'redis/minicloud-start.sh': REDIS_START_SCRIPT },
  dataDir: '/data',
  healthcheck: REDIS_HEALTHCHECK,
} as const;
