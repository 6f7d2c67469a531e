import { join } from 'node:path';
import t, { type Test } from 'tap';
import { openEvents } from '@minicloud/api';
import { EventLog, Sensitive } from '@minicloud/core';
import { admin, testApp } from './helpers/app.js';

// The registry's push notifications: only with the notify token; a tagged push rolls out the
// apps following that tag (as jobs pinned to the digest); nothing else moves.

const REG = '10.0.0.5:5443';
const TOKEN = 'notify-token-0123456789';
const D2 = `sha256:${'2'.repeat(64)}`;
const envelope = {
  events: [
    { action: 'push', target: { mediaType: 'application/octet-stream', repository: 'team/web', digest: D2 } },
    {
      action: 'push',
      target: {
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        repository: 'team/web',
        tag: '1',
        digest: D2,
      },
    },
  ],
};

async function setup(t: Test) {
  const log = await EventLog.open(join(t.testdir({}), 'events.jsonl'));
  const events = await openEvents({ log, platform: 'example.com' });
  const built = await testApp({ registryHook: { token: new Sensitive(TOKEN), registryAddr: REG }, events });
  t.teardown(() => built.app.close());
  built.apps.seed('web');
  built.apps.seed('other');
  const r = built.apps.records.get('web')!;
  built.apps.records.set('web', { ...r, image: `${REG}/team/web:1`, followTag: true });
  const o = built.apps.records.get('other')!;
  built.apps.records.set('other', { ...o, image: `${REG}/team/web:1` });
  return { ...built, log };
}

const post = (app: Awaited<ReturnType<typeof setup>>['app'], token: string | undefined, body: unknown = envelope) =>
  app.inject({
    method: 'POST',
    url: '/v1/registry/events',
    headers: {
      'content-type': 'application/vnd.docker.distribution.events.v1+json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    payload: JSON.stringify(body),
  });

t.test('without the notify token (an app faking a push) nothing moves', async (t) => {
  const { app, apps } = await setup(t);
  for (const token of [undefined, 'wrong', 'test-admin-token-0123456789abcdef']) {
    const res = await post(app, token);
    t.equal(res.statusCode, 401, `token ${token}`);
    t.match(res.json(), { code: 'MC_UNAUTHORIZED' });
  }
  t.notOk(
    apps.calls.some((c) => c.startsWith('update')),
    'no update ran',
  );
});

t.test('a tagged push rolls out the following app to the digest, as a job by "registry push"', async (t) => {
  const { app, apps, log } = await setup(t);
  const res = await post(app, TOKEN);
  t.equal(res.statusCode, 202);
  const { jobs } = res.json() as { jobs: { id: string; app: string; image: string }[] };
  t.same(
    jobs.map((j) => [j.app, j.image]),
    [['web', `${REG}/team/web:1@${D2}`]],
    'only the app that follows the tag',
  );
  const done = await app.inject({ method: 'GET', url: `/v1/jobs/${jobs[0]!.id}?wait=5`, headers: admin });
  t.match(done.json(), { kind: 'app.update', state: 'succeeded' });
  t.equal(apps.records.get('web')?.image, `${REG}/team/web:1@${D2}`);
  t.equal(apps.records.get('other')?.image, `${REG}/team/web:1`, 'the app not following stays');
  t.match(log.list(), [{ kind: 'app.update', app: 'web', actor: 'registry push' }]);
  const again = await post(app, TOKEN);
  t.same(again.json(), { jobs: [] }, 'the same push told twice rolls out nothing more');
  const bad = await post(app, TOKEN, { events: 'nope' });
  t.equal(bad.statusCode, 400);
});

t.test('PATCH followTag: set and cleared through the API and the record', async (t) => {
  const { app, apps } = await setup(t);
  const off = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/web?wait=true',
    headers: admin,
    payload: { followTag: false },
  });
  t.equal(off.statusCode, 200);
  t.equal(apps.records.get('web')?.followTag, false);
  t.same((await post(app, TOKEN)).json(), { jobs: [] }, 'no longer followed: nothing rolls out');
  const bad = await app.inject({ method: 'PATCH', url: '/v1/apps/web', headers: admin, payload: { followTag: 'yes' } });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { errors: [{ field: 'body.followTag' }] });
});
