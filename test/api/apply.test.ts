import t, { type Test } from 'tap';
import {
  carryOutPlan,
  desiredOfRecord,
  planApply,
  resolveEnv,
  type ConfigApplyPort,
  type CurrentApp,
} from '@minicloud/core';
import { admin, deployTokenHeaders, testApp } from './helpers/app.js';
import type { FakeApps } from './helpers/fakes.js';

// POST /v1/apply and GET /v1/diff: the route's schema, auth and job, over the fake lifecycle
// with core's own planner (the directory-reading edge is core's, tested in the unit tests).

const SHOP = 'registry.example.com/team/shop:1';
const HELLO = 'registry.example.com/team/hello:1';

/** ConfigApply's steps over the fake apps: the platform's apps are the desired ones unless given. */
function fakeApply(holder: { apps?: FakeApps }): ConfigApplyPort {
  return {
    async apply(request, progress = () => undefined) {
      const apps = holder.apps!;
      const current: CurrentApp[] = [...apps.records.values()].map((r) => ({ ...desiredOfRecord(r), env: {} }));
      const desired = request.apps ?? current;
      const given = request.secrets ?? {};
      const plan = planApply(desired, current, given, { prune: request.prune ?? false });
      if (request.dryRun) return { plan, applied: false };
      await carryOutPlan(apps, { plan, desired, current, env: resolveEnv(desired, current, given) }, progress);
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
  domains: ['hello.example.com'],
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
