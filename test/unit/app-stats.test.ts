import t from 'tap';
import { readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import {
  appSample,
  readAppStats,
  restartCounts,
  serverMemory,
  singleNodeEngines,
  startStatsSampler,
  StatsHistory,
  taskFigures,
  type DockerStats,
  type NodeEngines,
} from '@minicloud/core';

// `app stats` and the charts' samples: the Engine's stats JSON as recorded from a cgroup v2
// host (a one-shot read) and a cgroup v1 host (a plain read), and the reads over a fake swarm.

const recorded = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/stats/${name}.json`, import.meta.url), 'utf8')) as DockerStats;
const V2 = recorded('cgroup-v2-one-shot');
const V1 = recorded('cgroup-v1');
const MiB = 1024 * 1024;

/** A later read of the same container: `cpu` ns more CPU time over `system` ns of the host's. */
function later(raw: DockerStats, cpu: number, system: number): DockerStats {
  const copy = structuredClone(raw);
  copy.cpu_stats!.cpu_usage!.total_usage! += cpu;
  copy.cpu_stats!.system_cpu_usage! += system;
  return copy;
}

t.test(
  'cgroup v2, one-shot: memory without the inactive page cache, networks summed, no CPU from one read',
  async (t) => {
    t.same(taskFigures(V2), {
      memoryBytes: 60 * MiB - 12 * MiB,
      memoryLimitBytes: 64 * MiB,
      rxBytes: 1.5 * MiB,
      txBytes: 2.25 * MiB,
    });
    // Half a second of CPU time in one second of a two-CPU host's time (2 s of CPU time): 50 %.
    t.equal(taskFigures(later(V2, 500_000_000, 2_000_000_000), V2).cpuPercent, 50, 'two reads: the delta');
  },
);

t.test('cgroup v1, plain read: CPU from precpu_stats, memory less total_inactive_file', async (t) => {
  // 0.4 s of CPU over 4 s of host time on 4 CPUs: 40 % of one core.
  t.same(taskFigures(V1), {
    cpuPercent: 40,
    memoryBytes: 200 * MiB - 60 * MiB,
    memoryLimitBytes: 256 * MiB,
    rxBytes: 3000,
    txBytes: 5000,
  });
  const oldEngine = structuredClone(V1);
  oldEngine.memory_stats!.stats = { cache: 80 * MiB };
  t.equal(taskFigures(oldEngine).memoryBytes, 120 * MiB, 'an engine that only reports cache');
  const noCpus = structuredClone(V1);
  delete noCpus.cpu_stats!.online_cpus;
  t.equal(taskFigures(noCpus).cpuPercent, 40, 'without online_cpus: the per-CPU list counts them');
});

t.test('no CPU figure when counters go backwards or nothing moved; a stopped container has no memory', async (t) => {
  t.equal(taskFigures(V2, later(V2, 1, 1)).cpuPercent, undefined, 'the container restarted between reads');
  t.equal(taskFigures(V2, V2).cpuPercent, undefined, 'the same instant twice');
  t.same(taskFigures({ memory_stats: {}, cpu_stats: {}, precpu_stats: {} }), {});
  const cached = structuredClone(V2);
  cached.memory_stats!.stats!['inactive_file'] = 100 * MiB;
  t.equal(taskFigures(cached).memoryBytes, 60 * MiB, 'a cache figure above usage is not subtracted');
});

t.test('restarts: ended tasks of the same slot created before, per service', async (t) => {
  const task = (ID: string, Slot: number | undefined, CreatedAt: string, State: string, ServiceID = 's1') => ({
    ID,
    ServiceID,
    Slot,
    NodeID: 'n1',
    CreatedAt,
    DesiredState: State === 'running' ? 'running' : 'shutdown',
    Status: { State },
  });
  const counts = restartCounts([
    task('a1', 1, '2026-11-26T10:00:00Z', 'failed'),
    task('a2', 1, '2026-11-26T10:01:00.5Z', 'shutdown'),
    task('a3', 1, '2026-11-26T10:02:00.123456789Z', 'running'),
    task('b1', 2, '2026-11-26T10:00:00Z', 'running'),
    task('c1', 1, '2026-11-26T09:00:00Z', 'failed', 's2'),
    task('g1', undefined, '2026-11-26T09:00:00Z', 'rejected', 's3'),
    task('g2', undefined, '2026-11-26T09:05:00Z', 'running', 's3'),
  ]);
  t.equal(counts.get('a3'), 2);
  t.equal(counts.get('b1'), 0, 'another slot');
  t.equal(counts.get('a1'), 0, 'nothing before the first');
  t.equal(counts.get('g2'), 1, 'a global service: the slot is the node');
});

// ---- reads over a fake swarm ------------------------------------------------------------

interface FakeContainer {
  reads: DockerStats[];
  fail?: string;
}

function fakeSwarm() {
  const containers = new Map<string, FakeContainer>([
    ['c-web1', { reads: [V2, later(V2, 250_000_000, 1_000_000_000)] }],
    ['c-web2', { reads: [V1] }],
    ['c-worker', { reads: [], fail: 'no such container' }],
  ]);
  const statsCalls: { id: string; options: unknown }[] = [];
  const engine = (node: string) =>
    ({
      getContainer: (id: string) => ({
        stats: async (options: unknown) => {
          statsCalls.push({ id: `${node}/${id}`, options });
          const c = containers.get(id);
          if (!c || c.fail) throw Object.assign(new Error('(HTTP code 404) no such container'), { reason: c?.fail });
          return c.reads.length > 1 ? c.reads.shift() : c.reads[0];
        },
      }),
    }) as unknown as Docker;
  const asked: string[] = [];
  const engines: NodeEngines = {
    engine: async (nodeId) => {
      asked.push(nodeId);
      if (nodeId === 'gone') throw new Error('node gone has no agent');
      return engine(nodeId);
    },
  };
  const running = (ID: string, service: string, Slot: number, NodeID: string, container: string) => ({
    ID,
    ServiceID: service,
    Slot,
    NodeID,
    CreatedAt: '2026-11-26T10:00:00Z',
    DesiredState: 'running',
    Status: { State: 'running', ContainerStatus: { ContainerID: container } },
  });
  const tasks: Record<string, object[]> = {
    'svc-web': [
      running('t1', 'svc-web', 1, 'n1', 'c-web1'),
      running('t2', 'svc-web', 2, 'n2', 'c-web2'),
      {
        ...running('t0', 'svc-web', 2, 'n2', 'c-old'),
        CreatedAt: '2026-11-26T09:00:00Z',
        DesiredState: 'shutdown',
        Status: { State: 'failed' },
      },
    ],
    'svc-worker': [running('t3', 'svc-worker', 1, 'n1', 'c-worker'), running('t4', 'svc-worker', 2, 'gone', 'c-x')],
  };
  const services = [
    {
      ID: 'svc-web',
      Spec: {
        Name: 'shop_web',
        Labels: { 'minicloud.app': 'shop', 'com.docker.stack.namespace': 'shop' },
        TaskTemplate: { Resources: { Limits: { MemoryBytes: 128 * MiB } } },
      },
    },
    { ID: 'svc-worker', Spec: { Name: 'shop_worker', Labels: { 'minicloud.app': 'shop' } } },
    { ID: 'svc-broken', Spec: { Name: 'broken_web', Labels: { 'minicloud.app': 'broken' } } },
  ];
  const control = { broken: true };
  const docker = {
    listServices: async (q?: { filters?: { label?: string[] } }) => {
      const label = q?.filters?.label?.[0] ?? '';
      if (label === 'minicloud.app') return services;
      const stack = /^com\.docker\.stack\.namespace=(.+)$/.exec(label)?.[1] ?? '';
      if (stack === 'broken' && control.broken) throw new Error('engine hiccup');
      return services.filter((x) => x.Spec.Name.startsWith(`${stack}_`));
    },
    listTasks: async (q: { filters: { service: string[] } }) => tasks[q.filters.service[0]!] ?? [],
    listNodes: async () => [
      { ID: 'n1', Description: { Hostname: 'mc-mgr' } },
      { ID: 'n2', Description: { Hostname: 'mc-w1' } },
    ],
  } as unknown as Docker;
  return { docker, engines, statsCalls, asked, containers, control };
}

t.test("readAppStats: each task's figures from its own node's engine; a failing task says why", async (t) => {
  const { docker, engines, statsCalls, asked } = fakeSwarm();
  const { tasks, samples } = await readAppStats(docker, engines, 'shop', { windowMs: 5 });
  t.same(
    tasks.map((x) => [x.task, x.node, x.restarts]),
    [
      ['web.1', 'mc-mgr', 0],
      ['web.2', 'mc-w1', 1],
      ['worker.1', 'mc-mgr', 0],
      ['worker.2', 'gone', 0],
    ],
  );
  t.match(tasks[0], {
    service: 'web',
    cpuPercent: 50,
    memoryBytes: 48 * MiB,
    memoryLimitBytes: 128 * MiB,
    rxBytes: 1.5 * MiB,
  });
  t.match(tasks[1], { cpuPercent: 40, memoryLimitBytes: 128 * MiB }, 'a plain read needs no second one');
  t.match(tasks[2], { error: 'no such container' });
  t.notOk('memoryBytes' in tasks[2]!);
  t.match(tasks[3], { error: 'node gone has no agent' });
  t.ok(asked.includes('n2') && asked.includes('gone'), 'each node engine is asked for its own tasks');
  t.same(statsCalls[0]?.options, { stream: false, 'one-shot': true });
  t.same(
    statsCalls.map((c) => c.id),
    ['n1/c-web1', 'n2/c-web2', 'n1/c-worker', 'n1/c-web1'],
    'a second read only where one read gave no CPU',
  );
  t.same([...samples.keys()].sort(), ['c-web1', 'c-web2']);

  const worker = await readAppStats(docker, engines, 'shop', { runner: 'worker', windowMs: 0 });
  t.same(
    worker.tasks.map((x) => x.task),
    ['worker.1', 'worker.2'],
  );
  await t.rejects(readAppStats(docker, engines, 'shop', { runner: 'cron' }), {
    code: 'MC_RUNNER_NOT_FOUND',
    details: [{ path: 'runner', message: 'must be one of web, worker' }],
  });
});

t.test('the history keeps 60 samples per app; the sampler goes on past an app that fails', async (t) => {
  const history = new StatsHistory();
  for (let i = 0; i < 75; i++) history.add('a', { at: String(i), memoryBytes: i, rxBytes: 0, txBytes: 0, tasks: 1 });
  t.equal(history.samples('a').length, 60);
  t.equal(history.samples('a')[0]?.at, '15', 'the oldest go first');
  history.retain([]);
  t.same(history.samples('a'), [], 'a removed app is forgotten');

  const at = new Date('2026-11-26T12:00:00Z');
  t.same(
    appSample(at, [
      {
        service: 'web',
        task: 'web.1',
        node: 'n',
        restarts: 0,
        cpuPercent: 10,
        memoryBytes: 5,
        memoryLimitBytes: 8,
        rxBytes: 1,
        txBytes: 2,
      },
      {
        service: 'web',
        task: 'web.2',
        node: 'n',
        restarts: 0,
        memoryBytes: 3,
        memoryLimitBytes: 8,
        rxBytes: 1,
        txBytes: 1,
      },
      { service: 'web', task: 'web.3', node: 'n', restarts: 0, error: 'gone' },
    ]),
    { at: at.toISOString(), cpuPercent: 10, memoryBytes: 8, memoryLimitBytes: 16, rxBytes: 2, txBytes: 3, tasks: 3 },
  );

  const { docker, engines, containers, control } = fakeSwarm();
  containers.set('c-web1', { reads: [V2, later(V2, 600_000_000, 2_000_000_000)] });
  const samples = new StatsHistory();
  const errors: string[] = [];
  const sampler = startStatsSampler({
    docker,
    engines,
    history: samples,
    everyMs: 3_600_000,
    onError: (error, app) => errors.push(`${app}: ${error.message}`),
    now: () => at,
  });
  t.teardown(() => sampler.stop());
  await sampler.sample();
  t.same(errors, ['broken: read the stats of broken: engine hiccup']);
  t.match(samples.samples('shop'), [{ cpuPercent: 40, memoryBytes: 48 * MiB + 140 * MiB, tasks: 4 }]);
  await sampler.sample();
  // web.1's CPU over the minute since the last round: 0.6 s of 2 s on 2 CPUs; web.2's engine
  // answered the same read again, which says nothing of its CPU.
  t.match(samples.samples('shop')[1], { cpuPercent: 60 });
  control.broken = false;
  await sampler.sample();
  t.equal(samples.samples('broken').length, 1, 'sampled once its reads work again');
});

t.test("serverMemory: each node's total, and what the platform, each app and other stacks use", async (t) => {
  const containers = [
    { Id: 'p1', Labels: { 'com.docker.stack.namespace': 'minicloud' } },
    { Id: 'a1', Labels: { 'com.docker.stack.namespace': 'shop' } },
    { Id: 'a2', Labels: { 'com.docker.stack.namespace': 'shop' } },
    { Id: 'o1', Labels: { 'com.docker.stack.namespace': 'monitoring' } },
  ];
  const filters: unknown[] = [];
  const engine = {
    info: async () => ({ MemTotal: 4096 * MiB }),
    listContainers: async (q: { filters: unknown }) => {
      filters.push(q.filters);
      return containers;
    },
    getContainer: (id: string) => ({
      stats: async () => (id === 'p1' ? V1 : id === 'o1' ? Promise.reject(new Error('gone')) : V2),
    }),
  } as unknown as Docker;
  const docker = {
    listNodes: async () => [
      { ID: 'n1', Description: { Hostname: 'mc-mgr' } },
      { ID: 'n2', Description: { Hostname: 'mc-w1' } },
    ],
    listServices: async () => [{ Spec: { Labels: { 'minicloud.app': 'shop', 'com.docker.stack.namespace': 'shop' } } }],
  } as unknown as Docker;
  const engines: NodeEngines = {
    engine: async (id) => {
      if (id === 'n2') throw new Error('node n2 has no agent');
      return engine;
    },
  };
  t.same(await serverMemory(docker, engines), [
    {
      nodeId: 'n1',
      hostname: 'mc-mgr',
      totalBytes: 4096 * MiB,
      platformBytes: 140 * MiB,
      apps: [{ app: 'shop', bytes: 96 * MiB }],
      otherBytes: 0,
    },
    { nodeId: 'n2', hostname: 'mc-w1', platformBytes: 0, apps: [], otherBytes: 0, error: 'node n2 has no agent' },
  ]);
  t.same(filters[0], { label: ['com.docker.swarm.node.id=n1'] }, "only the node's own tasks");
  t.ok(singleNodeEngines(docker));
});
