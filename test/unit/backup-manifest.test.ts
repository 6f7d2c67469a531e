import t from 'tap';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  lstatSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
  existsSync,
  utimesSync,
} from 'node:fs';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type Docker from 'dockerode';
import tar from 'tar-stream';
import { run } from '@minicloud/cli';
import {
  appBackupStatus,
  backupContext,
  BackupStore,
  BACKUP_MANIFEST_FILE,
  copyBackup,
  createAppBackup,
  extractArchive,
  isMinicloudError,
  pruneBackups,
  readBackupManifest,
  restoreAppBackup,
  validateBackupManifest,
  verifyBackup,
  writeBackupManifest,
  type BackupContext,
  type BackupManifest,
} from '@minicloud/core';

// backup.json, the checksums and the folder layout, on real temp folders. Storage-only
// backups need no engine, so the whole create -> alter -> refuse -> restore path runs here;
// the database and vhost parts are covered against real servers in test/engine.

/** Any engine call fails the test: these paths must not need one. */
const noEngine = new Proxy(
  {},
  {
    get: (_, key) => () => {
      throw new Error(`the engine was called (${String(key)})`);
    },
  },
) as unknown as Docker;

async function context(dataDir: string, copyTo?: string): Promise<BackupContext> {
  return backupContext(dataDir, { docker: noEngine, ...(copyTo ? { copyTo } : {}) });
}

/** A directory's tree: each path with its type, mode, content hash or link target. */
function tree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(join(dir, rel));
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(join(dir, rel))}`);
    else if (st.isDirectory()) out.push(`${rel}/ ${mode}`, ...tree(dir, rel));
    else
      out.push(
        `${rel} ${mode} ${createHash('sha256')
          .update(readFileSync(join(dir, rel)))
          .digest('hex')} ${Math.floor(st.mtimeMs / 1000)}`,
      ); // tar keeps whole seconds
  }
  return out;
}

function fillStorage(dir: string): void {
  mkdirSync(join(dir, 'uploads/2025/empty'), { recursive: true });
  writeFileSync(
    join(dir, 'uploads/2025/photo.bin'),
    Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)),
  );
  writeFileSync(join(dir, "name with spaces, 'quotes' & ünïcode.txt"), 'hello\n');
  writeFileSync(join(dir, 'secret.key'), 'k', { mode: 0o600 });
  writeFileSync(join(dir, 'empty.txt'), '');
  writeFileSync(join(dir, `${'long-name-'.repeat(12)}.txt`), 'long');
  symlinkSync('uploads/2025/photo.bin', join(dir, 'latest'));
  utimesSync(join(dir, 'empty.txt'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
}

const validManifest: BackupManifest = {
  format: 1,
  kind: 'app',
  app: 'shop',
  id: '20250131T030000.123Z',
  startedAt: '2025-01-31T03:00:00.123Z',
  finishedAt: '2025-01-31T03:00:09.000Z',
  trigger: 'schedule',
  parts: [
    {
      name: 'database',
      file: 'database.sql.gz',
      bytes: 10,
      sha256: 'a'.repeat(64),
      rawBytes: 40,
      database: 'shop',
      tables: [{ name: 'orders', rows: 3 }],
    },
    { name: 'storage', file: 'storage.tar.gz', bytes: 20, sha256: 'b'.repeat(64), files: 2 },
  ],
  tools: { 'mariadb-dump': '10.19', minicloud: '0.1.0' },
};

t.test('manifest validation names what is wrong', async (t) => {
  t.same(validateBackupManifest(structuredClone(validManifest)), validManifest);
  const broken: [string, (m: Record<string, unknown> & BackupManifest) => void, RegExp][] = [
    ['format 2', (m) => ((m as { format: number }).format = 2), /format/],
    ['a bad id', (m) => (m.id = '2025-01-31'), /id/],
    ['no parts list', (m) => delete (m as Partial<BackupManifest>).parts, /parts/],
    ['a short checksum', (m) => (m.parts[0]!.sha256 = 'abc'), /parts\/0\/sha256|parts\[0\]\.sha256/],
    ['a path as file name', (m) => (m.parts[0]!.file = '../etc/passwd'), /file/],
    ['negative rows', (m) => (m.parts[0]!.tables![0]!.rows = -1), /rows/],
    ['an unknown part', (m) => ((m.parts[1] as { name: string }).name = 'cache'), /name/],
    ['an extra field', (m) => (m['extra'] = 1), /extra/],
    ['a part twice', (m) => m.parts.push({ ...m.parts[0]!, file: 'other.gz' }), /repeats name database/],
    ['a file twice', (m) => m.parts.push({ ...m.parts[0]!, name: 'messagebus' }), /repeats file database\.sql\.gz/],
    ['the manifest as a part', (m) => (m.parts[1]!.file = 'backup.json'), /manifest itself/],
  ];
  for (const [what, breakIt, message] of broken) {
    const m = structuredClone(validManifest) as Record<string, unknown> & BackupManifest;
    breakIt(m);
    t.throws(() => validateBackupManifest(m), { code: 'MC_BACKUP_DAMAGED', message }, what);
  }
});

t.test('storage backup round trip; an altered part is refused at restore', async (t) => {
  const data = t.testdir({});
  const storage = join(data, 'storage/shop');
  mkdirSync(storage, { recursive: true });
  fillStorage(storage);
  const before = tree(storage);
  const ctx = await context(data);

  const entry = await createAppBackup(ctx, 'shop', { parts: ['storage'] });
  t.same(
    readdirSync(entry.dir).sort(),
    [BACKUP_MANIFEST_FILE, 'storage.tar.gz'],
    'the folder holds the part and backup.json, nothing half-written',
  );
  const part = entry.manifest.parts[0]!;
  t.match(part, { name: 'storage', file: 'storage.tar.gz', files: 5 });
  t.equal(part.bytes, statSync(join(entry.dir, 'storage.tar.gz')).size);
  t.equal(
    part.sha256,
    createHash('sha256')
      .update(readFileSync(join(entry.dir, 'storage.tar.gz')))
      .digest('hex'),
  );
  t.same(await readBackupManifest(entry.dir), entry.manifest, 'backup.json holds the manifest');
  t.equal((statSync(join(entry.dir, BACKUP_MANIFEST_FILE)).mode & 0o777).toString(8), '600');

  // The test restore reads the archive through.
  t.match(await verifyBackup(ctx, 'shop'), { id: entry.id, files: 5 });

  // Destroy the data, restore, compare.
  const inode = statSync(storage).ino;
  writeFileSync(join(storage, 'uploads/2025/photo.bin'), 'overwritten');
  writeFileSync(join(storage, 'new-file.txt'), 'not in the backup');
  const restored = await restoreAppBackup(ctx, 'shop', entry.id);
  t.same(restored.parts, ['storage']);
  t.same(tree(storage), before, 'files, modes, times and links are as backed up; the newer file is gone');
  t.equal(statSync(storage).ino, inode, 'the directory itself is kept (containers bind-mount it)');
  t.same(readdirSync(join(data, 'storage')).sort(), ['shop'], 'no staging or old directories are left beside it');

  // Into another app.
  await restoreAppBackup(ctx, 'shop', 'latest', { into: 'shop-copy' });
  t.same(tree(join(data, 'storage/shop-copy')), before, 'restored into a new app');

  // Alter one byte of the archive: refused before anything is touched.
  const archive = join(entry.dir, 'storage.tar.gz');
  const bytes = readFileSync(archive);
  bytes[Math.floor(bytes.length / 2)] = bytes[Math.floor(bytes.length / 2)]! ^ 0x01;
  writeFileSync(archive, bytes);
  writeFileSync(join(storage, 'marker.txt'), 'still here');
  const refused = await restoreAppBackup(ctx, 'shop', entry.id).catch((e: unknown) => e);
  t.ok(isMinicloudError(refused), 'restore throws');
  t.match(refused, {
    code: 'MC_BACKUP_DAMAGED',
    message: /part storage \(storage\.tar\.gz\).*altered or damaged, refused/,
  });
  t.match((refused as { details: unknown }).details, [{ path: 'storage', message: 'does not match its checksum' }]);
  t.equal(readFileSync(join(storage, 'marker.txt'), 'utf8'), 'still here', 'the app data is untouched');
  t.match(
    await verifyBackup(ctx, 'shop').catch((e: unknown) => e),
    { code: 'MC_BACKUP_DAMAGED' },
    'verify refuses it too',
  );

  // A truncated or missing part too.
  writeFileSync(archive, bytes.subarray(0, 100));
  t.match(await restoreAppBackup(ctx, 'shop', entry.id).catch((e: unknown) => e), {
    code: 'MC_BACKUP_DAMAGED',
    message: /is 100 bytes/,
  });
});

t.test('a folder without backup.json is incomplete: ignored, then cleaned', async (t) => {
  const data = t.testdir({});
  const store = new BackupStore(join(data, 'backups'));
  const old = await store.create('shop', new Date('2025-01-01T03:00:00Z'));
  writeFileSync(join(old.dir, 'database.sql.gz'), 'half a dump');
  const recent = await store.create('shop', new Date('2025-01-02T03:00:00Z'));
  t.same(await store.list('shop'), [], 'no complete backup');
  t.match(await store.get('shop', old.id).catch((e: unknown) => e), {
    code: 'MC_BACKUP_NOT_FOUND',
    message: /incomplete/,
  });
  t.match(await store.get('shop', 'latest').catch((e: unknown) => e), { code: 'MC_BACKUP_NOT_FOUND' });
  t.same(
    (await store.scan('shop')).incomplete.map((f) => f.id),
    [recent.id, old.id],
  );
  const damaged = await store.create('shop', new Date('2025-01-03T03:00:00Z'));
  writeFileSync(join(damaged.dir, BACKUP_MANIFEST_FILE), '{"format": 1');
  t.match((await store.scan('shop')).damaged, [{ id: damaged.id, reason: /not JSON/ }]);
  // A day's grace: only the folder older than `before` goes.
  t.same(await store.removeIncomplete('shop', new Date('2025-01-02T00:00:00Z')), [old.id]);
  t.notOk(existsSync(old.dir));
  t.ok(existsSync(recent.dir));
  t.equal(
    (await store.create('shop', new Date('2025-01-02T03:00:00Z'))).id,
    '20250102T030000.001Z',
    'ids never collide',
  );
});

t.test('retention on real folders deletes exactly what the plan says', async (t) => {
  const data = t.testdir({});
  const store = new BackupStore(join(data, 'backups'));
  const ids: string[] = [];
  // Two backups a day for 20 days (03:00 and 15:00).
  for (let day = 1; day <= 20; day++) {
    for (const hour of ['03', '15']) {
      const time = new Date(`2025-01-${String(day).padStart(2, '0')}T${hour}:00:00Z`);
      const { id, dir } = await store.create('shop', time);
      writeFileSync(join(dir, 'storage.tar.gz'), 'x');
      await writeBackupManifest(dir, {
        ...validManifest,
        id,
        startedAt: time.toISOString(),
        parts: [{ name: 'storage', file: 'storage.tar.gz', bytes: 1, sha256: 'c'.repeat(64) }],
      });
      ids.push(id);
    }
  }
  const interrupted = await store.create('shop', new Date('2025-01-05T10:00:00Z'));
  const result = await pruneBackups(store, 'shop', { daily: 3, weekly: 2 }, new Date('2025-01-20T16:00:00Z'));
  // Daily: the 15:00 backups of Jan 20, 19, 18; weekly: W04 (Jan 20, kept), W03 (Sun Jan 19, kept).
  const kept = ['20250120T150000.000Z', '20250119T150000.000Z', '20250118T150000.000Z'];
  t.same(
    (await store.list('shop')).map((e) => e.id),
    kept,
  );
  t.same(result.plan.delete.length, 37);
  t.same(readdirSync(store.appDir('shop')).sort(), [...kept].sort(), 'exactly those folders remain');
  t.same(result.incomplete, [interrupted.id], 'the interrupted folder is gone too');
});

t.test('listing reads each backup.json once, and again whenever the file changed', async (t) => {
  const data = t.testdir({});
  const store = new BackupStore(join(data, 'backups'));
  const time = new Date('2025-01-01T03:00:00Z');
  const { id, dir } = await store.create('shop', time);
  await writeBackupManifest(dir, { ...validManifest, id, startedAt: time.toISOString() });
  const first = (await store.list('shop'))[0]!;
  t.equal((await store.list('shop'))[0]!.manifest, first.manifest, 'the second listing reuses the parsed file');
  // A hand edit in place (same inode) with another size or time is read and judged again.
  const file = join(dir, BACKUP_MANIFEST_FILE);
  writeFileSync(file, readFileSync(file, 'utf8').replace(`"${id}"`, '"20250101T040000.000Z"'));
  const scan = await store.scan('shop');
  t.same(scan.complete, [], 'no longer listed as complete');
  t.match(scan.damaged, [{ id, reason: /backup\.json names shop\/20250101T040000\.000Z/ }]);
  writeFileSync(file, 'not json');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  t.match((await store.scan('shop')).damaged, [{ id, reason: /is not JSON/ }]);
});

t.test('copy to a second location: checked there, manifest last', async (t) => {
  const data = t.testdir({});
  mkdirSync(join(data, 'storage/shop'), { recursive: true });
  fillStorage(join(data, 'storage/shop'));
  const offsite = join(data, 'offsite');
  const ctx = await context(data, offsite);
  const entry = await createAppBackup(ctx, 'shop', { parts: ['storage'] });
  const copy = join(offsite, 'shop', entry.id);
  t.same(readdirSync(copy).sort(), [BACKUP_MANIFEST_FILE, 'storage.tar.gz']);
  t.same(await readBackupManifest(copy), entry.manifest);
  t.same(await new BackupStore(offsite).list('shop').then((l) => l.map((e) => e.id)), [entry.id]);
  // A second copy of a complete backup is a no-op; a broken source is refused and leaves nothing.
  t.equal(await copyBackup(entry, offsite), copy);
  writeFileSync(join(entry.dir, 'storage.tar.gz'), 'broken');
  const other = join(data, 'offsite2');
  t.match(await copyBackup(entry, other).catch((e: unknown) => e), { code: 'MC_BACKUP_DAMAGED' });
  t.notOk(existsSync(join(other, 'shop', entry.id)), 'no half copy');
});

t.test('a failed backup is loud: thrown, recorded for the status, no folder left', async (t) => {
  const data = t.testdir({});
  const ctx = await context(data);
  const error = await createAppBackup(ctx, 'shop', { parts: ['storage'] }).catch((e: unknown) => e);
  t.match(error, { code: 'MC_BACKUP', message: /storage directory .* is not on this node/ });
  t.same(readdirSync(ctx.store.appDir('shop')), ['last-failure.json'], 'only the failure record');
  const status = await appBackupStatus(ctx, 'shop');
  t.match(status, { app: 'shop', state: 'failing', count: 0, lastFailure: { code: 'MC_BACKUP' } });
  t.notOk(status.last);

  mkdirSync(join(data, 'storage/shop'), { recursive: true });
  const entry = await createAppBackup(ctx, 'shop', { parts: ['storage'] });
  const ok = await appBackupStatus(ctx, 'shop');
  t.match(ok, { state: 'ok', count: 1, last: { id: entry.id, bytes: entry.manifest.parts[0]!.bytes } });
  t.ok(ok.last!.ageSeconds >= 0 && ok.last!.ageSeconds < 60, 'its age');
  t.notOk(ok.lastFailure, 'a success clears the failure');
});

t.test('an archive cannot write outside the restore directory', async (t) => {
  const dir = t.testdir({ target: {} });
  for (const [name, type, linkname] of [
    ['../escape.txt', 'file', undefined],
    ['/etc/absolute.txt', 'file', undefined],
    ['a/../../escape.txt', 'file', undefined],
  ] as const) {
    const file = join(dir, 'evil.tar');
    const pack = tar.pack();
    const writing = pipeline(pack, createWriteStream(file));
    pack.entry({ name, type, ...(linkname ? { linkname } : {}) }, 'evil');
    pack.finalize();
    await writing;
    const { createReadStream } = await import('node:fs');
    const error = await extractArchive(createReadStream(file), join(dir, 'target')).catch((e: unknown) => e);
    t.match(error, { code: 'MC_BACKUP_DAMAGED', message: /points outside/ }, name);
  }
  t.notOk(existsSync(join(dir, 'escape.txt')));

  // A symlink in the archive is made last, so a later entry cannot be written through it.
  const file = join(dir, 'link.tar');
  const pack = tar.pack();
  const writing = pipeline(pack, createWriteStream(file));
  pack.entry({ name: 'out', type: 'symlink', linkname: '..' });
  pack.entry({ name: 'out/escape.txt', type: 'file' }, 'evil');
  pack.finalize();
  await writing;
  const { createReadStream } = await import('node:fs');
  await extractArchive(createReadStream(file), join(dir, 'target2')).catch(() => undefined);
  t.notOk(existsSync(join(dir, 'escape.txt')), 'nothing escaped through the link');
});

t.test('the CLI: create, ls, refuse a damaged backup with a non-zero exit', async (t) => {
  const data = t.testdir({});
  mkdirSync(join(data, 'storage/shop'), { recursive: true });
  fillStorage(join(data, 'storage/shop'));
  const cli = async (...args: string[]) => {
    let out = '';
    let err = '';
    const code = await run(['node', 'minicloud', ...args, '--data-dir', data], {
      out: (s) => (out += `${s}\n`),
      err: (s) => (err += `${s}\n`),
    });
    return { code, out, err };
  };
  const created = await cli('backup', 'create', 'shop', '--parts', 'storage');
  t.equal(created.code, 0, created.err);
  t.match(created.out, /^backup shop\/\d{8}T\d{6}\.\d{3}Z: storage 5 files/);
  const id = /shop\/(\S+):/.exec(created.out)![1]!;
  const ls = await cli('backup', 'ls', 'shop');
  t.match(ls.out, new RegExp(`${id.replace('.', '\\.')}\\s+manual`));
  const policy = await cli('backup', 'policy', 'shop', '--schedule', 'every 6h', '--keep-daily', '3');
  t.equal(policy.code, 0, policy.err);
  t.match(policy.out, 'shop: schedule every 6h, keep 3 daily and 4 weekly, test restore on');
  const badPolicy = await cli('backup', 'policy', 'shop', '--schedule', 'hourly');
  t.equal(badPolicy.code, 1);
  t.match(badPolicy.err, /error \(MC_BACKUP_POLICY_INVALID\)/);

  const archive = join(data, 'backups/shop', id, 'storage.tar.gz');
  const bytes = readFileSync(archive);
  bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
  writeFileSync(archive, bytes);
  const refused = await cli('backup', 'restore', 'shop', id, '--no-backup-first');
  t.equal(refused.code, 1, 'exits non-zero');
  t.match(refused.err, /error \(MC_BACKUP_DAMAGED\): backup shop\/\S+: part storage \(storage\.tar\.gz\) has sha256/);
  const verify = await cli('backup', 'verify', 'shop');
  t.equal(verify.code, 1);
  const missing = await cli('backup', 'restore', 'shop', '20250101T000000.000Z');
  t.equal(missing.code, 1);
  t.match(missing.err, /error \(MC_BACKUP_NOT_FOUND\)/);
});
