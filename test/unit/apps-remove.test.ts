import t, { type Test } from 'tap';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppManager, parseRecord, Sensitive, type AppRecord, type NeedName } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';

// AppManager.remove with the platform's edges faked: the record is the last thing to go, so a
// purge that fails half way leaves it (naming what is left) and a second remove finishes.

function record(name: string, needs: NeedName[]): AppRecord {
  return {
    name,
    state: 'active',
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

t.test('a purge whose database drop fails leaves the app removing, naming what is left', async (t) => {
  const { manager, store, needs, certificates, routed, fail } = await installed(t);
  fail.add('database');
  const error = await manager.remove('shop', { purge: true }).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.match(error, {
    code: 'MC_APP_REMOVE_INCOMPLETE',
    message: /app shop is not fully removed: database could not be removed.*`minicloud app rm shop --purge` again/s,
    details: [{ path: 'database', message: /is left \(MC_DATABASE: DROP DATABASE failed/ }],
  });
  t.ok(await store.exists('shop'), 'the record stays while its data is there');
  t.match(await store.read('shop'), {
    state: 'removing',
    removal: { purge: true, startedAt: String, left: [{ part: 'database', reason: /DROP DATABASE failed/ }] },
  });
  t.match(await manager.show('shop'), { state: 'removing', removal: { left: [{ part: 'database' }] }, urls: [] });
  t.same(
    (await manager.list()).map((a) => [a.name, a.state]),
    [
      ['blog', 'active'],
      ['shop', 'removing'],
    ],
    'it is listed as removing',
  );
  t.same([...needs.get('shop')!], ['database'], 'every other part went');
  t.notOk(certificates.has('shop.example.com'), 'its certificates went');
  t.notOk(existsSync(store.credentialsFile('shop')), 'its secrets went');
  t.same(routed, [['blog']], 'the proxy stopped serving it before anything was removed');

  fail.clear();
  await manager.remove('shop', { purge: true });
  t.notOk(await store.exists('shop'), 'a second remove finishes');
  t.same([...needs.get('shop')!], []);
  t.same(routed.at(-1), ['blog']);
});

t.test('the removing state is written before anything is removed', async (t) => {
  const { manager, store, ctx } = await installed(t);
  let seen: unknown;
  // The first thing removed is the routes: the record must say removing by then.
  const apply = ctx.proxy.apply.bind(ctx.proxy);
  ctx.proxy.apply = async (...args) => {
    seen = await store.read('shop');
    return apply(...args);
  };
  await manager.remove('shop', { purge: true });
  t.match(seen, {
    state: 'removing',
    removal: {
      purge: true,
      left: [
        { part: 'routes' },
        { part: 'stack' },
        { part: 'database' },
        { part: 'messagebus' },
        { part: 'storage' },
        { part: 'certificate shop.example.com' },
        { part: 'certificate www.shop.example' },
        { part: 'secrets' },
      ],
    },
  });
});

t.test('while removing, changes are refused with MC_APP_REMOVING naming the command', async (t) => {
  const { manager, store, fail } = await installed(t);
  fail.add('messagebus');
  await t.rejects(manager.remove('shop', { purge: true }), { code: 'MC_APP_REMOVE_INCOMPLETE' });
  const refused = {
    code: 'MC_APP_REMOVING',
    status: 409,
    message: /app shop is being removed \(left: messagebus\).*`minicloud app rm shop --purge`/s,
  };
  await t.rejects(manager.update('shop', { replicas: 2 }), refused, 'update');
  await t.rejects(manager.addDomain('shop', 'more.example.com'), refused, 'domain add');
  await t.rejects(manager.removeDomain('shop', 'www.shop.example'), refused, 'domain rm');
  await t.rejects(manager.attachNeed('shop', 'database'), refused, 'need add');
  await t.rejects(manager.detachNeed('shop', 'storage'), refused, 'need rm');
  t.match(await store.read('shop'), { state: 'removing', removal: { left: [{ part: 'messagebus' }] } }, 'unchanged');
  fail.clear();
  // Without --purge: a purge once started is what finishing means.
  await manager.remove('shop');
  t.notOk(await store.exists('shop'));
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

t.test('a record written before removals were recorded reads as active, and stays readable', async (t) => {
  const { manager, store } = await installed(t);
  const old = { ...record('legacy', []) } as Partial<AppRecord>;
  delete old.state;
  mkdirSync(store.dir('legacy'), { recursive: true });
  writeFileSync(join(store.dir('legacy'), 'app.json'), JSON.stringify(old));
  t.match(await store.read('legacy'), { name: 'legacy', state: 'active' });
  t.notOk('removal' in (await store.read('legacy')));
  t.match(await manager.show('legacy'), { state: 'active' });
  t.same(parseRecord(JSON.stringify({ ...old, removal: { purge: true, left: [] } })).record.state, 'removing');
  await manager.remove('legacy');
  t.notOk(await store.exists('legacy'), 'and it can be removed');
});

t.test('attaching a need whose data an earlier app left: refused unless adopted or purged', async (t) => {
  const { manager, needs, ctx } = await installed(t);
  const blog = needs.get('blog') ?? needs.set('blog', new Set()).get('blog')!;
  blog.add('database');
  const dropped: string[] = [];
  const drop = ctx.database.drop.bind(ctx.database);
  ctx.database.drop = async (app) => {
    dropped.push(app);
    return drop(app);
  };
  await t.rejects(manager.attachNeed('blog', 'database'), {
    code: 'MC_APP_DATA_EXISTS',
    status: 409,
    message:
      /database blog \(or its user\).*Nothing was changed.*minicloud app need add blog database --adopt.*--purge-old/s,
    details: [{ path: 'database', message: 'database blog (or its user) exists' }],
  });
  t.match(await manager.show('blog'), { needs: [] }, 'not attached');
  await t.rejects(manager.attachNeed('blog', 'database', undefined, { adopt: true, purgeOld: true }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'purgeOld', message: 'cannot be combined with adopt' }],
  });
  t.same(dropped, [], 'nothing dropped by a refusal');
  await manager.attachNeed('blog', 'database', undefined, { purgeOld: true });
  t.same(dropped, ['blog'], 'purgeOld drops the old data first');
  t.match(await manager.show('blog'), { needs: ['database'] });
});
