import t, { type Test } from 'tap';
import {
  carryOutPlan,
  desiredOfRecord,
  planApply,
  resolveEnv,
  type ConfigApplyPort,
  type CurrentApp,
} from '@minicloud/core';
import { join } from 'node:path';
import { ADMIN_TOKEN, admin, deployTokenHeaders, testApp } from './helpers/app.js';
import { cli } from './helpers/cli.js';
import type { FakeApps } from './helpers/fakes.js';

// POST /v1/apply and GET /v1/diff: the route's schema, auth and job, over the fake lifecycle
// with core's own planner (the directory-reading edge is core's, tested in the unit tests).

const SHOP = 'registry.example.com/team/shop:1';
const HELLO = 'registry.example.com/team/hello:1';

/**
 * ConfigApply's steps over the fake apps: the platform's apps are the desired ones unless
 * given. The fake lifecycle keeps no env values: the ones applied are kept here.
 */
function fakeApply(holder: { apps?: FakeApps }): ConfigApplyPort {
  const values: Record<string, Record<string, string>> = {};
  return {
    async apply(request, progress = () => undefined) {
      const apps = holder.apps!;
      const current: CurrentApp[] = [...apps.records.values()].map((r) => ({
        ...desiredOfRecord(r),
        env: values[r.name] ?? {},
      }));
      const desired = request.apps ?? current;
      const given = request.secrets ?? {};
      const plan = planApply(desired, current, given, { prune: request.prune ?? false });
      if (request.dryRun) return { plan, applied: false };
      const env = resolveEnv(desired, current, given);
      await carryOutPlan(apps, { plan, desired, current, env }, progress);
      Object.assign(values, env);
      return { plan, applied: true };
    },
    async diff() {
      return [{ app: 'shop', service: 'shop_web', field: 'env.API_KEY', secret: true }];
    },
  };
}

async function setUp(t: Test) {
  const holder: { apps?: FakeApps } = {};
  const built = await testApp({ configApply: fakeApply(holder) });
  holder.apps = built.apps;
  t.teardown(() => built.app.close());
  const inject = (method: 'GET' | 'POST', url: string, payload?: object, headers: object = admin) =>
    built.app.inject({ method, url, headers: headers as Record<string, string>, ...(payload ? { payload } : {}) });
  return { ...built, inject };
}

const hello = {
  name: 'hello',
  image: HELLO,
  // The default domain (<app>.<base domain>) is listed too, as the platform writes app.json.
  domains: ['hello.minicloud.localhost'],
  envKeys: ['API_KEY'],
  replicas: 1,
  needs: [],
};

t.test('a dry run answers the plan and changes nothing; secrets only as names', async (t) => {
  const { inject, apps } = await setUp(t);
  t.equal((await inject('POST', '/v1/apps?wait=true', { image: SHOP })).statusCode, 201);
  const calls = apps.calls.length;
  const res = await inject('POST', '/v1/apply?wait=true', {
    dryRun: true,
    apps: [hello],
    secrets: { hello: { API_KEY: 'very-secret-value' } },
  });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), {
    applied: false,
    plan: {
      prune: false,
      apps: [
        { app: 'hello', action: 'create', changes: [{ field: 'image', to: HELLO }] },
        { app: 'shop', action: 'skip', note: 'remove skipped: needs --prune' },
      ],
    },
  });
  t.notMatch(res.body, /very-secret-value/);
  t.equal(apps.calls.length, calls, 'nothing was called on the lifecycle');
});

t.test('apply is a job that carries the plan out; prune removes what the directory lacks', async (t) => {
  const { inject, apps } = await setUp(t);
  t.equal((await inject('POST', '/v1/apps?wait=true', { image: SHOP })).statusCode, 201);
  const started = await inject('POST', '/v1/apply', {
    prune: true,
    apps: [hello],
    secrets: { hello: { API_KEY: 'k' } },
  });
  t.equal(started.statusCode, 202);
  t.match(started.json(), { kind: 'apply', state: /queued|running/ });
  const job = await inject('GET', `/v1/jobs/${started.json().id}?wait=10`);
  t.equal(job.statusCode, 200);
  t.match(job.json(), { state: 'succeeded', result: { applied: true } });
  t.same([...apps.records.keys()], ['hello']);
});

t.test('a missing env value fails the apply, naming app and variable, before anything changes', async (t) => {
  const { inject, apps } = await setUp(t);
  const res = await inject('POST', '/v1/apply?wait=true', { apps: [hello] });
  t.equal(res.statusCode, 400);
  t.match(res.json(), { code: 'MC_CONFIG_INVALID', detail: /hello\.env\.API_KEY/ });
  t.equal(apps.records.size, 0);
});

t.test('a bad body is 400 naming the field; a deploy token is refused', async (t) => {
  const { inject, app } = await setUp(t);
  const cases: [object, string][] = [
    [{ prune: 'yes' }, 'body.prune'],
    [{ apps: [{ ...hello, replicas: -1 }] }, 'body.apps[0].replicas'],
    [{ apps: [{ ...hello, name: 'Bad_Name' }] }, 'body.apps[0].name'],
    [{ apps: [{ ...hello, needs: ['teapot'] }] }, 'body.apps[0].needs[0]'],
    [{ force: true }, 'body.force'],
  ];
  for (const [payload, field] of cases) {
    const res = await inject('POST', '/v1/apply?wait=true', payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.match(res.json(), { code: 'MC_BAD_REQUEST', errors: [{ field }] }, JSON.stringify(res.json().errors));
  }
  await inject('POST', '/v1/apps?wait=true', { image: SHOP });
  const deploy = await deployTokenHeaders(app, 'shop');
  t.equal((await inject('POST', '/v1/apply?wait=true', { dryRun: true }, deploy)).statusCode, 403);
  t.equal((await inject('GET', '/v1/diff', undefined, deploy)).statusCode, 403);
});

t.test('GET /v1/diff lists the drift, a secret only as differing', async (t) => {
  const { inject } = await setUp(t);
  const res = await inject('GET', '/v1/diff');
  t.equal(res.statusCode, 200);
  t.same(res.json(), { drift: [{ app: 'shop', service: 'shop_web', field: 'env.API_KEY', secret: true }] });
});

t.test('without the apply port: 503', async (t) => {
  const built = await testApp();
  t.teardown(() => built.app.close());
  const res = await built.app.inject({ method: 'POST', url: '/v1/apply', headers: admin, payload: {} });
  t.equal(res.statusCode, 503);
});

t.test('minicloud apply DIR prints the plan, then carries it out; minicloud diff prints the drift', async (t) => {
  const { app, apps } = await setUp(t);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const home = t.testdir({
    config: {
      apps: { hello: { 'app.json': JSON.stringify({ ...hello, state: 'active' }) } },
      secrets: { hello: { API_KEY: 'from-a-file\n' } },
    },
  });
  const env = {
    MINICLOUD_SERVER: undefined,
    MINICLOUD_TOKEN: undefined,
    MINICLOUD_CONFIG: join(home, 'none.json'),
    MINICLOUD_DATA_DIR: join(home, 'no-platform'),
  };
  const flags = ['--server', url, '--token', ADMIN_TOKEN];
  const dir = join(home, 'config');

  const dry = await cli(env, 'apply', dir, '--dry-run', ...flags);
  t.equal(dry.code, 0, dry.err);
  t.match(dry.out, /^APP\s+ACTION\s+CHANGES\nhello\s+create\s+image: - -> registry\.example\.com\/team\/hello:1;/);
  t.match(dry.out, /env\.API_KEY \(secret differs\)/);
  t.notMatch(dry.out + dry.err, /from-a-file/);
  t.equal(apps.records.size, 0, 'a dry run adds nothing');

  const done = await cli(env, 'apply', dir, ...flags);
  t.equal(done.code, 0, done.err);
  t.match(done.out, /applied: 1 created, 0 updated, 0 removed\n$/);
  t.same([...apps.records.keys()], ['hello']);
  const again = await cli(env, 'apply', dir, ...flags);
  t.match(again.out, /hello\s+unchanged[\s\S]*nothing to apply\n$/);

  const missing = await cli(
    { ...env },
    'apply',
    t.testdir({ apps: { hello: { 'app.json': JSON.stringify({ ...hello, name: 'hello', envKeys: ['OTHER'] }) } } }),
    ...flags,
  );
  t.equal(missing.code, 1);
  t.match(missing.err, /MC_CONFIG_INVALID.*hello\.env\.OTHER/);

  const diff = await cli(env, 'diff', ...flags);
  t.equal(diff.code, 0, diff.err);
  t.match(diff.out, /shop\s+shop_web\s+env\.API_KEY\s+\(secret differs\)\s+\(secret differs\)/);
});
