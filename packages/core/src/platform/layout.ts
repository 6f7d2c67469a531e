import { join } from 'node:path';

// Where the platform keeps everything under its data dir (default /data/minicloud). One
// function, so the installer, the CLI, the API and the proxy renderer agree on every path.
//
//   config/           the configuration directory: can be a git repository, holds no secrets
//     platform.json   the install settings (domain, registry address, endpoint mode, images)
//     management/     the management stack and the files its services read
//     apps/<app>/     one directory per app
//   secrets/          0700: generated passwords and tokens (0600 files), secrets/apps/<app>.env
//   pki/              the platform CA (ca.key never leaves this dir) and the TLS certificates
//   public/           what anyone may fetch over plain HTTP: ca.crt, join-worker.sh
//   registry/ mariadb/ rabbitmq/ postgres/ redis/   the services' data
//   storage/<app>/    app storage
//   state/events.jsonl  the event log (who did what, alerts), written by the API
//   state/jobs.jsonl    the API's jobs, so that one cut short by a restart is reported as such
//   state/services.json the shared services stopped as idle (no app needs them, no app's data in them)
//   backups/<app>/<id>/  app backups (backup.json written last); backups/_platform/ the platform's

export const PLATFORM_SECRETS = [
  'admin-token',
  'mariadb-root-password',
  'rabbitmq-password',
  'registry-password',
  // The shared PostgreSQL's superuser and the shared Redis's admin (needs: postgres, redis).
  'postgres-password',
  'redis-password',
  // The registry's push notifications to the API carry it (push to deploy): an app on the
  // shared network must not be able to fake a push and roll another app to an old image.
  'registry-notify-token',
  // The node agents (exec and stats on each node's engine) answer only calls that carry it.
  'node-agent-token',
] as const;
export type PlatformSecret = (typeof PLATFORM_SECRETS)[number];

export interface PlatformLayout {
  dataDir: string;
  configDir: string;
  platformFile: string;
  managementDir: string;
  stackFile: string;
  proxyDir: string;
  proxyConfD: string;
  appsDir: string;
  secretsDir: string;
  appSecretsDir: string;
  secret: Record<PlatformSecret, string>;
  registryHtpasswd: string;
  /** The registry's config file (its notification endpoint holds the token): a swarm secret. */
  registryConfig: string;
  pkiDir: string;
  caCert: string;
  caKey: string;
  proxyTlsDir: string;
  registryTlsDir: string;
  publicDir: string;
  registryDataDir: string;
  mariadbDataDir: string;
  rabbitmqDataDir: string;
  postgresDataDir: string;
  redisDataDir: string;
  storageDir: string;
  backupsDir: string;
  eventsFile: string;
  jobsFile: string;
  /** Which shared services the API stopped as idle (platform/idle-services.ts). */
  servicesStateFile: string;
}

export function platformLayout(dataDir: string): PlatformLayout {
  const configDir = join(dataDir, 'config');
  const managementDir = join(configDir, 'management');
  const secretsDir = join(dataDir, 'secrets');
  const pkiDir = join(dataDir, 'pki');
  return {
    dataDir,
    configDir,
    platformFile: join(configDir, 'platform.json'),
    managementDir,
    stackFile: join(managementDir, 'minicloud.yml'),
    proxyDir: join(managementDir, 'proxy'),
    proxyConfD: join(managementDir, 'proxy', 'conf.d'),
    appsDir: join(configDir, 'apps'),
    secretsDir,
    appSecretsDir: join(secretsDir, 'apps'),
    secret: {
      'admin-token': join(secretsDir, 'admin-token'),
      'mariadb-root-password': join(secretsDir, 'mariadb-root-password'),
      'rabbitmq-password': join(secretsDir, 'rabbitmq-password'),
      'registry-password': join(secretsDir, 'registry-password'),
      'postgres-password': join(secretsDir, 'postgres-password'),
      'redis-password': join(secretsDir, 'redis-password'),
      'registry-notify-token': join(secretsDir, 'registry-notify-token'),
      'node-agent-token': join(secretsDir, 'node-agent-token'),
    },
    registryHtpasswd: join(secretsDir, 'registry.htpasswd'),
    registryConfig: join(secretsDir, 'registry-config.yml'),
    pkiDir,
    caCert: join(pkiDir, 'ca.crt'),
    caKey: join(pkiDir, 'ca.key'),
    proxyTlsDir: join(pkiDir, 'proxy'),
    registryTlsDir: join(pkiDir, 'registry'),
    publicDir: join(dataDir, 'public'),
    registryDataDir: join(dataDir, 'registry'),
    mariadbDataDir: join(dataDir, 'mariadb'),
    rabbitmqDataDir: join(dataDir, 'rabbitmq'),
    postgresDataDir: join(dataDir, 'postgres'),
    redisDataDir: join(dataDir, 'redis'),
    storageDir: join(dataDir, 'storage'),
    backupsDir: join(dataDir, 'backups'),
    eventsFile: join(dataDir, 'state', 'events.jsonl'),
    jobsFile: join(dataDir, 'state', 'jobs.jsonl'),
    servicesStateFile: join(dataDir, 'state', 'services.json'),
  };
}

/** The default data dir, or MINICLOUD_DATA_DIR. */
export function defaultDataDir(): string {
  return process.env['MINICLOUD_DATA_DIR'] || '/data/minicloud';
}
