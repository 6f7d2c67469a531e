// bench/upstreams: what the API's once-a-second upstream sync costs with many apps. It keeps
// the proxy's upstream blocks on the apps' task addresses by asking the Engine for them
// (readUpstreamAddresses: a service and a task listing). This deploys N idle services on the
// proxy network (default 100, like 100 apps of one service each), then times passes of that
// read: wall time, the CPU dockerd spends answering, and the CPU this process spends parsing
// (what the API would). Needs the test swarm and an installed platform (its network).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { deployStack, dockerClient, readUpstreamAddresses, removeStack } from '@minicloud/core';
import { idleServices } from '../lib/idle-services.js';
import { ensurePlatform } from '../lib/platform.js';

const N = Number(process.env.SERVICES ?? 100);
const PASSES = Number(process.env.PASSES ?? 30);
const STACK = 'bench-upstreams';
ensurePlatform();
const docker = dockerClient(process.env.DOCKER_HOST);

const services = idleServices(N, { networks: ['proxy'] });
const compose = { version: '3.8', services, networks: { proxy: { external: true, name: 'minicloud-proxy' } } };
const names = Object.keys(services).map((s) => `${STACK}_${s}`);

/** dockerd's CPU time so far, in ms, from /proc (the manager's daemon runs on this host). */
function dockerdCpuMs() {
  const pid = readFileSync('/var/lib/minicloud-test/hosts/mgr/docker.pid', 'utf8').trim();
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, USER_HZ 100
}

try {
  console.error(`deploying ${N} idle services on minicloud-proxy...`);
  await deployStack(STACK, compose, { docker, wait: false, baseDir: mkdtempSync(`${tmpdir()}/bench-up-`) });
  for (let i = 0; ; i++) {
    const found = await readUpstreamAddresses(docker, names, 'minicloud-proxy');
    const running = [...found.values()].filter((a) => a.length > 0).length;
    if (running === N) break;
    if (i > 300) throw new Error(`only ${running} of ${N} services running after 5 minutes`);
    await new Promise((r) => setTimeout(r, 1000));
  }

  const walls = [];
  const d0 = dockerdCpuMs();
  const c0 = process.cpuUsage();
  for (let i = 0; i < PASSES; i++) {
    const t0 = process.hrtime.bigint();
    await readUpstreamAddresses(docker, names, 'minicloud-proxy');
    walls.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  const dockerdMs = (dockerdCpuMs() - d0) / PASSES;
  const c = process.cpuUsage(c0);
  const ownMs = (c.user + c.system) / 1000 / PASSES;
  walls.sort((a, b) => a - b);
  const pct = (q) => walls[Math.min(walls.length - 1, Math.floor(q * walls.length))].toFixed(1);
  console.log(`bench/upstreams: ${N} services with one task each, ${PASSES} passes of the sync's Engine read`);
  console.log(`  wall per pass: p50 ${pct(0.5)} ms, p95 ${pct(0.95)} ms`);
  console.log(`  CPU per pass:  dockerd ${dockerdMs.toFixed(1)} ms, reader (the API) ${ownMs.toFixed(1)} ms`);
  console.log(`  at one pass a second: ${((dockerdMs + ownMs) / 10).toFixed(1)}% of one core`);
} finally {
  await removeStack(STACK, docker).catch(() => undefined);
}
