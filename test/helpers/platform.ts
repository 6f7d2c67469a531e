import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { engineEnv } from './engine.js';

// The installed platform the end-to-end tests drive: where install.sh puts it on the test
// swarm, and how a user reaches it (HTTPS through the proxy, trusting the platform CA).

const run = promisify(execFile);
const env = engineEnv();

export const REPO = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');
// Both may be moved (MINICLOUD_TEST_DATA_DIR, MINICLOUD_TEST_CLI) so that a second test swarm on
// the same machine gets a platform of its own: two platforms on one data dir share MariaDB's files.
export const DATA = process.env['MINICLOUD_TEST_DATA_DIR'] ?? '/var/lib/minicloud-test/platform';
export const CLI = process.env['MINICLOUD_TEST_CLI'] ?? '/var/lib/minicloud-test/bin/minicloud';
export const DOMAIN = 'minicloud.test';
export const ADDR = env.swarmAddr;
export const REGISTRY = `${ADDR}:5443`;
export const INSTALL = [
  `${REPO}/install/install.sh`,
  '--images=debian',
  `--data-dir=${DATA}`,
  `--domain=${DOMAIN}`,
  `--advertise-addr=${ADDR}`,
  `--cli-path=${CLI}`,
  '--timeout=300',
];

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program against the manager's engine; never throws, the exit code tells. */
export async function sh(
  file: string,
  args: string[],
  options: { env?: Record<string, string>; timeout?: number } = {},
): Promise<Result> {
  try {
    const { stdout, stderr } = await run(file, args, {
      env: { ...process.env, DOCKER_HOST: env.dockerHost, ...options.env },
      timeout: options.timeout ?? 120_000,
      maxBuffer: 32 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string; message: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? e.message };
  }
}

export const platformSecret = (name: string): string => readFileSync(`${DATA}/secrets/${name}`, 'utf8').trim();

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * An HTTPS request to a host name served by the proxy, as a browser would make it: connect
 * to the manager's address, SNI and Host set to the name, the platform CA trusted.
 */
export function httpsTo(
  host: string,
  path: string,
  options: { method?: string; body?: unknown; token?: string; insecure?: boolean; ca?: string } = {},
): Promise<HttpsResponse> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: ADDR,
        port: 443,
        servername: host,
        path,
        method: options.method ?? 'GET',
        // Another trust anchor (a self-signed certificate an app uploaded) proves which is served.
        ca: options.ca ?? readFileSync(`${DATA}/pki/ca.crt`),
        // Only to see what the default server answers for a name no certificate covers.
        rejectUnauthorized: !options.insecure,
        agent: false,
        timeout: 300_000,
        headers: {
          host,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${host}${path}`)));
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** The admin API through the proxy, with the admin token. */
export async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await httpsTo(`admin.${DOMAIN}`, path, { method, body, token: platformSecret('admin-token') });
  let json: unknown = undefined;
  try {
    json = res.body === '' ? undefined : JSON.parse(res.body);
  } catch {
    json = res.body;
  }
  return { status: res.status, json };
}

/**
 * Builds a test image from the example app (`from`, default version 1) with the given manifest
 * (undefined: none) and, if given, another command, and pushes it to the platform's registry.
 */
export async function buildAndPush(
  name: string,
  manifest: string | undefined,
  from = 'minicloud/testapp:1',
  cmd?: string[],
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'mc-apps-image-'));
  const lines = [
    `FROM ${from}`,
    manifest === undefined ? 'RUN rm -f /cloud_manifest.yml' : 'COPY cloud_manifest.yml /cloud_manifest.yml',
    ...(cmd ? [`CMD ${JSON.stringify(cmd)}`] : []),
  ];
  writeFileSync(join(dir, 'Dockerfile'), `${lines.join('\n')}\n`);
  if (manifest !== undefined) writeFileSync(join(dir, 'cloud_manifest.yml'), manifest);
  const local = `mc-e2e-local/${name}`;
  const build = await sh('/usr/bin/docker', ['build', '-q', '-t', local, dir], { env: { DOCKER_BUILDKIT: '0' } });
  if (build.code !== 0) throw new Error(`docker build ${name}: ${build.stderr}`);
  const push = await sh(CLI, ['push', local, '--name', `mc-e2e/${name}`]);
  if (push.code !== 0) throw new Error(`minicloud push ${name}: ${push.stderr}`);
  return `${REGISTRY}/mc-e2e/${name}`;
}
