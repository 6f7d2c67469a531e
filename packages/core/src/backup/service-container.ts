import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { execInContainer, runningServiceContainer, type ExecResult, type ExecSpec } from '../engine/container-exec.js';

/** The id of a running container of a swarm service on this node (e.g. minicloud_mariadb). */
export async function serviceContainer(docker: Docker, service: string): Promise<string> {
  const id = await runningServiceContainer(docker, service);
  if (!id) {
    // The server is down (restarting, or stopped): a 503 the caller may try again, not a fault.
    throw new MinicloudError(
      'MC_SERVICE_UNAVAILABLE',
      `no running container of service ${service} on this node (backups run on the manager): try again once it runs`,
    );
  }
  return id;
}

/** Which container a backup client's commands run in: one named, or the service's task on this node. */
export interface ContainerTarget {
  container?: string;
  service?: string;
}

/**
 * Where the backup clients (MariaDB, RabbitMQ, PostgreSQL) run their commands: looked up at
 * each call, since the service is stopped when no app needs it and started on demand (or
 * restarted after a crash), each time in a new container.
 */
export class ServiceContainer {
  constructor(
    readonly docker: Docker,
    private readonly target: ContainerTarget,
    private readonly defaultService: string,
  ) {}

  async id(): Promise<string> {
    return this.target.container ?? (await serviceContainer(this.docker, this.target.service ?? this.defaultService));
  }

  async exec(spec: ExecSpec): Promise<ExecResult> {
    return execInContainer(this.docker, await this.id(), spec);
  }
}
