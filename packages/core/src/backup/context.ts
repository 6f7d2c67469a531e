import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { AppStore } from '../apps/store.js';
import type { Progress } from '../apps/types.js';
import { dockerClient } from '../engine/client.js';
import { MinicloudError } from '../errors.js';
import type { DiskFiguresSource } from '../platform/disk-space-read.js';
import { platformLayout } from '../platform/layout.js';
import { PostgresDumpClient, type PostgresTarget } from '../needs/postgres/dump.js';
import { RedisAdmin, type RedisAdminOptions } from '../needs/redis/admin.js';
import { Sensitive } from '../sensitive.js';
import { MariaDbClient, type MariaDbTarget } from './mariadb.js';
import { RabbitMqClient, type RabbitMqTarget } from './messagebus.js';
import { BackupStore } from './store.js';

/** Everything backups need from the platform; one object for the API, the CLI and tests. */
export interface BackupContext {
  docker: Docker;
  /** <data-dir>/backups */
  store: BackupStore;
  /** <data-dir>/storage: one directory per app, on this node (the manager) in this version. */
  storageDir: string;
  /** The configuration directory: apps' records and policies, and what a platform backup holds. */
  configDir: string;
  /** <data-dir>/secrets: encrypted into platform backups. */
  secretsDir: string;
  apps: AppStore;
  mariadb: MariaDbClient;
  rabbitmq: RabbitMqClient;
  /** pg_dump and psql in the PostgreSQL server's container; absent: no PostgreSQL here. */
  postgres?: PostgresDumpClient;
  /** The Redis admin connection (keys are dumped over it); absent: the platform has no Redis password. */
  redis?: RedisAdmin;
  /** A second location (a mounted directory): each finished backup is copied there too. */
  copyTo?: string;
  /** gzip level of dumps and archives (1 fast ... 9 small); default 6. */
  gzipLevel?: number;
  /** Reads the backups' filesystem before each backup (a critical one refuses it); tests fake it. */
  diskFigures?: DiskFiguresSource;
  now?: () => Date;
}

/** Platform-wide backup settings, <config-dir>/backups.json (optional). */
export interface BackupSettings {
  /** A mounted directory each finished backup is copied to (off-site copy). */
  copyTo?: string;
  /** The operator's passphrase file for platform backups (secrets are encrypted with it). */
  keyFile?: string;
}

export const BACKUP_SETTINGS_FILE = 'backups.json';

export async function readBackupSettings(configDir: string): Promise<BackupSettings> {
  const path = join(configDir, BACKUP_SETTINGS_FILE);
  const text = await readFile(path, 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new MinicloudError('MC_BACKUP_POLICY_INVALID', `${path} is not JSON`);
  }
  const settings = (raw ?? {}) as Record<string, unknown>;
  const out: BackupSettings = {};
  for (const key of ['copyTo', 'keyFile'] as const) {
    const value = settings[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || !value.startsWith('/')) {
      throw new MinicloudError('MC_BACKUP_POLICY_INVALID', `${path}: ${key} must be an absolute path`, [
        { path: key, message: 'must be an absolute path' },
      ]);
    }
    out[key] = value;
  }
  return out;
}

export interface BackupContextOptions {
  docker?: Docker;
  mariadb?: MariaDbTarget;
  rabbitmq?: RabbitMqTarget;
  postgres?: PostgresTarget;
  /** Default: the `redis` service as the admin, with the platform's redis-password (if it has one). */
  redis?: RedisAdminOptions;
  /** Overrides backups.json's copyTo. */
  copyTo?: string;
  gzipLevel?: number;
  now?: () => Date;
}

/** The context for a platform installed in `dataDir` (paths from its layout, settings from backups.json). */
export async function backupContext(dataDir: string, options: BackupContextOptions = {}): Promise<BackupContext> {
  const layout = platformLayout(dataDir);
  const docker = options.docker ?? dockerClient();
  const settings = await readBackupSettings(layout.configDir);
  const copyTo = options.copyTo ?? settings.copyTo;
  const redis = options.redis ?? (await platformRedis(layout.secret['redis-password']));
  return {
    docker,
    store: new BackupStore(layout.backupsDir),
    storageDir: layout.storageDir,
    configDir: layout.configDir,
    secretsDir: layout.secretsDir,
    apps: new AppStore(layout.appsDir, layout.appSecretsDir),
    mariadb: new MariaDbClient(docker, options.mariadb),
    rabbitmq: new RabbitMqClient(docker, options.rabbitmq),
    postgres: new PostgresDumpClient(docker, options.postgres),
    ...(redis ? { redis: new RedisAdmin(redis) } : {}),
    ...(copyTo ? { copyTo } : {}),
    ...(options.gzipLevel !== undefined ? { gzipLevel: options.gzipLevel } : {}),
    ...(options.now ? { now: options.now } : {}),
  };
}

/** The platform's Redis as the API (on the services network) reaches it; undefined without its password. */
async function platformRedis(passwordFile: string): Promise<RedisAdminOptions | undefined> {
  const text = await readFile(passwordFile, 'utf8').catch(() => undefined);
  if (text === undefined || text.trim() === '') return undefined;
  return { host: 'redis', password: new Sensitive(text.trim()) };
}

export const quiet: Progress = () => undefined;
