import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type Docker from 'dockerode';
import {
  backupContext,
  createAppBackup,
  createPlatformBackup,
  CRITICAL_FREE_BYTES,
  diskSpaceLevel,
  diskSpaceLevels,
  DiskSpaceTracker,
  figuresWhereWritten,
  LOW_FREE_BYTES,
  readDiskSpace,
  readPathFigures,
  Sensitive,
  startDiskSpaceWatch,
  worstDiskSpaceLevel,
  type DiskFiguresSource,
  type NewEvent,
  type PathFigures,
} from '@minicloud/core';

// Disk space levels (pure), the tracker that turns them into events only on change, the
// statfs edge on this machine's own disk, and the backup refused on a critical filesystem.

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;
const fig = (path: string, device: number, totalBytes: number, freeBytes: number): PathFigures => ({
  path,
  device,
  totalBytes,
  freeBytes,
});

t.test('levels: below 10% or 1 GiB is low, below 3% or 256 MiB critical; the boundaries are ok', async (t) => {
  const total = 100 * GIB;
  t.equal(diskSpaceLevel(total, 10 * GIB), 'ok', 'exactly 10% free is not low');
  t.equal(diskSpaceLevel(total, 10 * GIB - 1), 'low');
  t.equal(diskSpaceLevel(total, 3 * GIB), 'low', 'exactly 3% free is low, not critical');
  t.equal(diskSpaceLevel(total, 3 * GIB - 1), 'critical');
  // A small disk: the byte thresholds bite before the ratios.
  t.equal(diskSpaceLevel(4 * GIB, LOW_FREE_BYTES), 'ok', 'exactly 1 GiB (25%) is ok');
  t.equal(diskSpaceLevel(4 * GIB, LOW_FREE_BYTES - 1), 'low');
  t.equal(diskSpaceLevel(4 * GIB, CRITICAL_FREE_BYTES), 'low');
  t.equal(diskSpaceLevel(4 * GIB, CRITICAL_FREE_BYTES - 1), 'critical');
  t.equal(diskSpaceLevel(0, 0), 'critical', 'a filesystem with no size has no room');
});

t.test('paths on one device are one filesystem naming each; the reason says free of total', async (t) => {
  const levels = diskSpaceLevels([
    fig('/data/minicloud', 1, 20 * GIB, 0.8 * GIB),
    fig('/data/minicloud/backups', 2, 500 * GIB, 400 * GIB),
    fig('/data/minicloud/registry', 1, 20 * GIB, 0.8 * GIB),
    fig('/data/minicloud/storage', 1, 20 * GIB, 0.8 * GIB),
  ]);
  t.equal(levels.length, 2);
  t.match(levels[0], {
    paths: ['/data/minicloud', '/data/minicloud/registry', '/data/minicloud/storage'],
    level: 'low',
    freePercent: 4,
    reason: '/data/minicloud, /data/minicloud/registry, /data/minicloud/storage: 0.8 GiB free of 20 GiB (4%)',
  });
  t.match(levels[1], { paths: ['/data/minicloud/backups'], level: 'ok', reason: /400 GiB free of 500 GiB \(80%\)/ });
  t.equal(worstDiskSpaceLevel(levels), 'low');
  t.equal(worstDiskSpaceLevel([]), 'ok');
  t.equal(diskSpaceLevels([fig('/d', 1, 100 * GIB, 9.99 * GIB)])[0]!.freePercent, 9, '9.99% reads 9%, not 10%');
});

t.test('the tracker records a change of level once, worse or better, and nothing while it stays', async (t) => {
  const tracker = new DiskSpaceTracker();
  const at = (free: number) => diskSpaceLevels([fig('/data', 7, 100 * GIB, free)]);
  t.same(tracker.changes(at(50 * GIB)), [], 'ok from the start says nothing');
  const low = tracker.changes(at(5 * GIB));
  t.match(low, [
    {
      kind: 'alert.disk-space',
      level: 'warning',
      actor: 'platform',
      message: /^disk space low: \/data: 5\.0 GiB free/,
    },
  ]);
  t.same(tracker.changes(at(4 * GIB)), [], 'still low: no repeat');
  t.match(tracker.changes(at(1 * GIB)), [
    { kind: 'alert.disk-space', level: 'error', message: /^disk space critical/ },
  ]);
  t.same(tracker.changes(at(1 * GIB)), []);
  t.match(tracker.changes(at(5 * GIB)), [{ level: 'warning', message: /^disk space better, still low/ }]);
  t.match(tracker.changes(at(60 * GIB)), [
    { kind: 'alert.disk-space.resolved', level: 'info', message: /^disk space ok again: \/data: 60 GiB free/ },
  ]);
  t.same(tracker.changes(at(60 * GIB)), []);
  // Straight from ok to critical is one event; a filesystem gone is forgotten, and counts as ok when back.
  t.equal(tracker.changes(at(1 * GIB)).length, 1);
  t.same(tracker.changes([]), []);
  t.match(tracker.changes(at(1 * GIB)), [{ level: 'error' }]);
});

t.test('the watch hands each change to emit and stops', async (t) => {
  let free = 50 * GIB;
  const emitted: NewEvent[] = [];
  const watch = startDiskSpaceWatch({
    read: async () => diskSpaceLevels([fig('/data', 1, 100 * GIB, free)]),
    emit: async (e) => void emitted.push(e),
    everyMs: 3_600_000,
  });
  t.teardown(() => watch.stop());
  await watch.check();
  free = 100 * MIB;
  await watch.check();
  await watch.check();
  t.match(emitted, [{ kind: 'alert.disk-space', level: 'error' }]);
});

t.test('readDiskSpace: the watched paths that exist, on this machine', async (t) => {
  const data = t.testdir({ backups: {}, storage: {} });
  const space = await readDiskSpace(data);
  t.equal(space.length, 1, 'one filesystem here');
  t.same(space[0]!.paths, [data, join(data, 'backups'), join(data, 'storage')], 'no registry dir: not named');
  t.ok(space[0]!.totalBytes > 0 && space[0]!.freeBytes <= space[0]!.totalBytes);
  const own = await readPathFigures(data);
  t.equal(own.device, space[0]!.device);
  // A backups dir not made yet is judged by the filesystem it will be made on.
  const later = await figuresWhereWritten(join(data, 'not', 'yet'));
  t.match(later, { path: join(data, 'not', 'yet'), device: own.device });
  await t.rejects(
    readDiskSpace(data, async () => Promise.reject(new Error('EIO'))),
    /EIO/,
    'other errors are not hidden',
  );
});

const noEngine = {} as Docker;
const critical: DiskFiguresSource = async (path) => fig(path, 1, 20 * GIB, 200 * MIB);
const low: DiskFiguresSource = async (path) => fig(path, 1, 20 * GIB, 900 * MIB);

t.test('a backup on a critical filesystem is refused before its folder is made, naming why', async (t) => {
  const data = t.testdir({ storage: { shop: { 'a.txt': 'a' } } });
  const ctx = { ...(await backupContext(data, { docker: noEngine })), diskFigures: critical };
  await t.rejects(createAppBackup(ctx, 'shop', { parts: ['storage'] }), {
    code: 'MC_DISK_LOW',
    status: 507,
    message: /no backup started: .*backups: 0\.2 GiB free of 20 GiB \(0%\)/,
  });
  const appDir = join(data, 'backups', 'shop');
  t.same(
    existsSync(appDir) ? readdirSync(appDir).filter((n) => n !== 'last-failure.json') : [],
    [],
    'no backup folder',
  );
  t.match(await ctx.store.lastFailure('shop'), { code: 'MC_DISK_LOW' }, "the app's backup status says why");
  await t.rejects(createPlatformBackup(ctx, { passphrase: new Sensitive('a passphrase of some length') }), {
    code: 'MC_DISK_LOW',
  });

  const lowCtx = { ...ctx, diskFigures: low };
  const entry = await createAppBackup(lowCtx, 'shop', { parts: ['storage'] });
  t.ok(entry.id, 'a low (not critical) filesystem still takes a backup');
});
