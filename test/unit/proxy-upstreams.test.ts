import t from 'tap';
import {
  probeTargets,
  startingTasks,
  startUpstreamSync,
  upstreamAddresses,
  type ServiceEndpointInfo,
  type TaskAttachmentInfo,
} from '@minicloud/core';

// Shaped like the Engine's /services and /tasks answers, cut to the fields that matter.
const proxyNet = { ID: 'net-proxy', Spec: { Name: 'minicloud-proxy' } };
const servicesNet = { ID: 'net-services', Spec: { Name: 'minicloud-services' } };
const services: ServiceEndpointInfo[] = [
  { ID: 's-shop', Spec: { Name: 'shop_web', EndpointSpec: { Mode: 'dnsrr' } } },
  { ID: 's-shop-worker', Spec: { Name: 'shop_web-worker', EndpointSpec: { Mode: 'dnsrr' } } },
  {
    ID: 's-blog',
    Spec: { Name: 'blog_web' },
    Endpoint: {
      VirtualIPs: [
        { NetworkID: 'net-services', Addr: '10.20.0.5/24' },
        { NetworkID: 'net-proxy', Addr: '10.10.0.5/24' },
      ],
    },
  },
];
const task = (ServiceID: string, address: string, DesiredState = 'running', State = 'running'): TaskAttachmentInfo => ({
  ID: `t-${address}`,
  ServiceID,
  DesiredState,
  Status: { State },
  NetworksAttachments: [
    { Network: servicesNet, Addresses: [`10.20.${address}/24`] },
    { Network: proxyNet, Addresses: [`10.10.${address}/24`] },
  ],
});

t.test('dnsrr: the running tasks that are meant to run, on the proxy network only', async (t) => {
  const tasks = [
    task('s-shop', '1.12'),
    task('s-shop', '1.9'),
    task('s-shop', '1.20', 'shutdown'), // being replaced: out before its container stops
    task('s-shop', '1.21', 'running', 'starting'), // not healthy yet
    task('s-shop-worker', '1.30'), // a name the prefix filter also matched
  ];
  const found = upstreamAddresses(['shop_web'], services, tasks, 'minicloud-proxy');
  t.same([...found], [['shop_web', ['10.10.1.12', '10.10.1.9']]]);
});

t.test('vip: the virtual IP on the proxy network', async (t) => {
  const found = upstreamAddresses(['blog_web'], services, [task('s-shop', '1.12')], 'minicloud-proxy');
  t.same(found.get('blog_web'), ['10.10.0.5']);
});

t.test('dnsrr: a starting task counts once it answered the probe, while the engine lets it start', async (t) => {
  const tasks = [
    task('s-shop', '1.12'), // old version, running
    task('s-shop', '1.21', 'running', 'starting'), // new version, answered the probe
    task('s-shop', '1.22', 'running', 'starting'), // started, not answering yet
    task('s-shop', '1.23', 'shutdown', 'starting'), // answered, then the engine gave up on it
    task('s-shop', '1.24', 'running', 'failed'), // answered, then failed its healthcheck
    task('s-shop', '1.25', 'running', 'preparing'), // no container yet
  ];
  const ready = new Set(['t-1.21', 't-1.23', 't-1.24', 't-1.25']);
  const found = upstreamAddresses(['shop_web'], services, tasks, 'minicloud-proxy', ready);
  t.same(found.get('shop_web'), ['10.10.1.12', '10.10.1.21']);
  t.same(
    upstreamAddresses(['shop_web'], services, tasks, 'minicloud-proxy').get('shop_web'),
    ['10.10.1.12'],
    'without probe results, what the engine calls running alone',
  );
  const running = [task('s-shop', '1.21')];
  t.same(
    upstreamAddresses(['shop_web'], services, running, 'minicloud-proxy', new Set()).get('shop_web'),
    ['10.10.1.21'],
    'once the engine calls it running, the probe no longer matters',
  );
});

t.test('vip: a ready starting task is reached at its own address, the VIP only while a task runs', async (t) => {
  const vip = (State: string) => task('s-blog', '2.5', 'running', State);
  const starting = task('s-blog', '2.6', 'running', 'starting');
  const ready = new Set(['t-2.6']);
  t.same(
    upstreamAddresses(['blog_web'], services, [vip('running'), starting], 'minicloud-proxy', ready).get('blog_web'),
    ['10.10.0.5', '10.10.2.6'],
    'an update: the old task through the VIP, the new one directly',
  );
  t.same(
    upstreamAddresses(['blog_web'], services, [starting], 'minicloud-proxy', ready).get('blog_web'),
    ['10.10.2.6'],
    'a new app: only the task that answers (the VIP balances over no task yet)',
  );
  t.same(
    upstreamAddresses(['blog_web'], services, [starting], 'minicloud-proxy').get('blog_web'),
    ['10.10.0.5'],
    'nothing answered yet: the VIP, as before',
  );
});

t.test('the tasks to probe: starting ones of the named services, at their proxy network address', async (t) => {
  const tasks = [
    task('s-shop', '1.12'),
    task('s-shop', '1.21', 'running', 'starting'),
    task('s-shop', '1.23', 'shutdown', 'starting'),
    task('s-shop-worker', '1.30', 'running', 'starting'),
    { ...task('s-shop', '1.31', 'running', 'starting'), NetworksAttachments: [] }, // not on the proxy network
  ];
  const starting = startingTasks(['shop_web'], services, tasks, 'minicloud-proxy');
  t.same(starting, [{ service: 'shop_web', task: 't-1.21', address: '10.10.1.21' }]);
  t.same(
    probeTargets(starting, [
      { service: 'shop_web', port: 8080, healthPath: '/up' },
      { service: 'blog_web', port: 80 },
    ]),
    [{ task: 't-1.21', service: 'shop_web', address: '10.10.1.21', port: 8080, path: '/up' }],
  );
  t.same(
    probeTargets(starting, [{ service: 'shop_web', port: 8080 }]),
    [{ task: 't-1.21', service: 'shop_web', address: '10.10.1.21', port: 8080 }],
    'no http healthcheck: no path, a TCP connect',
  );
});

t.test('a service that does not exist is left out; one with no running task has none', async (t) => {
  const found = upstreamAddresses(['gone_web', 'shop_web'], services, [], 'minicloud-proxy');
  t.same([...found], [['shop_web', []]]);
});

t.test('sync loop: one pass at a time, change and error reported, stop waits for the pass', async (t) => {
  let running = 0;
  let overlapped = false;
  let passes = 0;
  const results: (boolean | Error)[] = [false, true, new Error('engine down'), new Error('engine down'), false];
  const changes: number[] = [];
  const errors: string[] = [];
  // The loop's timers are unref'd (they must not keep the API process alive): hold it here.
  const hold = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(hold));
  let release!: () => void;
  const done = new Promise<void>((r) => (release = r));
  const sync = startUpstreamSync(
    async () => {
      running++;
      if (running > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 15));
      running--;
      const result = results[passes++] ?? false;
      if (passes === results.length) release();
      if (result instanceof Error) throw result;
      return result;
    },
    { intervalMs: 5, onChange: () => changes.push(passes), onError: (e) => errors.push(e.message) },
  );
  await done;
  await sync.stop();
  const after = passes;
  await new Promise((r) => setTimeout(r, 40));
  t.equal(passes, after, 'no pass after stop');
  t.notOk(overlapped, 'passes never overlap');
  t.same(changes, [2], 'the pass that re-rendered');
  t.same(errors, ['engine down'], 'a lasting failure is told once');
});

t.test('sync loop: wake runs a pass at once, or right after the one under way', async (t) => {
  const hold = setInterval(() => undefined, 1000);
  t.teardown(() => clearInterval(hold));
  let passes = 0;
  let release: (() => void) | undefined;
  const sync = startUpstreamSync(
    async () => {
      passes++;
      if (passes === 2) await new Promise<void>((r) => (release = r));
      return false;
    },
    { intervalMs: 60_000 },
  );
  sync.wake();
  await new Promise((r) => setTimeout(r, 5));
  t.equal(passes, 1, 'woken: a pass long before the interval');
  sync.wake();
  await new Promise((r) => setTimeout(r, 5));
  t.equal(passes, 2, 'and another');
  sync.wake(); // during pass 2
  await new Promise((r) => setTimeout(r, 5));
  t.equal(passes, 2, 'never two at once');
  release!();
  await new Promise((r) => setTimeout(r, 5));
  t.equal(passes, 3, 'the wake during a pass runs one right after it');
  await sync.stop();
  sync.wake();
  await new Promise((r) => setTimeout(r, 5));
  t.equal(passes, 3, 'no pass after stop');
});
