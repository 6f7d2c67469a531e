// bench/footprint: idle memory of each management service after install, and the total.
// Reads the Engine API's stats of each service's container on this node (the manager runs
// them all), as `docker stats` does: memory usage minus the page cache the kernel can drop.
// Takes the mean of a few samples. Target (issue 4): the whole stack under 400 MiB, so a
// 1 GB server keeps most of its memory for apps. Exits 1 above the target.
import { dockerClient } from '@minicloud/core';

const SERVICES = ['proxy', 'registry', 'mariadb', 'rabbitmq', 'api'];
const TARGET_MIB = 400;
const SAMPLES = 3;
const MiB = 1024 * 1024;

function usedBytes(stats) {
  const m = stats.memory_stats ?? {};
  const s = m.stats ?? {};
  // cgroup v2 reports inactive_file, v1 total_inactive_file: both are reclaimable cache.
  const cache = s.inactive_file ?? s.total_inactive_file ?? 0;
  return Math.max(0, (m.usage ?? 0) - cache);
}

const docker = dockerClient();
const rows = [];
for (const service of SERVICES) {
  const [container] = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=minicloud_${service}`], status: ['running'] },
  });
  if (!container) {
    console.error(`bench/footprint: no running minicloud_${service} container here: install the platform first`);
    process.exit(2);
  }
  const handle = docker.getContainer(container.Id);
  let sum = 0;
  let limit = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const stats = await handle.stats({ stream: false });
    sum += usedBytes(stats);
    limit = stats.memory_stats?.limit ?? 0;
    if (i < SAMPLES - 1) await new Promise((r) => setTimeout(r, 1000));
  }
  rows.push({ service, mib: sum / SAMPLES / MiB, limitMib: limit / MiB, image: container.Image });
}

const total = rows.reduce((a, r) => a + r.mib, 0);
console.log('bench/footprint: idle memory of the minicloud management stack (mean of 3 samples)');
console.log(`${'service'.padEnd(10)} ${'MiB'.padStart(7)} ${'limit'.padStart(7)}  image`);
for (const r of rows)
  console.log(
    `${r.service.padEnd(10)} ${r.mib.toFixed(1).padStart(7)} ${r.limitMib.toFixed(0).padStart(7)}  ${r.image}`,
  );
const ok = total < TARGET_MIB;
console.log(
  `${'total'.padEnd(10)} ${total.toFixed(1).padStart(7)}          target: under ${TARGET_MIB} MiB: ${ok ? 'ok' : 'OVER'}`,
);
process.exitCode = ok ? 0 : 1;
