// bench/scale: the platform with many apps on one node (issue 15, "100 apps on one node").
// Adds APPS apps (default 100: small images, a mix of needs) through the admin API, then
// measures, each figure against its target:
//   - one more `app add` to its first 200 through the proxy       (target: under 10 s)
//   - the proxy's config: size, `nginx -t` over all of it, and a reload
//   - GET /v1/apps with every app listed, p50/p95/max of 20       (target: p95 under 1 s)
//   - the platform's own memory per app: every minicloud_* container (the shared servers
//     included), with all apps minus with the first one of each kind  (target: under 1 MiB)
//   - the API's CPU while nothing changes (its upstream sync and timers), 30 s (target: under 2 %)
// Then removes the apps again (--keep leaves them). Exits 1 when a figure misses its target.
// Needs the test swarm (`npm run engine:up`); installs the platform if it is not there.
// Usage: npm run bench:scale [-- --apps=100] [--keep]
import { dockerClient, PROXY_CONFIG_MOUNT } from '@minicloud/core';
import { api, DATA, domain, ensurePlatform, https, pushVariant } from '../lib/platform.js';
import { readdirSync, statSync } from 'node:fs';

const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const APPS = Number(arg('apps', process.env.APPS ?? 100));
const KEEP = process.argv.includes('--keep');
const MiB = 1024 * 1024;
const docker = dockerClient();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ms = (t0) => Date.now() - t0;

// The mix: most hobby apps need nothing shared; some a database, a message bus, storage.
const KINDS = [
  { label: 'none', needs: '' },
  { label: 'database', needs: 'needs: [database]\n' },
  { label: 'messagebus', needs: 'needs: [messagebus]\n' },
  { label: 'storage', needs: 'needs: [storage]\n' },
];
const kindOf = (i) => KINDS[i % 10 < 6 ? 0 : i % 10 < 8 ? 1 : i % 10 < 9 ? 2 : 3];
const name = (i) => `scale-${String(i).padStart(3, '0')}`;

function usedBytes(stats) {
  const m = stats.memory_stats ?? {};
  const s = m.stats ?? {};
  return Math.max(0, (m.usage ?? 0) - (s.inactive_file ?? s.total_inactive_file ?? 0));
}

/** MiB of every running minicloud_* container here (the management stack, shared servers included). */
async function platformMiB() {
  const containers = await docker.listContainers({ filters: { label: ['com.docker.stack.namespace=minicloud'] } });
  let sum = 0;
  for (const c of containers) sum += usedBytes(await docker.getContainer(c.Id).stats({ stream: false }));
  return sum / MiB;
}

async function proxyContainer() {
  const [c] = await docker.listContainers({ filters: { label: ['com.docker.swarm.service.name=minicloud_proxy'] } });
  if (!c) throw new Error('no running minicloud_proxy container here');
  return docker.getContainer(c.Id);
}

/** Runs a command in the proxy; resolves its duration in ms, or throws with its output. */
async function inProxy(cmd) {
  const exec = await (await proxyContainer()).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const t0 = Date.now();
  const stream = await exec.start({});
  let out = '';
  stream.on('data', (c) => (out += c.toString('latin1')));
  await new Promise((resolve) => stream.on('end', resolve));
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new Error(`${cmd.join(' ')}: exit ${ExitCode}: ${out}`);
  return ms(t0);
}

function configSize() {
  const dir = `${DATA}/config/management/proxy/conf.d`;
  const files = readdirSync(dir);
  return { files: files.length, bytes: files.reduce((a, f) => a + statSync(`${dir}/${f}`).size, 0) };
}

async function add(i, image) {
  const res = await api('POST', '/v1/apps?wait=true', { image, name: name(i) });
  if (res.status !== 201) throw new Error(`add ${name(i)}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
}

/** From the add's request to the app's first 200 through the proxy. */
async function firstServed(i, image) {
  const t0 = Date.now();
  const job = add(i, image);
  const host = `${name(i)}.${domain()}`;
  for (;;) {
    const res = await https(host, '/').catch(() => ({ status: 0 }));
    if (res.status === 200) break;
    if (ms(t0) > 120_000) throw new Error(`${host} not served within 120 s`);
    await sleep(200);
  }
  const served = ms(t0);
  await job;
  return served;
}

async function cpuSeconds(container) {
  const s = await container.stats({ stream: false });
  return (s.cpu_stats?.cpu_usage?.total_usage ?? 0) / 1e9;
}

const results = [];
function figure(label, value, unit, target, ok) {
  results.push(ok);
  const t = target === undefined ? '' : `   target: ${target}: ${ok ? 'ok' : 'MISSED'}`;
  console.log(`  ${label.padEnd(44)} ${String(value).padStart(9)} ${unit}${t}`);
}

ensurePlatform();
console.log(`bench/scale: ${APPS} apps on ${DATA} (${KINDS.map((k) => k.label).join(', ')} mixed 6:2:1:1)`);
const images = new Map(
  KINDS.map((k) => [
    k.label,
    pushVariant(`mc-bench/scale-${k.label}:1`, {
      manifest: `name: scale\nexpose: [{proto: http, port: 80}]\n${k.needs}healthcheck: {http: /health, interval: 2s, retries: 2, start_period: 2s}\n`,
    }),
  ]),
);

let baseline;
const added = [];
const t0 = Date.now();
try {
  for (let i = 0; i < APPS; i++) {
    await add(i, images.get(kindOf(i).label));
    added.push(i);
    // Once each kind has its first app, every shared server runs: the baseline per-app costs
    // are counted from.
    if (i === 9 || (APPS < 10 && i === APPS - 1)) {
      await sleep(5000);
      baseline = { apps: i + 1, mib: await platformMiB() };
    }
    if ((i + 1) % 10 === 0) console.log(`  ... ${i + 1} apps added (${Math.round(ms(t0) / 1000)} s)`);
  }
  console.log(`\nwith ${APPS} apps (added in ${Math.round(ms(t0) / 1000)} s):`);

  const oneMore = await firstServed(APPS, images.get('none'));
  added.push(APPS);
  figure('one more app add to its first 200', (oneMore / 1000).toFixed(1), 's', 'under 10 s', oneMore < 10_000);

  const size = configSize();
  figure('proxy config', (size.bytes / 1024).toFixed(0), `KiB in ${size.files} files`);
  // The proxy's nginx runs on the platform's config (as its controller reloads it).
  const conf = `${PROXY_CONFIG_MOUNT}/nginx.conf`;
  figure('nginx -t over the whole config', await inProxy(['nginx', '-t', '-q', '-c', conf]), 'ms');
  figure('nginx -s reload (signal sent)', await inProxy(['nginx', '-s', 'reload', '-c', conf]), 'ms');

  const times = [];
  for (let k = 0; k < 20; k++) {
    const s = Date.now();
    const res = await api('GET', '/v1/apps');
    if (res.status !== 200) throw new Error(`GET /v1/apps: HTTP ${res.status}`);
    times.push(ms(s));
  }
  times.sort((a, b) => a - b);
  const p95 = times[Math.ceil(0.95 * times.length) - 1];
  figure('GET /v1/apps p50', times[Math.floor(times.length / 2)], 'ms');
  figure('GET /v1/apps p95', p95, 'ms', 'under 1000 ms', p95 < 1000);
  figure('GET /v1/apps max', times[times.length - 1], 'ms');

  await sleep(5000);
  const mib = await platformMiB();
  figure('platform memory (every minicloud_* container)', mib.toFixed(1), 'MiB');
  if (baseline && APPS + 1 > baseline.apps) {
    const perApp = (mib - baseline.mib) / (APPS + 1 - baseline.apps);
    figure(
      `  per app over the first ${baseline.apps} (${baseline.mib.toFixed(1)} MiB)`,
      perApp.toFixed(2),
      'MiB',
      'under 1 MiB',
      perApp < 1,
    );
  }

  const [apiC] = await docker.listContainers({ filters: { label: ['com.docker.swarm.service.name=minicloud_api'] } });
  const apiContainer = docker.getContainer(apiC.Id);
  const c0 = await cpuSeconds(apiContainer);
  await sleep(30_000);
  const cpu = ((await cpuSeconds(apiContainer)) - c0) / 30;
  figure("the API's CPU with nothing changing (30 s)", (cpu * 100).toFixed(2), '% of a core', 'under 2 %', cpu < 0.02);
} finally {
  if (!KEEP) {
    console.log(`\nremoving the ${added.length} apps (--keep leaves them)...`);
    for (const i of added) await api('DELETE', `/v1/apps/${name(i)}?wait=true&purge=true`);
  }
}
process.exit(results.every(Boolean) ? 0 : 1);
