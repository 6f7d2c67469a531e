import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';

const run = promisify(execFile);

export interface EngineEnv {
  dockerHost: string;
  workerDockerHost: string;
  swarmAddr: string;
  registry: string;
  endpointMode: 'vip' | 'dnsrr';
  workerNodeId: string;
  /** The worker's address on the test net. */
  workerAddr: string;
  /** This machine as the test hosts (and their containers) reach it: where a test's receiver listens. */
  testHostAddr: string;
}

/**
 * The test swarm's settings, from the environment or from .engine/env that `npm run engine:up`
 * writes. Missing settings throw: a real-engine test fails rather than skips without its engine.
 */
export function engineEnv(): EngineEnv {
  const fromFile: Record<string, string> = {};
  try {
    const text = readFileSync(new URL('../../.engine/env', import.meta.url), 'utf8');
    for (const m of text.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) fromFile[m[1]!] = m[2]!;
  } catch {
    // fall through to the environment alone
  }
  const get = (key: string): string => {
    const value = process.env[key] ?? fromFile[key];
    if (!value) throw new Error(`${key} is not set: run \`npm run engine:up\` first (the test command does)`);
    return value;
  };
  return {
    dockerHost: get('DOCKER_HOST'),
    workerDockerHost: get('MINICLOUD_WORKER_DOCKER_HOST'),
    swarmAddr: get('MINICLOUD_SWARM_ADDR'),
    registry: get('MINICLOUD_TEST_REGISTRY'),
    endpointMode: get('MINICLOUD_ENDPOINT_MODE') === 'vip' ? 'vip' : 'dnsrr',
    workerNodeId: get('MINICLOUD_WORKER_NODE_ID'),
    workerAddr: get('MINICLOUD_WORKER_ADDR'),
    testHostAddr: get('MINICLOUD_TEST_HOST_ADDR'),
  };
}

export function managerDocker(env = engineEnv()): Docker {
  return new Docker({ socketPath: env.dockerHost.replace(/^unix:\/\//, '') });
}

/** The docker CLI (Debian's, matching the engine), for comparing with what it does. */
export async function dockerCli(args: string[], env = engineEnv()): Promise<string> {
  const { stdout } = await run('/usr/bin/docker', args, {
    env: { ...process.env, DOCKER_HOST: env.dockerHost },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 90_000,
  pollMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Creates the platform's attachable overlay networks if missing (install.sh does this on a real host). */
export async function ensureOverlay(docker: Docker, name: string): Promise<void> {
  const found = await docker.listNetworks({ filters: { name: [name] } });
  if (found.some((n) => n.Name === name)) return;
  await docker.createNetwork({
    Name: name,
    Driver: 'overlay',
    Attachable: true,
    Labels: { 'minicloud.managed': 'true' },
  });
}

export async function managerNodeId(docker: Docker): Promise<string> {
  const info = (await docker.info()) as { Swarm?: { NodeID?: string } };
  if (!info.Swarm?.NodeID) throw new Error('the test engine is not a swarm manager');
  return info.Swarm.NodeID;
}

/**
 * HTTP GET from inside the swarm: a throwaway container on an attachable overlay network,
 * which is the only place service names resolve. Returns the body, or throws with the error.
 */
export async function fetchFromNetwork(network: string, url: string): Promise<string> {
  const script = `fetch(${JSON.stringify(url)}).then(async r => { const t = await r.text(); if (!r.ok) { console.error(r.status + ' ' + t); process.exit(2) } process.stdout.write(t) }).catch(e => { console.error(String(e.cause ?? e)); process.exit(1) })`;
  const { stdout } = await run(
    '/usr/bin/docker',
    ['run', '--rm', '--network', network, 'minicloud/node:20', 'node', '-e', script],
    {
      env: { ...process.env, DOCKER_HOST: engineEnv().dockerHost },
      timeout: 60_000,
    },
  );
  return stdout;
}

/** Runs a command in a running container through the Engine API; returns its exit code and output. */
export async function execIn(
  docker: Docker,
  containerId: string,
  cmd: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const exec = await docker.getContainer(containerId).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  let stdout = '';
  let stderr = '';
  const out = new PassThrough().on('data', (c: Buffer) => (stdout += c.toString()));
  const err = new PassThrough().on('data', (c: Buffer) => (stderr += c.toString()));
  await new Promise<void>((resolve, reject) => {
    docker.modem.demuxStream(stream, out, err);
    stream.on('end', () => resolve());
    stream.on('error', reject);
  });
  const info = await exec.inspect();
  return { code: info.ExitCode ?? -1, stdout, stderr };
}

/** The container of a running task of a swarm service on the manager. */
export async function serviceContainer(docker: Docker, service: string): Promise<string> {
  const [c] = await docker.listContainers({
    filters: { label: [`com.docker.swarm.service.name=${service}`], status: ['running'] },
  });
  if (!c) throw new Error(`no running container of ${service} on the manager`);
  return c.Id;
}

/**
 * The container of a running task of a swarm service on whichever node runs it (manager or
 * worker), with that node's engine: an app without storage may be placed on either.
 */
export async function serviceContainerOnAnyNode(
  service: string,
  env = engineEnv(),
): Promise<{ docker: Docker; id: string }> {
  const nodes = [managerDocker(env), new Docker({ socketPath: env.workerDockerHost.replace(/^unix:\/\//, '') })];
  for (const docker of nodes) {
    const id = await serviceContainer(docker, service).catch(() => undefined);
    if (id) return { docker, id };
  }
  throw new Error(`no running container of ${service} on any node`);
}

/**
 * Stops a test host's dockerd as a machine that goes down would (SIGTERM: its containers stop
 * with it), given its pid file under /var/lib/minicloud-test/hosts/<host>/; resolves once the
 * process is gone. scripts/engine/up.sh starts it again.
 */
export async function stopTestEngine(host: 'mgr' | 'w1'): Promise<void> {
  const pid = Number(readFileSync(`/var/lib/minicloud-test/hosts/${host}/docker.pid`, 'utf8'));
  process.kill(pid, 'SIGTERM');
  await waitFor(
    `the ${host} dockerd to stop`,
    async () => {
      try {
        process.kill(pid, 0);
        return undefined;
      } catch {
        return true;
      }
    },
    60_000,
  );
}
