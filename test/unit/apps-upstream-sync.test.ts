import t from 'tap';
import {
  AppManager,
  Sensitive,
  type AppContext,
  type AppRecord,
  type CertificateFiles,
  type ProxyRoute,
  type UpstreamAddresses,
  type UpstreamTarget,
} from '@minicloud/core';

// AppManager.syncUpstreams with the platform's edges faked: which routes it hands the proxy,
// with which addresses, and when it leaves the proxy alone.

const record = (name: string, domains: string[], healthcheck?: object): AppRecord =>
  ({
    name,
    image: `registry/${name}:1`,
    domains,
    envKeys: [],
    replicas: 1,
    needs: [],
    manifest: { name, expose: [{ proto: 'http', port: 8080 }], needs: [], ...(healthcheck ? { healthcheck } : {}) },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  }) as unknown as AppRecord;

function setup() {
  const state = {
    records: [
      record('shop', ['shop.example.com'], { http: '/up', interval: '30s' }),
      record('blog', ['blog.example.com'], { command: 'true', interval: '30s' }),
    ],
    tasks: new Map<string, string[]>([
      ['shop_web', ['10.0.1.5']],
      ['blog_web', ['10.0.1.7']],
    ]),
    applied: [] as ProxyRoute[][],
    storeReads: 0,
    lookups: [] as UpstreamTarget[][],
    listeners: [] as (() => void)[],
  };
  const cert: CertificateFiles = { certificatePem: 'cert', privateKeyPem: new Sensitive('key') };
  const ctx = {
    store: {
      list: async () => {
        state.storeReads++;
        return state.records;
      },
    },
    certificates: { get: async () => cert },
    proxy: {
      apply: async (routes: readonly ProxyRoute[]) => {
        state.applied.push([...routes]);
      },
    },
    upstreams: {
      addresses: async (targets: readonly UpstreamTarget[]): Promise<UpstreamAddresses> => {
        state.lookups.push([...targets]);
        const services = targets.map((t) => t.service);
        return new Map(services.flatMap((s) => (state.tasks.has(s) ? [[s, state.tasks.get(s)!]] : [])));
      },
      onReady: (listener: () => void) => state.listeners.push(listener),
    },
  } as unknown as AppContext;
  return { manager: new AppManager(ctx), state };
}

t.test('the first pass routes with the current addresses; unchanged ones change nothing', async (t) => {
  const { manager, state } = setup();
  t.equal(await manager.syncUpstreams(), true, 'nothing routed yet by this process: route');
  t.same(
    state.applied[0]?.map((r) => [r.app, r.upstream, r.port, r.addresses]),
    [
      ['shop', 'shop_web', 8080, ['10.0.1.5']],
      ['blog', 'blog_web', 8080, ['10.0.1.7']],
    ],
  );
  t.equal(await manager.syncUpstreams(), false, 'same addresses: the proxy is left alone');
  t.equal(state.applied.length, 1);
});

t.test('a moved task re-routes; later passes read the routes routed, not the store', async (t) => {
  const { manager, state } = setup();
  await manager.syncUpstreams();
  const reads = state.storeReads;
  state.tasks.set('shop_web', ['10.0.1.5', '10.0.1.9']);
  t.equal(await manager.syncUpstreams(), true);
  t.same(state.applied.at(-1)?.find((r) => r.app === 'shop')?.addresses, ['10.0.1.5', '10.0.1.9']);
  t.equal(await manager.syncUpstreams(), false);
  t.equal(state.storeReads, reads + 1, 'the store is read only by the re-route itself');
  t.same(
    state.lookups.at(-1),
    [
      { service: 'shop_web', port: 8080, healthPath: '/up' },
      { service: 'blog_web', port: 8080 },
    ],
    'asks for the routed services, each with how to probe its new tasks: the http healthcheck path, else TCP',
  );
});

t.test('a task that answers its probe is told to the listener (the API wakes its sync loop)', async (t) => {
  const { manager, state } = setup();
  let woken = 0;
  manager.onTasksReady(() => woken++);
  t.equal(state.listeners.length, 1);
  state.listeners[0]!();
  t.equal(woken, 1);
});

t.test('a service with no task gets no addresses (the proxy resolves it by DNS)', async (t) => {
  const { manager, state } = setup();
  state.tasks.delete('blog_web');
  await manager.syncUpstreams();
  t.same(state.applied[0]?.find((r) => r.app === 'blog')?.addresses, []);
});

t.test('without an upstream locator there is nothing to sync', async (t) => {
  const { state } = setup();
  const manager = new AppManager({ store: { list: async () => state.records } } as unknown as AppContext);
  t.equal(await manager.syncUpstreams(), false);
});
