import t from 'tap';
import { mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { isMinicloudError, LocalStorageAdmin, storageLabel } from '@minicloud/core';

// The file-system half of LocalStorageAdmin: which paths it will create and remove. The node
// label half runs against the real swarm in test/engine/provision-storage.test.ts.

/** An engine stand-in whose every call fails loudly: these tests must not reach it. */
const noEngine = new Proxy(
  {},
  {
    get: (_, key) => () => {
      throw new Error(`engine call ${String(key)} not expected`);
    },
  },
) as Docker;

async function codeOf(call: () => unknown): Promise<string> {
  try {
    await call();
    return 'no error';
  } catch (error) {
    return isMinicloudError(error) ? error.code : `unexpected: ${String(error)}`;
  }
}

t.test('only direct children of the storage dir, named by valid app names', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'mc-storage-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const storage = new LocalStorageAdmin({ docker: noEngine, storageDir: join(root, 'storage') });
  t.equal(storage.dirOf('shop'), join(root, 'storage', 'shop'));
  t.equal(storageLabel('shop'), 'minicloud.storage.shop');
  for (const app of ['..', '.', '', '../x', 'a/b', '/etc', 'a b', "a'b", 'A']) {
    t.equal(await codeOf(() => storage.dirOf(app)), 'MC_APP_NAME_INVALID', JSON.stringify(app));
    t.equal(await codeOf(() => storage.drop(app)), 'MC_APP_NAME_INVALID', `drop ${JSON.stringify(app)}`);
  }
  t.equal(
    await codeOf(() => new LocalStorageAdmin({ docker: noEngine, storageDir: 'relative/storage' })),
    'MC_STORAGE',
  );
  t.equal(await codeOf(() => new LocalStorageAdmin({ docker: noEngine, storageDir: '/' })), 'MC_STORAGE');
});

t.test('exists says whether the directory is there', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'mc-storage-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const storage = new LocalStorageAdmin({ docker: noEngine, storageDir: root });
  t.equal(await storage.exists('shop'), false);
  await mkdir(join(root, 'shop'));
  t.equal(await storage.exists('shop'), true);
});

t.test('a symlink planted as an app dir is refused, and its target left alone', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'mc-storage-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const elsewhere = join(root, 'elsewhere');
  await mkdir(elsewhere, { mode: 0o700 });
  await writeFile(join(elsewhere, 'keep'), 'x');
  await mkdir(join(root, 'storage'));
  await symlink(elsewhere, join(root, 'storage', 'shop'));
  const storage = new LocalStorageAdmin({ docker: noEngine, storageDir: join(root, 'storage') });
  t.equal(await codeOf(() => storage.ensure('shop')), 'MC_STORAGE');
  t.equal((await stat(elsewhere)).mode & 0o777, 0o700, 'the target was not chmod-ed');
  t.same(await readdir(elsewhere), ['keep']);
});

/** An engine with no node carrying a label: drop's label half has nothing to do. */
const noNodes = { listNodes: async () => [] } as unknown as Docker;

t.test("drop removes the app's tree without following the links the app planted in it", async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'mc-storage-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const elsewhere = join(root, 'elsewhere');
  await mkdir(join(elsewhere, 'sub'), { recursive: true });
  await writeFile(join(elsewhere, 'keep'), 'x');
  await writeFile(join(elsewhere, 'sub', 'keep'), 'y');
  const storage = new LocalStorageAdmin({ docker: noNodes, storageDir: join(root, 'storage') });
  const dir = storage.dirOf('shop');
  await mkdir(join(dir, 'data', 'deep'), { recursive: true });
  await writeFile(join(dir, 'data', 'deep', 'file'), 'z');
  await symlink(elsewhere, join(dir, 'data', 'to-elsewhere'));
  await symlink(join(elsewhere, 'sub'), join(dir, 'sub-link'));
  await symlink(join(elsewhere, 'keep'), join(dir, 'file-link'));
  await storage.drop('shop');
  t.equal(await storage.exists('shop'), false, 'the directory is gone');
  t.same(await readdir(root), ['elsewhere', 'storage']);
  t.same((await readdir(elsewhere)).sort(), ['keep', 'sub'], 'what the links pointed at is untouched');
  t.same(await readdir(join(elsewhere, 'sub')), ['keep']);
  await storage.drop('shop');
  t.pass('dropping what is gone is fine');
});

t.test('drop of an app dir that is a symlink removes the link, not its target', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'mc-storage-'));
  t.teardown(() => rm(root, { recursive: true, force: true }));
  const elsewhere = join(root, 'elsewhere');
  await mkdir(elsewhere);
  await writeFile(join(elsewhere, 'keep'), 'x');
  await mkdir(join(root, 'storage'));
  await symlink(elsewhere, join(root, 'storage', 'shop'));
  const storage = new LocalStorageAdmin({ docker: noNodes, storageDir: join(root, 'storage') });
  await storage.drop('shop');
  t.same(await readdir(join(root, 'storage')), [], 'the link is gone');
  t.same(await readdir(elsewhere), ['keep'], 'its target is not');
});
