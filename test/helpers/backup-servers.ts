import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import type { EngineEnv } from './engine.js';

// The database servers the backup tests run against (backup-consistency, backup-restore):
// containers of the platform's Debian images on the manager, built the way install.sh builds
// them, with no network, so that only exec through the Engine API reaches them, as the API
// service reaches the management stack's.

const execFileP = promisify(execFile);
const repo = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

/** The platform's Debian images of these services, built as install.sh does (a no-op when current). */
export async function ensureDebianImages(env: EngineEnv, work: string, services: string[]): Promise<void> {
  const script = [
    'set -e',
    `REPO=${repo}`,
    'MC_PROG=backup-test',
    `MC_LOGS=${work}/logs`,
    `MC_BUILD=${work}/build`,
    'mkdir -p "$MC_LOGS" "$MC_BUILD"',
    '. "$REPO/install/lib/common.sh"',
    'DOCKER=/usr/bin/docker',
    '. "$REPO/install/lib/images.sh"',
    'build_base',
    ...services.map((service) => `build_debian_service ${service}`),
  ].join('\n');
  await execFileP('bash', ['-c', script], { env: { ...process.env, DOCKER_HOST: env.dockerHost }, timeout: 600_000 });
}

export async function removeContainer(docker: Docker, name: string): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}

/** A server container without any network: only exec through the Engine API reaches it. */
export async function startServer(
  docker: Docker,
  name: string,
  image: string,
  options: Partial<Docker.ContainerCreateOptions>,
): Promise<void> {
  await removeContainer(docker, name);
  const container = await docker.createContainer({
    name,
    Image: image,
    Labels: { 'minicloud.test': 'backup' },
    ...options,
    HostConfig: { NetworkMode: 'none', ...options.HostConfig },
  });
  await container.start();
}
