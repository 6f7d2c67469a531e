import t from 'tap';
import { buildApp, dockerPorts } from '@minicloud/api';
import { removeStack, Sensitive, stackStatus } from '@minicloud/core';
import { engineEnv, managerDocker, waitFor } from '../../helpers/engine.js';

// The API end to end against the real two-node test swarm (`npm run engine:up`): the routes
// whose core implementation exists run over the real adapters (dockerPorts), nothing faked.
// The app lifecycle routes join here once core's AppManager is wired into the API server.

const env = engineEnv();
const docker = managerDocker(env);
const STACK = 'mc-api-e2e';
const TOKEN = 'engine-test-admin-token';
const admin = { authorization: `Bearer ${TOKEN}` };

const ports = dockerPorts({ docker, deployTimeoutMs: 120_000 });
const app = await buildApp({ adminToken: new Sensitive(TOKEN), ...ports, logger: false });

t.before(async () => {
  await removeStack(STACK, docker).catch(() => undefined);
});
t.teardown(async () => {
  await app.close();
  await removeStack(STACK, docker).catch(() => undefined);
});

t.test('GET /v1/nodes lists the manager and the worker as the engine reports them', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/v1/nodes', headers: admin });
  t.equal(res.statusCode, 200);
  const nodes = res.json().nodes as { id: string; role: string; state: string; leader: boolean }[];
  t.match(
    nodes.find((n) => n.role === 'manager'),
    { state: 'ready', leader: true },
  );
  t.match(
    nodes.find((n) => n.id === env.workerNodeId),
    { role: 'worker' },
  );
});

t.test('PATCH /v1/nodes/{id} sets and removes labels on the real worker; unknown ids are 404', async (t) => {
  const key = `minicloud.test.api-${process.pid}`;
  const set = await app.inject({
    method: 'PATCH',
    url: `/v1/nodes/${env.workerNodeId}`,
    headers: admin,
    payload: { labels: { [key]: 'yes' } },
  });
  t.equal(set.statusCode, 200, set.body);
  t.equal(set.json().labels[key], 'yes');
  const inspected = (await docker.getNode(env.workerNodeId).inspect()) as { Spec: { Labels: Record<string, string> } };
  t.equal(inspected.Spec.Labels[key], 'yes', 'the engine has it');
  // Availability "active" is what the worker has: the route runs without moving anyone's tasks.
  const unset = await app.inject({
    method: 'PATCH',
    url: `/v1/nodes/${env.workerNodeId}`,
    headers: admin,
    payload: { labels: { [key]: null }, availability: 'active' },
  });
  t.equal(unset.statusCode, 200, unset.body);
  t.notOk(key in unset.json().labels);
  const missing = await app.inject({
    method: 'PATCH',
    url: '/v1/nodes/doesnotexist0000',
    headers: admin,
    payload: { availability: 'active' },
  });
  t.equal(missing.statusCode, 404);
  t.match(missing.json(), { code: 'MC_NODE_NOT_FOUND' });
});

t.test('GET /v1/nodes/join-command gives the docker join command with the current token', async (t) => {
  const res = await app.inject({ method: 'GET', url: '/v1/nodes/join-command', headers: admin });
  t.equal(res.statusCode, 200);
  t.match(res.json().command, /^docker swarm join --token SWMTKN-1-[a-z0-9-]+ [0-9.]+:2377$/);
});

t.test('POST /v1/images/manifest reads the cloud manifest out of a real image', async (t) => {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/images/manifest',
    headers: admin,
    payload: { image: `${env.registry}/hello:1` },
  });
  t.equal(res.statusCode, 200, res.body);
  t.match(res.json(), {
    file: 'cloud_manifest.yml',
    manifest: { name: 'hello', expose: [{ proto: 'http', port: 80 }] },
  });
});

t.test('stacks: deploy a raw compose file as a job, see its status and logs, remove it', async (t) => {
  const compose = [
    'services:',
    '  web:',
    `    image: "${env.registry}/hello:1"`,
    '    environment:',
    "      # Not substituted from the API server's environment: $$HOME stays literal.",
    '      GREETING: "costs $$5"',
    '    deploy:',
    '      replicas: 1',
    `      endpoint_mode: ${env.endpointMode}`,
  ].join('\n');
  const started = await app.inject({
    method: 'POST',
    url: '/v1/stacks',
    headers: admin,
    payload: { name: STACK, compose },
  });
  t.equal(started.statusCode, 202, started.body);
  const job = await waitFor(
    'the deploy job',
    async () => {
      const res = await app.inject({ method: 'GET', url: `/v1/jobs/${started.json().id}?wait=30`, headers: admin });
      const body = res.json();
      return body.state === 'succeeded' || body.state === 'failed' ? body : undefined;
    },
    180_000,
  );
  t.match(
    job,
    {
      state: 'succeeded',
      result: { stack: STACK, services: [{ name: `${STACK}_web`, state: 'converged', running: 1 }] },
    },
    JSON.stringify(job.problem),
  );
  t.ok(
    job.progress.some((p: { step: string }) => /create +service mc-api-e2e_web/.test(p.step)),
    'progress names what changed',
  );

  const status = await app.inject({ method: 'GET', url: `/v1/stacks/${STACK}`, headers: admin });
  t.equal(status.statusCode, 200);
  t.match(status.json().services, [{ name: `${STACK}_web`, running: 1, tasks: [{ state: 'running' }] }]);
  const spec = (await docker.getService(`${STACK}_web`).inspect()) as {
    Spec: { TaskTemplate: { ContainerSpec: { Env?: string[] } } };
  };
  t.ok(spec.Spec.TaskTemplate.ContainerSpec.Env?.includes('GREETING=costs $5'), 'the file is deployed as written');

  const lines = await waitFor('a log line', async () => {
    const l = await ports.logs.appLogs(STACK, { tail: 20 });
    return l.length > 0 ? l : undefined;
  });
  t.match(lines[0], {
    service: 'web',
    task: 'web.1',
    node: /^mc-/,
    stream: 'stdout',
    line: /hello .* listening on :80/,
  });

  const again = await app.inject({
    method: 'POST',
    url: '/v1/stacks?wait=true',
    headers: admin,
    payload: { name: STACK, compose },
  });
  t.equal(again.statusCode, 200);
  t.same(
    again.json().actions.filter((a: string) => !a.startsWith('unchanged')),
    [],
    'a re-deploy of the same file changes nothing',
  );

  const bad = await app.inject({
    method: 'POST',
    url: '/v1/stacks?wait=true',
    headers: admin,
    payload: { name: STACK, compose: 'services:\n  web:\n    imagee: x\n' },
  });
  t.equal(bad.statusCode, 400);
  t.match(bad.json(), { code: 'MC_COMPOSE_INVALID' });

  const removed = await app.inject({ method: 'DELETE', url: `/v1/stacks/${STACK}`, headers: admin });
  t.equal(removed.statusCode, 200);
  t.ok(removed.json().removed.includes(`${STACK}_web`));
  t.same(await stackStatus(STACK, docker), []);
  t.equal((await app.inject({ method: 'GET', url: `/v1/stacks/${STACK}`, headers: admin })).statusCode, 404);
});
