import t from 'tap';
import { api, buildAndPush, DOMAIN, httpsTo, INSTALL, sh } from '../helpers/platform.js';

// Issue 13 item 3: an app takes traffic as soon as it answers, not once the engine's first
// scheduled healthcheck has passed (30 s after start with the default interval). The platform
// probes a starting task itself and routes to it when it answers; the engine's healthcheck
// still decides restarts, rollbacks and when the add and the update are done.
const LIMIT_MS = 10_000;
const DEFAULT_HC = 'name: quick\nexpose: [{proto: http, port: 80}]\nhealthcheck: {http: /health}\n';
const NO_HC = 'name: quick\nexpose: [{proto: http, port: 80}]\n';
const images: Record<string, string> = {};

interface Watched<T> {
  result: T;
  /** ms from the start to the first answer the test looked for, if one came. */
  firstMs?: number;
  /** Status (or error) -> count, of the requests before that first answer, and from it on. */
  before: Map<string, number>;
  after: Map<string, number>;
}

/**
 * Requests the app's domain one after another, each on a new connection, while `work` runs
 * (and after it, until `wanted` is seen or 60 s pass): when the wanted answer first came, and
 * what every request before and after it got.
 */
async function watch<T>(host: string, work: () => Promise<T>, wanted: (body: string) => boolean): Promise<Watched<T>> {
  const t0 = Date.now();
  let done = false;
  const running = work().finally(() => (done = true));
  let firstMs: number | undefined;
  const before = new Map<string, number>();
  const after = new Map<string, number>();
  while (!done || (firstMs === undefined && Date.now() - t0 < 60_000)) {
    const res = await httpsTo(host, '/').then(
      (r) => ({ key: String(r.status), ok: r.status === 200 && wanted(r.body) }),
      (e: Error) => ({ key: e.message, ok: false }),
    );
    if (firstMs === undefined && res.ok) firstMs = Date.now() - t0;
    const counts = firstMs === undefined ? before : after;
    counts.set(res.key, (counts.get(res.key) ?? 0) + 1);
    if (firstMs === undefined) await new Promise((r) => setTimeout(r, 50));
  }
  return { result: await running, ...(firstMs !== undefined ? { firstMs } : {}), before, after };
}

const version = (v: string) => (body: string) => body.includes(`"version":"${v}"`);
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

t.before(async () => {
  const install = await sh('bash', INSTALL, { timeout: 900_000 });
  if (install.code !== 0) throw new Error(`install.sh failed: ${install.stderr.slice(-3000)}`);
  images['default:1'] = await buildAndPush('quick-default:1', DEFAULT_HC);
  images['default:2'] = await buildAndPush('quick-default:2', DEFAULT_HC, 'minicloud/testapp:2');
  images['none:1'] = await buildAndPush('quick-none:1', NO_HC);
});

for (const [name, image, what] of [
  ['quick-default', 'default:1', 'the default healthcheck interval (30 s)'],
  ['quick-none', 'none:1', 'no healthcheck'],
] as const) {
  t.test(`with ${what}, the first 200 comes within 10 s of the add`, async (t) => {
    const host = `${name}.${DOMAIN}`;
    // One reading on this 2-core machine, busy with the tests beside it, can miss by a second:
    // when the first add misses, the app is purged and added again, and both times printed.
    const firsts: (number | undefined)[] = [];
    for (let attempt = 1; attempt <= 2; attempt++) {
      if (attempt === 2) await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`);
      const seen = await watch(
        host,
        () => api('POST', '/v1/apps?wait=true', { image: images[image], name }),
        version('1'),
      );
      t.equal(seen.result.status, 201, `add: ${JSON.stringify(seen.result.json).slice(0, 500)}`);
      t.match(seen.result.json, { name, health: 'healthy' }, 'the add still ends with the engine calling it healthy');
      t.same([...seen.after.keys()], ['200'], `once served, always served: ${JSON.stringify([...seen.after])}`);
      firsts.push(seen.firstMs);
      if (seen.firstMs !== undefined && seen.firstMs < LIMIT_MS) break;
    }
    t.ok(
      firsts.some((ms) => ms !== undefined && ms < LIMIT_MS),
      `first 200 after ${firsts.map((ms) => `${ms} ms`).join(', then ')} (limit ${LIMIT_MS} ms)`,
    );
  });
}

t.test('an update with the default interval: the new version takes traffic within 10 s, none dropped', async (t) => {
  const seen = await watch(
    `quick-default.${DOMAIN}`,
    () => api('PATCH', '/v1/apps/quick-default?wait=true', { image: images['default:2'] }),
    version('2'),
  );
  t.equal(seen.result.status, 200, JSON.stringify(seen.result.json).slice(0, 500));
  t.match(seen.result.json, { rolledBack: false });
  t.ok(
    seen.firstMs !== undefined && seen.firstMs < LIMIT_MS,
    `version 2 answered after ${seen.firstMs} ms (limit ${LIMIT_MS} ms)`,
  );
  t.same([...seen.before.keys()], ['200'], `version 1 answered until then: ${JSON.stringify([...seen.before])}`);
  t.same([...seen.after.keys()], ['200'], `and every request after: ${JSON.stringify([...seen.after])}`);
  t.ok(total(seen.before) + total(seen.after) > 20, `over ${total(seen.before) + total(seen.after)} requests`);
});

t.teardown(async () => {
  for (const name of ['quick-default', 'quick-none'])
    await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`).catch(() => undefined);
});
