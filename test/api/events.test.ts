import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { openEvents, schedulerEvents } from '@minicloud/api';
import { EventLog, MinicloudError } from '@minicloud/core';
import { pino } from 'pino';
import { ADMIN_TOKEN, admin, testApp } from './helpers/app.js';
import { webhookReceiver } from '../helpers/webhook-receiver.js';

// The event log through the API: jobs and changes recorded with who made them (the admin or
// which deploy token), listed for the admin only, and notifications to a webhook receiver.

async function withEvents(t: Test) {
  const dir = t.testdir({});
  const events = await openEvents({
    log: await EventLog.open(join(dir, 'events.jsonl')),
    notifyFile: join(dir, 'notify.json'),
    platform: 'example.com',
  });
  const built = await testApp({ events, fake: { stepMs: 1 } });
  t.teardown(() => built.app.close());
  return { ...built, events, dir };
}

async function receiver(t: Test) {
  const { got, base } = await webhookReceiver<{ text: string; event: { kind: string; level: string } }>(t);
  return { got, url: `${base}/hooks/SECRET-PATH` };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 100 && !ok(); i++) await new Promise((r) => setTimeout(r, 20));
  if (!ok()) throw new Error(`never: ${what}`);
};

t.test('jobs and changes are recorded with who made them; reads are not', async (t) => {
  const { app, apps } = await withEvents(t);
  apps.seed('web');
  const { token, id } = (
    await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'web' } })
  ).json();
  const ci = { authorization: `Bearer ${token}` };
  const update = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/web?wait=true',
    headers: ci,
    payload: { replicas: 2 },
  });
  t.equal(update.statusCode, 200);
  await app.inject({
    method: 'POST',
    url: '/v1/apps/web/domains',
    headers: admin,
    payload: { domain: 'www.example.com' },
  });
  await app.inject({ method: 'GET', url: '/v1/apps/web', headers: admin });
  const failed = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: 'registry.example.com/team/nothing:1' },
  });
  t.equal(failed.statusCode, 404);
  const res = await app.inject({ method: 'GET', url: '/v1/events', headers: admin });
  t.equal(res.statusCode, 200);
  const events = res.json().events as { kind: string; level: string; actor: string; app?: string; message: string }[];
  t.match(events, [
    { kind: 'app.add', level: 'error', actor: 'admin', message: /^app\.add .*failed: MC_MANIFEST_NOT_FOUND/ },
    {
      kind: 'api POST /v1/apps/:name/domains',
      level: 'info',
      actor: 'admin',
      app: 'web',
      message: 'POST /v1/apps/web/domains',
    },
    { kind: 'app.update', level: 'info', actor: `deploy-token ${id}`, app: 'web', message: 'app.update web succeeded' },
    { kind: 'api POST /v1/tokens', actor: 'admin' },
  ]);
  t.equal(events.length, 4, 'the reads left nothing');
  const onlyWeb = await app.inject({ method: 'GET', url: '/v1/events?app=web&level=info&limit=1', headers: admin });
  t.equal(onlyWeb.json().events.length, 1);
  t.equal((await app.inject({ method: 'GET', url: '/v1/events?level=loud', headers: admin })).statusCode, 400);
  t.equal(
    (await app.inject({ method: 'GET', url: '/v1/events', headers: ci })).statusCode,
    403,
    'not for a deploy token',
  );
  t.equal((await app.inject({ method: 'GET', url: '/v1/platform/notifications', headers: ci })).statusCode, 403);
});

t.test('notifications: set, shown without the URL path, sent at or above the level, off', async (t) => {
  const { app, apps, dir } = await withEvents(t);
  const hook = await receiver(t);
  const bad = await app.inject({
    method: 'PUT',
    url: '/v1/platform/notifications',
    headers: admin,
    payload: { webhook: 'ftp://x/y' },
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { errors: [{ field: 'body.webhook' }] });
  const creds = await app.inject({
    method: 'PUT',
    url: '/v1/platform/notifications',
    headers: admin,
    payload: { webhook: 'https://u:p@example.com/x' },
  });
  t.equal(creds.statusCode, 400);
  t.match(creds.json(), { code: 'MC_SETTINGS_INVALID', errors: [{ field: 'webhook' }] });
  const set = await app.inject({
    method: 'PUT',
    url: '/v1/platform/notifications',
    headers: admin,
    payload: { webhook: hook.url, minLevel: 'warning' },
  });
  t.equal(set.statusCode, 200);
  t.same(set.json(), { webhook: `${new URL(hook.url).protocol}//${new URL(hook.url).host}/…`, minLevel: 'warning' });
  t.notMatch(set.body, /SECRET-PATH/, 'the URL is never shown back whole');
  t.equal(statSync(join(dir, 'notify.json')).mode & 0o777, 0o600, 'kept in a 0600 file');
  t.match(readFileSync(join(dir, 'notify.json'), 'utf8'), /SECRET-PATH/);

  apps.seed('web');
  await app.inject({ method: 'PATCH', url: '/v1/apps/web?wait=true', headers: admin, payload: { replicas: 2 } });
  const failed = await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: 'registry.example.com/team/nothing:1' },
  });
  t.equal(failed.statusCode, 404);
  await until('the failure notified', () => hook.got.length >= 1);
  t.equal(hook.got.length, 1, 'the info-level update was not sent, the failed add was');
  t.match(hook.got[0], {
    path: '/hooks/SECRET-PATH',
    body: { text: /^minicloud example\.com: ERROR .*app\.add/, event: { kind: 'app.add', level: 'error' } },
  });

  const test = await app.inject({ method: 'POST', url: '/v1/platform/notifications/test', headers: admin });
  t.equal(test.statusCode, 200);
  await until('the test notified', () => hook.got.length >= 2);
  t.match(hook.got[1], { body: { event: { kind: 'notify.test', level: 'warning' } } });

  const off = await app.inject({ method: 'DELETE', url: '/v1/platform/notifications', headers: admin });
  t.same(off.json(), { webhook: null, minLevel: 'warning' });
  await app.inject({
    method: 'POST',
    url: '/v1/apps?wait=true',
    headers: admin,
    payload: { image: 'registry.example.com/team/nothing:2' },
  });
  await new Promise((r) => setTimeout(r, 200));
  t.equal(hook.got.length, 2, 'off: nothing more is sent');
  t.match(
    (await app.inject({ method: 'GET', url: '/v1/events?limit=2', headers: admin })).json().events,
    [{ kind: 'app.add', level: 'error' }, { kind: 'api DELETE /v1/platform/notifications' }],
    'still recorded',
  );
});

t.test('without an event log the routes answer 503 and nothing breaks', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('web');
  t.equal((await app.inject({ method: 'GET', url: '/v1/events', headers: admin })).statusCode, 503);
  const update = await app.inject({
    method: 'PATCH',
    url: '/v1/apps/web?wait=true',
    headers: admin,
    payload: { replicas: 2 },
  });
  t.equal(update.statusCode, 200);
});

t.test('a failed scheduled backup is an alert in the event log; a successful one is not', async (t) => {
  const dir = t.testdir({});
  const log = await EventLog.open(join(dir, 'events.jsonl'));
  const events = await openEvents({ log, platform: 'example.com' });
  const onEvent = schedulerEvents(pino({ level: 'silent' }), events);
  onEvent({ type: 'started', app: 'blog' });
  onEvent({ type: 'failed', app: 'blog', error: new MinicloudError('MC_BACKUP', 'mariadb-dump exited with 2') });
  onEvent({ type: 'succeeded', app: 'shop', id: 'x', verified: true, deleted: [] });
  await until('the alert recorded', () => log.list().length >= 1);
  t.same(
    log.list().map((e) => [e.kind, e.level, e.app, e.actor, e.message]),
    [
      [
        'alert.backup-failed',
        'error',
        'blog',
        'platform',
        'scheduled backup of blog failed: MC_BACKUP: mariadb-dump exited with 2',
      ],
    ],
  );
});

t.test('the CLI: minicloud events and minicloud notify over the API', async (t) => {
  const { app, apps } = await withEvents(t);
  const hook = await receiver(t);
  apps.seed('web');
  await app.inject({ method: 'PATCH', url: '/v1/apps/web?wait=true', headers: admin, payload: { replicas: 2 } });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const { run } = await import('@minicloud/cli');
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await run(['node', 'minicloud', '--server', url, '--token', ADMIN_TOKEN, ...args], {
      out: (s) => (out += `${s}\n`),
      err: (s) => (err += `${s}\n`),
    });
    return { code, out, err };
  };
  const list = await cli('events', '--app', 'web');
  t.equal(list.code, 0, list.err);
  t.match(list.out, /^TIME +LEVEL +APP +ACTOR +WHAT\n\S+Z +info +web +admin +app\.update web succeeded\n$/);
  t.match(JSON.parse((await cli('events', '--json')).out), [{ kind: 'app.update', app: 'web' }]);
  t.match((await cli('events', '--level', 'loud')).err, /--level must be one of info, warning, error/);

  const set = await cli('notify', 'set', hook.url, '--level', 'info');
  t.equal(set.code, 0, set.err);
  t.match(set.out, /^notifications: info and above to http:\/\/127\.0\.0\.1:\d+\/…\n$/);
  t.notMatch(set.out, /SECRET-PATH/);
  t.match((await cli('notify', 'show')).out, /info and above/);
  const sent = await cli('notify', 'test');
  t.match(sent.out, /^test event \d+ recorded and sent\n$/);
  await until('the test notified', () => hook.got.some((g) => g.body.event.kind === 'notify.test'));
  t.match(
    hook.got.find((g) => g.body.event.kind === 'notify.test'),
    { body: { event: { level: 'info' } } },
  );
  t.same(JSON.parse((await cli('notify', 'off', '--json')).out), { webhook: null, minLevel: 'warning' });
});
