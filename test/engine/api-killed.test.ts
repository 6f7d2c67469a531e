import t from 'tap';
import { traces } from '../helpers/apps.js';
import { managerDocker, waitFor } from '../helpers/engine.js';
import { api, buildAndPush, INSTALL, sh } from '../helpers/platform.js';

// Issue 15, "the API dies in the middle of a job", on the real swarm: the API's container is
// killed while an add is deploying (its database, user, vhost, storage, credentials and record
// made). The swarm starts the API again; the job is listed as interrupted at the step it had
// reached, and the half-made app is rolled back (no trace of it left, the name free).
const docker = managerDocker();

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
  await waitFor(
    'the add to be deploying',
    async () => {
      const job = (await api('GET', `/v1/jobs/${id}`)).json as Job;
      return job.progress.some((p) => /^deploying halfway/.test(p.step)) ? job : undefined;
    },
    180_000,
    200,
  );
  t.ok(
    (await traces('halfway')).includes('database'),
    'at the kill the add had made its database (and more): the half-made app',
  );

  const [container] = await docker.listContainers({
    filters: { label: ['com.docker.swarm.service.name=minicloud_api'] },
  });
  await docker.getContainer(container!.Id).kill();

  const job = await waitFor(
    'the API to answer again, with the job interrupted',
    async () => {
      const res = await api('GET', `/v1/jobs/${id}`);
      return res.status === 200 ? (res.json as Job) : undefined;
    },
    180_000,
    1000,
  );
  t.equal(job.state, 'interrupted');
  t.equal(job.problem?.code, 'MC_JOB_INTERRUPTED');
  t.match(job.progress.at(-1)?.step, /deploying halfway|routing/, 'naming the step it reached');

  await waitFor(
    'the half-made app to be rolled back',
    async () => ((await traces('halfway')).length === 0 ? true : undefined),
    120_000,
    1000,
  );
  t.pass('no record, credentials, storage, database, user, vhost, stack or route of it is left');
  const events = (await api('GET', '/v1/events?app=halfway')).json as { events: { kind: string }[] };
  t.ok(
    events.events.some((e) => e.kind === 'app.add.interrupted'),
    `the interruption is an event: ${events.events.map((e) => e.kind).join(', ')}`,
  );

  const gone = await api('GET', '/v1/apps/halfway');
  t.equal(gone.status, 404, 'and the name is free: no app of it is listed');
});
