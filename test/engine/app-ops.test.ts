import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { AppLogLine } from '@minicloud/core';
import { engineEnv, waitFor } from '../helpers/engine.js';
import { webhookReceiver } from '../helpers/webhook-receiver.js';
import { fromProxyNetwork } from '../helpers/hostile-web.js';
import {
  ADDR,
  api,
  buildAndPush,
  CLI,
  DATA,
  DOMAIN,
  httpsTo,
  INSTALL,
  platformSecret,
  sh,
} from '../helpers/platform.js';

// Day two on the real swarm, through the installed platform's API and CLI: an app's logs merged
// from tasks on both nodes (followed live), a rolling restart under load that drops nothing,
// scaling a runner that later updates keep, and a deploy token that reaches its own app only.

const APP = 'opsapp';
const HOST = `${APP}.${DOMAIN}`;
const MANIFEST =
  `name: ${APP}\nexpose: [{proto: http, port: 80}]\nhealthcheck: {http: /health, interval: 2s}\n` +
  'runners: [{name: worker, command: [node, /app/worker.js, --queue, jobs]}]\n';
let image = '';

interface Task {
  id: string;
  node: string;
  state: string;
  desiredState: string;
}
interface Service {
  name: string;
  desired: number;
  running: number;
  tasks: Task[];
}
interface Status {
  runnerReplicas?: Record<string, number>;
  services: Service[];
}

const show = async () => (await api('GET', `/v1/apps/${APP}`)).json as Status;
const running = (s: Status, service: string) =>
  s.services.find((x) => x.name === `${APP}_${service}`)!.tasks.filter((k) => k.state === 'running');

async function logs(query: string): Promise<AppLogLine[]> {
  const res = await api('GET', `/v1/apps/${APP}/logs?${query}`);
  if (res.status !== 200) throw new Error(`logs ${query}: ${res.status} ${JSON.stringify(res.json)}`);
  return (res.json as { lines: AppLogLine[] }).lines;
}

/** Follows the logs over HTTPS through the proxy, as the CLI does; collects lines until stopped. */
function follow(query: string) {
  const lines: AppLogLine[] = [];
  let status = 0;
  const req = request({
    host: ADDR,
    port: 443,
    servername: `admin.${DOMAIN}`,
    path: `/v1/apps/${APP}/logs?follow=true&${query}`,
    ca: readFileSync(`${DATA}/pki/ca.crt`),
    agent: false,
    headers: {
      host: `admin.${DOMAIN}`,
      authorization: `Bearer ${readFileSync(`${DATA}/secrets/admin-token`, 'utf8').trim()}`,
    },
  });
  req.on('response', (res) => {
    status = res.statusCode ?? 0;
    let pending = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop()!;
      for (const p of parts) if (p.trim() !== '') lines.push(JSON.parse(p) as AppLogLine);
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { lines, status: () => status, stop: () => req.destroy() };
}

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  image = await buildAndPush('opsapp:1', MANIFEST);
  const add = await api('POST', '/v1/apps?wait=true', { image, name: APP, replicas: 2 });
  if (add.status !== 201) throw new Error(`add: ${add.status} ${JSON.stringify(add.json)}`);
});

t.teardown(async () => {
  await api('DELETE', `/v1/apps/${APP}?wait=true&purge=true`);
});

t.test('logs: every task on every node, named by task and node; runner and since filter', async (t) => {
  const nodes = new Map(
    ((await api('GET', '/v1/nodes')).json as { nodes: { id: string; hostname: string }[] }).nodes.map((n) => [
      n.id,
      n.hostname,
    ]),
  );
  const status = await show();
  const web = running(status, 'web');
  t.equal(web.length, 2, 'two web tasks run');
  t.equal(new Set(web.map((k) => k.node)).size, 2, 'the swarm spread them: one on the manager, one on the worker');
  const all = await waitFor('a start line of every web task and of the worker', async () => {
    const lines = await logs('tail=500');
    const started = lines.filter((l) => /listening on :80/.test(l.line));
    const worker = lines.some((l) => l.task === 'worker.1' && /worker for queue jobs started/.test(l.line));
    return new Set(started.map((l) => l.task)).size >= 2 && worker ? lines : undefined;
  });
  const starts = all.filter((l) => /listening on :80/.test(l.line));
  t.same([...new Set(starts.map((l) => l.task))].sort(), ['web.1', 'web.2']);
  t.same(
    new Set(starts.map((l) => l.node)),
    new Set(web.map((k) => nodes.get(k.node) ?? k.node)),
    'each line names the node its task runs on: both nodes, by hostname',
  );
  const times = all.map((l) => Date.parse(l.time));
  t.same(
    times,
    [...times].sort((a, b) => a - b),
    'merged oldest first',
  );

  const worker = await logs('runner=worker');
  t.ok(worker.length > 0 && worker.every((l) => l.service === 'worker'), 'runner=worker: its lines only');
  t.same(await logs(`since=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`), []);
  const unknown = await api('GET', `/v1/apps/${APP}/logs?runner=nope`);
  t.equal(unknown.status, 404);
  t.match(unknown.json, { code: 'MC_RUNNER_NOT_FOUND', errors: [{ field: 'runner' }] });

  const cli = await sh(CLI, ['app', 'logs', APP, '--runner', 'worker', '--tail', '5']);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stdout, /^worker\.1@\S+ \d{4}-\d\d-\d\dT\S+Z worker for queue jobs started/m);
});

// Exec and stats run while the web tasks are still spread one a node, as the logs test checked:
// a rolling restart or update may place both new tasks on one node (seen in CI: both on the worker).

/** An exec through the proxy as the CLI sends it: its NDJSON lines, parsed. */
async function exec(body: Record<string, unknown>, token = platformSecret('admin-token')) {
  const res = await httpsTo(`admin.${DOMAIN}`, `/v1/apps/${APP}/exec`, { method: 'POST', body, token });
  const lines =
    res.status === 200
      ? res.body
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l))
      : [];
  return { status: res.status, body: res.body, lines: lines as Record<string, unknown>[] };
}

/** The container of a task of the app on an engine, and its slot (`opsapp_web.2.<id>` -> 2). */
async function taskContainer(dockerHost: string, service: string) {
  const ps = await sh(
    '/usr/bin/docker',
    [
      'ps',
      '--filter',
      `label=com.docker.swarm.service.name=${APP}_${service}`,
      '--format',
      '{{.ID}} {{.Label "com.docker.swarm.task.name"}}',
    ],
    { env: { DOCKER_HOST: dockerHost } },
  );
  const [id, name] = ps.stdout.trim().split('\n')[0]!.split(' ');
  return { id: id!, slot: Number(name!.split('.')[1]) };
}

t.test('exec: a command in the task on the worker, through its node agent; output and exit code', async (t) => {
  const env = engineEnv();
  const onWorker = await taskContainer(env.workerDockerHost, 'web');
  t.ok(onWorker.slot > 0, `web.${onWorker.slot} runs on the worker`);
  const run = await exec({
    task: `web.${onWorker.slot}`,
    command: ['sh', '-c', 'echo to-stderr >&2; echo ran-by-exec > /tmp/exec-marker; echo done; exit 3'],
  });
  t.equal(run.status, 200, run.body.slice(0, 300));
  t.same(run.lines[0], { task: `web.${onWorker.slot}`, node: 'mc-w1' }, 'it ran in that task, on the worker');
  t.same(
    run.lines
      .filter((l) => l['stream'] === 'stdout')
      .map((l) => l['text'])
      .join(''),
    'done\n',
  );
  t.same(
    run.lines
      .filter((l) => l['stream'] === 'stderr')
      .map((l) => l['text'])
      .join(''),
    'to-stderr\n',
  );
  t.same(run.lines.at(-1), { exitCode: 3 }, "the command's exit code, last");
  // The worker's own engine shows the file in that very container: the exec happened there.
  const marker = await sh('/usr/bin/docker', ['exec', onWorker.id, 'cat', '/tmp/exec-marker'], {
    env: { DOCKER_HOST: env.workerDockerHost },
  });
  t.equal(marker.stdout, 'ran-by-exec\n', "the worker's engine sees what the exec wrote in its container");

  const runner = await exec({ runner: 'worker', command: ['cat', '/proc/1/cmdline'] });
  t.match(runner.lines[0], { task: 'worker.1' });
  t.match(runner.lines.map((l) => l['text'] ?? '').join(''), /worker\.js/, "the runner's task, not web's");

  const cli = await sh(CLI, [
    'app',
    'exec',
    APP,
    '--task',
    `web.${onWorker.slot}`,
    '--',
    'sh',
    '-c',
    'echo hi; exit 4',
  ]);
  t.equal(cli.code, 4, `the CLI exits with the command's code: ${cli.stderr}`);
  t.equal(cli.stdout, 'hi\n');
  // -it: a terminal in the task on the worker, typed into from a pipe (the CLI sends its end as Ctrl-D).
  const it = await sh('bash', [
    '-c',
    `printf 'echo tty-$(tty | cut -c1-8) sum-$((2+3))\\nexit 7\\n' | ${CLI} app exec -it ${APP} --task web.${onWorker.slot} -- sh`,
  ]);
  t.equal(it.code, 7, `-it: the shell's exit code: ${it.stderr}`);
  t.match(it.stdout, /tty-\/dev\/pts sum-5/, 'the shell ran what was typed, on a terminal');
  const missing = await exec({ task: 'web.9', command: ['true'] });
  t.equal(missing.status, 409);
  t.match(missing.body, /MC_TASK_NOT_RUNNING/);
});

t.test("stats: each task's figures from its own node's engine; the server's memory by node", async (t) => {
  interface Stats {
    tasks: {
      task: string;
      node: string;
      memoryBytes?: number;
      memoryLimitBytes?: number;
      cpuPercent?: number;
      error?: string;
    }[];
  }
  const res = await api('GET', `/v1/apps/${APP}/stats?runner=web`);
  t.equal(res.status, 200, JSON.stringify(res.json).slice(0, 300));
  const { tasks } = res.json as Stats;
  t.equal(tasks.length, 2, 'both web tasks');
  t.same(new Set(tasks.map((k) => k.node)), new Set(['mc-mgr', 'mc-w1']), 'one on each node, each read there');
  for (const k of tasks) {
    t.notOk(k.error, `${k.task}: no error`);
    t.ok((k.memoryBytes ?? 0) > 1024 * 1024, `${k.task}@${k.node} uses ${k.memoryBytes} bytes`);
    t.ok((k.memoryLimitBytes ?? 0) > (k.memoryBytes ?? 0), `${k.task}: its limit ${k.memoryLimitBytes}`);
    t.type(k.cpuPercent, 'number', `${k.task}: a CPU figure`);
  }
  const cli = await sh(CLI, ['app', 'stats', APP]);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stdout, /^TASK +NODE +CPU +MEMORY \/ LIMIT/);
  t.match(cli.stdout, /^worker\.1 /m, 'the runner too');
  const server = await api('GET', '/v1/server');
  t.equal(server.status, 200);
  const nodes = (
    server.json as {
      nodes: { hostname: string; totalBytes?: number; apps: { app: string }[]; platformBytes: number }[];
    }
  ).nodes;
  t.same(nodes.map((n) => n.hostname).sort(), ['mc-mgr', 'mc-w1']);
  for (const n of nodes) {
    t.ok((n.totalBytes ?? 0) > 0, `${n.hostname}: its memory (${n.totalBytes})`);
    t.ok(
      n.apps.some((a) => a.app === APP),
      `${n.hostname}: ${APP}'s share`,
    );
  }
  t.ok(nodes.find((n) => n.hostname === 'mc-mgr')!.platformBytes > 0, "the platform's own services on the manager");
});

t.test('logs --follow streams lines of tasks that start after it began', async (t) => {
  const stream = follow('runner=worker&tail=1');
  t.teardown(stream.stop);
  await waitFor('the follow to answer', async () => (stream.status() !== 0 ? true : undefined), 30_000);
  t.equal(stream.status(), 200);
  const before = running(await show(), 'worker').map((k) => k.id);
  const restart = await api('POST', `/v1/apps/${APP}/restart?wait=true`, { runner: 'worker' });
  t.equal(restart.status, 200, JSON.stringify(restart.json).slice(0, 300));
  const after = running(await show(), 'worker').map((k) => k.id);
  t.notSame(after, before, 'the worker runs a new task');
  await waitFor(
    "the new task's start line on the open stream",
    async () =>
      stream.lines.filter((l) => /worker for queue jobs started/.test(l.line)).length >= 1 ? true : undefined,
    30_000,
  );
  t.ok(
    stream.lines.some((l) => l.service === 'worker' && /started/.test(l.line) && Date.parse(l.time) > 0),
    'a line written after the follow began',
  );
});

t.test('restart: new web tasks, rolling and start-first, with no request dropped', async (t) => {
  const before = running(await show(), 'web').map((k) => k.id);
  const counts = new Map<string, number>();
  let done = false;
  const restart = api('POST', `/v1/apps/${APP}/restart?wait=true`).finally(() => (done = true));
  while (!done) {
    const key = await httpsTo(HOST, '/').then(
      (r) => String(r.status),
      (e: Error) => e.message,
    );
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const res = await restart;
  t.equal(res.status, 200, JSON.stringify(res.json).slice(0, 300));
  t.same([...counts.keys()], ['200'], `every request answered 200: ${JSON.stringify([...counts])}`);
  t.ok((counts.get('200') ?? 0) > 10, `requests kept flowing (${counts.get('200')})`);
  const after = running(await show(), 'web').map((k) => k.id);
  t.equal(after.length, 2);
  t.same(
    after.filter((id) => before.includes(id)),
    [],
    'every web task is new',
  );
});

t.test('scale: a runner to 2 and back to 1, kept over a later update', async (t) => {
  const scale = await sh(CLI, ['app', 'scale', APP, '2', '--runner', 'worker']);
  t.equal(scale.code, 0, scale.stderr);
  t.match(scale.stdout, /opsapp worker: 2 replicas/);
  let status = await show();
  t.same(status.runnerReplicas, { worker: 2 });
  t.equal(running(status, 'worker').length, 2);
  const update = await api('PATCH', `/v1/apps/${APP}?wait=true`, { env: { COLOUR: 'blue' } });
  t.equal(update.status, 200, JSON.stringify(update.json).slice(0, 300));
  status = await show();
  t.same(status.runnerReplicas, { worker: 2 }, 'an update keeps it');
  t.equal(status.services.find((s) => s.name === `${APP}_worker`)!.desired, 2);
  const bad = await api('PATCH', `/v1/apps/${APP}?wait=true`, { runnerReplicas: { nope: 1 } });
  t.equal(bad.status, 400);
  t.match(bad.json, { code: 'MC_SETTINGS_INVALID', errors: [{ field: 'runnerReplicas.nope' }] });
  const back = await sh(CLI, ['app', 'scale', APP, '1', '--runner', 'worker']);
  t.equal(back.code, 0, back.stderr);
  t.equal(running(await show(), 'worker').length, 1);
});

t.test('the node agents: only the API reaches them, only with their token, only for exec and stats', async (t) => {
  const tasks = await sh('/usr/bin/docker', [
    'service',
    'ps',
    'minicloud_node-agent',
    '--filter',
    'desired-state=running',
    '--format',
    '{{.Node}} {{.CurrentState}}',
  ]);
  t.equal(
    tasks.stdout
      .trim()
      .split('\n')
      .filter((l) => / Running /.test(l)).length,
    2,
    `one agent a node: ${tasks.stdout}`,
  );
  const inspect = await sh('/usr/bin/docker', [
    'network',
    'inspect',
    'minicloud_agents',
    '--format',
    '{{.Internal}} {{.Attachable}}',
  ]);
  t.equal(inspect.stdout.trim(), 'true false', 'the agents network is internal and not attachable');
  const ips = JSON.parse(
    (
      await sh('/usr/bin/docker', [
        'network',
        'inspect',
        'minicloud_agents',
        '--verbose',
        '--format',
        '{{json .Services}}',
      ])
    ).stdout,
  ) as Record<string, { Tasks: { EndpointIP: string; Name: string }[] }>;
  const agents = (ips['minicloud_node-agent']?.Tasks ?? []).map((k) => k.EndpointIP);
  t.ok(agents.length >= 1, `agent addresses: ${agents.join(' ')}`);

  // An app's container (on the proxy network) reaches no agent, even holding the agent token, nor
  // can it join their network. (What it may reach instead, this machine's way out, is not an agent:
  // an agent answers 200 with the token, 401 or 403 without.)
  const token = platformSecret('node-agent-token');
  const probe = `(async () => { const out = [];
    for (const ip of JSON.parse(process.env.IPS)) {
      try {
        const res = await fetch('http://' + ip + ':2375/_ping', { headers: { 'x-minicloud-agent-token': process.env.TOKEN }, signal: AbortSignal.timeout(4000) });
        out.push(res.status);
      } catch (e) { out.push(String(e.cause?.code ?? e.name)); }
    }
    process.stdout.write(JSON.stringify(out)); })()`;
  const fromApp = await sh('/usr/bin/docker', [
    'run',
    '--rm',
    '--network',
    'minicloud-proxy',
    '-e',
    `IPS=${JSON.stringify(agents)}`,
    '-e',
    `TOKEN=${token}`,
    'minicloud/node:20',
    'node',
    '-e',
    probe,
  ]);
  t.equal(fromApp.code, 0, fromApp.stderr);
  const answers_ = JSON.parse(fromApp.stdout) as (number | string)[];
  t.notOk(
    answers_.some((a) => a === 200 || a === 401 || a === 403),
    `from the proxy network no agent answers: ${fromApp.stdout}`,
  );
  const join = await sh('/usr/bin/docker', [
    'run',
    '--rm',
    '--network',
    'minicloud_agents',
    'minicloud/node:20',
    'true',
  ]);
  t.not(join.code, 0, 'a container cannot join the agents network');

  // From the API's own container (on that network): no token 401, a call outside exec and stats 403.
  const api_ = (
    await sh('/usr/bin/docker', ['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=minicloud_api'])
  ).stdout
    .trim()
    .split('\n')[0]!;
  const calls = `(async () => { const out = []; const ip = process.env.IP; const token = process.env.TOKEN;
    for (const [method, path, auth] of JSON.parse(process.env.CALLS)) {
      const res = await fetch('http://' + ip + ':2375' + path, { method, headers: auth ? { 'x-minicloud-agent-token': token } : {} });
      out.push(res.status); }
    process.stdout.write(JSON.stringify(out)); })()`;
  const answers = await sh('/usr/bin/docker', [
    'exec',
    '-e',
    `IP=${agents[0]}`,
    '-e',
    `TOKEN=${platformSecret('node-agent-token')}`,
    '-e',
    `CALLS=${JSON.stringify([
      ['GET', '/_ping', false],
      ['GET', '/_ping', true],
      ['GET', '/v1.41/containers/json', true],
      ['GET', '/v1.41/images/json', true],
      ['POST', '/v1.41/containers/create', true],
      ['DELETE', '/v1.41/containers/x', true],
      ['GET', '/v1.41/secrets', true],
      ['POST', '/v1.41/containers/x/exec', false],
    ])}`,
    api_,
    'node',
    '-e',
    calls,
  ]);
  t.equal(answers.code, 0, answers.stderr);
  t.same(JSON.parse(answers.stdout), [401, 200, 200, 403, 403, 403, 403, 401]);
});

t.test("a deploy token reads, restarts and execs in its own app, never another's", async (t) => {
  const token = (await api('POST', '/v1/tokens', { app: APP })).json as { token: string; id: string };
  t.teardown(() => api('DELETE', `/v1/tokens/${token.id}`));
  const asApp = (method: string, path: string, body?: unknown) =>
    httpsTo(`admin.${DOMAIN}`, path, { method, body, token: token.token });
  t.equal((await asApp('GET', `/v1/apps/${APP}/logs?tail=1`)).status, 200);
  t.equal((await asApp('GET', `/v1/apps/${APP}/stats`)).status, 200, 'its own stats');
  t.equal((await asApp('POST', `/v1/apps/${APP}/exec`, { command: ['true'] })).status, 200, 'exec in its own app');
  for (const [method, path] of [
    ['GET', '/v1/apps/one-machine-hello/logs'],
    ['GET', '/v1/apps/other/stats'],
    ['GET', '/v1/server'],
    ['POST', '/v1/apps/other/exec'],
    ['POST', '/v1/apps/other/exec/sessions'],
    ['GET', '/v1/apps/other/logs?follow=true'],
    ['POST', '/v1/apps/other/restart'],
    ['PATCH', '/v1/apps/other'],
  ] as const) {
    const body = path.includes('/exec') ? { command: ['cat', '/etc/hostname'] } : { runnerReplicas: { worker: 5 } };
    const res = await asApp(method, path, method === 'GET' ? undefined : body);
    t.equal(res.status, 403, `${method} ${path}`);
  }
});

t.test('a crash-looping app raises one alert, recorded and delivered to the webhook', async (t) => {
  // The receiver listens where the test hosts reach this machine: the API's container sends to it.
  const host = engineEnv().testHostAddr;
  const { got, base } = await webhookReceiver<{ text: string; event: { kind: string; app?: string; level: string } }>(
    t,
    host,
  );
  const hook = `${base}/notify/SECRET-PART`;
  const set = await api('PUT', '/v1/platform/notifications', { webhook: hook, minLevel: 'warning' });
  t.equal(set.status, 200, JSON.stringify(set.json));
  t.teardown(() => api('DELETE', '/v1/platform/notifications'));
  t.notMatch(JSON.stringify(set.json), /SECRET-PART/);

  // Runs long enough to be added, then its runner dies every ~25 s (20 s, plus the 5 s restart delay).
  const crashing = await buildAndPush(
    'opscrash:1',
    'name: opscrash\nexpose: [{proto: http, port: 80}]\nrunners: [{name: worker, command: [sh, -c, "sleep 20; exit 3"]}]\n',
  );
  const add = await api('POST', '/v1/apps?wait=true', { image: crashing, name: 'opscrash' });
  t.equal(add.status, 201, JSON.stringify(add.json).slice(0, 300));
  t.teardown(() => api('DELETE', '/v1/apps/opscrash?wait=true&purge=true'));

  const alert = await waitFor(
    'the crash-loop notification',
    async () => got.find((g) => g.body.event.kind === 'alert.crash-loop' && g.body.event.app === 'opscrash'),
    240_000,
  );
  t.equal(alert.path, '/notify/SECRET-PART');
  t.match(alert.body, {
    text: /ERROR \[opscrash\] app opscrash: worker failed \d+ times in 10 minutes \(last: .*exit.*3/,
    event: { level: 'error' },
  });
  const events = (await api('GET', '/v1/events?app=opscrash')).json as { events: { kind: string; actor: string }[] };
  t.match(
    events.events.map((e) => e.kind),
    ['alert.crash-loop', 'app.add'],
    'recorded after the add that caused it',
  );
  t.match(
    events.events.find((e) => e.kind === 'app.add'),
    { actor: 'admin' },
  );
  await new Promise((r) => setTimeout(r, 35_000));
  t.equal(
    got.filter((g) => g.body.event.kind === 'alert.crash-loop' && g.body.event.app === 'opscrash').length,
    1,
    'one alert while it goes on, not one per look',
  );
  t.notOk(
    got.some((g) => g.body.event.level === 'info'),
    'nothing below the level was sent',
  );
});

t.test('push to deploy: a push of the followed tag rolls the app out; a push faked by an app is refused', async (t) => {
  const manifest = 'name: follower\nexpose: [{proto: http, port: 80}]\nhealthcheck: {http: /health, interval: 2s}\n';
  const image = await buildAndPush('follower:live', manifest);
  const add = await api('POST', '/v1/apps?wait=true', { image, name: 'follower' });
  t.equal(add.status, 201, JSON.stringify(add.json).slice(0, 300));
  t.teardown(() => api('DELETE', '/v1/apps/follower?wait=true&purge=true'));
  const follow = await sh(CLI, ['app', 'update', 'follower', '--follow-tag']);
  t.equal(follow.code, 0, follow.stderr);
  t.match(follow.stdout, /following its tag/);
  const version = async () => {
    const res = await httpsTo(`follower.${DOMAIN}`, '/').catch(() => undefined);
    return res?.status === 200 ? (JSON.parse(res.body) as { version: string }).version : undefined;
  };
  t.equal(await version(), '1');

  // An app on the proxy network posts a push of its own making: refused, nothing moves.
  const forged = JSON.stringify({
    events: [
      {
        action: 'push',
        target: {
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          repository: 'mc-e2e/follower',
          tag: 'live',
          digest: `sha256:${'0'.repeat(64)}`,
        },
      },
    ],
  });
  const [faked] = await fromProxyNetwork([
    {
      path: '/v1/registry/events',
      method: 'POST',
      headers: { 'content-type': 'application/vnd.docker.distribution.events.v1+json', authorization: 'Bearer guess' },
      body: forged,
    },
  ]);
  t.equal(faked?.status, 401, 'a faked push is refused');
  t.match((await show2('follower')).image, /follower:live$/, 'and the app is as it was');

  // The same tag pushed again with version 2: the registry tells the API, the app rolls out.
  const pushedAt = Date.now();
  await buildAndPush('follower:live', manifest, 'minicloud/testapp:2');
  const rolled = await waitFor('version 2 served', async () => ((await version()) === '2' ? true : undefined), 120_000);
  t.ok(rolled, `version 2 served ${Math.round((Date.now() - pushedAt) / 1000)} s after the push`);
  // Served as soon as a new task answers; the update job ends (and writes the record) once the
  // engine calls the new version healthy.
  const pinned = await waitFor(
    'the rollout recorded',
    async () => {
      const { image } = await show2('follower');
      return /@sha256:/.test(image) ? image : undefined;
    },
    120_000,
  );
  t.match(pinned, /follower:live@sha256:[a-f0-9]{64}$/, 'pinned to the pushed digest');
  const rolledBy = await waitFor('the rollout in the event log', async () => {
    const { events } = (await api('GET', '/v1/events?app=follower')).json as {
      events: { kind: string; actor: string }[];
    };
    return events.find((e) => e.kind === 'app.update' && e.actor !== 'admin');
  });
  t.match(rolledBy, { kind: 'app.update', actor: 'registry push' });
});

async function show2(name: string): Promise<{ image: string }> {
  return (await api('GET', `/v1/apps/${name}`)).json as { image: string };
}
