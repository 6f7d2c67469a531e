import t, { type Test } from 'tap';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type Docker from 'dockerode';
import {
  backupContext,
  createAppBackup,
  finishInterruptedRestores,
  interruptedRestores,
  restoreAppBackup,
  RESTORING_FILE,
} from '@minicloud/core';
import { appRecord } from '../helpers/app-record.js';

// Issue 15, "the API dies in the middle of a job", for a restore: it drops and refills the
// target's data, so one cut short leaves half of it. The restore writes its intent first and
// removes it once done; the API that starts next finishes every restore still written down.
// Storage-only backups need no engine, so the whole path runs here on real folders.

const noEngine = new Proxy(
  {},
  {
    get: (_, key) => () => {
      throw new Error(`the engine was called (${String(key)})`);
    },
  },
) as unknown as Docker;

/** A platform with the app `shop` (storage), its file `a.txt` backed up as "one", then changed. */
async function backedUpThenChanged(t: Test) {
  const data = t.testdir({});
  const storage = join(data, 'storage/shop');
  mkdirSync(storage, { recursive: true });
  writeFileSync(join(storage, 'a.txt'), 'one');
  const ctx = await backupContext(data, { docker: noEngine });
  await ctx.apps.write(appRecord('shop', ['storage']), { stackYaml: 'services: {}\n' });
  const backup = await createAppBackup(ctx, 'shop', { parts: ['storage'] });
  writeFileSync(join(storage, 'a.txt'), 'two');
  writeFileSync(join(storage, 'b.txt'), 'added later');
  const intent = join(data, 'backups/shop', RESTORING_FILE);
  return { data, ctx, storage, id: backup.id, intent };
}

t.test('a restore that ends leaves no intent behind', async (t) => {
  const { ctx, storage, id, intent } = await backedUpThenChanged(t);
  await restoreAppBackup(ctx, 'shop', id);
  t.equal(readFileSync(join(storage, 'a.txt'), 'utf8'), 'one');
  t.notOk(existsSync(intent));
  t.same(await interruptedRestores(ctx.store.root), []);
});

t.test('a restore cut short keeps its intent; the next start finishes it', async (t) => {
  const { ctx, storage, id, intent } = await backedUpThenChanged(t);
  // The storage part fails half way (a full disk, the process killed): its intent stays.
  const blocker = join(ctx.storageDir, 'blocked');
  writeFileSync(blocker, 'not a directory');
  const cut = { ...ctx, storageDir: blocker };
  await t.rejects(restoreAppBackup(cut, 'shop', id));
  t.match(JSON.parse(readFileSync(intent, 'utf8')), { app: 'shop', id, into: 'shop', parts: ['storage'] });
  t.equal(readFileSync(join(storage, 'a.txt'), 'utf8'), 'two', 'the app holds what it held, not the backup');

  const lines: string[] = [];
  t.same(await finishInterruptedRestores(ctx, (l) => lines.push(l)), [{ into: 'shop', app: 'shop', id }]);
  t.match(
    lines[0],
    new RegExp(`finishing the restore of shop/${id} into shop \\(started .*\\), which the API died in`),
  );
  t.equal(readFileSync(join(storage, 'a.txt'), 'utf8'), 'one', 'the backup is restored whole');
  t.notOk(existsSync(join(storage, 'b.txt')), 'what came after it is gone, as a restore does');
  t.notOk(existsSync(intent), 'and the intent with it');
  t.same(await finishInterruptedRestores(ctx), [], 'a second start finds nothing to do');
});

t.test('an intent whose app or backup is gone is dropped, and said so', async (t) => {
  const { ctx, storage, id, intent } = await backedUpThenChanged(t);
  writeFileSync(intent, JSON.stringify({ app: 'shop', id: '20200101T000000.000Z', into: 'shop', parts: ['storage'] }));
  t.same(await finishInterruptedRestores(ctx), [{ into: 'shop', app: 'shop', id: '20200101T000000.000Z', gone: true }]);
  t.notOk(existsSync(intent));

  writeFileSync(intent, JSON.stringify({ app: 'shop', id, into: 'shop', parts: ['storage'] }));
  await ctx.apps.remove('shop');
  t.same(await finishInterruptedRestores(ctx), [{ into: 'shop', app: 'shop', id, gone: true }]);
  t.notOk(existsSync(intent));
  t.equal(readFileSync(join(storage, 'a.txt'), 'utf8'), 'two', 'a removed app gets no data back');
});
