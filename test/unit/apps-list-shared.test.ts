import t from 'tap';
import { AppManager } from '@minicloud/core';
import { fakeAppContext } from '../helpers/app-context.js';
import { appRecord } from '../helpers/app-record.js';

// GET /v1/apps under many clients (issue 15, "load while changing"): a listing asks the engine
// about every app, so requests that come while one is under way share it, and a change of a
// record makes the next one read anew.

t.test('listings under way are shared; one after a record changed reads the change', async (t) => {
  const edges = fakeAppContext(t.testdir({}));
  for (const name of ['shop', 'blog']) await edges.store.write(appRecord(name, []), { stackYaml: 'services: {}\n' });
  const docker = edges.ctx.docker as unknown as { listServices: (o?: unknown) => Promise<unknown[]> };
  const listServices = docker.listServices.bind(docker);
  let calls = 0;
  docker.listServices = async (o) => {
    calls++;
    await new Promise((r) => setTimeout(r, 20));
    return listServices(o);
  };
  const manager = new AppManager(edges.ctx);

  const lists = await Promise.all(Array.from({ length: 50 }, () => manager.list()));
  t.equal(calls, 2, 'fifty listings at once: one pass over the two apps');
  t.ok(
    lists.every(
      (l) =>
        l
          .map((a) => a.name)
          .sort()
          .join() === 'blog,shop',
    ),
  );

  await manager.list();
  t.equal(calls, 4, 'a listing after the last one ended reads again');

  const before = manager.list();
  await edges.store.write(appRecord('wiki', []), { stackYaml: 'services: {}\n' });
  const after = await manager.list();
  t.same(after.map((a) => a.name).sort(), ['blog', 'shop', 'wiki'], 'a listing asked after a write sees it');
  await before;
});
