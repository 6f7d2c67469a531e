import t from 'tap';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppManager, manifestFromText, type AppContext, type AppRecord } from '@minicloud/core';

// How AppManager deploys an app, seen at the Engine API: the service specs it creates, with the
// engine faked. The point is the networks: on the platform's shared ones an app's services
// answer only to `<app>_<service>`, never to a bare `web` or a runner's name (issue 11).

const manifest = manifestFromText(
  [
    'name: shop',
    'expose: [{proto: http, port: 8080}]',
    'needs: [messagebus]',
    'runners: [{name: worker, command: "node worker.js"}]',
  ].join('\n'),
  'cloud_manifest.yml',
);

function setup(t: { teardown(fn: () => void): void }) {
  const secretsDir = mkdtempSync(join(tmpdir(), 'mc-apps-networks-'));
  t.teardown(() => rmSync(secretsDir, { recursive: true, force: true }));
  writeFileSync(join(secretsDir, 'shop.env'), 'AMQP_URL=amqp://shop:pw@rabbitmq:5672/shop\n');
  const record: AppRecord = {
    name: 'shop',
    state: 'active',
    image: 'registry.example.com/shop:1',
    domains: ['shop.example.com'],
    envKeys: [],
    replicas: 1,
    needs: ['messagebus'],
    manifest,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
  const created: Record<string, unknown>[] = [];
  const docker = {
    listServices: async () => [],
    listNetworks: async () => [
      { Id: 'n1', Name: 'minicloud-proxy', Labels: {} },
      { Id: 'n2', Name: 'minicloud-services', Labels: {} },
    ],
    createNetwork: async () => ({ id: 'n3' }),
    createService: async (_auth: unknown, spec: Record<string, unknown>) => {
      created.push(spec);
      return { id: `s${created.length}` };
    },
    // Waiting for the tasks is not the point here: the deploy stops once the specs are sent.
    getService: () => ({
      inspect: async () => {
        throw new Error('stop: the specs are sent');
      },
    }),
  };
  const ctx = {
    docker,
    dataDir: '/data/minicloud',
    baseDomain: 'example.com',
    endpointMode: 'vip',
    store: {
      read: async () => record,
      readStored: async () => ({ record }),
      readSecrets: async () => ({}),
      list: async () => [record],
      // The update's mark (the API dying under it); what it holds is another test's.
      writeRecord: async () => undefined,
      secretsDir,
    },
    registryAuth: [],
    reservedDomains: [],
  } as unknown as AppContext;
  return { manager: new AppManager(ctx), created };
}

const networksOf = (spec: Record<string, unknown>) =>
  (spec['TaskTemplate'] as { Networks: { Target: string; Aliases?: string[] }[] }).Networks;

t.test("an app's services take their short names only on the app's own network", async (t) => {
  const { manager, created } = setup(t);
  await t.rejects(manager.update('shop', {}), /stop: the specs are sent/);
  t.same(
    created.map((s) => [s['Name'], networksOf(s)]),
    [
      [
        'shop_web',
        [{ Target: 'minicloud-proxy' }, { Target: 'minicloud-services' }, { Target: 'shop_app', Aliases: ['web'] }],
      ],
      ['shop_worker', [{ Target: 'minicloud-services' }, { Target: 'shop_app', Aliases: ['worker'] }]],
    ],
  );
});
