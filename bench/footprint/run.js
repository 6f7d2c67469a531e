// bench/footprint: the memory of the minicloud management stack on an installed platform, in
// two states: as it is with no app needing a shared service (proxy, registry, API and the node
// agent; the need kinds' services idle), and with every need kind in use (each idle shared
// service started as the first app needing it would, measured, and stopped again). Reads the
// Engine API's stats of each service's container on this node (the manager runs them all), as
// `docker stats` does: usage minus the page cache the kernel can drop; the mean of a few samples.
// Targets (issue 14): under 100 MiB with no apps, under 320 MiB with every kind in use.
// Exits 1 above a target. Usage: npm run bench:footprint [-- --data-dir=/data/minicloud] [--as-it-runs]
// (--as-it-runs: the first state only; no service is started).
import { dockerClient, platformLayout, SwarmSharedServices, NEED_KINDS } from '@minicloud/core';

const ALWAYS = ['proxy', 'registry', 'api', 'node-agent'];
const SHARED = NEED_KINDS.flatMap((k) => (k.service ? [k.service.name] : []));
const TARGETS = { idle: 100, all: 320 };
const SAMPLES = 3;
const MiB = 1024 * 1024;
const dataDir =
  process.argv.find((a) => a.startsWith('--data-dir='))?.slice('--data-dir='.length) ??
  process.env.MINICLOUD_DATA_DIR ??
  '/data/minicloud';

function usedBytes(stats) {
  const m = stats.memory_stats ?? {};
  const s = m.stats ?? {};
  // cgroup v2 reports inactive_file, v1 total_inactive_file: both are reclaimable cache.
  const cache = s.inactive_file ?? s.total_inactive_file ?? 0;
  return Math.max(0, (m.usage ?? 0) - cache);
}

const docker = dockerClient();
const services = new SwarmSharedServices({ docker, stateFile: platformLayout(dataDir).servicesStateFile });

/** Mean memory of the service's running container here, or undefined when none runs (idle). */
async function measure(service) {
  const [container] = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=minicloud_${service}`], status: ['running'] },
  });
  if (!container) return undefined;
  const handle = docker.getContainer(container.Id);
  let sum = 0;
  for (let i = 0; i < SAMPLES; i++) {
    sum += usedBytes(await handle.stats({ stream: false }));
    if (i < SAMPLES - 1) await new Promise((r) => setTimeout(r, 1000));
  }
  return sum / SAMPLES / MiB;
}

async function table(title, names, target) {
  const rows = [];
  for (const name of names) rows.push({ name, mib: await measure(name) });
  const total = rows.reduce((a, r) => a + (r.mib ?? 0), 0);
  console.log(`\n${title}`);
  for (const r of rows)
    console.log(`  ${r.name.padEnd(11)} ${r.mib === undefined ? '   idle' : r.mib.toFixed(1).padStart(7)}`);
  const ok = total < target;
  console.log(
    `  ${'total'.padEnd(11)} ${total.toFixed(1).padStart(7)} MiB   target: under ${target} MiB: ${ok ? 'ok' : 'OVER'}`,
  );
  return ok;
}

for (const name of ALWAYS) {
  if ((await measure(name)) === undefined) {
    console.error(`bench/footprint: no running minicloud_${name} container here: install the platform first`);
    process.exit(2);
  }
}
console.log(`bench/footprint: memory of the minicloud management stack in ${dataDir} (mean of ${SAMPLES} samples)`);
const idleOk = await table(
  'as it runs now (shared services no app needs are idle):',
  [...ALWAYS, ...SHARED],
  TARGETS.idle,
);

// Every kind in use: the idle services started (as the first app needing each would), then
// stopped again, so the platform is left as it was.
if (process.argv.includes('--as-it-runs')) {
  process.exitCode = idleOk ? 0 : 1;
  process.exit();
}
const started = [];
let allOk = false;
try {
  for (const name of SHARED) {
    if (!(await services.isIdle(name))) continue;
    await services.start(name);
    started.push(name);
  }
  // A started server settles (caches, schedulers) for a while before its figure means much.
  await new Promise((r) => setTimeout(r, 15_000));
  allOk = await table('with every need kind in use:', [...ALWAYS, ...SHARED], TARGETS.all);
} finally {
  for (const name of started) await services.stop(name);
}
process.exitCode = idleOk && allOk ? 0 : 1;
