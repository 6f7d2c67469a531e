import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { runningServiceContainer } from '../engine/container-exec.js';

/** The id of a running container of a swarm service on this node (e.g. minicloud_mariadb). */
export async function serviceContainer(docker: Docker, service: string): Promise<string> {
  const id = await runningServiceContainer(docker, service);
  if (!id) {
    throw new MinicloudError(
      'MC_BACKUP',
      `no running container of service ${service} on this node (backups run on the manager)`,
    );
  }
  return id;
}
