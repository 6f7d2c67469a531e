import t from 'tap';
import {
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
