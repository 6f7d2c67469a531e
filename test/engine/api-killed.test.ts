import t from 'tap';
import { served, traces } from '../helpers/apps.js';
import { managerDocker, waitFor } from '../helpers/engine.js';
import { api, buildAndPush, DOMAIN, INSTALL, sh } from '../helpers/platform.js';

// Issue 15, "the API dies in the middle of a job", on the real swarm: the API's container is
// killed while an add is deploying (its database, user, vhost, storage, credentials and record
// made), while an update deploys, and while a purge removes the stack. The swarm starts the API
// again; each job is listed as interrupted at the step it had reached, and the app is whole:
// the half-made add rolled back (no trace left, the name free), the update rolled back to the
// version the record names (the database it added dropped), the purge finished.
const docker = managerDocker();

/** Kills the API's container (the swarm starts another) once `job` reached a step matching `step`. */
async function killApiAt(id: string, step: RegExp): Promise<void> {
  await waitFor(
    `job ${id} to reach ${step}`,
    async () => {
      const job = (await api('GET', `/v1/jobs/${id}`)).json as Job;
      return job.progress.some((p) => step.test(p.step)) ? job : undefined;
    },
    180_000,
    200,
  );
  const [container] = await docker.listContainers({
    filters: { label: ['com.docker.swarm.service.name=minicloud_api'] },
  });
  await docker.getContainer(container!.Id).kill();
}

/** Waits until no trace of the app is left (record, credentials, data, stack, route). */
async function nothingLeftOf(app: string, what: string, timeoutMs: number): Promise<void> {
  await waitFor(what, async () => ((await traces(app)).length === 0 ? true : undefined), timeoutMs, 1000);
}

/** The job as the next API lists it. */
async function jobAfterRestart(id: string): Promise<Job> {
  return waitFor(
    'the API to answer again, with the job',
    async () => {
      const res = await api('GET', `/v1/jobs/${id}`);
      return res.status === 200 ? (res.json as Job) : undefined;
    },
    180_000,
    1000,
  );
}

interface Job {
  id: string;
  state: string;
  progress: { step: string }[];
  problem?: { code?: string };
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
});
t.teardown(() => api('DELETE', '/v1/apps/halfway?wait=true&purge=true'));
t.teardown(() => api('DELETE', '/v1/apps/midway?wait=true&purge=true'));

t.test('an add killed while it deploys: interrupted, rolled back, and the name is free', async (t) => {
  // Slow to become healthy (10 s before it answers), so the kill lands while the add waits.
  const image = await buildAndPush(
    'halfway:1',
    'name: halfway\nexpose: [{proto: http, port: 80}]\nneeds: [database, messagebus, storage]\nhealthcheck: {http: /health, interval: 2s, retries: 2, start_period: 2s}\n',
    'minicloud/testapp:1',
    ['sh', '-c', 'sleep 10 && exec node /app/server.js'],
  );
  const started = await api('POST', '/v1/apps', { image, name: 'halfway' });
  t.equal(started.status, 202, JSON.stringify(started.json).slice(0, 300));
  const id = (started.json as Job).id;
  await killApiAt(id, /^deploying halfway/);
  t.ok(
    (await traces('halfway')).includes('database'),
    'at the kill the add had made its database (and more): the half-made app',
  );
  const job = await jobAfterRestart(id);
  t.equal(job.state, 'interrupted');
  t.equal(job.problem?.code, 'MC_JOB_INTERRUPTED');
  t.match(job.progress.at(-1)?.step, /deploying halfway|routing/, 'naming the step it reached');

  await nothingLeftOf('halfway', 'the half-made app to be rolled back', 120_000);
  t.pass('no record, credentials, storage, database, user, vhost, stack or route of it is left');
  const events = (await api('GET', '/v1/events?app=halfway')).json as { events: { kind: string }[] };
  t.ok(
    events.events.some((e) => e.kind === 'app.add.interrupted'),
    `the interruption is an event: ${events.events.map((e) => e.kind).join(', ')}`,
  );

  const gone = await api('GET', '/v1/apps/halfway');
  t.equal(gone.status, 404, 'and the name is free: no app of it is listed');
});

// Its tasks stop slowly: the shell is PID 1 and ignores SIGTERM, so each waits out the engine's
// 10 s grace. An update (start-first) and a removal of it take long enough to be killed in.
const SLOW_STOP = ['sh', '-c', 'node /app/server.js & wait'];

t.test('an update killed while it deploys: interrupted, and the app rolled back to its record', async (t) => {
  const v1 = await buildAndPush(
    'midway:1',
    'name: midway\nexpose: [{proto: http, port: 80}]\nneeds: [storage]\nhealthcheck: {http: /health, interval: 2s}\n',
    'minicloud/testapp:1',
    SLOW_STOP,
  );
  const added = await api('POST', '/v1/apps?wait=true', { image: v1, name: 'midway' });
  t.equal(added.status, 201, JSON.stringify(added.json).slice(0, 300));
  // Version 2 adds a database and is slow to become healthy: the kill lands while it deploys.
  const v2 = await buildAndPush(
    'midway:2',
    'name: midway\nexpose: [{proto: http, port: 80}]\nneeds: [storage, database]\nhealthcheck: {http: /health, interval: 2s, retries: 2, start_period: 2s}\n',
    'minicloud/testapp:2',
    ['sh', '-c', 'sleep 15 && exec node /app/server.js'],
  );
  const started = await api('PATCH', '/v1/apps/midway', { image: v2 });
  t.equal(started.status, 202, JSON.stringify(started.json).slice(0, 300));
  const id = (started.json as Job).id;
  await killApiAt(id, /^deploying /);
  t.ok((await traces('midway')).includes('database'), 'at the kill the update had made its database');

  const job = await jobAfterRestart(id);
  t.equal(job.state, 'interrupted');
  t.match(job.progress.at(-1)?.step, /deploying /, 'naming the step it reached');
  const app = await waitFor(
    'the update to be rolled back',
    async () => {
      const res = await api('GET', '/v1/apps/midway');
      const shown = res.json as { image: string; needs: string[] };
      return res.status === 200 && /midway:1$/.test(shown.image) && !(await traces('midway')).includes('database')
        ? shown
        : undefined;
    },
    180_000,
    2000,
  );
  t.same(app.needs, ['storage'], 'the app has what its record had');
  const [service] = await docker.listServices({ filters: { name: ['midway_web'] } });
  const template = service?.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined;
  t.match(template?.ContainerSpec?.Image, /midway:1/, 'the engine runs version 1 again');
  t.match(await served(`midway.${DOMAIN}`), { version: '1' }, 'and version 1 answers');
  const again = await api('PATCH', '/v1/apps/midway?wait=true', { env: { MODE: 'after' } });
  t.equal(again.status, 200, `the app takes changes again: ${JSON.stringify(again.json).slice(0, 300)}`);
});

t.test('a purge killed while it removes the stack is finished by the next API', async (t) => {
  const started = await api('DELETE', '/v1/apps/midway?purge=true');
  t.equal(started.status, 202, JSON.stringify(started.json).slice(0, 300));
  const id = (started.json as Job).id;
  await killApiAt(id, /^removing the midway stack/);
  const job = await jobAfterRestart(id);
  t.equal(job.state, 'interrupted');
  await nothingLeftOf('midway', 'the purge to be finished', 180_000);
  t.pass('no record, credentials, storage, stack or route of it is left');
  t.equal((await api('GET', '/v1/apps/midway')).status, 404, 'and the name is free');
});
