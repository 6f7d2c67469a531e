import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { isMinicloudError } from '@minicloud/core';
import { ensureDebianImages } from './backup-servers.js';
import { engineEnv, managerDocker } from './engine.js';

// The shared services' Debian images as plain containers on the test manager, their ports
// published on its address only: for the adapter tests (provision-db-mq, provision-postgres).

export const repo = fileURLToPath(new URL('../..', import.meta.url));
export { removeContainer } from './backup-servers.js';

/** The management stack's image, built with install.sh's own build function when absent. */
export async function ensureDebianImage(docker: Docker, name: string): Promise<string> {
  const tag = `minicloud/${name}:bookworm`;
  const present = await docker
    .getImage(tag)
    .inspect()
    .then(() => true)
    .catch(() => false);
  if (!present) {
    const work = await mkdtemp(join(tmpdir(), 'mc-image-'));
    try {
      await ensureDebianImages(engineEnv(), work, [name]);
    } finally {
      await rm(work, { recursive: true, force: true });
    }
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

/** What a call ended with, as text to match: `CODE: message` for minicloud's errors and a driver's. */
export async function messageOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (error) {
    if (isMinicloudError(error)) return `${error.code}: ${error.message}`;
    const e = error as { code?: string; message?: string };
    return `${e.code ?? 'error'}: ${e.message ?? String(error)}`;
  }
}
