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
  // Here a listing that ended is not reused (the next test reuses them).
  const manager = new AppManager({ ...edges.ctx, listingMaxAgeMs: 0 });

  const lists = await Promise.all(Array.from({ length: 50 }, () => manager.list()));
  t.equal(calls, 1, 'fifty listings at once: one pass over every app');
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
  t.equal(calls, 2, 'a listing after the last one ended reads again');

  const before = manager.list();
  await edges.store.write(appRecord('wiki', []), { stackYaml: 'services: {}\n' });
  const after = await manager.list();
  t.same(after.map((a) => a.name).sort(), ['blog', 'shop', 'wiki'], 'a listing asked after a write sees it');
  await before;
});

t.test('a listing asks the engine twice however many apps there are, and says what show says', async (t) => {
  const edges = fakeAppContext(t.testdir({}));
  edges.engine.images.set('registry.example.com/team/app:1', 'name: app\nexpose: [{proto: http, port: 80}]\n');
  const manager = new AppManager(edges.ctx);
  for (const name of ['one', 'two', 'three']) await manager.add({ image: 'registry.example.com/team/app:1', name });
  const docker = edges.ctx.docker as unknown as Record<'listServices' | 'listTasks', (o?: unknown) => Promise<unknown>>;
  const calls: string[] = [];
  for (const method of ['listServices', 'listTasks'] as const) {
    const real = docker[method].bind(docker);
    docker[method] = async (o) => {
      calls.push(method);
      return real(o);
    };
  }
  const listed = await manager.list();
  t.same(calls.sort(), ['listServices', 'listTasks'], 'one call for the services, one for the tasks');
  t.equal(listed.length, 3);
  for (const app of listed) {
    const shown = await manager.show(app.name);
    // The fake engine stamps its tasks with the time they are asked for.
    const unstamped = (services: typeof app.services) =>
      services.map((s) => ({ ...s, tasks: s.tasks.map(({ updatedAt: _, ...task }) => task) }));
    t.same(unstamped(app.services), unstamped(shown.services), `${app.name}: the same services and tasks as show`);
    t.equal(app.health, 'healthy');
    t.equal(app.services[0]?.tasks.length, 1, `${app.name}: its own task, no other app's`);
  }
});

t.test('a listing that ended a moment ago is reused, unless a record changed since', async (t) => {
  const edges = fakeAppContext(t.testdir({}));
  await edges.store.write(appRecord('shop', []), { stackYaml: 'services: {}\n' });
  const docker = edges.ctx.docker as unknown as { listServices: (o?: unknown) => Promise<unknown[]> };
  const listServices = docker.listServices.bind(docker);
  let calls = 0;
  docker.listServices = async (o) => {
    calls++;
    return listServices(o);
  };
  const manager = new AppManager({ ...edges.ctx, listingMaxAgeMs: 60_000 });
  await manager.list();
  await manager.list();
  t.equal(calls, 1, 'the second reader gets the listing that just ended');
  await edges.store.write(appRecord('blog', []), { stackYaml: 'services: {}\n' });
  t.same((await manager.list()).map((a) => a.name).sort(), ['blog', 'shop'], 'a change is read at once');
  t.equal(calls, 2);

  const aged = new AppManager({ ...edges.ctx, listingMaxAgeMs: 30 });
  await aged.list();
  await new Promise((r) => setTimeout(r, 60));
  await aged.list();
  t.equal(calls, 4, 'one older than its age is not reused');
});
