import { join } from 'node:path';
import {
  AppStore,
  MinicloudError,
  type AppContext,
  type CertificateStore,
  type DatabaseAdmin,
  type MessagebusAdmin,
  type NeedName,
  type ProxyRoute,
  type StorageAdmin,
} from '@minicloud/core';
import { FakeEngine } from './fake-engine.js';

// An AppContext over a real AppStore in a test directory, with the platform's other edges
// faked in memory: which needs exist, which certificates, what the proxy routes. `fail` makes
// a need's drop throw the error its real adapter would, to test what a failed step leaves.

export interface FakeEdges {
  ctx: AppContext;
  /** The Docker Engine, in memory: images with manifests, services, networks. */
  engine: FakeEngine;
  store: AppStore;
  dataDir: string;
  /** Needs that exist, per app. */
  needs: Map<string, Set<NeedName>>;
  certificates: Set<string>;
  /** The apps the proxy routes, after each apply. */
  routed: string[][];
  /** The routes themselves (app, upstream service, port), after each apply. */
  routes: ProxyRoute[][];
  /** Needs whose drop throws, as the real adapter would when its server fails. */
  fail: Set<NeedName>;
}

const FAILURES: Record<NeedName, MinicloudError> = {
  database: new MinicloudError('MC_DATABASE', 'DROP DATABASE failed: lost connection'),
  messagebus: new MinicloudError('MC_MESSAGEBUS', 'DELETE /api/vhosts failed: 503'),
  storage: new MinicloudError('MC_STORAGE', 'rm failed: busy'),
  postgres: new MinicloudError('MC_POSTGRES', 'DROP DATABASE failed: connection terminated'),
  redis: new MinicloudError('MC_REDIS', 'ACL DELUSER failed: connection closed'),
};

export function fakeAppContext(dataDir: string): FakeEdges {
  const store = new AppStore(join(dataDir, 'config', 'apps'), join(dataDir, 'secrets', 'apps'));
  const needs = new Map<string, Set<NeedName>>();
  const certificates = new Set<string>();
  const routed: string[][] = [];
  const routes: ProxyRoute[][] = [];
  const fail = new Set<NeedName>();
  const of = (app: string) => needs.get(app) ?? needs.set(app, new Set()).get(app)!;
  const admin = (need: NeedName) => ({
    ensure: async (app: string) => {
      of(app).add(need);
      return {};
    },
    drop: async (app: string) => {
      if (fail.has(need)) throw FAILURES[need];
      of(app).delete(need);
    },
    exists: async (app: string) => of(app).has(need),
    holdsShares: async () => [...needs.values()].some((held) => held.has(need)),
  });
  const database = {
    ...admin('database'),
    names: (app: string) => ({ database: app.replace(/-/g, '_'), user: app.replace(/-/g, '_') }),
    appHost: 'mariadb',
    appPort: 3306,
  } as unknown as DatabaseAdmin;
  const messagebus = {
    ...admin('messagebus'),
    names: (app: string) => ({ vhost: app, user: app }),
    appHost: 'rabbitmq',
    appPort: 5672,
  } as unknown as MessagebusAdmin;
  const postgres = {
    ...admin('postgres'),
    names: (app: string) => ({ database: app.replace(/-/g, '_'), role: app.replace(/-/g, '_') }),
    appHost: 'postgres',
    appPort: 5432,
  } as unknown as NonNullable<AppContext['postgres']>;
  const redis = {
    ...admin('redis'),
    names: (app: string) => ({ user: app.replace(/-/g, '_'), prefix: `${app.replace(/-/g, '_')}:` }),
    appHost: 'redis',
    appPort: 6379,
  } as unknown as NonNullable<AppContext['redis']>;
  const engine = new FakeEngine();
  const ctx = {
    docker: engine.docker(),
    dataDir,
    baseDomain: 'example.com',
    endpointMode: 'vip',
    store,
    certificates: {
      get: async (domain: string) => {
        certificates.add(domain);
        return { certificatePem: 'cert', privateKeyPem: { reveal: () => 'key' } };
      },
      remove: async (domain: string) => {
        certificates.delete(domain);
      },
      state: async () => ({ issuer: 'platform-ca', failures: 0, orders: 0 }),
    } as unknown as CertificateStore,
    database,
    messagebus,
    postgres,
    redis,
    storage: admin('storage') as unknown as StorageAdmin,
    proxy: {
      apply: async (applied: readonly ProxyRoute[]) => {
        routed.push(applied.map((r) => r.app));
        routes.push([...applied]);
      },
    },
    registryAuth: [],
    reservedDomains: ['admin.example.com'],
    deployTimeoutMs: 5_000,
  } as unknown as AppContext;
  return { ctx, engine, store, dataDir, needs, certificates, routed, routes, fail };
}
