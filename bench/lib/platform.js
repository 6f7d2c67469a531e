// Shared by the platform benchmarks: where the test platform is, how to reach its admin API
// and its apps through the proxy (HTTPS, the platform CA trusted), and making sure it is up.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
for (const m of readFileSync(`${repo}/.engine/env`, 'utf8').matchAll(/^export ([A-Z_]+)=(.*)$/gm))
  process.env[m[1]] ??= m[2];

// The tests' platform (test/helpers/platform.ts), moved by the same variables if they are set.
export const DATA =
  process.env.MINICLOUD_TEST_DATA_DIR ?? process.env.MINICLOUD_DATA_DIR ?? '/var/lib/minicloud-test/platform';
export const CLI = process.env.MINICLOUD_TEST_CLI ?? '/var/lib/minicloud-test/bin/minicloud';
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

/**
 * Pushes a variant of the example app as `name`: built FROM `from` (default version 1) with
 * `manifest` as its cloud_manifest.yml and, if given, another command. Returns its reference.
 */
export function pushVariant(name, { manifest, from = 'minicloud/testapp:1', cmd }) {
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-image-'));
  const lines = [
    `FROM ${from}`,
    'COPY cloud_manifest.yml /cloud_manifest.yml',
    ...(cmd ? [`CMD ${JSON.stringify(cmd)}`] : []),
  ];
  writeFileSync(join(dir, 'Dockerfile'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'cloud_manifest.yml'), manifest);
  const local = `mc-bench-local/${name}`;
  const env = { ...process.env, DOCKER_BUILDKIT: '0' };
  execFileSync('/usr/bin/docker', ['build', '-q', '-t', local, dir], { stdio: 'ignore', env });
  execFileSync(CLI, ['push', local, '--name', name], { stdio: 'ignore', env });
  return `${ADDR}:5443/${name}`;
}
