import t from 'tap';
import { ADMIN_TOKEN, admin, testApp } from './helpers/app.js';
import { WebClient, text } from './helpers/web.js';

// Removing cleanly over the API: an app whose removal stopped part way is listed as removing
// with what is left, refuses changes with 409 MC_APP_REMOVING at once (no job), and the same
// DELETE finishes it; data an earlier app of the name left needs adopt or purgeOld.

const SHOP = 'registry.example.com/team/shop:1';

t.test(
  'a removal that stops part way: listed as removing, changes refused with 409, DELETE again finishes',
  async (t) => {
    const { app, apps } = await testApp();
    t.teardown(() => app.close());
    const inject = (method: string, url: string, payload?: unknown) =>
      app.inject({ method: method as 'GET', url, headers: admin, ...(payload ? { payload } : {}) });
    t.equal((await inject('POST', '/v1/apps?wait=true', { image: SHOP })).statusCode, 201);
    apps.failPurge.add('database');
    const failed = await inject('DELETE', '/v1/apps/shop?purge=true&wait=true');
    t.equal(failed.statusCode, 502);
    t.match(failed.json(), {
      code: 'MC_APP_REMOVE_INCOMPLETE',
      detail: /`minicloud app rm shop --purge` again/,
      errors: [{ field: 'database', message: /is left/ }],
    });

    const list = await inject('GET', '/v1/apps');
    t.equal(list.statusCode, 200);
    t.match(list.json().apps, [
      { name: 'shop', state: 'removing', removal: { purge: true, startedAt: String, left: [{ part: 'database' }] } },
    ]);
    t.match((await inject('GET', '/v1/apps/shop')).json(), {
      state: 'removing',
      removal: { left: [{ part: 'database' }] },
    });

    const calls = apps.calls.length;
    const refusals = [
      ['PATCH', '/v1/apps/shop', { replicas: 2 }],
      ['POST', '/v1/apps/shop/needs', { need: 'storage' }],
      ['DELETE', '/v1/apps/shop/needs/database'],
      ['POST', '/v1/apps/shop/domains', { domain: 'www.shop.example' }],
      ['DELETE', '/v1/apps/shop/domains/shop.minicloud.localhost'],
      ['POST', '/v1/apps', { image: SHOP, name: 'shop' }],
    ] as const;
    for (const [method, url, body] of refusals) {
      const res = await inject(method, url, body);
      t.equal(res.statusCode, 409, `${method} ${url}`);
      t.match(res.json(), {
        code: 'MC_APP_REMOVING',
        detail: /app shop is being removed \(left: database\).*`minicloud app rm shop --purge`/s,
        errors: [{ field: 'name', message: 'is being removed: minicloud app rm shop --purge finishes it' }],
      });
    }
    t.same(
      apps.calls.slice(calls).filter((c) => !c.startsWith('addDomain') && !c.startsWith('removeDomain')),
      [],
      'no job was started for any of them',
    );

    apps.failPurge.clear();
    t.equal((await inject('DELETE', '/v1/apps/shop?wait=true')).statusCode, 204, 'DELETE again finishes it');
    t.equal((await inject('GET', '/v1/apps/shop')).statusCode, 404);
    t.same((await inject('GET', '/v1/apps')).json().apps, []);
  },
);

t.test('adopt and purgeOld: booleans, one at a time, named when wrong; nothing starts', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const both = await app.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: admin,
    payload: { image: SHOP, adopt: true, purgeOld: true },
  });
  t.equal(both.statusCode, 400);
  t.match(both.json(), {
    code: 'MC_SETTINGS_INVALID',
    detail: /adopt and purgeOld exclude each other/,
    errors: [{ field: 'purgeOld', message: 'cannot be combined with adopt' }],
  });
  const notBoolean = await app.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: admin,
    payload: { image: SHOP, adopt: 'yes' },
  });
  t.equal(notBoolean.statusCode, 400);
  t.match(notBoolean.json(), { code: 'MC_BAD_REQUEST', errors: [{ field: 'adopt' }] });
  apps.seed('blog');
  const need = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/needs',
    headers: admin,
    payload: { need: 'database', adopt: true, purgeOld: true },
  });
  t.equal(need.statusCode, 400);
  t.match(need.json(), { code: 'MC_SETTINGS_INVALID', errors: [{ field: 'purgeOld' }] });
  t.same(apps.calls, [], 'no job started');
});

t.test('an add over kept data: 409 MC_APP_DATA_EXISTS naming it; adopt or purgeOld go through', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const add = (extra: Record<string, unknown> = {}) =>
    app.inject({ method: 'POST', url: '/v1/apps?wait=true', headers: admin, payload: { image: SHOP, ...extra } });
  t.equal((await add()).statusCode, 201);
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/apps/shop?wait=true', headers: admin })).statusCode, 204);
  const refused = await add();
  t.equal(refused.statusCode, 409);
  t.match(refused.json(), {
    code: 'MC_APP_DATA_EXISTS',
    detail: /database of shop.*Nothing was changed.*--adopt.*--purge-old.*adopt or purgeOld/s,
    errors: [{ field: 'database', message: 'database of shop exists' }],
  });
  t.notOk(apps.records.has('shop'), 'not added');
  t.equal((await add({ adopt: true })).statusCode, 201, 'adopt');
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/apps/shop?wait=true', headers: admin })).statusCode, 204);
  const fresh = await app.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: admin,
    payload: { image: SHOP, purgeOld: true },
  });
  const job = await app.inject({ method: 'GET', url: `/v1/jobs/${fresh.json().id}?wait=5`, headers: admin });
  t.match(job.json(), { state: 'succeeded' });
  t.ok(
    job.json().progress.some((p: { step: string }) => p.step === 'dropping the old database'),
    'purgeOld drops the old data first',
  );
});

t.test('the OpenAPI document describes the state and the choices', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json();
  const schemas = doc.components.schemas;
  t.match(JSON.stringify(schemas.AppStatus.properties.state), /"active".*"removing"/);
  t.ok(schemas.AppStatus.required.includes('state'));
  t.ok(schemas.AppSummary.properties.removal);
  const body = doc.paths['/v1/apps'].post.requestBody.content['application/json'].schema;
  t.same(
    Object.keys(body.properties).filter((k) => k === 'adopt' || k === 'purgeOld'),
    ['adopt', 'purgeOld'],
  );
});

t.test('the admin pages show a removing app, what is left and the command that finishes it', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  await app.inject({ method: 'POST', url: '/v1/apps?wait=true', headers: admin, payload: { image: SHOP } });
  apps.failPurge.add('database');
  await app.inject({ method: 'DELETE', url: '/v1/apps/shop?purge=true&wait=true', headers: admin });
  const web = new WebClient(app);
  await web.login(ADMIN_TOKEN);
  const list = text((await web.get('/apps')).body);
  t.match(list, /shop\s+removing/);
  const page = text((await web.get('/apps/shop')).body);
  t.match(page, /This app is being removed with its data/);
  t.match(page, /database\s*: MC_DATABASE: lost connection/);
  t.match(page, /Run minicloud app rm\s+shop --purge again to finish/);
  const html = (await web.get('/apps/shop')).body;
  t.notMatch(html, /action="\/apps\/shop\/(update|restart)"/, 'no update or restart form: they would only answer 409');
  t.match(html, /action="\/apps\/shop\/remove"/, 'the remove form stays: it finishes the removal');
});
