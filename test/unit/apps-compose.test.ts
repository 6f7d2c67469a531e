import t, { type Test } from 'tap';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppManager, COMPOSE_SOURCE_FILE, parseRecord, routedServiceOf, Sensitive } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';
import { appRecord } from '../helpers/app-record.js';

// A compose app (issue 17) through AppManager with the platform's edges faked: added from its
// file, routed to the service x-minicloud.expose names, its needs given to the services that
// are not private, updated with a new file, and purged with its named volumes.

// Each service has a healthcheck: the fake engine's tasks are then proven at one look.
const FILE = `
services:
  front:
    image: registry.example.com/shop/front:1
    healthcheck: {test: [CMD, "true"]}
  worker:
    image: registry.example.com/shop/worker:1
    command: [node, worker.js]
    healthcheck: {test: [CMD, "true"]}
  cache:
    image: redis:7
    volumes: [cache-data:/data]
    healthcheck: {test: [CMD, "true"]}
volumes:
  cache-data:
x-minicloud:
  expose: [{service: front, proto: http, port: 8080}]
  needs: [database]
  domains: [shop.example.org]
  private: [cache]
`;

async function setUp(t: Test) {
  const edges = fakeAppContext(t.testdir({}));
  return { ...edges, manager: new AppManager(edges.ctx) };
}

t.test('add --compose: the file kept beside the record, its needs provisioned, routed to its service', async (t) => {
  const { manager, engine, needs, routes, dataDir } = await setUp(t);
  const added = await manager.add({ name: 'shop', compose: FILE });
  t.match(added, {
    name: 'shop',
    image: 'registry.example.com/shop/front:1',
    source: { kind: 'compose', routedService: 'front', volumes: ['cache-data'] },
    needs: ['database'],
    domains: ['shop.example.com', 'shop.example.org'],
    urls: ['https://shop.example.com/', 'https://shop.example.org/'],
  });
  const dir = join(dataDir, 'config', 'apps', 'shop');
  t.equal(readFileSync(join(dir, COMPOSE_SOURCE_FILE), 'utf8'), FILE, 'the file as given, in the config dir');
  t.ok(existsSync(join(dir, 'docker-compose.yml')), 'and the compiled stack');
  t.ok(needs.get('shop')?.has('database'), 'x-minicloud.needs provisioned');
  t.same([...engine.services.keys()].sort(), ['shop_cache', 'shop_front', 'shop_worker']);
  t.ok(
    engine.env('shop_front').some((e) => e.startsWith('DATABASE_URL=')),
    'front gets the need',
  );
  t.ok(
    engine.env('shop_worker').some((e) => e.startsWith('DATABASE_URL=')),
    'worker gets the need',
  );
  t.notOk(
    engine.env('shop_cache').some((e) => e.startsWith('DATABASE_URL=')),
    'the private cache does not',
  );
  t.match(routes.at(-1), [
    { app: 'shop', upstream: 'shop_front', port: 8080, domains: ['shop.example.com', 'shop.example.org'] },
  ]);
});

t.test('add refuses no origin, two origins, and a compose file without a name, by field', async (t) => {
  const { manager, store } = await setUp(t);
  await t.rejects(manager.add({ name: 'shop' }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'image', message: /exactly one of image and compose/ }],
  });
  await t.rejects(manager.add({ name: 'shop', image: 'nginx:1', compose: FILE }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'compose', message: /exactly one of image and compose/ }],
  });
  await t.rejects(manager.add({ compose: FILE }), { code: 'MC_SETTINGS_INVALID', details: [{ path: 'name' }] });
  await t.rejects(
    manager.add({ name: 'shop', compose: 'services:\n  web:\n    image: nginx\n    ports: ["80:80"]\n' }),
    {
      code: 'MC_COMPOSE_INVALID',
      details: [{ path: 'services.web.ports' }],
    },
  );
  t.notOk(await store.exists('shop'));
});

t.test('a domain of x-minicloud.domains another app has is refused as any taken domain', async (t) => {
  const { manager, store, engine } = await setUp(t);
  await store.write({ ...appRecord('blog', []), domains: ['blog.example.com', 'shop.example.org'] }, { stackYaml: '' });
  await t.rejects(manager.add({ name: 'shop', compose: FILE }), {
    code: 'MC_DOMAIN_TAKEN',
    message: /shop.example.org is already routed to app blog/,
  });
  t.notOk(await store.exists('shop'));
  t.equal(engine.services.size, 0, 'nothing deployed');
});

t.test('update --compose replaces the file; image and compose each only for their kind of app', async (t) => {
  const { manager, store, engine, routes, dataDir } = await setUp(t);
  await manager.add({ name: 'shop', compose: FILE });
  const next = FILE.replace('front:1', 'front:2')
    .replace('port: 8080', 'port: 9090')
    .replace('domains: [shop.example.org]', 'domains: [shop.example.org, www.shop.example.org]');
  const { app, rolledBack } = await manager.update('shop', { compose: next, replicas: 2 });
  t.equal(rolledBack, false);
  t.match(app, {
    image: 'registry.example.com/shop/front:2',
    replicas: 2,
    domains: ['shop.example.com', 'shop.example.org', 'www.shop.example.org'],
  });
  t.equal(readFileSync(join(dataDir, 'config', 'apps', 'shop', COMPOSE_SOURCE_FILE), 'utf8'), next);
  const specOf = () =>
    engine.services.get('shop_front')!.Spec as unknown as {
      TaskTemplate: { ContainerSpec: { Image: string } };
      Mode: { Replicated: { Replicas: number } };
    };
  t.match(specOf().TaskTemplate.ContainerSpec.Image, /front:2/);
  t.equal(specOf().Mode.Replicated.Replicas, 2, 'replicas scale the routed service');
  t.match(routes.at(-1), [{ upstream: 'shop_front', port: 9090 }]);

  // Another change (a need) compiles from the stored file.
  await manager.attachNeed('shop', 'redis');
  t.ok(
    engine.env('shop_worker').some((e) => e.startsWith('REDIS_URL=')),
    'the need given to the services',
  );
  t.match(specOf().TaskTemplate.ContainerSpec.Image, /front:2/, 'compiled from the stored (new) file');

  await t.rejects(manager.update('shop', { image: 'nginx:2' }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'image', message: /give compose/ }],
  });
  await t.rejects(manager.update('shop', { followTag: true }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'followTag' }],
  });
  await store.write(appRecord('blog', []), { stackYaml: '' });
  await t.rejects(manager.update('blog', { compose: FILE }), {
    code: 'MC_SETTINGS_INVALID',
    details: [{ path: 'compose', message: /give image/ }],
  });
});

t.test('rm --purge drops the needs and removes the named volumes, <app>_<volume>', async (t) => {
  const { manager, store, engine, needs } = await setUp(t);
  await manager.add({ name: 'shop', compose: FILE });
  t.ok(engine.volumes.has('shop_cache-data'), 'the stack made its volume');
  engine.volumes.set('blog_cache-data', {});
  await manager.remove('shop', { purge: true });
  t.notOk(await store.exists('shop'));
  t.same([...engine.volumes.keys()], ['blog_cache-data'], "only the app's own volume went");
  t.notOk(needs.get('shop')?.has('database'));
  t.equal(engine.services.size, 0);
});

t.test('a volume that cannot be removed is named as left, and the removal stays to be finished', async (t) => {
  const { manager, store, ctx } = await setUp(t);
  await manager.add({ name: 'shop', compose: FILE });
  // A container on its way out still holds it, past the removal's deadline.
  (ctx.docker as unknown as { getVolume: () => unknown }).getVolume = () => ({
    remove: async () => {
      throw Object.assign(new Error('volume is in use'), { statusCode: 409 });
    },
  });
  const saved = Date.now;
  // The removal retries until its deadline: each look at the clock is a minute later.
  let minutes = 0;
  Date.now = () => saved() + 60_000 * minutes++;
  t.teardown(() => (Date.now = saved));
  await t.rejects(manager.remove('shop', { purge: true }), {
    code: 'MC_APP_REMOVE_INCOMPLETE',
    details: [{ path: 'volume shop_cache-data', message: /is left/ }],
  });
  Date.now = saved;
  t.match(await store.read('shop'), { state: 'removing', removal: { left: [{ part: 'volume shop_cache-data' }] } });
});

t.test('a record without source (written before compose apps) is a manifest app, as it was', async (t) => {
  const { manager, store, dataDir, routes } = await setUp(t);
  const old = appRecord('blog', []);
  // As an earlier version wrote app.json: no `source` field at all.
  t.notOk('source' in old);
  const text = `${JSON.stringify(old, null, 2)}\n`;
  t.same(parseRecord(text).record, old);
  t.equal(routedServiceOf(old), 'web');
  await store.write(old, { stackYaml: '' });
  await manager.addDomain('blog', 'www.blog.example');
  t.match(routes.at(-1), [{ app: 'blog', upstream: 'blog_web', port: 80 }]);
  t.notOk(existsSync(join(dataDir, 'config', 'apps', 'blog', COMPOSE_SOURCE_FILE)));
  await store.writeSecrets('blog', { database: new Sensitive('pw') }, new Sensitive(''));
  await manager.remove('blog', { purge: true });
  t.notOk(await store.exists('blog'), 'no volume part for a manifest app');
});
