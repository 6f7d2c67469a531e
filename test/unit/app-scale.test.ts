import t from 'tap';
import { compileApp, manifestFromText, MinicloudError, nextRunnerReplicas } from '@minicloud/core';
import type { AppRecord } from '@minicloud/core';

// `app scale --runner`: the operator's runner replicas, kept in the record over the manifest's.

const manifest = (text: string) => manifestFromText(text, 'cloud_manifest.yml');
const WITH_RUNNERS = manifest(
  'name: shop\nexpose: [{proto: http, port: 80}]\nrunners: [{name: worker, command: [node, w.js]}, {name: cron, command: x, replicas: 2}]',
);

t.test('a change is merged over what was set; a runner the manifest dropped is forgotten', async (t) => {
  t.same(nextRunnerReplicas(undefined, { worker: 3 }, WITH_RUNNERS), { worker: 3 });
  t.same(nextRunnerReplicas({ worker: 3 }, { cron: 0 }, WITH_RUNNERS), { worker: 3, cron: 0 });
  t.same(nextRunnerReplicas({ worker: 3, gone: 4 }, undefined, WITH_RUNNERS), { worker: 3 });
  t.equal(nextRunnerReplicas(undefined, undefined, WITH_RUNNERS), undefined, 'nothing set, nothing stored');
});

t.test('a name that is not a runner is refused by its path, and nothing else is said', async (t) => {
  const error = t.throws(() => nextRunnerReplicas(undefined, { web2: 1, worker: 1 }, WITH_RUNNERS)) as MinicloudError;
  t.equal(error.code, 'MC_SETTINGS_INVALID');
  t.same(error.details, [{ path: 'runnerReplicas.web2', message: 'is not a runner of the app (worker, cron)' }]);
  const none = manifest('name: solo\nexpose: [{proto: http, port: 80}]');
  t.match(
    t.throws(() => nextRunnerReplicas(undefined, { worker: 1 }, none)),
    {
      details: [{ path: 'runnerReplicas.worker', message: 'the app has no runners' }],
    },
  );
});

t.test("the compiled stack runs the record's runner replicas; a record without them the manifest's", async (t) => {
  const record: AppRecord = {
    name: 'shop',
    state: 'active',
    image: 'registry.example.com/shop:1',
    domains: ['shop.minicloud.test'],
    envKeys: [],
    replicas: 1,
    needs: [],
    manifest: WITH_RUNNERS,
    createdAt: '2026-11-26T00:00:00Z',
    updatedAt: '2026-11-26T00:00:00Z',
  };
  const ctx = {
    baseDomain: 'minicloud.test',
    endpointMode: 'dnsrr' as const,
    dataDir: '/data',
    store: { secretsDir: '/data/secrets' },
  } as Parameters<typeof compileApp>[0];
  const replicas = (r: AppRecord) =>
    Object.fromEntries(
      Object.entries(compileApp(ctx, r, r.domains).compose.services).map(([name, s]) => [name, s.deploy?.replicas]),
    );
  t.same(replicas(record), { web: 1, worker: 1, cron: 2 }, 'an old record: as the manifest says');
  t.same(replicas({ ...record, runnerReplicas: { worker: 4, cron: 0 } }), { web: 1, worker: 4, cron: 0 });
  t.same(
    WITH_RUNNERS.runners.map((r) => r.replicas),
    [1, 2],
    "the record's manifest is left as it was",
  );
});
