import t from 'tap';
import { served } from '../helpers/apps.js';
import { engineEnv, managerDocker, managerNodeId, stopTestEngine, waitFor } from '../helpers/engine.js';
import { AdminBrowser } from '../helpers/hostile-web.js';
import { api, buildAndPush, CLI, DOMAIN, httpsTo, INSTALL, platformSecret, REPO, sh } from '../helpers/platform.js';

// Issue 15, "a worker node is lost": the test swarm's worker engine stops while apps run on
// it. An app without storage is started on the manager and served again within 60 s, the
// proxy following it; the node shows down in `node ls`, the API and the admin page; an app
// pinned to the lost node by its storage says so rather than reading as merely "down"; and
// when the worker comes back nothing runs twice.
const env = engineEnv();
const docker = managerDocker(env);
const STORAGE_LABEL = 'minicloud.storage.pinned';

interface AppReply {
  health: string;
  placement?: { node: string; state: string; pinned: boolean; message: string }[];
  services: {
    name: string;
    running: number;
    desired: number;
    tasks: { node: string; state: string; desiredState: string }[];
  }[];
}

const nodeUpdate = (args: string[]) => sh('/usr/bin/docker', ['node', 'update', ...args]);
const app = async (name: string) => (await api('GET', `/v1/apps/${name}`)).json as AppReply;
/** The nodes of the app's running tasks (desired and observed running). */
const runningOn = async (name: string) =>
  (await app(name)).services.flatMap((s) =>
    s.tasks.filter((x) => x.desiredState === 'running' && x.state === 'running').map((x) => x.node),
  );

let manager = '';

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  manager = await managerNodeId(docker);
});

t.teardown(async () => {
  // Whatever happened, the swarm is left as the other tests expect it: both nodes up and active.
  await nodeUpdate(['--availability', 'active', manager]);
  await sh('bash', [`${REPO}/scripts/engine/up.sh`], { timeout: 300_000 });
  for (const name of ['roamer', 'pinned']) await api('DELETE', `/v1/apps/${name}?wait=true&purge=true`);
  await nodeUpdate(['--label-rm', STORAGE_LABEL, env.workerNodeId]);
});

t.test('apps on a lost worker: moved and served again, or reported as pinned to it', async (t) => {
  const manifest = (name: string, needs: string) =>
    `name: ${name}\nexpose: [{proto: http, port: 80}]\n${needs}healthcheck: {http: /health, interval: 2s, retries: 2, start_period: 2s}\n`;
  const roamerImage = await buildAndPush('roamer:1', manifest('roamer', ''));
  const pinnedImage = await buildAndPush('pinned:1', manifest('pinned', 'needs: [storage]\n'));

  // Storage lives on the manager; an operator may have moved an app's to a worker (its node
  // label, which the placement constraint follows). The test swarm's hosts share one
  // filesystem, so the directory is there on the worker too.
  const pinned = await api('POST', '/v1/apps?wait=true', { image: pinnedImage });
  t.equal(pinned.status, 201, JSON.stringify(pinned.json).slice(0, 300));
  t.equal((await nodeUpdate(['--label-add', `${STORAGE_LABEL}=true`, env.workerNodeId])).code, 0);
  t.equal((await nodeUpdate(['--label-rm', STORAGE_LABEL, manager])).code, 0);
  await waitFor(
    'pinned to run on the worker',
    async () => ((await runningOn('pinned')).join() === env.workerNodeId ? true : undefined),
    120_000,
  );

  // With the manager paused, the swarm can place the new app only on the worker.
  t.equal((await nodeUpdate(['--availability', 'pause', manager])).code, 0);
  const roamer = await api('POST', '/v1/apps?wait=true', { image: roamerImage });
  t.equal((await nodeUpdate(['--availability', 'active', manager])).code, 0);
  t.equal(roamer.status, 201, JSON.stringify(roamer.json).slice(0, 300));
  t.same(await runningOn('roamer'), [env.workerNodeId], 'roamer runs on the worker');
  const before = await served(`roamer.${DOMAIN}`);
  t.match(await served(`pinned.${DOMAIN}`), { app: 'hello' });

  // The worker's engine stops (its containers with it), as a machine that died would.
  const lostAt = Date.now();
  await stopTestEngine('w1');

  const again = await waitFor(
    'roamer served again from another node',
    async () => {
      const res = await httpsTo(`roamer.${DOMAIN}`, '/');
      if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      const now = JSON.parse(res.body) as Record<string, unknown>;
      return now['hostname'] !== before['hostname'] ? now : undefined;
    },
    60_000,
    1000,
  );
  const movedIn = Math.round((Date.now() - lostAt) / 1000);
  t.ok(again, `roamer is served again, by a new task, ${movedIn} s after the worker was lost`);
  // The proxy routes to a task once it answers the platform's probe; the engine calls it
  // running once its healthcheck passes, a moment later.
  t.ok(
    await waitFor(
      'roamer running on the manager',
      async () => ((await runningOn('roamer')).join() === manager ? true : undefined),
      60_000,
    ),
    'on the manager',
  );

  const nodes = (await api('GET', '/v1/nodes')).json as { nodes: { id: string; state: string }[] };
  t.equal(nodes.nodes.find((n) => n.id === env.workerNodeId)?.state, 'down', 'the API shows the worker down');
  const ls = await sh(CLI, ['node', 'ls']);
  t.match(ls.stdout, /\bdown\b/, `node ls shows it down: ${ls.stdout}`);
  const admin = new AdminBrowser();
  await admin.login(platformSecret('admin-token'));
  const page = await admin.get('/nodes');
  t.equal(page.status, 200);
  t.match(page.body, /down/, 'and so does the admin page');

  const stuck = await waitFor(
    'pinned to report its node',
    async () => {
      const a = await app('pinned');
      return a.placement?.length ? a : undefined;
    },
    60_000,
  );
  t.not(stuck.health, 'healthy', 'the pinned app is not reported as running');
  t.match(stuck.placement, [{ pinned: true, state: 'down', message: /storage is on node .*, which is down/ }]);
  const show = await sh(CLI, ['app', 'show', 'pinned']);
  t.match(show.stdout, /node: +its storage is on node .*, which is down/, 'app show says why');
  const appPage = await admin.get('/apps/pinned');
  t.match(appPage.body, /A node this app needs is lost/, 'and the admin page');

  // The worker comes back: the pinned app runs there again, and nothing runs twice.
  const up = await sh('bash', [`${REPO}/scripts/engine/up.sh`], { timeout: 300_000 });
  t.equal(up.code, 0, `the worker engine starts again ${up.stderr.slice(-500)}`);
  t.match(await served(`pinned.${DOMAIN}`), { app: 'hello' }, 'pinned is served again');
  const settled = await waitFor(
    'one running task per app, none left on the old node',
    async () => {
      const [r, p] = [await runningOn('roamer'), await runningOn('pinned')];
      return r.length === 1 && p.length === 1 ? { r, p } : undefined;
    },
    120_000,
  );
  t.same(settled, { r: [manager], p: [env.workerNodeId] }, 'roamer stays where it moved; pinned is back');
  const containers = await docker.listContainers({ filters: { label: ['com.docker.swarm.service.name=roamer_web'] } });
  t.equal(containers.length, 1, 'one roamer container on the manager');
  t.notOk((await app('pinned')).placement, 'and nothing to report any more');
});
