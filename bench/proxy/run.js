// bench/proxy: requests per second through the reverse proxy (HTTPS, keep-alive) against
// straight to the app's container (HTTP on the overlay network), both measured by autocannon
// from a container on the proxy network, bounded in time; then 20 domain changes (add and
// remove a custom domain) while load runs through the proxy, counting failed requests.
// Targets (issue 5): ratio >= 0.85; zero failed requests during the domain changes.
import { spawn } from 'node:child_process';
import { api, ADDR, DATA, domain, ensurePlatform, pushHello } from '../lib/platform.js';

const SECONDS = Number(process.env.SECONDS ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
const APP = 'bench-proxy';

ensurePlatform();
const host = `${APP}.${domain()}`;
const image = pushHello('mc-bench/hello:1');
const show = await api('GET', `/v1/apps/${APP}`);
if (show.status === 404) {
  const add = await api('POST', '/v1/apps?wait=true', { image, name: APP });
  if (add.status !== 201) throw new Error(`add ${APP}: HTTP ${add.status} ${add.body}`);
}

/** autocannon in a container on the proxy network, where both targets are reachable. */
function loadFrom(targets, seconds) {
  const script = `
    const autocannon = require('autocannon');
    const run = (url) => new Promise((ok, fail) => autocannon({ url, connections: ${CONNECTIONS}, duration: ${seconds} }, (e, r) => (e ? fail(e) : ok(r))));
    (async () => {
      const out = {};
      for (const [name, url] of Object.entries(${JSON.stringify(targets)})) {
        const r = await run(url);
        out[name] = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, errors: r.errors + r.timeouts, non2xx: r.non2xx };
      }
      console.log(JSON.stringify(out));
    })();`;
  const args = ['run', '--rm', '--network', 'minicloud-proxy', '--add-host', `${host}:${ADDR}`];
  args.push(
    '-v',
    `${repo}/node_modules:/nm:ro`,
    '-e',
    'NODE_PATH=/nm',
    '-v',
    `${DATA}/pki/ca.crt:/ca.crt:ro`,
    '-e',
    'NODE_EXTRA_CA_CERTS=/ca.crt',
  );
  args.push('minicloud/node:20', 'node', '-e', script);
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/docker', args, { env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').at(-1))) : reject(new Error(err || `exit ${code}`)),
    );
  });
}

const figures = await loadFrom({ direct: `http://${APP}_web:80/`, proxied: `https://${host}/` }, SECONDS);
console.log(`bench/proxy: ${CONNECTIONS} connections, ${SECONDS} s each, GET / of the example app`);
for (const [name, f] of Object.entries(figures)) {
  console.log(
    `  ${name.padEnd(8)} ${f.rps.toFixed(0).padStart(6)} req/s  p50 ${f.p50} ms  p99 ${f.p99} ms  errors ${f.errors}  non-2xx ${f.non2xx}`,
  );
}
console.log(`  ratio proxied/direct: ${(figures.proxied.rps / figures.direct.rps).toFixed(2)} (target >= 0.85)`);

// 20 domain changes under load: each adds or removes a custom domain, which re-renders,
// checks (nginx -t) and reloads the proxy while requests keep coming.
const underLoad = loadFrom({ during: `https://${host}/` }, 60);
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
const during = (await underLoad).during;
console.log(
  `  ${changes} domain changes in ${changeSeconds.toFixed(1)} s under load: ${during.total} requests, ${during.errors} errors, ${during.non2xx} non-2xx (target 0 failed)`,
);

// Leave the platform as it was found: the bench app and its data go.
await api('DELETE', `/v1/apps/${APP}?purge=true&wait=true`);
