// bench/apps: time from `app add` (image already in the registry) to the first 200 through the
// proxy, over the admin API, for a few fresh apps. Target (issue 5): under 10 s.
// Needs the test swarm (`npm run engine:up`); installs the platform if it is not there.
import { api, domain, ensurePlatform, https, pushHello } from '../lib/platform.js';

const RUNS = Number(process.env.RUNS ?? 3);
ensurePlatform();
const image = pushHello('mc-bench/hello:1');
const times = [];
for (let i = 1; i <= RUNS; i++) {
  const name = `bench-app-${i}`;
  await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`).catch(() => undefined);
  const host = `${name}.${domain()}`;
  const t0 = Date.now();
  const add = api('POST', '/v1/apps?wait=true', { image, name });
  let firstOk;
  // Poll the app's own domain while the add runs: the first 200 is what a user sees.
  while (firstOk === undefined && Date.now() - t0 < 120_000) {
    const res = await https(host, '/').catch(() => ({ status: 0 }));
    if (res.status === 200) firstOk = Date.now();
    else await new Promise((r) => setTimeout(r, 100));
  }
  const added = await add;
  const done = Date.now();
  if (added.status !== 201) throw new Error(`add ${name}: HTTP ${added.status} ${added.body}`);
  times.push({ name, firstOk: (firstOk - t0) / 1000, jobDone: (done - t0) / 1000 });
  await api('DELETE', `/v1/apps/${name}?purge=true&wait=true`);
}
console.log('bench/apps: app add (image in the registry) -> first 200 through the proxy');
for (const t of times)
  console.log(
    `  ${t.name}: first 200 after ${t.firstOk.toFixed(1)} s (add job answered after ${t.jobDone.toFixed(1)} s)`,
  );
const sorted = times.map((t) => t.firstOk).sort((a, b) => a - b);
console.log(`  median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} s (target < 10 s)`);
