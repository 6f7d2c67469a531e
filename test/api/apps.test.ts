import t from 'tap';
import { admin, testApp } from './helpers/app.js';

const HELLO = 'registry.example.com/team/hello:1';
const SHOP = 'registry.example.com/team/shop:1';

t.test('POST /v1/apps answers 202 with a job and its Location; the job runs to the app', async (t) => {
  const { app, apps } = await testApp({ fake: { stepMs: 20 } });
  t.teardown(() => app.close());
  const res = await app.inject({ method: 'POST', url: '/v1/apps', headers: admin, payload: { image: SHOP } });
  t.equal(res.statusCode, 202);
  const job = res.json();
  t.equal(res.headers.location, `/v1/jobs/${job.id}`);
  t.match(job, { kind: 'app.add', state: /queued|running/, progress: Array });
  const done = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}?wait=10`, headers: admin });
  t.match(done.json(), { state: 'succeeded', result: { name: 'shop', needs: ['database'], health: 'healthy' } });
  t.same(
    done.json().progress.map((p: { step: string }) => p.step),
    [`reading the manifest of ${SHOP}`, 'creating the database', 'deploying the stack', 'routing the domains'],
  );
  t.ok(apps.records.has('shop'));
});

t.test('POST /v1/apps?wait=true answers 201 with the app, or the failure as problem+json', async (t) => {
  const { app } = await testApp();
  t.teardown(() => app.close());
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: HELLO, domains: ['www.example.com'], env: { GREETING: 'hi' }, replicas: 2 },
  });
  t.equal(ok.statusCode, 201);
  t.match(ok.json(), {
    name: 'hello',
    image: HELLO,
    replicas: 2,
    envKeys: ['GREETING'],
    domains: ['hello.minicloud.localhost', 'www.example.com'],
    urls: ['https://hello.minicloud.localhost/', 'https://www.example.com/'],
    manifest: { name: 'hello', expose: [{ proto: 'http', port: 80 }] },
    services: [{ name: 'hello_web', desired: 2, running: 2, tasks: Array }],
  });
  t.match(ok.headers['x-job-id'], /^[0-9a-f-]{36}$/);
  t.notMatch(ok.body, '"hi"', 'env values are never shown');

  const clash = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: HELLO },
  });
  t.equal(clash.statusCode, 409, 'an app of that name exists');
  t.match(clash.headers['content-type'], /problem\+json/);
  t.match(clash.json(), { status: 409, code: 'MC_APP_EXISTS', detail: /hello/ });

  const domain = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: SHOP, domains: ['www.example.com'] },
  });
  t.equal(domain.statusCode, 409, 'a domain of another app');
  t.match(domain.json(), { code: 'MC_DOMAIN_TAKEN' });

  const noManifest = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: 'registry.example.com/team/nothing:1' },
  });
  t.equal(noManifest.statusCode, 404);
  t.match(noManifest.json(), { code: 'MC_MANIFEST_NOT_FOUND' });
});

t.test('bad bodies get 400 naming each field, and change nothing', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const cases: [unknown, string[]][] = [
    [{}, ['body.image']],
    [{ image: 'Not An Image!' }, ['body.image']],
    [{ image: HELLO, replicas: '3' }, ['body.replicas']],
    [{ image: HELLO, replicas: 101 }, ['body.replicas']],
    [{ image: HELLO, name: 'Bad_Name' }, ['body.name']],
    [{ image: HELLO, domains: ['not a domain'] }, ['body.domains[0]']],
    [{ image: HELLO, env: { 'BAD-NAME': 'x' } }, ['body.env.BAD-NAME']],
    [{ image: HELLO, imagee: 'x' }, ['body.imagee']],
  ];
  for (const [payload, fields] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/apps?wait=true',
      headers: admin,
      payload: payload as object,
    });
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.headers['content-type'], /problem\+json/);
    const body = res.json();
    t.equal(body.code, 'MC_BAD_REQUEST');
    t.same(
      body.errors.map((e: { field: string }) => e.field),
      fields,
      `fields of ${JSON.stringify(payload)}: ${JSON.stringify(body.errors)}`,
    );
  }
  const rule = await app.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: admin,
    payload: { image: HELLO, replicas: 101 },
  });
  t.same(rule.json().errors, [{ field: 'body.replicas', message: 'must be an integer from 0 to 100' }]);
  const notJson = await app.inject({
    method: 'POST',
    url: '/v1/apps',
    headers: { ...admin, 'content-type': 'application/json' },
    payload: '{"image":',
  });
  t.equal(notJson.statusCode, 400);
  t.match(notJson.json(), { code: 'MC_BAD_REQUEST' });
  const badQuery = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=maybe',
    headers: admin,
    payload: { image: HELLO },
  });
  t.equal(badQuery.statusCode, 400);
  t.match(badQuery.json().errors, [{ field: /querystring\.wait/ }]);
  t.same(apps.calls, [], 'no call reached the app lifecycle');
  t.equal(apps.records.size, 0);
});

t.test(
  'GET /v1/apps lists with status; GET /v1/apps/{name} shows tasks, replicas, health, URLs; 404 unknown',
  async (t) => {
    const { app, apps } = await testApp();
    t.teardown(() => app.close());
    apps.seed('one');
    apps.seed('two');
    const list = await app.inject({ method: 'GET', url: '/v1/apps', headers: admin });
    t.equal(list.statusCode, 200);
    t.same(
      list
        .json()
        .apps.map((a: { name: string; health: string; running: number; desired: number }) => [
          a.name,
          a.health,
          a.running,
          a.desired,
        ]),
      [
        ['one', 'healthy', 1, 1],
        ['two', 'healthy', 1, 1],
      ],
    );
    t.notOk('manifest' in list.json().apps[0], 'the list is a summary');
    const show = await app.inject({ method: 'GET', url: '/v1/apps/one', headers: admin });
    t.match(show.json(), {
      name: 'one',
      replicas: 1,
      health: 'healthy',
      urls: ['https://one.minicloud.localhost/'],
      services: [{ tasks: [{ state: 'running' }] }],
    });
    const missing = await app.inject({ method: 'GET', url: '/v1/apps/nope', headers: admin });
    t.equal(missing.statusCode, 404);
    t.match(missing.json(), { code: 'MC_APP_NOT_FOUND', detail: 'no app named nope' });
    const badName = await app.inject({ method: 'GET', url: '/v1/apps/Bad..Name', headers: admin });
    t.equal(badName.statusCode, 400);
    t.match(badName.json().errors, [{ field: 'params.name' }]);
  },
);

t.test('PATCH /v1/apps/{name} updates as a job; 404 unknown; 400 empty or bad bodies', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web', 'registry.example.com/team/web:1');
  const started = await app.inject({ method: 'PATCH', url: '/v1/apps/web', headers: admin, payload: { replicas: 3 } });
  t.equal(started.statusCode, 202);
  const waited = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/web?wait=true',
    headers: admin,
    payload: { image: 'registry.example.com/team/web:2', env: { A: '1', B: null } },
  });
  t.equal(waited.statusCode, 200);
  t.match(waited.json(), {
    rolledBack: false,
    app: { image: 'registry.example.com/team/web:2', replicas: 3, envKeys: ['A'] },
  });
  t.equal(
    (await app.inject({ method: 'PATCH', url: '/v1/apps/nope', headers: admin, payload: { replicas: 1 } })).statusCode,
    404,
  );
  const empty = await app.inject({ method: 'PATCH', url: '/v1/apps/web', headers: admin, payload: {} });
  t.equal(empty.statusCode, 400);
  t.same(empty.json().errors, [
    { field: 'body', message: 'must change at least one of image, compose, env, replicas, runnerReplicas, followTag' },
  ]);
  const bad = await app.inject({ method: 'PATCH', url: '/v1/apps/web', headers: admin, payload: { replicas: -1 } });
  t.equal(bad.statusCode, 400);
  t.equal(apps.calls.length, 2, 'only the two good updates ran');
});

t.test('DELETE /v1/apps/{name} removes (purge optional) and forgets its deploy tokens', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('gone');
  apps.seed('purged');
  const token = await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'gone' } });
  t.equal(token.statusCode, 201);
  const res = await app.inject({ method: 'DELETE', url: '/v1/apps/gone?wait=true', headers: admin });
  t.equal(res.statusCode, 204);
  t.equal(res.body, '');
  const started = await app.inject({ method: 'DELETE', url: '/v1/apps/purged?purge=true', headers: admin });
  t.equal(started.statusCode, 202);
  const job = await app.inject({ method: 'GET', url: `/v1/jobs/${started.json().id}?wait=5`, headers: admin });
  t.match(job.json(), { state: 'succeeded', result: { removed: 'purged' } });
  t.same(apps.calls, ['remove gone purge=false', 'remove purged purge=true']);
  t.same((await app.inject({ method: 'GET', url: '/v1/tokens', headers: admin })).json().tokens, []);
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/apps/gone', headers: admin })).statusCode, 404);
});

t.test('needs: attach and detach as jobs; unknown needs are 400, a manifest need cannot go', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('svc');
  const attach = await app.inject({
    method: 'POST',
    url: '/v1/apps/svc/needs?wait=true',
    headers: admin,
    payload: { need: 'database' },
  });
  t.equal(attach.statusCode, 200);
  t.same(attach.json().needs, ['database']);
  apps.seed('kv');
  for (const need of ['postgres', 'redis']) {
    const added = await app.inject({
      method: 'POST',
      url: '/v1/apps/kv/needs?wait=true',
      headers: admin,
      payload: { need },
    });
    t.equal(added.statusCode, 200, `${need} is a need the API takes`);
  }
  t.same((await app.inject({ method: 'GET', url: '/v1/apps/kv', headers: admin })).json().needs, ['postgres', 'redis']);
  const bad = await app.inject({
    method: 'POST',
    url: '/v1/apps/svc/needs',
    headers: admin,
    payload: { need: 'cache' },
  });
  t.equal(bad.statusCode, 400);
  t.same(bad.json().errors, [
    { field: 'body.need', message: 'must be one of: database, messagebus, storage, postgres, redis' },
  ]);
  const detach = await app.inject({
    method: 'DELETE',
    url: '/v1/apps/svc/needs/database?purge=true&wait=true',
    headers: admin,
  });
  t.equal(detach.statusCode, 200);
  t.same(detach.json().needs, []);
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/apps/svc/needs/cache', headers: admin })).statusCode, 400);
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/apps/nope/needs', headers: admin, payload: { need: 'storage' } }))
      .statusCode,
    404,
  );
  await app.inject({ method: 'POST', url: '/v1/apps?wait=true', headers: admin, payload: { image: SHOP } });
  const refused = await app.inject({ method: 'DELETE', url: '/v1/apps/shop/needs/database?wait=true', headers: admin });
  t.equal(refused.statusCode, 400);
  t.match(refused.json(), { code: 'MC_NEED_INVALID', errors: [{ field: 'need' }] });
  t.same(
    apps.calls.filter((c) => c.includes('Need')),
    [
      'attachNeed svc database',
      'attachNeed kv postgres',
      'attachNeed kv redis',
      'detachNeed svc database purge=true',
      'detachNeed shop database purge=false',
    ],
  );
});

t.test('domains and certificates: add with or without a certificate, remove; clashes 409, unknown 404', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('a');
  apps.seed('b');
  const add = await app.inject({
    method: 'POST',
    url: '/v1/apps/a/domains',
    headers: admin,
    payload: { domain: 'www.example.com' },
  });
  t.equal(add.statusCode, 200);
  t.same(add.json().domains, ['a.minicloud.localhost', 'www.example.com']);
  const cert = {
    certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    privateKeyPem: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n',
  };
  const withCert = await app.inject({
    method: 'POST',
    url: '/v1/apps/a/domains',
    headers: admin,
    payload: { domain: 'shop.example.com', certificate: cert },
  });
  t.equal(withCert.statusCode, 200);
  t.notMatch(withCert.body, /PRIVATE KEY/, 'the key never comes back');
  const badCert = await app.inject({
    method: 'POST',
    url: '/v1/apps/a/domains',
    headers: admin,
    payload: { domain: 'x.example.com', certificate: { certificatePem: 'junk', privateKeyPem: 'junk' } },
  });
  t.equal(badCert.statusCode, 400);
  t.match(badCert.json(), { code: 'MC_CERT_INVALID', errors: [{ field: 'certificate' }] });
  const taken = await app.inject({
    method: 'POST',
    url: '/v1/apps/b/domains',
    headers: admin,
    payload: { domain: 'www.example.com' },
  });
  t.equal(taken.statusCode, 409);
  t.match(taken.json(), { code: 'MC_DOMAIN_TAKEN' });
  const invalid = await app.inject({
    method: 'POST',
    url: '/v1/apps/b/domains',
    headers: admin,
    payload: { domain: 'bad domain; rm -rf /' },
  });
  t.equal(invalid.statusCode, 400);
  t.same(invalid.json().errors, [
    { field: 'body.domain', message: 'must be a lowercase host name such as app.example.com' },
  ]);
  const rm = await app.inject({ method: 'DELETE', url: '/v1/apps/a/domains/www.example.com', headers: admin });
  t.equal(rm.statusCode, 200);
  t.same(rm.json().domains, ['a.minicloud.localhost', 'shop.example.com']);
  const rmAgain = await app.inject({ method: 'DELETE', url: '/v1/apps/a/domains/www.example.com', headers: admin });
  t.equal(rmAgain.statusCode, 404);
  t.match(rmAgain.json(), { code: 'MC_DOMAIN_NOT_FOUND' });
});

t.test('without an app lifecycle the app routes answer 503 MC_UNAVAILABLE', async (t) => {
  const { app } = await testApp({ apps: undefined });
  t.teardown(() => app.close());
  // testApp always passes a fake; build one without it.
  const { buildApp } = await import('@minicloud/api');
  const { Sensitive } = await import('@minicloud/core');
  const bare = await buildApp({ adminToken: new Sensitive('x'), logger: false });
  t.teardown(() => bare.close());
  const res = await bare.inject({ method: 'GET', url: '/v1/apps', headers: { authorization: 'Bearer x' } });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { code: 'MC_UNAVAILABLE', detail: /app lifecycle/ });
  for (const url of ['/v1/nodes', '/v1/registry/repositories', '/v1/stacks/x']) {
    const r = await bare.inject({ method: 'GET', url, headers: { authorization: 'Bearer x' } });
    t.equal(r.statusCode, 503, url);
  }
});

t.test('POST /v1/apps with compose: the file instead of an image, exactly one of them, checked at once', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  const compose =
    'services:\n  front:\n    image: registry.example.com/team/front:1\n' +
    'x-minicloud:\n  expose: [{service: front, proto: http, port: 8080}]\n  domains: [front.example.org]\n';
  const post = (payload: object) => app.inject({ method: 'POST', url: '/v1/apps?wait=true', headers: admin, payload });
  const ok = await post({ name: 'front', compose });
  t.equal(ok.statusCode, 201);
  t.match(ok.json(), {
    name: 'front',
    image: 'registry.example.com/team/front:1',
    source: { kind: 'compose', routedService: 'front', volumes: [] },
    domains: ['front.minicloud.localhost', 'front.example.org'],
    manifest: { expose: [{ proto: 'http', port: 8080 }] },
  });

  const both = await post({ name: 'x', compose, image: HELLO });
  t.equal(both.statusCode, 400);
  t.match(both.json(), { code: 'MC_BAD_REQUEST', errors: [{ field: 'body.compose', message: /exactly one/ }] });
  const neither = await post({ name: 'x' });
  t.equal(neither.statusCode, 400);
  t.match(neither.json(), { code: 'MC_BAD_REQUEST', errors: [{ field: 'body.image', message: /exactly one/ }] });
  const unnamed = await post({ compose });
  t.equal(unnamed.statusCode, 400);
  t.match(unnamed.json(), { errors: [{ field: 'body.name', message: /required with compose/ }] });
  const bad = await post({ name: 'x', compose: 'services:\n  web:\n    image: nginx\n    privileged: true\n' });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { code: 'MC_COMPOSE_INVALID', errors: [{ field: 'services.web.privileged' }] });
  const clash = await post({ name: 'other', compose });
  t.equal(clash.statusCode, 409, 'x-minicloud.domains clash as any domain');
  t.match(clash.json(), { code: 'MC_DOMAIN_TAKEN' });
  t.same(apps.calls, ['add compose front', 'add compose other'], 'no job for a body refused at once');

  const image = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/front',
    headers: admin,
    payload: { image: 'registry.example.com/team/front:2' },
  });
  t.equal(image.statusCode, 400);
  t.match(image.json(), { errors: [{ field: 'body.image', message: /give compose/ }] });
  apps.seed('hello', HELLO);
  const onImageApp = await app.inject({ method: 'PATCH', url: '/v1/apps/hello', headers: admin, payload: { compose } });
  t.equal(onImageApp.statusCode, 400);
  t.match(onImageApp.json(), { errors: [{ field: 'body.compose', message: /give image/ }] });
  const updated = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/front?wait=true',
    headers: admin,
    payload: { compose: compose.replace('front:1', 'front:2') },
  });
  t.equal(updated.statusCode, 200);
});
