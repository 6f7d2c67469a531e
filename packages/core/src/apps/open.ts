import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { Sensitive } from '../sensitive.js';
import { dockerClient } from '../engine/client.js';
import { platformLayout } from '../platform/layout.js';
import { loadPlatformSettings } from '../platform/init.js';
import { PostgresAdmin } from '../needs/postgres/admin.js';
import { RedisAdmin } from '../needs/redis/admin.js';
import { MariaDbAdmin } from '../provision/database.js';
import { RabbitMqAdmin } from '../provision/messagebus.js';
import { LocalStorageAdmin } from '../provision/storage.js';
import { NginxProxyController } from '../proxy/controller.js';
import { SwarmSharedServices } from '../platform/shared-services.js';
import { ProbingUpstreamLocator } from '../proxy/upstream-locator.js';
import { DEFAULTS } from '../compiler/settings.js';
import { AppStore } from './store.js';
import { CertificateStore } from './certificates.js';
import { AppManager } from './manager.js';
import type { AppContext } from './context.js';

export interface OpenAppsOptions {
  docker?: Docker;
  /** Where the shared MariaDB and RabbitMQ answer for the platform (default: their service names). */
  databaseHost?: string;
  messagebusUrl?: string;
  /** Where the shared PostgreSQL and Redis answer for the platform (default: their service names). */
  postgresHost?: string;
  redisHost?: string;
  deployTimeoutMs?: number;
  /** How long a shared service no app needs keeps running (AppContext.servicesLingerMs). */
  servicesLingerMs?: number;
}

async function secret(path: string): Promise<Sensitive<string>> {
  return new Sensitive((await readFile(path, 'utf8')).trim());
}

/** A secret a platform installed before it existed lacks until its next init: undefined then. */
async function laterSecret(path: string): Promise<Sensitive<string> | undefined> {
  const text = await readFile(path, 'utf8').catch(() => undefined);
  return text === undefined || text.trim() === '' ? undefined : new Sensitive(text.trim());
}

/**
 * The app lifecycle of an installed platform, wired from its data dir: settings from
 * config/platform.json, passwords from the secrets dir, the CA from pki/. This runs where the
 * API runs: on the manager, on the services network (mariadb, rabbitmq, postgres, redis resolve there).
 */
export async function openAppContext(dataDir: string, options: OpenAppsOptions = {}): Promise<AppContext> {
  const settings = await loadPlatformSettings(dataDir);
  const layout = platformLayout(dataDir);
  const docker = options.docker ?? dockerClient();
  const [mariadbRoot, rabbitmqPassword, registryPassword] = await Promise.all([
    secret(layout.secret['mariadb-root-password']),
    secret(layout.secret['rabbitmq-password']),
    secret(layout.secret['registry-password']),
  ]);
  const [postgresPassword, redisPassword] = await Promise.all([
    laterSecret(layout.secret['postgres-password']),
    laterSecret(layout.secret['redis-password']),
  ]);
  const ca = async () => ({ cert: await readFile(layout.caCert, 'utf8'), key: await secret(layout.caKey) });
  return {
    docker,
    dataDir,
    baseDomain: settings.domain,
    endpointMode: settings.endpointMode,
    store: new AppStore(layout.appsDir, layout.appSecretsDir),
    certificates: new CertificateStore(join(layout.secretsDir, 'certs'), ca),
    database: new MariaDbAdmin({ host: options.databaseHost ?? 'mariadb', user: 'root', password: mariadbRoot }),
    messagebus: new RabbitMqAdmin({
      url: options.messagebusUrl ?? 'http://rabbitmq:15672',
      user: settings.rabbitmqUser,
      password: rabbitmqPassword,
    }),
    ...(postgresPassword
      ? {
          postgres: new PostgresAdmin({
            host: options.postgresHost ?? 'postgres',
            user: 'postgres',
            password: postgresPassword,
          }),
        }
      : {}),
    ...(redisPassword
      ? { redis: new RedisAdmin({ host: options.redisHost ?? 'redis', password: redisPassword }) }
      : {}),
    storage: new LocalStorageAdmin({ docker, storageDir: layout.storageDir }),
    services: new SwarmSharedServices({ docker, stateFile: layout.servicesStateFile }),
    ...(options.servicesLingerMs ? { servicesLingerMs: options.servicesLingerMs } : {}),
    proxy: new NginxProxyController({
      docker,
      proxyDir: layout.proxyDir,
      proxyConfD: layout.proxyConfD,
      proxyTlsDir: layout.proxyTlsDir,
    }),
    upstreams: new ProbingUpstreamLocator(docker, DEFAULTS.proxyNetwork),
    registryAuth: [
      { serveraddress: settings.registryAddr, username: settings.registryUser, password: registryPassword },
    ],
    registryAddr: settings.registryAddr,
    reservedDomains: [settings.domain, `admin.${settings.domain}`],
    platformHosts: [`admin.${settings.domain}`],
    acmeOn: settings.acmeEmail !== '',
    ...(options.deployTimeoutMs !== undefined ? { deployTimeoutMs: options.deployTimeoutMs } : {}),
  };
}

export async function openApps(dataDir: string, options: OpenAppsOptions = {}): Promise<AppManager> {
  return new AppManager(await openAppContext(dataDir, options));
}
