import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { engineEnv, managerDocker } from './engine.js';

// The shared services' Debian images as plain containers on the test manager, their ports
// published on its address only: for the adapter tests (provision-db-mq, provision-postgres).

const exec = promisify(execFile);
export const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The management stack's image; built with its own build function when absent. */
export async function ensureDebianImage(docker: Docker, name: string): Promise<string> {
  const tag = `minicloud/${name}:bookworm`;
  const present = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (!present) {
    const script =
      'set -euo pipefail; REPO=$1; . "$REPO/scripts/engine/lib.sh"; . "$REPO/scripts/engine/images.sh"; ' +
      '. "$REPO/install/lib/images.sh"; mkdir -p "$MC_LOGS" "$MC_BUILD"; build_base; build_debian_service "$2"';
    await exec('bash', ['-c', script, 'bash', repo, name], { timeout: 600_000 });
  }
  return tag;
}

/** Creates and starts a container labelled minicloud.test=`label`; resolves its published ports. */
export async function startContainer(
  options: Docker.ContainerCreateOptions,
  ports: string[],
  label: string,
  docker = managerDocker(),
): Promise<Record<string, number>> {
  const host = engineEnv().swarmAddr;
  const bindings = Object.fromEntries(ports.map((p) => [`${p}/tcp`, [{ HostIp: host, HostPort: '' }]]));
  const container = await docker.createContainer({
    ...options,
    Labels: { 'minicloud.test': label },
    HostConfig: { ...options.HostConfig, PortBindings: bindings },
  });
  await container.start();
  const info = await container.inspect();
  return Object.fromEntries(ports.map((p) => [p, Number(info.NetworkSettings.Ports[`${p}/tcp`]?.[0]?.HostPort ?? 0)]));
}

export async function removeContainer(name: string, docker = managerDocker()): Promise<void> {
  await docker
    .getContainer(name)
    .remove({ force: true, v: true })
    .catch(() => undefined);
}
