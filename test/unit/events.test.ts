import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { webhookReceiver } from '../helpers/webhook-receiver.js';
import type Docker from 'dockerode';
import {
  alertChanges,
  checkWebhookUrl,
  currentAlerts,
  describeNotify,
  EventLog,
  notify,
  Sensitive,
  startAlertWatch,
  type Alert,
  type PlatformEvent,
  type Snapshot,
} from '@minicloud/core';

// The event log, the alert rules and the webhook notifier, each on its own.

t.test('the log appends with increasing ids, filters, and reads back after a torn last line', async (t) => {
  const file = join(t.testdir({}), 'state', 'events.jsonl');
  let clock = Date.parse('2026-11-26T12:00:00Z');
  const log = await EventLog.open(file, { now: () => new Date((clock += 1000)) });
  await log.append({ kind: 'app.add', level: 'info', actor: 'admin', app: 'shop', message: 'app.add shop succeeded' });
  await log.append({ kind: 'alert.crash-loop', level: 'error', actor: 'platform', app: 'blog', message: 'x' });
  await log.append({ kind: 'alert.disk-full', level: 'warning', actor: 'platform', message: 'disk' });
  t.same(
    log.list().map((e) => e.id),
    [3, 2, 1],
    'newest first',
  );
  t.same(
    log.list({ app: 'shop' }).map((e) => e.kind),
    ['app.add'],
  );
  t.same(
    log.list({ minLevel: 'warning' }).map((e) => e.id),
    [3, 2],
  );
  t.same(
    log.list({ after: 1 }).map((e) => e.id),
    [3, 2],
  );
  t.same(
    log.list({ limit: 1 }).map((e) => e.id),
    [3],
  );
  t.equal(log.list()[2]!.at, '2026-11-26T12:00:01.000Z');
  appendFileSync(file, '{"id":4,"at":"2026-11-2');
  const again = await EventLog.open(file);
  t.same(
    again.list().map((e) => e.id),
    [3, 2, 1],
    'the torn line is skipped, the rest reads',
  );
  t.equal((await again.append({ kind: 'k', level: 'info', actor: 'admin', message: 'm' })).id, 4);
});

t.test('the log is cut back to the newest `max` when it passes twice that', async (t) => {
  const file = join(t.testdir({}), 'events.jsonl');
  const log = await EventLog.open(file, { max: 3 });
  for (let i = 0; i < 7; i++) await log.append({ kind: 'k', level: 'info', actor: 'admin', message: `m${i}` });
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  t.same(
    lines.map((l) => (JSON.parse(l) as PlatformEvent).message),
    ['m4', 'm5', 'm6'],
  );
  t.equal((await EventLog.open(file)).list().length, 3);
});

const NOW = new Date('2026-11-26T12:00:00Z');
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000).toISOString();
const snapshot = (over: Partial<Snapshot> = {}): Snapshot => ({ services: [], nodes: [], ...over });

t.test('a crash loop is 3 failed tasks of one service within 10 minutes; older ones do not count', async (t) => {
  const failures = (...minutes: number[]) => minutes.map((m) => ({ at: ago(m), reason: 'task: non-zero exit (3)' }));
  const loops = currentAlerts(
    snapshot({
      services: [
        { app: 'blog', service: 'web', failures: failures(1, 3, 5) },
        { app: 'shop', service: 'web', failures: failures(1, 2) },
        { app: 'old', service: 'worker', failures: failures(1, 2, 30) },
      ],
    }),
    NOW,
  );
  t.same(loops, [
    {
      key: 'crash-loop:blog/web',
      kind: 'alert.crash-loop',
      level: 'error',
      app: 'blog',
      message: 'app blog: web failed 3 times in 10 minutes (last: task: non-zero exit (3))',
    },
  ]);
});

t.test('a node not ready is down unless drained', async (t) => {
  const alerts = currentAlerts(
    snapshot({
      nodes: [
        { hostname: 'a', state: 'ready', availability: 'active' },
        { hostname: 'b', state: 'down', availability: 'active' },
        { hostname: 'c', state: 'down', availability: 'drain' },
      ],
    }),
    NOW,
  );
  t.same(
    alerts.map((a) => [a.key, a.level]),
    [['node-down:b', 'error']],
  );
});

t.test('an alert is reported once when it begins and once, resolved, when it ends', async (t) => {
  const active = new Map<string, Alert>();
  const loop: Alert = {
    key: 'crash-loop:blog/web',
    kind: 'alert.crash-loop',
    level: 'error',
    app: 'blog',
    message: 'm',
  };
  t.same(alertChanges(active, [loop]), [
    { kind: 'alert.crash-loop', level: 'error', actor: 'platform', message: 'm', app: 'blog' },
  ]);
  t.same(alertChanges(active, [loop]), [], 'still on: nothing new');
  t.same(alertChanges(active, []), [
    { kind: 'alert.crash-loop.resolved', level: 'info', actor: 'platform', message: 'resolved: m', app: 'blog' },
  ]);
  t.same(alertChanges(active, []), []);
});

t.test('the webhook: checked, shown without its secret parts, and sent JSON at or above the level', async (t) => {
  for (const bad of ['not a url', 'ftp://example.com/x', 'https://user:pw@example.com/x'])
    t.match(
      t.throws(() => checkWebhookUrl(bad)),
      { code: 'MC_SETTINGS_INVALID', details: [{ path: 'webhook' }] },
    );
  const url = 'https://hooks.example.com/services/T000/B000/SECRETKEY?token=abc';
  t.same(describeNotify({ url: new Sensitive(url), minLevel: 'warning' }), {
    webhook: 'https://hooks.example.com/…',
    minLevel: 'warning',
  });
  t.same(describeNotify(undefined), { webhook: null, minLevel: 'warning' });

  const { got: received, base } = await webhookReceiver(t);
  const settings = { url: new Sensitive(`${base}/hook/SECRET`), minLevel: 'warning' as const };
  const event: PlatformEvent = {
    id: 7,
    at: NOW.toISOString(),
    kind: 'alert.crash-loop',
    level: 'error',
    app: 'blog',
    actor: 'platform',
    message: 'app blog: web failed 3 times',
  };
  t.equal(await notify(settings, { ...event, level: 'info' }, 'example.com'), false, 'below the level: not sent');
  t.equal(await notify(settings, event, 'example.com'), true);
  t.same(received, [
    {
      path: '/hook/SECRET',
      type: 'application/json',
      body: { text: 'minicloud example.com: ERROR [blog] app blog: web failed 3 times', event },
    },
  ]);
  const errors: Error[] = [];
  const gone = { url: new Sensitive('http://127.0.0.1:9/hook/SECRET'), minLevel: 'info' as const };
  t.equal(await notify(gone, event, 'example.com', (e) => errors.push(e)), false, 'a failure is not thrown');
  t.match(errors[0]!.message, /^notification to 127\.0\.0\.1:9 failed/);
  t.notMatch(errors[0]!.message, /SECRET/, 'the URL path is never in the message');
});

t.test('a certificate ending within 14 days warns, within 3 days (or ended) is an error', async (t) => {
  const day = 86_400_000;
  const at = (days: number) => new Date(NOW.getTime() + days * day).toISOString();
  const alerts = currentAlerts(
    snapshot({
      certificates: [
        { app: 'shop', domain: 'shop.example.com', issuer: 'acme', notAfter: at(60) },
        { app: 'shop', domain: 'www.shop.example.com', issuer: 'acme', notAfter: at(9.5), lastError: 'DNS says no' },
        { app: 'blog', domain: 'blog.example.com', issuer: 'uploaded', notAfter: at(-1) },
        { app: 'blog', domain: 'x.example.com', issuer: 'platform-ca' },
      ],
    }),
    NOW,
  );
  t.same(
    alerts.map((a) => [a.key, a.level, a.app]),
    [
      ['certificate-expiring:www.shop.example.com', 'warning', 'shop'],
      ['certificate-expiring:blog.example.com', 'error', 'blog'],
    ],
  );
  t.equal(
    alerts[0]!.message,
    `the certificate of www.shop.example.com (acme) ends in 9 days (${at(9.5).slice(0, 10)}); the last renewal failed: DNS says no`,
  );
  t.match(alerts[1]!.message, /\(uploaded\) ended on /);
});

t.test('the alert watch reads the certificates hourly, not at every look, and judges them at each', async (t) => {
  const day = 86_400_000;
  const docker = { listServices: async () => [], listNodes: async () => [] } as unknown as Docker;
  let reads = 0;
  const certificates = async () => {
    reads++;
    return [
      {
        app: 'shop',
        domain: 'shop.example.com',
        issuer: 'acme',
        notAfter: new Date(Date.now() + 5 * day).toISOString(),
      },
    ];
  };
  const emitted: string[] = [];
  const emit = async (e: { kind: string }) => void emitted.push(e.kind);
  const hourly = startAlertWatch({ docker, certificates, emit, everyMs: 3_600_000 });
  t.teardown(() => hourly.stop());
  t.equal((await hourly.check()).length, 1, 'the first look raises the alert');
  await hourly.check();
  await hourly.check();
  t.equal(reads, 1, 'three looks, one read of the certificates');
  const eager = startAlertWatch({ docker, certificates, emit, everyMs: 3_600_000, certificatesEveryMs: 0 });
  t.teardown(() => eager.stop());
  await eager.check();
  await eager.check();
  t.equal(reads, 3, 'with certificatesEveryMs 0, a read at each look');
  t.same(
    emitted,
    ['alert.certificate-expiring', 'alert.certificate-expiring'],
    'once per watch: a condition raises it once',
  );
});
