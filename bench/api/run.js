// bench/api: requests per second of GET /v1/apps with 100 apps registered, through the whole
// stack (auth hook, route, serialization by schema, request logging), on this machine.
// The server runs in a child process (one core); autocannon drives it from this one over
// loopback, bounded in time. Target (issue 6): at least 5,000 requests per second.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';

const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const APPS = Number(process.env.BENCH_APPS ?? 100);
const TARGET = 5000;
const token = randomBytes(24).toString('hex');

// The server's request log goes to a file, as a container's stdout would go to its log driver.
const logFile = process.env.LOG_FILE ?? '/dev/null';
const server = fork(new URL('./server.js', import.meta.url), [], {
  env: { ...process.env, APPS: String(APPS), TOKEN: token, LOG_LEVEL: process.env.LOG_LEVEL ?? 'info' },
  stdio: ['ignore', openSync(logFile, 'a'), 'inherit', 'ipc'],
});
const { address } = await new Promise((resolve, reject) => {
  server.once('message', resolve);
  server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
});

const url = `${address}/v1/apps`;
const headers = { authorization: `Bearer ${token}` };
// Check the answer first: 100 apps, or the figures mean nothing.
const probe = await fetch(url, { headers });
const body = await probe.json();
if (probe.status !== 200 || body.apps?.length !== APPS) throw new Error(`GET /v1/apps answered ${probe.status}`);
const bytes = Buffer.byteLength(JSON.stringify(body));

// Warm up the JIT, then measure.
await autocannon({ url, headers, connections: CONNECTIONS, duration: 2 });
const cpu = () =>
  new Promise((resolve) => {
    server.once('message', (m) => resolve(m.cpu.user + m.cpu.system));
    server.send('cpu');
  });
const cpuBefore = await cpu();
const result = await autocannon({ url, headers, connections: CONNECTIONS, duration: DURATION });
const cpuUsed = (await cpu()) - cpuBefore;
server.disconnect();

const rps = result.requests.average;
console.log(`GET /v1/apps with ${APPS} apps (${bytes} bytes per response), ${CONNECTIONS} connections, ${DURATION} s`);
console.log(`requests/s: ${Math.round(rps)} average, ${result.requests.p50} median, ${result.requests.min} min`);
console.log(
  `latency ms: p50 ${result.latency.p50}, p90 ${result.latency.p90}, p99 ${result.latency.p99}, max ${result.latency.max}`,
);
const perRequest = cpuUsed / result.requests.total;
console.log(
  `server CPU: ${perRequest.toFixed(0)} µs per request, so ${Math.round(1e6 / perRequest)} requests/s per core it has to itself`,
);
console.log(
  `responses: ${result.requests.total} total, ${result.non2xx} not 2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
);
console.log(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (other work shares the cores)`,
);
console.log(`target ${TARGET}/s: ${rps >= TARGET ? 'met' : 'NOT met'}`);
if (result.non2xx > 0 || result.errors > 0) process.exitCode = 1;
