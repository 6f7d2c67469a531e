import t from 'tap';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type Docker from 'dockerode';
import { pino } from 'pino';
import { coreBackups, schedulerLogger } from '@minicloud/api';
import { backupContext, MinicloudError, type BackupManifest } from '@minicloud/core';
import { admin, testApp } from './helpers/app.js';
import { backupsApp, NEW, OLD } from './helpers/backups-app.js';

t.test('GET /v1/apps/{name}/backups: backups newest first with parts and sizes, and the status', async (t) => {
  const { app, backups } = await backupsApp(t);
  backups.seed('blog', '20260301T040000.000Z', { complete: false, parts: [], bytes: 0, reason: 'no backup.json' });
  delete backups.backups.get('blog')![0]!.trigger;
  const res = await app.inject({ method: 'GET', url: '/v1/apps/blog/backups', headers: admin });
  t.equal(res.statusCode, 200);
  const body = res.json();
  t.match(body, {
    app: 'blog',
    status: {
      app: 'blog',
      schedule: 'daily',
      count: 2,
      state: 'ok',
      last: { id: NEW, at: '2026-03-01T03:00:00.000Z', ageSeconds: 9 * 3600, bytes: 3072 },
    },
  });
  t.same(
    body.backups.map((b: { id: string; complete: boolean }) => [b.id, b.complete]),
    [
      ['20260301T040000.000Z', false],
      [NEW, true],
      [OLD, true],
    ],
  );
  t.same(body.backups[1], {
    app: 'blog',
    id: NEW,
    time: '2026-03-01T03:00:00.000Z',
    complete: true,
    trigger: 'schedule',
    parts: [
      { name: 'database', file: 'database.sql.gz', bytes: 2048 },
      { name: 'storage', file: 'storage.tar.gz', bytes: 1024 },
    ],
    bytes: 3072,
  });
  t.match(body.backups[0], { reason: 'no backup.json', parts: [] });
});

t.test('auth: the admin token opens the backup routes; none is 401, a deploy token is 403', async (t) => {
  const { app, backups } = await backupsApp(t);
  const { token } = (
    await app.inject({ method: 'POST', url: '/v1/tokens', headers: admin, payload: { app: 'blog' } })
  ).json();
  const ci = { authorization: `Bearer ${token}` };
  const routes: [string, string, object?][] = [
    ['GET', '/v1/apps/blog/backups'],
    ['POST', '/v1/apps/blog/backups', {}],
    ['POST', `/v1/apps/blog/backups/${NEW}/restore`, {}],
    ['POST', `/v1/apps/blog/backups/latest/restore?wait=true`, { into: 'copy' }],
    ['POST', `/v1/apps/blog/backups/${NEW}/verify`, {}],
    ['GET', '/v1/apps/blog/backups/policy'],
    ['PUT', '/v1/apps/blog/backups/policy', { schedule: 'off' }],
  ];
  for (const [method, url, payload] of routes) {
    const none = await app.inject({ method: method as 'GET', url, ...(payload ? { payload } : {}) });
    t.equal(none.statusCode, 401, `${method} ${url} without a token`);
    t.match(none.headers['content-type'], /application\/problem\+json/);
    const scoped = await app.inject({ method: method as 'GET', url, headers: ci, ...(payload ? { payload } : {}) });
    t.equal(scoped.statusCode, 403, `${method} ${url} with a deploy token of the app`);
    t.match(scoped.json(), { code: 'MC_FORBIDDEN' });
  }
  t.same(backups.calls, [], 'a deploy token restored, backed up and verified nothing');
  t.equal(backups.policies.size, 0);
});

t.test('POST /v1/apps/{name}/backups backs up now: a job, or 201 with ?wait=true', async (t) => {
  const { app, backups } = await backupsApp(t);
  const res = await app.inject({ method: 'POST', url: '/v1/apps/blog/backups', headers: admin, payload: {} });
  t.equal(res.statusCode, 202);
  const job = res.json();
  t.equal(res.headers.location, `/v1/jobs/${job.id}`);
  t.match(job, { kind: 'backup.create', app: 'blog' });
  const done = await app.inject({ method: 'GET', url: `/v1/jobs/${job.id}?wait=5`, headers: admin });
  t.match(done.json(), {
    state: 'succeeded',
    progress: [{ step: 'dumping database' }],
    result: { app: 'blog', id: '20260301T120000.000Z', complete: true, trigger: 'manual', bytes: 3072 },
  });

  backups.now = new Date('2026-03-01T13:00:00.000Z');
  const waited = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups?wait=true',
    headers: admin,
    payload: {},
  });
  t.equal(waited.statusCode, 201);
  t.match(waited.json(), { id: '20260301T130000.000Z', parts: [{ name: 'database', bytes: 2048 }] });
  t.match(waited.headers['x-job-id'], /^[0-9a-f-]{36}$/);
  const noBody = await app.inject({ method: 'POST', url: '/v1/apps/blog/backups', headers: admin });
  t.equal(noBody.statusCode, 202, 'a POST with no body at all is {}');
  await app.inject({ method: 'GET', url: `/v1/jobs/${noBody.json().id}?wait=5`, headers: admin });
  t.same(backups.calls, ['create blog', 'create blog', 'create blog']);

  backups.failNext = new MinicloudError('MC_BACKUP', 'the dump of blog ended without "Dump completed"');
  const failed = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups?wait=true',
    headers: admin,
    payload: {},
  });
  t.equal(failed.statusCode, 500, 'a failed backup is a loud error, never a 2xx');
  t.match(failed.json(), { code: 'MC_BACKUP', detail: /Dump completed/ });
  const status = await app.inject({ method: 'GET', url: '/v1/apps/blog/backups', headers: admin });
  t.match(status.json().status, { state: 'failing', lastFailure: { reason: /Dump completed/ } });
});

t.test('validation: bad names, ids and bodies are 400 naming the field; unknown apps 404', async (t) => {
  const { app, backups } = await backupsApp(t);
  const cases: [string, string, unknown, string][] = [
    ['GET', '/v1/apps/Not_An_App/backups', undefined, 'params.name'],
    ['POST', '/v1/apps/blog/backups', { parts: ['database'] }, 'body.parts'],
    ['POST', '/v1/apps/blog/backups/yesterday/restore', {}, 'params.id'],
    ['POST', `/v1/apps/blog/backups/${NEW}/restore`, { into: 'Bad Name' }, 'body.into'],
    ['POST', `/v1/apps/blog/backups/${NEW}/restore`, { into: 'copy', force: true }, 'body.force'],
    ['POST', `/v1/apps/blog/backups/${NEW}/restore`, { backupFirst: 'no' }, 'body.backupFirst'],
    ['POST', '/v1/apps/blog/backups/20260301/verify', {}, 'params.id'],
    ['PUT', '/v1/apps/blog/backups/policy', { keep: { daily: -1 } }, 'body.keep.daily'],
    ['PUT', '/v1/apps/blog/backups/policy', { schedule: 'daily', color: 'red' }, 'body.color'],
    ['PUT', '/v1/apps/blog/backups/policy', { verify: 'yes' }, 'body.verify'],
  ];
  for (const [method, url, payload, field] of cases) {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: admin,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
    t.equal(res.statusCode, 400, `${method} ${url} ${JSON.stringify(payload)}`);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(res.json(), { code: 'MC_BAD_REQUEST', errors: [{ field }] }, field);
  }
  const id = await app.inject({ method: 'POST', url: '/v1/apps/blog/backups/x/restore', headers: admin, payload: {} });
  t.match(id.json().errors, [{ field: 'params.id', message: /must be a backup id such as 20250131T030000\.123Z/ }]);

  const schedule = await app.inject({
    method: 'PUT',
    url: '/v1/apps/blog/backups/policy',
    headers: admin,
    payload: { schedule: 'every 1m' },
  });
  t.equal(schedule.statusCode, 400, "core's policy rules apply: at least 15m");
  t.match(schedule.json(), { code: 'MC_BACKUP_POLICY_INVALID', detail: /every 1m/ });

  for (const [method, url] of [
    ['GET', '/v1/apps/ghost/backups'],
    ['POST', '/v1/apps/ghost/backups'],
    ['POST', `/v1/apps/ghost/backups/${NEW}/restore`],
    ['POST', '/v1/apps/ghost/backups/latest/verify'],
    ['GET', '/v1/apps/ghost/backups/policy'],
    ['PUT', '/v1/apps/ghost/backups/policy'],
  ] as const) {
    const res = await app.inject({ method, url, headers: admin, ...(method !== 'GET' ? { payload: {} } : {}) });
    t.equal(res.statusCode, 404, `${method} ${url}`);
    t.match(res.json(), { code: 'MC_APP_NOT_FOUND', detail: 'no app named ghost' });
  }
  t.same(backups.calls, []);
  t.equal(backups.policies.size, 0);
});

t.test('POST .../restore restores into the app or another one, as a job', async (t) => {
  const { app, backups } = await backupsApp(t);
  const res = await app.inject({
    method: 'POST',
    url: `/v1/apps/blog/backups/${NEW}/restore`,
    headers: admin,
    payload: {},
  });
  t.equal(res.statusCode, 202);
  t.match(res.json(), { kind: 'backup.restore', app: 'blog' });
  const done = await app.inject({ method: 'GET', url: `/v1/jobs/${res.json().id}?wait=5`, headers: admin });
  t.match(done.json(), {
    state: 'succeeded',
    result: {
      app: 'blog',
      id: NEW,
      into: 'blog',
      parts: ['database', 'storage'],
      tables: [{ name: 'posts', rows: 3 }],
    },
  });
  t.match(done.json().result, { previous: String }, 'what it replaced was backed up first');

  const into = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups/latest/restore?wait=true',
    headers: admin,
    payload: { into: 'copy', backupFirst: false },
  });
  t.equal(into.statusCode, 200);
  t.match(into.json(), { app: 'blog', id: NEW, into: 'copy' });
  t.notOk(into.json().previous);
  t.same(backups.calls, [
    `restore blog/${NEW} into blog backupFirst=true`,
    `restore blog/${NEW} into copy backupFirst=false`,
  ]);

  const jobs = (await app.inject({ method: 'GET', url: '/v1/jobs?app=copy', headers: admin })).json().jobs;
  t.match(jobs, [{ kind: 'backup.restore', app: 'copy' }], 'the job belongs to the app whose data it replaces');

  const unknownTarget = await app.inject({
    method: 'POST',
    url: `/v1/apps/blog/backups/${NEW}/restore`,
    headers: admin,
    payload: { into: 'ghost' },
  });
  t.equal(unknownTarget.statusCode, 404);
  t.match(unknownTarget.json(), { code: 'MC_APP_NOT_FOUND', detail: /ghost/ });
});

t.test('restore: an unknown backup is 404, a damaged one 422 naming the part, and nothing is restored', async (t) => {
  const { app, backups } = await backupsApp(t);
  backups.seed('blog', '20260301T050000.000Z', { complete: false, parts: [], bytes: 0 });
  backups.seed('blog', '20260301T060000.000Z', {
    complete: false,
    damaged: true,
    parts: [],
    bytes: 0,
    reason: 'backup.json is not JSON',
  });
  const missing = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups/20250101T000000.000Z/restore',
    headers: admin,
    payload: {},
  });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { code: 'MC_BACKUP_NOT_FOUND', detail: 'blog has no backup 20250101T000000.000Z' });
  const incomplete = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups/20260301T050000.000Z/restore',
    headers: admin,
    payload: {},
  });
  t.equal(incomplete.statusCode, 404);
  t.match(incomplete.json(), { code: 'MC_BACKUP_NOT_FOUND', detail: /incomplete/ });
  const badManifest = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups/20260301T060000.000Z/restore',
    headers: admin,
    payload: {},
  });
  t.equal(badManifest.statusCode, 422);
  t.match(badManifest.json(), { code: 'MC_BACKUP_DAMAGED', detail: /backup\.json is not JSON/ });
  const none = await app.inject({
    method: 'POST',
    url: '/v1/apps/copy/backups/latest/restore',
    headers: admin,
    payload: {},
  });
  t.equal(none.statusCode, 404);
  t.match(none.json(), { code: 'MC_BACKUP_NOT_FOUND', detail: 'copy has no complete backup' });

  const damaged = await app.inject({
    method: 'POST',
    url: `/v1/apps/blog/backups/${OLD}/restore?wait=true`,
    headers: admin,
    payload: {},
  });
  t.equal(damaged.statusCode, 422);
  t.match(damaged.headers['content-type'], /application\/problem\+json/);
  t.match(damaged.json(), {
    status: 422,
    code: 'MC_BACKUP_DAMAGED',
    detail: /part database \(database\.sql\.gz\).*refused/,
    errors: [{ field: 'database', message: 'does not match its checksum' }],
  });
  const asJob = await app.inject({
    method: 'POST',
    url: `/v1/apps/blog/backups/${OLD}/restore`,
    headers: admin,
    payload: {},
  });
  t.equal(asJob.statusCode, 202);
  const failed = await app.inject({ method: 'GET', url: `/v1/jobs/${asJob.json().id}?wait=5`, headers: admin });
  t.match(failed.json(), { state: 'failed', problem: { status: 422, code: 'MC_BACKUP_DAMAGED', detail: /database/ } });
  t.same(backups.calls, [], 'nothing restored');
});

t.test('POST .../verify test-restores a backup, as a job', async (t) => {
  const { app, backups } = await backupsApp(t);
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups/latest/verify?wait=true',
    headers: admin,
    payload: {},
  });
  t.equal(ok.statusCode, 200);
  t.match(ok.json(), { app: 'blog', id: NEW, tables: [{ name: 'posts', rows: 3 }], durationMs: Number });
  const job = await app.inject({
    method: 'POST',
    url: `/v1/apps/blog/backups/${OLD}/verify`,
    headers: admin,
    payload: {},
  });
  t.equal(job.statusCode, 202);
  t.match(job.json(), { kind: 'backup.verify', app: 'blog' });
  const failed = await app.inject({ method: 'GET', url: `/v1/jobs/${job.json().id}?wait=5`, headers: admin });
  t.match(failed.json(), { state: 'failed', problem: { code: 'MC_BACKUP_DAMAGED' } });
  const missing = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups/20250101T000000.000Z/verify',
    headers: admin,
    payload: {},
  });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { code: 'MC_BACKUP_NOT_FOUND' });
  t.same(backups.calls, [`verify blog/${NEW}`, `verify blog/${OLD}`]);
});

t.test('GET/PUT .../backups/policy: schedule and retention, changes merged and checked by core', async (t) => {
  const { app, backups } = await backupsApp(t);
  const got = await app.inject({ method: 'GET', url: '/v1/apps/blog/backups/policy', headers: admin });
  t.equal(got.statusCode, 200);
  t.same(got.json(), { schedule: 'daily', keep: { daily: 7, weekly: 4 }, verify: true });
  const put = await app.inject({
    method: 'PUT',
    url: '/v1/apps/blog/backups/policy',
    headers: admin,
    payload: { schedule: 'every 6h', keep: { daily: 3 } },
  });
  t.equal(put.statusCode, 200);
  t.same(put.json(), { schedule: 'every 6h', keep: { daily: 3, weekly: 4 }, verify: true });
  t.same(backups.policies.get('blog'), put.json());
  const off = await app.inject({
    method: 'PUT',
    url: '/v1/apps/blog/backups/policy',
    headers: admin,
    payload: { schedule: 'off', verify: false },
  });
  t.same(off.json(), { schedule: 'off', keep: { daily: 3, weekly: 4 }, verify: false });
});

t.test("the apps' status gains backup: last success, age and state", async (t) => {
  const { app, backups } = await backupsApp(t);
  const one = await app.inject({ method: 'GET', url: '/v1/apps/blog', headers: admin });
  t.equal(one.statusCode, 200);
  t.same(one.json().backup, { lastSuccessAt: '2026-03-01T03:00:00.000Z', ageSeconds: 32400, state: 'ok' });
  const list = await app.inject({ method: 'GET', url: '/v1/apps', headers: admin });
  t.same(
    list.json().apps.map((a: { name: string; backup: unknown }) => [a.name, a.backup]),
    [
      ['blog', { lastSuccessAt: '2026-03-01T03:00:00.000Z', ageSeconds: 32400, state: 'ok' }],
      ['copy', { lastSuccessAt: null, ageSeconds: null, state: 'stale' }],
    ],
  );
  backups.failures.set('blog', 'mariadb-dump: Access denied');
  t.same((await app.inject({ method: 'GET', url: '/v1/apps/blog', headers: admin })).json().backup, {
    lastSuccessAt: '2026-03-01T03:00:00.000Z',
    ageSeconds: 32400,
    state: 'failing',
    reason: 'mariadb-dump: Access denied',
  });
  backups.status = async () => {
    throw new MinicloudError('MC_BACKUP_POLICY_INVALID', 'backup-policy.json is not JSON');
  };
  const broken = await app.inject({ method: 'GET', url: '/v1/apps', headers: admin });
  t.equal(broken.statusCode, 200, 'an unreadable status does not break the list');
  t.match(broken.json().apps[0].backup, { state: 'failing', reason: /not JSON/ });
  const missing = await app.inject({ method: 'GET', url: '/v1/apps/ghost', headers: admin });
  t.equal(missing.statusCode, 404, 'errors pass through untouched');
});

t.test('without a backups port: the routes answer 503 and the apps carry no backup field', async (t) => {
  const { app, apps } = await testApp();
  t.teardown(() => app.close());
  apps.seed('blog');
  const res = await app.inject({ method: 'GET', url: '/v1/apps/blog/backups', headers: admin });
  t.equal(res.statusCode, 503);
  t.match(res.json(), { code: 'MC_UNAVAILABLE', detail: /backups/ });
  t.notOk('backup' in (await app.inject({ method: 'GET', url: '/v1/apps/blog', headers: admin })).json());
});

t.test('scheduler failures are logged as errors naming the app and the reason', async (t) => {
  const lines: string[] = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
  );
  const onEvent = schedulerLogger(log);
  onEvent({ type: 'started', app: 'blog' });
  onEvent({ type: 'failed', app: 'blog', error: new MinicloudError('MC_BACKUP', 'mariadb-dump exited with 2') });
  onEvent({ type: 'succeeded', app: 'shop', id: NEW, verified: true, deleted: [OLD] });
  const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(entries[1], {
    level: 50,
    app: 'blog',
    code: 'MC_BACKUP',
    reason: 'mariadb-dump exited with 2',
    msg: /scheduled backup of blog FAILED: mariadb-dump exited with 2/,
  });
  t.match(entries[0], { level: 30, app: 'blog' });
  t.match(entries[2], { level: 30, app: 'shop', id: NEW, verified: true, deleted: [OLD] });
});

// ---- the real adapter over core, on a temp data dir (no engine: checksums fail first) ----------

/** Any engine call fails the test: listing, policies and refusing a damaged backup need none. */
const noEngine = new Proxy(
  {},
  {
    get: () => () => {
      throw new Error('the engine was called');
    },
  },
) as unknown as Docker;

function writeBackup(dataDir: string, app: string, id: string, content: string): string {
  const dir = join(dataDir, 'backups', app, id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'messagebus.json'), content);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const time = `${id.slice(0, 4)}-${id.slice(4, 6)}-${id.slice(6, 8)}T${id.slice(9, 11)}:${id.slice(11, 13)}:${id.slice(13)}`;
  const manifest: BackupManifest = {
    format: 1,
    kind: 'app',
    app,
    id,
    startedAt: time,
    finishedAt: time,
    trigger: 'schedule',
    parts: [{ name: 'messagebus', file: 'messagebus.json', bytes: content.length, sha256, vhost: app, queues: 0 }],
    tools: { minicloud: '0.1.0' },
  };
  writeFileSync(join(dir, 'backup.json'), JSON.stringify(manifest));
  return dir;
}

t.test("coreBackups: the routes over core's engine list, refuse a damaged backup, keep the policy", async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mc-api-backups-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  mkdirSync(join(dataDir, 'config', 'apps', 'blog'), { recursive: true });
  writeFileSync(join(dataDir, 'config', 'apps', 'blog', 'app.json'), '{"name":"blog"}');
  writeBackup(dataDir, 'blog', OLD, '{"queues":[]}');
  const altered = writeBackup(dataDir, 'blog', NEW, '{"queues":[]}');
  writeFileSync(join(altered, 'messagebus.json'), '{"queues":[1]}');
  mkdirSync(join(dataDir, 'backups', 'blog', '20260301T100000.000Z'));

  const ctx = await backupContext(dataDir, { docker: noEngine, now: () => new Date('2026-03-01T12:00:00.000Z') });
  const test = await testApp({ backups: coreBackups(ctx) });
  t.teardown(() => test.app.close());
  const app = test.app;

  const list = await app.inject({ method: 'GET', url: '/v1/apps/blog/backups', headers: admin });
  t.equal(list.statusCode, 200);
  t.match(list.json(), {
    status: { count: 2, state: 'ok', last: { id: NEW, ageSeconds: 9 * 3600 } },
    backups: [
      { id: '20260301T100000.000Z', complete: false, parts: [] },
      { id: NEW, complete: true, parts: [{ name: 'messagebus', file: 'messagebus.json', bytes: 13 }] },
      { id: OLD, complete: true },
    ],
  });
  const damaged = await app.inject({
    method: 'POST',
    url: `/v1/apps/blog/backups/${NEW}/restore?wait=true`,
    headers: admin,
    payload: {},
  });
  t.equal(damaged.statusCode, 422);
  t.match(damaged.json(), {
    code: 'MC_BACKUP_DAMAGED',
    detail: new RegExp(`backup blog/${NEW}: part messagebus \\(messagebus\\.json\\) is 14 bytes`),
    errors: [{ field: 'messagebus' }],
  });
  const incomplete = await app.inject({
    method: 'POST',
    url: '/v1/apps/blog/backups/20260301T100000.000Z/verify',
    headers: admin,
    payload: {},
  });
  t.equal(incomplete.statusCode, 404);
  t.match(incomplete.json(), { code: 'MC_BACKUP_NOT_FOUND' });
  const verified = await app.inject({
    method: 'POST',
    url: `/v1/apps/blog/backups/${OLD}/verify?wait=true`,
    headers: admin,
    payload: {},
  });
  t.equal(verified.statusCode, 200, 'a messagebus-only backup verifies without the engine');
  t.match(verified.json(), { app: 'blog', id: OLD, tables: [] });

  const ghost = await app.inject({ method: 'GET', url: '/v1/apps/ghost/backups', headers: admin });
  t.equal(ghost.statusCode, 404);
  t.match(ghost.json(), { code: 'MC_APP_NOT_FOUND' });

  const put = await app.inject({
    method: 'PUT',
    url: '/v1/apps/blog/backups/policy',
    headers: admin,
    payload: { schedule: 'daily@04:30', keep: { weekly: 2 } },
  });
  t.equal(put.statusCode, 200);
  t.same(put.json(), { schedule: 'daily@04:30', keep: { daily: 7, weekly: 2 }, verify: true });
  t.same(JSON.parse(readFileSync(join(dataDir, 'config', 'apps', 'blog', 'backup-policy.json'), 'utf8')), put.json());
  const got = await app.inject({ method: 'GET', url: '/v1/apps/blog/backups/policy', headers: admin });
  t.same(got.json(), put.json());
});
