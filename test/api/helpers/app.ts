import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppOptions } from '@minicloud/api';
import { Sensitive } from '@minicloud/core';
import {
  FakeApps,
  fakeExec,
  fakeImages,
  fakeLogs,
  fakeNodes,
  fakeRegistry,
  fakeStacks,
  fakeStats,
  manifestFor,
  type FakeAppsOptions,
} from './fakes.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** Images the fake platform knows: hello (no needs) and shop (a database). */
export const IMAGES = {
  'registry.example.com/team/hello': manifestFor('hello'),
  'registry.example.com/team/shop': manifestFor('shop', ['database']),
};

export interface TestApp {
  app: FastifyInstance;
  apps: FakeApps;
  nodes: ReturnType<typeof fakeNodes>;
  stacks: ReturnType<typeof fakeStacks>;
  stats: ReturnType<typeof fakeStats>;
  /** Every log line the app wrote, as text. */
  logs: string[];
  exec: ReturnType<typeof fakeExec>;
}

/** The API with every port faked and logs captured; closed by the caller (t.teardown). */
export async function testApp(options: Partial<AppOptions> & { fake?: FakeAppsOptions } = {}): Promise<TestApp> {
  const { fake, ...rest } = options;
  const apps = new FakeApps({ images: IMAGES, ...fake });
  const nodes = fakeNodes();
  const stacks = fakeStacks();
  const stats = fakeStats(apps);
  const logs: string[] = [];
  const exec = fakeExec(apps);
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  const app = await buildApp({
    adminToken: new Sensitive(ADMIN_TOKEN),
    apps,
    nodes,
    stacks,
    registry: fakeRegistry(),
    images: fakeImages(apps),
    logs: fakeLogs(apps),
    exec,
    stats,
    logStream,
    ...rest,
  });
  return { app, apps, nodes, stacks, stats, logs, exec };
}

/** A deploy token for one app, made by the admin, as the headers its CI job would send. */
export async function deployTokenHeaders(app: FastifyInstance, name: string): Promise<{ authorization: string }> {
  const res = await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: name } });
  if (res.statusCode !== 201) throw new Error(`POST /v1/tokens for ${name}: ${res.statusCode} ${res.body}`);
  return { authorization: `Bearer ${(res.json() as { token: string }).token}` };
}
