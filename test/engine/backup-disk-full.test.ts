import t from 'tap';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  appBackupStatus,
  backupContext,
  createAppBackup,
  readPathFigures,
  verifyBackup,
  type BackupContext,
} from '@minicloud/core';

// Issue 15: the disk fills up during a backup. The backups dir is a 2 MiB filesystem of its
// own (tmpfs, mounted for the test); an app's first backup fits, then its storage grows past
// what is left. The backup fails loudly with the reason, leaves no partial folder (so nothing
// half-written is ever listed or restorable), frees what it wrote, the older backup still
// verifies, and the app's backup status says why.

const work = mkdtempSync(join(tmpdir(), 'mc-disk-full-'));
const dataDir = join(work, 'data');
const backups = join(dataDir, 'backups');
const storage = join(dataDir, 'storage', 'shop');
let ctx: BackupContext;

t.before(async () => {
  mkdirSync(backups, { recursive: true });
  mkdirSync(storage, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'minicloud-test-full', backups]);
  // The backups' filesystem read as a thousand times its size: the check before a backup refuses
  // one on a critical filesystem (MC_DISK_LOW: under 256 MiB free is critical, and this one has
  // 2 MiB), which unit tests cover. This test is about a disk that fills while a backup runs.
  const real = await backupContext(dataDir);
  ctx = {
    ...real,
    diskFigures: async (path) => {
      const figures = await readPathFigures(path);
      return { ...figures, totalBytes: figures.totalBytes * 1000, freeBytes: figures.freeBytes * 1000 };
    },
  };
});

t.teardown(() => {
  execFileSync('umount', [backups]);
  rmSync(work, { recursive: true, force: true });
});

const freeBytes = () => {
  const s = statfsSync(backups);
  return s.bavail * s.bsize;
};

t.test('a backup that fills the disk fails with the reason and leaves the older one as it was', async (t) => {
  writeFileSync(join(storage, 'index.html'), '<h1>shop</h1>\n'.repeat(100));
  const first = await createAppBackup(ctx, 'shop', { parts: ['storage'] });
  t.equal((await ctx.store.list('shop')).length, 1, 'the first backup fits');
  const freeBefore = freeBytes();

  // 3 MiB that gzip cannot shrink: more than the whole filesystem.
  writeFileSync(join(storage, 'photo.raw'), randomBytes(3 * 1024 * 1024));
  const failed = await createAppBackup(ctx, 'shop', { parts: ['storage'] }).then(
    () => undefined,
    (error: unknown) => error as { code?: string; message?: string },
  );
  t.ok(failed, 'the second backup fails');
  t.match(
    failed,
    { code: 'MC_BACKUP', message: /ENOSPC|no space left on device/i },
    `with the reason: ${failed?.message}`,
  );

  const listed = await ctx.store.list('shop');
  t.same(
    listed.map((b) => b.id),
    [first.id],
    'only the complete backup is listed: nothing half-written is ever offered for a restore',
  );
  t.same(
    readdirSync(join(backups, 'shop')).filter((name) => !name.endsWith('.json')),
    [first.id],
    'and no partial folder is left on the disk',
  );
  // All that is new is the failure record (last-failure.json, one block).
  t.ok(freeBytes() >= freeBefore - 8192, `what it wrote is freed (${freeBytes()} of ${freeBefore} bytes free)`);
  const verified = await verifyBackup(ctx, 'shop', first.id);
  t.ok(verified, 'the older backup still verifies');

  const status = await appBackupStatus(ctx, 'shop');
  t.equal(status.state, 'failing', 'the status says the backups are failing');
  t.match(status.lastFailure, { reason: /ENOSPC|no space left on device/i }, 'and why');
  t.equal(status.count, 1);
});
