import t from 'tap';
import { proxyPeerAddresses, type PeerServiceInfo, type TaskAttachmentInfo } from '@minicloud/core';
import { TrustedProxy, plainAddress } from '@minicloud/api';

// Whom the API believes about the client (X-Forwarded-*): the proxy's running tasks only.

const STACK = { 'com.docker.stack.namespace': 'minicloud' };
const services: PeerServiceInfo[] = [
  { ID: 'p1', Spec: { Name: 'minicloud_proxy', Labels: STACK } },
  // An app's service with a look-alike name, and one of the same name outside the stack.
  { ID: 'a1', Spec: { Name: 'minicloud_proxy_web', Labels: { 'com.docker.stack.namespace': 'minicloud_proxy' } } },
  { ID: 'x1', Spec: { Name: 'minicloud_proxy', Labels: {} } },
];
const task = (service: string, state: string, ...addresses: string[]): TaskAttachmentInfo => ({
  ServiceID: service,
  DesiredState: state === 'running' ? 'running' : 'shutdown',
  Status: { State: state },
  NetworksAttachments: [{ Network: { ID: 'n1', Spec: { Name: 'minicloud-proxy' } }, Addresses: addresses }],
});

t.test("the proxy's addresses: its running tasks', of the management stack's service only", async (t) => {
  const tasks = [
    task('p1', 'running', '10.0.1.4/24'),
    task('p1', 'shutdown', '10.0.1.3/24'),
    task('p1', 'failed', '10.0.1.2/24'),
    task('a1', 'running', '10.0.1.9/24'),
    task('x1', 'running', '10.0.1.8/24'),
  ];
  t.same(proxyPeerAddresses(services, tasks), ['10.0.1.4']);
  t.same(proxyPeerAddresses(services, [...tasks, task('p1', 'running', '10.0.1.5/24')]), ['10.0.1.4', '10.0.1.5']);
  t.same(proxyPeerAddresses([], tasks), [], 'no proxy service: nobody');
});

function fake(addresses: string[][]) {
  let now = 0;
  const reads: number[] = [];
  const proxy = new TrustedProxy({
    read: async () => {
      reads.push(now);
      const next = addresses.shift();
      if (!next) throw new Error('engine down');
      return next;
    },
    minGapMs: 2000,
    now: () => now,
  });
  return { proxy, reads, tick: (ms: number) => (now += ms) };
}

t.test('only the direct peer, and only a proxy address, is trusted', async (t) => {
  const { proxy } = fake([['10.0.1.4']]);
  t.equal(proxy.trust('10.0.1.4', 0), false, 'nothing before the first read');
  await proxy.refresh();
  t.equal(proxy.trust('10.0.1.4', 0), true);
  t.equal(proxy.trust('::ffff:10.0.1.4', 0), true, 'an IPv4 peer on a dual-stack socket');
  t.equal(proxy.trust('10.0.1.9', 0), false, 'an app on the proxy network');
  t.equal(proxy.trust('10.0.1.4', 1), false, 'a forwarded address is never a proxy');
  t.equal(plainAddress('::ffff:127.0.0.1'), '127.0.0.1');
  t.equal(plainAddress('fe80::1'), 'fe80::1');
});

t.test('a new proxy task is trusted after a read, which an unknown peer asks for at most every 2 s', async (t) => {
  const { proxy, reads, tick } = fake([['10.0.1.4'], ['10.0.1.6'], ['10.0.1.6']]);
  await proxy.refresh();
  tick(5000);
  t.equal(proxy.trust('10.0.1.6', 0), false, 'not yet known');
  await proxy.refresh(); // the read the unknown peer started (one at a time: this is the same one)
  t.same(reads, [0, 5000]);
  t.equal(proxy.trust('10.0.1.6', 0), true);
  t.equal(proxy.trust('10.0.1.4', 0), false, 'the old task is gone: its address may go to an app');
  tick(500);
  proxy.trust('10.0.1.9', 0);
  proxy.trust('127.0.0.1', 0);
  t.same(reads, [0, 5000], 'no read sooner than 2 s after the last');
  tick(2000);
  proxy.trust('127.0.0.1', 0);
  t.same(reads, [0, 5000], 'loopback is never the proxy: no read for it');
});

t.test('a failed read keeps the last known addresses and reports the error', async (t) => {
  const errors: string[] = [];
  const changes: string[][] = [];
  const proxy = new TrustedProxy({
    read: (() => {
      let n = 0;
      return async () => {
        if (n++ === 0) return ['10.0.1.4'];
        throw new Error('engine down');
      };
    })(),
    onError: (e) => errors.push(e.message),
    onChange: (a) => changes.push([...a]),
  });
  await proxy.start();
  t.teardown(() => proxy.stop());
  await proxy.refresh();
  t.same(proxy.addresses, ['10.0.1.4']);
  t.same(errors, ['engine down']);
  t.same(changes, [['10.0.1.4']]);
});
