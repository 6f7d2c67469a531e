// bench/proxy: requests per second through the reverse proxy against straight to the app's
// container, measured by wrk from a container on the proxy network, bounded in time; then 20
// domain changes (add and remove a custom domain, each an nginx reload) while keep-alive
// HTTPS load runs, counting failed requests.
//
// Both throughput runs start in the same place (a container on minicloud-proxy) and differ
// only by the proxy hop: direct is plain HTTP to the app task's address, proxied is HTTPS by
// host name to the proxy container. (Going to the host's published port 443 from a container
// on the same host would add Docker's userland port proxy, which no outside client meets.)
// Two pages: `/` answers a 55-byte JSON at once, so it shows the proxy's whole cost per
// request; `/page` renders a 10 KB HTML table, a typical dynamic page.
// Targets (issue 5): ratio >= 0.85; zero failed requests during the domain changes.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dockerClient, readUpstreamAddresses } from '@minicloud/core';
import { api, DATA, domain, ensurePlatform, pushHello } from '../lib/platform.js';

const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const here = new URL('.', import.meta.url).pathname;
const APP = 'bench-proxy';
const LOADGEN = 'minicloud/bench-loadgen:1';
const docker = (args, opts = {}) => execFileSync('/usr/bin/docker', args, { encoding: 'utf8', ...opts }).trim();

ensurePlatform();
const host = `${APP}.${domain()}`;
const image = pushHello('mc-bench/hello:1');
if ((await api('GET', `/v1/apps/${APP}`)).status === 404) {
  const add = await api('POST', '/v1/apps?wait=true', { image, name: APP });
  if (add.status !== 201) throw new Error(`add ${APP}: HTTP ${add.status} ${add.body}`);
}
docker(['build', '-q', '-t', LOADGEN, `${here}loadgen`], { stdio: ['ignore', 'pipe', 'inherit'] });

const proxyContainer = docker(['ps', '-q', '--filter', 'label=com.docker.swarm.service.name=minicloud_proxy']);
const proxyIp = docker([
  'inspect',
  '-f',
  '{{(index .NetworkSettings.Networks "minicloud-proxy").IPAddress}}',
  proxyContainer.split('\n')[0],
]);
const [appIp] =
  (await readUpstreamAddresses(dockerClient(), [`${APP}_web`], 'minicloud-proxy')).get(`${APP}_web`) ?? [];
if (!appIp) throw new Error(`no running task of ${APP}_web on minicloud-proxy`);
const onProxyNet = ['run', '--rm', '--network', 'minicloud-proxy', '--add-host', `${host}:${proxyIp}`];
const appTask = (await dockerClient().listTasks({ filters: { service: [`${APP}_web`], 'desired-state': ['running'] } }))
  .map((task) => task.Status?.ContainerStatus?.ContainerID)
  .find(Boolean);
const proxyId = docker(['inspect', '-f', '{{.Id}}', proxyContainer.split('\n')[0]]);

/**
 * CPU time a container has used, in ns, from its cgroup on this host (cgroup v1 or v2; the
 * worker node's containers are on this kernel too). Undefined where neither layout is found.
 */
function cpuNs(id) {
  const read = (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  };
  const v1 = read(`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`);
  if (v1 !== undefined) return Number(v1);
  const v2 = read(`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`);
  const usec = v2 && /usage_usec (\d+)/.exec(v2)?.[1];
  return usec ? Number(usec) * 1000 : undefined;
}

/** One bounded wrk run: requests/s, latency, every kind of failure wrk counts, CPU per request. */
function wrk(url) {
  const before = [cpuNs(proxyId), appTask && cpuNs(appTask)];
  const out = docker([...onProxyNet, LOADGEN, 'wrk', '-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', url]);
  const after = [cpuNs(proxyId), appTask && cpuNs(appTask)];
  const num = (re) => Number(re.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const requests = num(/(\d+) requests in/);
  const perRequest = (i) =>
    before[i] === undefined || after[i] === undefined || !requests
      ? '   n/a'
      : `${((after[i] - before[i]) / requests / 1000).toFixed(0).padStart(4)} us`;
  return {
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p99: /99%\s+(\S+)/.exec(out)?.[1] ?? '?',
    failed: num(/Non-2xx or 3xx responses: (\d+)/) + (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0),
    proxyCpu: perRequest(0),
    appCpu: perRequest(1),
  };
}

console.log(`bench/proxy: wrk, 1 thread, ${CONNECTIONS} keep-alive connections, ${SECONDS} s per run`);
for (const [label, path] of [
  ['GET / (55 B JSON, no work)', '/'],
  ['GET /page (10 KB HTML page)', '/page?rows=100'],
]) {
  const direct = wrk(`http://${appIp}:80${path}`);
  const proxied = wrk(`https://${host}:443${path}`);
  console.log(`  ${label}`);
  for (const [name, f] of [
    ['direct', direct],
    ['proxied', proxied],
  ]) {
    console.log(
      `    ${name.padEnd(8)} ${f.rps.toFixed(0).padStart(6)} req/s  p99 ${f.p99.padStart(8)}  failed ${f.failed}` +
        `  CPU per request: app ${f.appCpu}, proxy ${f.proxyCpu}`,
    );
  }
  console.log(`    ratio proxied/direct: ${(proxied.rps / direct.rps).toFixed(2)} (target >= 0.85)`);
}

// 20 domain changes under load: each adds or removes a custom domain, which re-renders,
// checks (nginx -t) and reloads the proxy while requests keep coming.
const LOAD_SECONDS = 60;
const underLoad = new Promise((resolve, reject) => {
  const args = [...onProxyNet, '-v', `${here}keepalive-client.mjs:/client.mjs:ro`];
  args.push('-v', `${DATA}/pki/ca.crt:/ca.crt:ro`, '-e', 'NODE_EXTRA_CA_CERTS=/ca.crt');
  args.push('-e', `URL=https://${host}/`, '-e', `SECONDS=${LOAD_SECONDS}`, '-e', 'CONNECTIONS=10');
  const child = spawn('/usr/bin/docker', [...args, 'minicloud/node:20', 'node', '/client.mjs']);
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => process.stderr.write(c));
  child.on('close', (code) =>
    code === 0 ? resolve(JSON.parse(out.trim())) : reject(new Error(`client exit ${code}`)),
  );
});
await new Promise((r) => setTimeout(r, 3000));
const t0 = Date.now();
let changes = 0;
for (let i = 0; i < 10; i++) {
  const extra = `bench-extra-${i}.example.test`;
  const add = await api('POST', `/v1/apps/${APP}/domains?wait=true`, { domain: extra });
  const rm = await api('DELETE', `/v1/apps/${APP}/domains/${extra}?wait=true`);
  if (add.status >= 300 || rm.status >= 300) throw new Error(`domain change failed: ${add.status} ${rm.status}`);
  changes += 2;
}
const changeSeconds = (Date.now() - t0) / 1000;
const during = await underLoad;
console.log(
  `  ${changes} domain changes in ${changeSeconds.toFixed(1)} s under ${LOAD_SECONDS} s of keep-alive HTTPS load: ` +
    `${during.requests} requests, ${during.failed} failed (target 0)` +
    `${during.failed ? ` ${JSON.stringify(during.reasons)}` : ''}; ` +
    `${during.retriedAfterReset} retried once after a reload closed their keep-alive connection`,
);

// Leave the platform as it was found: the bench app and its data go.
await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`);
