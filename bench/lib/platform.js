// Shared by the platform benchmarks: where the test platform is, how to reach its admin API
// and its apps through the proxy (HTTPS, the platform CA trusted), and making sure it is up.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';

const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
for (const m of readFileSync(`${repo}/.engine/env`, 'utf8').matchAll(/^export ([A-Z_]+)=(.*)$/gm))
  process.env[m[1]] ??= m[2];

export const DATA = process.env.MINICLOUD_DATA_DIR ?? '/var/lib/minicloud-test/platform';
export const CLI = '/var/lib/minicloud-test/bin/minicloud';
export const ADDR = process.env.MINICLOUD_SWARM_ADDR;

/** Installs the platform (debian images) if this data dir has none; a no-op otherwise. */
export function ensurePlatform() {
  if (existsSync(`${DATA}/config/platform.json`) && existsSync(CLI)) return;
  console.error('installing the platform first (install/install.sh --images=debian)...');
  execFileSync(
    'bash',
    [
      `${repo}/install/install.sh`,
      '--images=debian',
      `--data-dir=${DATA}`,
      '--domain=minicloud.test',
      `--advertise-addr=${ADDR}`,
      `--cli-path=${CLI}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: process.env },
  );
}

export const domain = () => JSON.parse(readFileSync(`${DATA}/config/platform.json`, 'utf8')).settings.domain;
const token = () => readFileSync(`${DATA}/secrets/admin-token`, 'utf8').trim();

/** One HTTPS request to a host name the proxy serves; resolves with status and body. */
export function https(host, path, { method = 'GET', body, auth = false } = {}) {
  const data = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: ADDR,
        port: 443,
        servername: host,
        path,
        method,
        agent: false,
        ca: readFileSync(`${DATA}/pki/ca.crt`),
        headers: {
          host,
          ...(data ? { 'content-type': 'application/json' } : {}),
          ...(auth ? { authorization: `Bearer ${token()}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, body: text }));
      },
    );
    req.on('error', reject);
    if (data) req.write(data);
    req.end();
  });
}

export const api = (method, path, body) => https(`admin.${domain()}`, path, { method, body, auth: true });

/** Pushes the example app into the platform registry as `name`; returns its reference. */
export function pushHello(name) {
  execFileSync(CLI, ['push', 'minicloud/testapp:1', '--name', name], { stdio: 'ignore', env: process.env });
  return `${ADDR}:5443/${name}`;
}
