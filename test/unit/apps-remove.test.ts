import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { AppManager, Sensitive, type AppRecord, type NeedName } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';

// AppManager.remove with the platform's edges faked: the record is the last thing to go, so a
// purge that fails half way leaves it (naming what is left) and a second remove finishes.

function record(name: string, needs: NeedName[]): AppRecord {
  return {
    name,
    image: `registry.example.com/${name}:1`,
    domains: [`${name}.example.com`, 'www.shop.example'],
    envKeys: [],
    replicas: 1,
    needs,
    manifest: {
      name,
      expose: [{ proto: 'http', port: 80 }],
      needs,
      env: {},
      runners: [],
      resources: {},
      storage: { path: '/data' },
    },
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
}

async function installed(t: Test) {
  const edges = fakeAppContext(t.testdir({}));
  const shop = record('shop', ['database', 'messagebus', 'storage']);
  await edges.store.write(shop, { stackYaml: 'services: {}\n' });
  await edges.store.writeSecrets('shop', { database: new Sensitive('pw') }, new Sensitive('DATABASE_URL=x\n'));
  await edges.store.write(record('blog', []), { stackYaml: 'services: {}\n' });
  edges.needs.set('shop', new Set(['database', 'messagebus', 'storage']));
  for (const d of shop.domains) edges.certificates.add(d);
  return { ...edges, manager: new AppManager(edges.ctx) };
}

t.test('a purge whose database drop fails keeps the record and names what is left', async (t) => {
  const { manager, store, needs, certificates, routed, fail } = await installed(t);
  fail.add('database');
  const error = await manager.remove('shop', { purge: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(error, {
    code: 'MC_APP_REMOVE_INCOMPLETE',
    message: /app shop is not fully removed.*database could not be purged.*remove it again/s,
    details: [{ path: 'database', message: /is left \(MC_DATABASE: DROP DATABASE failed/ }],
  });
  t.ok(await store.exists('shop'), 'the record stays while its data is there');
  t.same([...needs.get('shop')!], ['database'], 'every other part went');
  t.same(certificates.size, 0, 'its certificates went');
  t.notOk(existsSync(store.credentialsFile('shop')), 'its secrets went');
  t.same(routed, [], 'the proxy still routes the record it has');

  fail.clear();
  await manager.remove('shop', { purge: true });
  t.notOk(await store.exists('shop'), 'a second remove finishes');
  t.same([...needs.get('shop')!], []);
  t.same(routed.at(-1), ['blog'], 'and the proxy forgets the app');
});

t.test('every failed part is named, not only the first', async (t) => {
  const { manager, store, fail } = await installed(t);
  fail.add('database');
  fail.add('storage');
  await t.rejects(manager.remove('shop', { purge: true }), {
    code: 'MC_APP_REMOVE_INCOMPLETE',
    details: [{ path: 'database' }, { path: 'storage' }],
  });
  t.ok(await store.exists('shop'));
});

t.test('a remove without purge keeps the data and removes the record', async (t) => {
  const { manager, store, needs, fail } = await installed(t);
  fail.add('database');
  await manager.remove('shop');
  t.notOk(await store.exists('shop'));
  t.same([...needs.get('shop')!].sort(), ['database', 'messagebus', 'storage']);
  t.ok(existsSync(store.credentialsFile('shop')), 'the credentials stay for a re-add');
});
