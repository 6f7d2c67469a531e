// bench/apps: how soon an app serves, over the admin API and through the proxy, for an image
// already in the registry. For three manifests, from `app add` to the first 200: the default
// healthcheck (interval 30 s), none, and a slow starter that answers only 5 s after it starts
// (default healthcheck). Then an update's switch-over: from the PATCH to the first answer of
// the new version, and how many requests failed meanwhile. Targets (issue 13): under 10 s for
// the first two and for the switch-over. The engine's first healthcheck still decides when
// the add or the update job is done (shown alongside).
// Needs the test swarm (`npm run engine:up`); installs the platform if it is not there.
import { api, domain, ensurePlatform, https, pushVariant } from '../lib/platform.js';

const RUNS = Number(process.env.RUNS ?? 3);
const HC = 'name: hello\nexpose: [{proto: http, port: 80}]\nhealthcheck: {http: /health}\n';
const NONE = 'name: hello\nexpose: [{proto: http, port: 80}]\n';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

ensurePlatform();
const cases = [
  { label: 'default healthcheck (interval 30 s)', image: pushVariant('mc-bench/hc-default:1', { manifest: HC }) },
  { label: 'no healthcheck', image: pushVariant('mc-bench/hc-none:1', { manifest: NONE }) },
  {
    label: 'slow starter (answers 5 s after start)',
    image: pushVariant('mc-bench/slow:1', { manifest: HC, cmd: ['sh', '-c', 'sleep 5 && exec node /app/server.js'] }),
  },
];
const versions = {
  1: cases[0].image,
  2: pushVariant('mc-bench/hc-default:2', { manifest: HC, from: 'minicloud/testapp:2' }),
};

/**
 * Requests `host` one after another while `job` runs (and after, until `wanted` answers or
 * 120 s pass): seconds to the first wanted answer and to the job's end, and failed requests.
 */
async function timed(host, job, wanted) {
  const t0 = Date.now();
  let done;
  const running = job().then((r) => ((done = Date.now()), r));
  let first;
  let failed = 0;
  while (done === undefined || (first === undefined && Date.now() - t0 < 120_000)) {
    const res = await https(host, '/').catch(() => ({ status: 0, body: '' }));
    if (res.status !== 200) failed++;
    if (first === undefined && res.status === 200 && wanted(res.body)) first = Date.now();
    if (first === undefined) await sleep(50);
  }
  const result = await running;
  return { result, first: first && (first - t0) / 1000, job: (done - t0) / 1000, failed };
}

const version = (v) => (body) => body.includes(`"version":"${v}"`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (s) => (s === undefined ? 'never' : `${s.toFixed(1)} s`);
const remove = (name) => api('DELETE', `/v1/apps/${name}?purge=true&wait=true`).catch(() => undefined);

const results = [];
for (const [i, c] of cases.entries()) {
  const runs = [];
  for (let run = 1; run <= RUNS; run++) {
    const name = `bench-app-${i + 1}-${run}`;
    await remove(name);
    const r = await timed(
      `${name}.${domain()}`,
      () => api('POST', '/v1/apps?wait=true', { image: c.image, name }),
      version('1'),
    );
    if (r.result.status !== 201) throw new Error(`add ${name}: HTTP ${r.result.status} ${r.result.body}`);
    runs.push(r);
    await remove(name);
  }
  results.push({ ...c, runs });
}

const name = 'bench-app-update';
await remove(name);
const added = await api('POST', '/v1/apps?wait=true', { image: versions[1], name });
if (added.status !== 201) throw new Error(`add ${name}: HTTP ${added.status} ${added.body}`);
const updates = [];
for (let run = 1; run <= RUNS; run++) {
  const to = run % 2 === 1 ? 2 : 1;
  const r = await timed(
    `${name}.${domain()}`,
    () => api('PATCH', `/v1/apps/${name}?wait=true`, { image: versions[to] }),
    version(String(to)),
  );
  if (r.result.status !== 200) throw new Error(`update ${name}: HTTP ${r.result.status} ${r.result.body}`);
  updates.push(r);
}
await remove(name);

console.log('bench/apps: app add (image in the registry) -> first 200 through the proxy');
for (const c of results) {
  const each = c.runs.map((r) => `${fmt(r.first)} (job ${fmt(r.job)})`).join(', ');
  console.log(`  ${c.label}: median ${fmt(median(c.runs.map((r) => r.first ?? Infinity)))}; runs: ${each}`);
}
console.log('bench/apps: app update (default healthcheck, start-first) -> first answer of the new version');
const each = updates.map((r) => `${fmt(r.first)} (job ${fmt(r.job)}, ${r.failed} failed)`).join(', ');
console.log(`  switch-over: median ${fmt(median(updates.map((r) => r.first ?? Infinity)))}; runs: ${each}`);
console.log('  targets: < 10 s for the default healthcheck, no healthcheck and the switch-over; 0 failed');
