import t from 'tap';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listNodes, LocalStorageAdmin, setNodeLabels, storageLabel } from '@minicloud/core';
import { engineEnv, managerDocker, managerNodeId } from '../helpers/engine.js';

// App storage on the real swarm: the directory on the manager and the node label that the
// app's placement constraint follows.

const env = engineEnv();
const docker = managerDocker(env);
const app = `st-${process.pid}`;
const label = storageLabel(app);

const labelsOf = async (id: string) => (await listNodes(docker)).find((n) => n.id === id)?.labels ?? {};

t.test('ensure makes the directory and labels the manager; drop undoes both', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'mc-storage-'));
  const manager = await managerNodeId(docker);
  t.teardown(async () => {
    await rm(root, { recursive: true, force: true });
    for (const id of [manager, env.workerNodeId])
      await setNodeLabels(docker, id, { [label]: null }).catch(() => undefined);
  });
  const storage = new LocalStorageAdmin({ docker, storageDir: join(root, 'storage') });
  t.equal(await storage.exists(app), false);

  const old = process.umask(0o077);
  const made = await storage.ensure(app).finally(() => process.umask(old));
  t.same(made, { dir: join(root, 'storage', app), nodeId: manager });
  t.equal((await stat(made.dir)).mode & 0o777, 0o755, '0755 whatever the umask');
  t.equal((await labelsOf(manager))[label], 'true', 'the manager carries the label');
  t.equal(await storage.exists(app), true);
  await writeFile(join(made.dir, 'data.txt'), 'kept across ensure');
  t.same(await storage.ensure(app), made, 'ensure again is a no-op');
  t.same(await readdir(made.dir), ['data.txt'], 'and keeps the data');

  // A label left on another node (the app's data moved by hand, say) goes too.
  await setNodeLabels(docker, env.workerNodeId, { [label]: 'true' });
  await storage.drop(app);
  t.equal(await storage.exists(app), false);
  t.same(await readdir(join(root, 'storage')), [], 'the directory is gone');
  t.notOk(label in (await labelsOf(manager)), 'label removed from the manager');
  t.notOk(label in (await labelsOf(env.workerNodeId)), 'and from the worker');
  t.ok('minicloud.test' in (await labelsOf(env.workerNodeId)), 'other labels stay');
  await storage.drop(app);
  t.pass('dropping again is fine');
});
