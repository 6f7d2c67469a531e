import t from 'tap';
import { LoginLimit, clientKey } from '@minicloud/api';

function limit(options: { maxClients?: number } = {}) {
  let now = 1_000_000;
  const l = new LoginLimit({ now: () => now, ...options });
  return { l, tick: (ms: number) => (now += ms) };
}

t.test('10 failures within a minute, then wait until the oldest is a minute old', async (t) => {
  const { l, tick } = limit();
  const ip = '203.0.113.7';
  for (let i = 0; i < 9; i++) {
    l.fail(ip);
    tick(1000);
  }
  t.equal(l.retryAfter(ip), 0, '9 failures: still allowed');
  l.fail(ip);
  t.equal(l.retryAfter(ip), 51, 'the 10th: 51 s until the first is a minute old');
  t.equal(l.retryAfter('203.0.113.8'), 0, 'another address is not affected');
  tick(50_500);
  t.equal(l.retryAfter(ip), 1);
  tick(500);
  t.equal(l.retryAfter(ip), 0, 'the first failure has left the window');
  l.fail(ip);
  t.equal(l.retryAfter(ip), 1, 'one more failure: locked until the next oldest leaves');
});

t.test('failures older than the window are forgotten', async (t) => {
  const { l, tick } = limit();
  for (let i = 0; i < 10; i++) {
    l.fail('198.51.100.1');
    tick(7000);
  }
  t.equal(l.retryAfter('198.51.100.1'), 0, '10 failures spread over 70 s never lock');
});

t.test('IPv6 clients count per /64; IPv4 and IPv4-mapped are one', async (t) => {
  t.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(clientKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  t.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(clientKey('::ffff:203.0.113.7'), '203.0.113.7');
  t.equal(clientKey('203.0.113.7'), '203.0.113.7');
  const { l } = limit();
  for (let i = 0; i < 10; i++) l.fail(`2001:db8:1:2::${i + 1}`);
  t.ok(l.retryAfter('2001:db8:1:2:dead:beef:0:1') > 0, 'rotating within the /64 does not help');
  t.equal(l.retryAfter('2001:db8:1:3::1'), 0);
});

t.test('loopback is never limited; memory is bounded', async (t) => {
  const { l } = limit({ maxClients: 3 });
  for (let i = 0; i < 20; i++) l.fail('127.0.0.1');
  t.equal(l.retryAfter('127.0.0.1'), 0);
  for (let i = 0; i < 10; i++) l.fail('192.0.2.1');
  for (const ip of ['192.0.2.2', '192.0.2.3', '192.0.2.4']) l.fail(ip);
  t.equal(l.retryAfter('192.0.2.1'), 0, 'the least recently failing client is forgotten first');
});
