import t from 'tap';
import { admin, testApp, deployTokenHeaders } from './helpers/app.js';

// GET /v1/apps/{name}/stats and GET /v1/server over fakes: the answers' shape, bad queries,
// errors, and who may ask.

t.test("GET /v1/apps/{name}/stats: each task now and the app's last hour", async (t) => {
  const { app, apps, stats } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  apps.records.get('shop')!.replicas = 2;
  const res = await app.inject({ method: 'GET', url: '/v1/apps/shop/stats', headers: admin });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.match(body, {
    app: 'shop',
    at: /Z$/,
    tasks: [
      {
        service: 'web',
        task: 'web.1',
        node: 'mc-mgr',
        restarts: 0,
        cpuPercent: 12.5,
        memoryLimitBytes: 64 * 1024 * 1024,
      },
      { task: 'web.2', restarts: 1 },
    ],
  });
  t.equal(body.history.length, 60);
  t.notOk('cpuPercent' in body.history[0], 'a sample without CPU leaves it out, it is not 0');
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/shop/stats?runner=web', headers: admin })).statusCode, 200);

  const runner = await app.inject({ method: 'GET', url: '/v1/apps/shop/stats?runner=cron', headers: admin });
  t.equal(runner.statusCode, 404);
  t.match(runner.json(), { code: 'MC_RUNNER_NOT_FOUND', errors: [{ field: 'runner' }] });
  const bad: [string, string][] = [
    ['runner=Bad_Name', 'querystring.runner'],
    ['colour=red', 'querystring'],
  ];
  for (const [query, field] of bad) {
    const r = await app.inject({ method: 'GET', url: `/v1/apps/shop/stats?${query}`, headers: admin });
    t.equal(r.statusCode, 400, query);
    t.match(r.json().errors, [{ field: new RegExp(`^${field.replace('.', '\\.')}`) }], `${query} names ${field}`);
  }
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/nope/stats', headers: admin })).statusCode, 404);
  stats.failing.add('shop');
  const failed = await app.inject({ method: 'GET', url: '/v1/apps/shop/stats', headers: admin });
  t.equal(failed.statusCode, 502);
  t.match(failed.json(), { code: 'MC_ENGINE' });
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/shop/stats' })).statusCode, 401);
});

t.test("a deploy token may read its own app's stats, never another app's nor the server's", async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  apps.seed('other');
  const ci = await deployTokenHeaders(app, 'web');
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/web/stats', headers: ci })).statusCode, 200);
  for (const url of ['/v1/apps/other/stats', '/v1/server']) {
    const res = await app.inject({ method: 'GET', url, headers: ci });
    t.equal(res.statusCode, 403, url);
    t.match(res.json(), { code: 'MC_FORBIDDEN' });
  }
});

t.test('GET /v1/server: memory of each node and the disk, by the platform and each app (admin only)', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('shop');
  apps.seed('blog');
  const res = await app.inject({ method: 'GET', url: '/v1/server', headers: admin });
  t.equal(res.statusCode, 200);
  t.match(res.json(), {
    nodes: [
      { hostname: 'mc-mgr', totalBytes: Number, platformBytes: Number, apps: [{ app: 'shop' }, { app: 'blog' }] },
      { hostname: 'mc-w1', error: /no agent/ },
    ],
    disk: { path: '/data/minicloud', totalBytes: Number, usedBytes: Number, freeBytes: Number, apps: Array },
  });
  t.equal((await app.inject({ method: 'GET', url: '/v1/server' })).statusCode, 401);
  const { app: bare } = await testApp({ stats: undefined });
  t.teardown(() => bare.close());
  const none = await bare.inject({ method: 'GET', url: '/v1/server', headers: admin });
  t.equal(none.statusCode, 503);
  t.match(none.json(), { code: 'MC_UNAVAILABLE' });
});
