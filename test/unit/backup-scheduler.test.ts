import t from 'tap';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  appBackupStatus,
  backupContext,
  BackupScheduler,
  backupStatuses,
  writeBackupPolicy,
  type SchedulerEvent,
} from '@minicloud/core';

// The scheduler the API runs, on a clock the test moves: it asks what is due, backs it up,
// test-restores it, applies retention, and reports failures loudly and retries them later.
// Storage-only apps, so no engine is needed; the database path is the same code (test/engine).

const noEngine = new Proxy(
  {},
  {
    get: (_, key) => () => {
      throw new Error(`the engine was called (${String(key)})`);
    },
  },
) as unknown as Docker;

function addApp(dataDir: string, name: string, needs: string[], withStorage = true): void {
  mkdirSync(join(dataDir, 'config/apps', name), { recursive: true });
  writeFileSync(join(dataDir, 'config/apps', name, 'app.json'), JSON.stringify({ name, needs }));
  if (withStorage) {
    mkdirSync(join(dataDir, 'storage', name), { recursive: true });
    writeFileSync(join(dataDir, 'storage', name, 'data.txt'), `${name} data`);
  }
}

t.test('scheduled backups: due ones run, then test restore and retention; failures are loud and retried', async (t) => {
  const data = t.testdir({});
  addApp(data, 'shop', ['storage']);
  addApp(data, 'blog', ['storage']);
  addApp(data, 'broken', ['storage'], false); // its storage is not on this node
  addApp(data, 'manual', ['storage']);
  await writeBackupPolicy(join(data, 'config/apps'), 'blog', { schedule: 'every 6h', keep: { daily: 1, weekly: 0 } });
  await writeBackupPolicy(join(data, 'config/apps'), 'manual', { schedule: 'off' });

  let now = new Date('2025-03-10T12:00:00Z');
  const ctx = await backupContext(data, { docker: noEngine, now: () => now });
  const events: SchedulerEvent[] = [];
  const scheduler = new BackupScheduler(ctx, { onEvent: (e) => events.push(e) });
  const ran = async (at: string) => {
    now = new Date(at);
    events.length = 0;
    return scheduler.tick();
  };

  t.same(
    await ran('2025-03-10T12:00:00Z'),
    ['blog', 'broken', 'shop'],
    'never backed up: due at once (off is never due)',
  );
  t.match(
    events.filter((e) => e.type === 'succeeded'),
    [
      { app: 'blog', verified: true, deleted: [] },
      { app: 'shop', verified: true, deleted: [] },
    ],
  );
  const failed = events.find((e) => e.type === 'failed');
  t.match(
    failed,
    { app: 'broken', error: { code: 'MC_BACKUP', message: /not on this node/ } },
    'the failure is reported',
  );
  t.match(await appBackupStatus(ctx, 'broken'), { state: 'failing', lastFailure: { code: 'MC_BACKUP' } });
  t.match(await appBackupStatus(ctx, 'shop'), { state: 'ok', count: 1, lastVerify: { ok: true } });

  t.same(await ran('2025-03-10T12:30:00Z'), [], 'nothing is due half an hour later (the failure waits an hour)');
  t.same(await ran('2025-03-10T13:00:00Z'), ['broken'], 'the failed one is retried after an hour');
  t.same(
    await ran('2025-03-10T18:00:00Z'),
    ['broken', 'blog'],
    'every 6h (and the hourly retry, longest waiting first)',
  );
  t.match(
    events.filter((e) => e.app === 'blog'),
    [
      { type: 'started', app: 'blog' },
      { type: 'succeeded', app: 'blog', deleted: [/^20250310T120000/] },
    ],
    'keep 1 daily: the older one of the day goes',
  );
  t.equal((await ctx.store.list('blog')).length, 1);

  t.same(await ran('2025-03-11T02:59:00Z'), ['broken', 'blog'], 'daily@03:00 is not due before 03:00 (the others are)');
  t.same(await ran('2025-03-11T03:00:00Z'), ['shop'], 'and due at 03:00');
  t.equal((await ctx.store.list('shop')).length, 2, 'shop keeps 7 daily');

  const statuses = await backupStatuses(ctx);
  t.same(
    statuses.map((s) => [s.app, s.state, s.schedule, s.count]),
    [
      ['blog', 'ok', 'every 6h', 1],
      ['broken', 'failing', 'daily@03:00', 0],
      ['manual', 'off', 'off', 0],
      ['shop', 'ok', 'daily@03:00', 2],
    ],
  );
  now = new Date('2025-03-14T03:00:00Z');
  t.match(
    await appBackupStatus(ctx, 'shop'),
    { state: 'stale', last: { ageSeconds: 3 * 86400 } },
    'three days without a backup: stale',
  );
});

t.test('start and stop: the timer runs ticks and stop waits for the one under way', async (t) => {
  const data = t.testdir({});
  addApp(data, 'shop', ['storage']);
  const ctx = await backupContext(data, { docker: noEngine });
  const events: SchedulerEvent[] = [];
  const scheduler = new BackupScheduler(ctx, { intervalMs: 20, onEvent: (e) => events.push(e) });
  scheduler.start();
  const deadline = Date.now() + 5000;
  while (!events.some((e) => e.type === 'succeeded') && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
  await scheduler.stop();
  t.match(events, [
    { type: 'started', app: 'shop' },
    { type: 'succeeded', app: 'shop' },
  ]);
  t.equal((await ctx.store.list('shop')).length, 1, 'one backup: it was not due again');
});

t.test('an app being removed is not backed up: its parts are going', async (t) => {
  const data = t.testdir({});
  addApp(data, 'shop', ['storage']);
  addApp(data, 'going', ['storage']);
  const record = join(data, 'config/apps/going/app.json');
  writeFileSync(
    record,
    JSON.stringify({
      name: 'going',
      needs: ['storage'],
      state: 'removing',
      removal: { purge: true, startedAt: '2025-03-10T11:00:00Z', left: [{ part: 'storage', reason: 'EBUSY' }] },
    }),
  );
  const ctx = await backupContext(data, { docker: noEngine, now: () => new Date('2025-03-10T12:00:00Z') });
  const events: SchedulerEvent[] = [];
  const scheduler = new BackupScheduler(ctx, { onEvent: (e) => events.push(e) });
  t.same(await scheduler.tick(), ['shop']);
  t.notOk(
    events.some((e) => e.app === 'going'),
    'no attempt, no failure',
  );
});
