import t from 'tap';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TOKENS_FILE, TokenStore } from '@minicloud/api';
import { admin, testApp } from './helpers/app.js';

t.test('the token store keeps only sha256 hashes, in a 0600 file written atomically', async (t) => {
  const dir = t.testdir({});
  const store = await TokenStore.open(dir);
  const made = await store.createDeployToken('web', 'CI');
  const secret = made.token.reveal();
  t.match(secret, /^mcd_[A-Za-z0-9_-]{43}$/);
  t.equal(String(made.token), '[redacted]');
  const hook = await store.createWebhook('web');
  const file = join(dir, TOKENS_FILE);
  const text = readFileSync(file, 'utf8');
  t.notMatch(text, secret, 'the token is not stored');
  t.notMatch(text, hook.secret.reveal(), 'the webhook secret is not stored');
  t.match(text, /"sha256": "[0-9a-f]{64}"/);
  t.equal(statSync(file).mode & 0o777, 0o600);
  const reopened = await TokenStore.open(dir);
  t.match(reopened.matchDeployToken(secret), { id: made.id, app: 'web', description: 'CI' });
  t.equal(reopened.matchDeployToken(`${secret}x`), undefined);
  t.ok(reopened.checkWebhook('web', hook.secret.reveal()));
  t.notOk(reopened.checkWebhook('web', 'mch_wrong'));
  t.notOk(reopened.checkWebhook('other', hook.secret.reveal()));
  await reopened.revokeDeployToken(made.id);
  t.equal((await TokenStore.open(dir)).matchDeployToken(secret), undefined, 'revocation is written');
  await t.rejects(reopened.revokeDeployToken(made.id), { code: 'MC_TOKEN_NOT_FOUND' });
});

t.test('deploy tokens: made once (secret shown once), listed without the secret, revoked by id', async (t) => {
  const dir = t.testdir({});
  const { app, apps } = await testApp({ secretsDir: dir });
  t.teardown(() => app.close());
  apps.seed('web');
  const made = await app.inject({
    method: 'POST',
    url: '/v1/tokens',
    headers: admin,
    payload: { app: 'web', description: 'GitLab' },
  });
  t.equal(made.statusCode, 201);
  const { id, token } = made.json();
  t.match(made.json(), { id: /^[0-9a-f]{12}$/, app: 'web', description: 'GitLab', createdAt: String, token: /^mcd_/ });
  const list = await app.inject({ method: 'GET', url: '/v1/tokens', headers: admin });
  t.same(Object.keys(list.json().tokens[0]).sort(), ['app', 'createdAt', 'description', 'id']);
  t.notMatch(list.body, token);
  t.notMatch(readFileSync(join(dir, TOKENS_FILE), 'utf8'), token);
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'nope' } })).statusCode,
    404,
  );
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'web', x: 1 } })).statusCode,
    400,
  );
  t.equal((await app.inject({ method: 'DELETE', url: `/v1/tokens/${id}`, headers: admin })).statusCode, 204);
  const again = await app.inject({ method: 'DELETE', url: `/v1/tokens/${id}`, headers: admin });
  t.equal(again.statusCode, 404);
  t.match(again.json(), { code: 'MC_TOKEN_NOT_FOUND' });
  const after = await app.inject({ method: 'GET', url: '/v1/apps/web', headers: { authorization: `Bearer ${token}` } });
  t.equal(after.statusCode, 401, 'a revoked token opens nothing');
});

t.test('a deploy token can only update (and watch) its own app', async (t) => {
  const { app, apps, logs } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  apps.seed('other');
  const { token } = (
    await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'web' } })
  ).json();
  const ci = { authorization: `Bearer ${token}` };
  const update = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/web',
    headers: ci,
    payload: { image: 'registry.example.com/web:2' },
  });
  t.equal(update.statusCode, 202);
  const job = await app.inject({ method: 'GET', url: `/v1/jobs/${update.json().id}?wait=5`, headers: ci });
  t.equal(job.statusCode, 200, 'it may watch its own job');
  t.match(job.json(), { state: 'succeeded' });
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/web', headers: ci })).statusCode, 200);
  const forbidden: [string, string, object?][] = [
    ['PATCH', '/v1/apps/other', { replicas: 2 }],
    ['GET', '/v1/apps/other'],
    ['GET', '/v1/apps'],
    ['DELETE', '/v1/apps/web'],
    ['POST', '/v1/apps', { image: 'registry.example.com/team/hello:1' }],
    ['POST', '/v1/tokens', { app: 'web' }],
    ['GET', '/v1/nodes'],
  ];
  for (const [method, url, payload] of forbidden) {
    const res = await app.inject({ method: method as 'GET', url, headers: ci, ...(payload ? { payload } : {}) });
    t.equal(res.statusCode, 403, `${method} ${url}`);
    t.match(res.json(), { code: 'MC_FORBIDDEN', detail: /own app \(web\)/ });
  }
  const otherJob = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/other',
    headers: admin,
    payload: { replicas: 2 },
  });
  t.equal((await app.inject({ method: 'GET', url: `/v1/jobs/${otherJob.json().id}`, headers: ci })).statusCode, 403);
  t.notMatch(logs.join(''), token, 'the deploy token is never logged');
  t.same(apps.calls, ['update web {"image":"registry.example.com/web:2"}', 'update other {"replicas":2}']);
});

t.test("webhooks: a Docker Hub push of the app's repository redeploys it with the pushed tag", async (t) => {
  const { app, apps } = await testApp({ publicUrl: 'https://admin.example.com/' });
  t.teardown(() => app.close());
  apps.seed('hello', 'team/hello:1');
  t.same((await app.inject({ method: 'GET', url: '/v1/apps/hello/webhook', headers: admin })).json(), {
    app: 'hello',
    enabled: false,
  });
  const made = await app.inject({ method: 'PUT', url: '/v1/apps/hello/webhook', headers: admin });
  t.equal(made.statusCode, 201);
  const url = new URL(made.json().url);
  t.equal(url.origin + url.pathname, 'https://admin.example.com/v1/hooks/hello');
  const secret = url.searchParams.get('token')!;
  t.match(secret, /^mch_/);
  t.match((await app.inject({ method: 'GET', url: '/v1/apps/hello/webhook', headers: admin })).json(), {
    enabled: true,
    createdAt: String,
  });

  // The Docker Hub payload, trimmed; extra fields are accepted.
  const push = (repo: string, tag: string) => ({
    callback_url: 'https://registry.hub.docker.com/u/team/hello/hook/abc/',
    push_data: { pushed_at: 1700000000, pusher: 'someone', tag },
    repository: { repo_name: repo, name: 'hello', namespace: 'team', status: 'Active' },
  });
  const hook = await app.inject({
    method: 'POST',
    url: `/v1/hooks/hello?token=${secret}`,
    payload: push('team/hello', '2'),
  });
  t.equal(hook.statusCode, 202);
  t.match(hook.json(), { kind: 'app.update', app: 'hello' });
  await app.inject({ method: 'GET', url: `/v1/jobs/${hook.json().id}?wait=5`, headers: admin });
  t.equal(apps.records.get('hello')?.image, 'team/hello:2');

  const wrong = await app.inject({
    method: 'POST',
    url: '/v1/hooks/hello?token=mch_nope',
    payload: push('team/hello', '3'),
  });
  t.equal(wrong.statusCode, 401);
  const missing = await app.inject({ method: 'POST', url: '/v1/hooks/hello', payload: push('team/hello', '3') });
  t.equal(missing.statusCode, 400);
  const other = await app.inject({
    method: 'POST',
    url: `/v1/hooks/hello?token=${secret}`,
    payload: push('evil/hello', '3'),
  });
  t.equal(other.statusCode, 403);
  t.match(other.json(), { code: 'MC_FORBIDDEN', errors: [{ field: 'body.repository.repo_name' }] });
  const badTag = await app.inject({
    method: 'POST',
    url: `/v1/hooks/hello?token=${secret}`,
    payload: push('team/hello', '$(reboot)'),
  });
  t.equal(badTag.statusCode, 400, 'a tag that is no tag never reaches an image reference');
  const otherApp = await app.inject({
    method: 'POST',
    url: `/v1/hooks/other?token=${secret}`,
    payload: push('team/hello', '3'),
  });
  t.equal(otherApp.statusCode, 401, "one app's secret does not open another's hook");

  t.equal((await app.inject({ method: 'DELETE', url: '/v1/apps/hello/webhook', headers: admin })).statusCode, 204);
  const gone = await app.inject({
    method: 'POST',
    url: `/v1/hooks/hello?token=${secret}`,
    payload: push('team/hello', '4'),
  });
  t.equal(gone.statusCode, 401, 'a removed webhook opens nothing');
  t.equal((await app.inject({ method: 'DELETE', url: '/v1/apps/hello/webhook', headers: admin })).statusCode, 404);
  t.equal(apps.records.get('hello')?.image, 'team/hello:2', 'only the good push deployed');
});

t.test('a purge that fails half way leaves no deploy token or webhook, and a second remove finishes', async (t) => {
  const { app, apps } = await testApp({ publicUrl: 'https://admin.example.com/' });
  t.teardown(() => app.close());
  const add = () =>
    app.inject({
      method: 'POST',
      url: '/v1/apps?wait=true',
      headers: admin,
      payload: { image: 'registry.example.com/team/shop:1' },
    });
  t.equal((await add()).statusCode, 201);
  const { token } = (
    await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'shop' } })
  ).json();
  const hookUrl = new URL(
    (await app.inject({ method: 'PUT', url: '/v1/apps/shop/webhook', headers: admin })).json().url,
  );
  const ci = { authorization: `Bearer ${token}` };
  const push = {
    push_data: { tag: '2' },
    repository: { repo_name: 'team/shop' },
  };
  const hook = () => app.inject({ method: 'POST', url: `${hookUrl.pathname}${hookUrl.search}`, payload: push });
  // Both open the app before the remove.
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/shop', headers: ci })).statusCode, 200);

  apps.failPurge.add('database');
  const failed = await app.inject({ method: 'DELETE', url: '/v1/apps/shop?purge=true&wait=true', headers: admin });
  t.equal(failed.statusCode, 502);
  t.match(failed.json(), { code: 'MC_APP_REMOVE_INCOMPLETE', errors: [{ field: 'database' }] });
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/apps/shop', headers: admin })).statusCode,
    200,
    'the record stays while its database is there',
  );
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/shop', headers: ci })).statusCode, 401, 'token revoked');
  t.equal(
    (await app.inject({ method: 'PATCH', url: '/v1/apps/shop', headers: ci, payload: { replicas: 0 } })).statusCode,
    401,
  );
  t.equal((await hook()).statusCode, 401, 'webhook revoked');

  apps.failPurge.clear();
  const finished = await app.inject({ method: 'DELETE', url: '/v1/apps/shop?purge=true&wait=true', headers: admin });
  t.equal(finished.statusCode, 204, 'a second remove finishes');
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/shop', headers: admin })).statusCode, 404);

  t.equal((await add()).statusCode, 201, 'the name is added again');
  t.equal((await app.inject({ method: 'GET', url: '/v1/apps/shop', headers: ci })).statusCode, 401, 'not inherited');
  t.equal((await hook()).statusCode, 401);
  t.match((await app.inject({ method: 'GET', url: '/v1/apps/shop/webhook', headers: admin })).json(), {
    enabled: false,
  });
  t.same((await app.inject({ method: 'GET', url: '/v1/tokens?app=shop', headers: admin })).json().tokens, []);
  t.same(
    apps.calls.filter((c) => c.startsWith('update')),
    [],
    'no push ever redeployed it',
  );
});

t.test('a token or webhook asked for while the app is being removed waits, then finds no app', async (t) => {
  const { app, apps } = await testApp({ fake: { stepMs: 100 } });
  t.teardown(() => app.close());
  apps.seed('web');
  const removing = await app.inject({ method: 'DELETE', url: '/v1/apps/web', headers: admin });
  t.equal(removing.statusCode, 202);
  const [token, hook] = await Promise.all([
    app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'web' } }),
    app.inject({ method: 'PUT', url: '/v1/apps/web/webhook', headers: admin }),
  ]);
  t.equal(token.statusCode, 404);
  t.equal(hook.statusCode, 404);
  t.same((await app.inject({ method: 'GET', url: '/v1/tokens', headers: admin })).json().tokens, []);
});

t.test('start-up forgets the tokens and webhooks of apps that no longer exist', async (t) => {
  const dir = t.testdir({});
  const store = await TokenStore.open(dir);
  const kept = await store.createDeployToken('web');
  const orphan = await store.createDeployToken('gone');
  const hook = await store.createWebhook('gone');
  await store.createWebhook('web');
  t.same(await store.forgetAppsExcept(['web', 'other']), ['gone']);
  const reopened = await TokenStore.open(dir);
  t.equal(reopened.matchDeployToken(orphan.token.reveal()), undefined);
  t.notOk(reopened.checkWebhook('gone', hook.secret.reveal()));
  t.match(reopened.matchDeployToken(kept.token.reveal()), { app: 'web' });
  t.same(reopened.webhook('web').enabled, true);
  t.same(await reopened.forgetAppsExcept(['web']), [], 'nothing more to forget');
});
