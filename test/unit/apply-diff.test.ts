import t from 'tap';
import { diffServices, formatDrift, summariseSpec, type ServiceSummary } from '@minicloud/core';

function summary(over: Partial<ServiceSummary> = {}): ServiceSummary {
  return {
    service: 'shop_web',
    image: 'registry.example.com/shop:1',
    env: { PORT: '80', API_KEY: 'k1' },
    replicas: 2,
    labels: { 'minicloud.app': 'shop', 'minicloud.spec-hash': 'a' },
    ...over,
  };
}

t.test('the same service: no drift; the digest the engine pinned and the spec hash are not changes', async (t) => {
  const running = summary({
    image: 'registry.example.com/shop:1@sha256:0123abcd',
    labels: { 'minicloud.app': 'shop', 'minicloud.spec-hash': 'b' },
  });
  t.same(diffServices('shop', [summary()], [running], new Set(['API_KEY'])), []);
});

t.test('each field that differs, with both values; a secret only as differing', async (t) => {
  const running = summary({
    image: 'registry.example.com/shop:0',
    replicas: 1,
    env: { PORT: '80', API_KEY: 'hand-set', DEBUG: '1' },
    labels: { 'minicloud.spec-hash': 'a' },
  });
  const drift = diffServices('shop', [summary()], [running], new Set(['API_KEY']));
  t.same(drift, [
    {
      app: 'shop',
      service: 'shop_web',
      field: 'image',
      directory: 'registry.example.com/shop:1',
      running: 'registry.example.com/shop:0',
    },
    { app: 'shop', service: 'shop_web', field: 'replicas', directory: 2, running: 1 },
    { app: 'shop', service: 'shop_web', field: 'env.API_KEY', secret: true },
    { app: 'shop', service: 'shop_web', field: 'env.DEBUG', running: '1' },
    { app: 'shop', service: 'shop_web', field: 'labels.minicloud.app', directory: 'shop' },
  ]);
  const rows = formatDrift(drift);
  t.same(rows[2], ['shop', 'shop_web', 'env.API_KEY', '(secret differs)', '(secret differs)']);
  t.notMatch(JSON.stringify(rows), /hand-set|k1/);
});

t.test('a service missing on either side', async (t) => {
  const drift = diffServices('shop', [summary()], [summary({ service: 'shop_worker' })], new Set());
  t.same(
    drift.map((d) => [d.service, d.directory, d.running]),
    [
      ['shop_web', 'present', 'missing'],
      ['shop_worker', 'missing', 'present'],
    ],
  );
});

t.test('summariseSpec reads image, env, replicas and labels of an engine spec', async (t) => {
  const s = summariseSpec('shop_web', {
    Labels: { a: 'b' },
    Mode: { Replicated: { Replicas: 3 } },
    TaskTemplate: { ContainerSpec: { Image: 'x:1', Env: ['A=1', 'B=x=y'] } },
  });
  t.same(s, { service: 'shop_web', image: 'x:1', env: { A: '1', B: 'x=y' }, replicas: 3, labels: { a: 'b' } });
  t.notOk('replicas' in summariseSpec('g', { Mode: { Global: {} } }));
});
