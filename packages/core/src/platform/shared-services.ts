import type Docker from 'dockerode';
import { MinicloudError } from '../errors.js';
import { PLATFORM_STACK } from '../platform-names.js';
import type { Progress } from '../apps/types.js';
import type { SharedServices } from '../apps/ports.js';
import { readIdleServices, writeIdleServices } from './idle-services.js';

// Starts and stops the platform's shared services (the need kinds' MariaDB, RabbitMQ, ...) on
// the swarm by their replicas: 1 while in use, 0 when idle. The idle file is written before
// either change, so that whatever is cut short leaves it saying "in use" for a service that
// may hold data: a service is only ever left stopped and marked idle after the platform saw it
// hold no app's data.

export interface SwarmSharedServicesOptions {
  docker: Docker;
  /** <data-dir>/state/services.json */
  stateFile: string;
  stack?: string;
  /** How long start() waits for the service to be healthy; default 180 s (a first MariaDB start initialises its data dir). */
  timeoutMs?: number;
  pollMs?: number;
}

interface ServiceSpec {
  Mode?: { Replicated?: { Replicas?: number } };
  [key: string]: unknown;
}

export class SwarmSharedServices implements SharedServices {
  readonly #o: SwarmSharedServicesOptions;

  constructor(options: SwarmSharedServicesOptions) {
    this.#o = options;
  }

  async isIdle(service: string): Promise<boolean> {
    return (await readIdleServices(this.#o.stateFile)).has(service);
  }

  async start(service: string, progress: Progress = () => undefined): Promise<void> {
    const idle = await readIdleServices(this.#o.stateFile);
    if (idle.delete(service)) await writeIdleServices(this.#o.stateFile, idle);
    if ((await this.#replicas(service)) < 1) {
      progress(`starting ${service} (the first app that needs it)`);
      await this.#scale(service, 1);
    }
    await this.#waitHealthy(service, progress);
  }

  async stop(service: string): Promise<void> {
    const idle = await readIdleServices(this.#o.stateFile);
    if (!idle.has(service)) await writeIdleServices(this.#o.stateFile, new Set([...idle, service]));
    if ((await this.#replicas(service)) > 0) await this.#scale(service, 0);
  }

  async replicas(service: string): Promise<number> {
    return this.#replicas(service);
  }

  #name(service: string): string {
    return `${this.#o.stack ?? PLATFORM_STACK}_${service}`;
  }

  async #inspect(service: string): Promise<{ Spec: ServiceSpec; Version: { Index: number } }> {
    try {
      return (await this.#o.docker.getService(this.#name(service)).inspect()) as {
        Spec: ServiceSpec;
        Version: { Index: number };
      };
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404)
        throw new MinicloudError(
          'MC_UNAVAILABLE',
          `the platform's ${service} service (${this.#name(service)}) is not deployed: run install/install.sh`,
        );
      throw error;
    }
  }

  async #replicas(service: string): Promise<number> {
    return (await this.#inspect(service)).Spec.Mode?.Replicated?.Replicas ?? 0;
  }

  async #scale(service: string, replicas: number): Promise<void> {
    // The spec as it is, with one field changed; the version makes a concurrent change fail
    // instead of being overwritten.
    const { Spec, Version } = await this.#inspect(service);
    await this.#o.docker
      .getService(this.#name(service))
      .update({ ...Spec, Mode: { Replicated: { Replicas: replicas } }, version: Version.Index });
  }

  /** Until a task of the current spec runs and its container's healthcheck passes. */
  async #waitHealthy(service: string, progress: Progress): Promise<void> {
    const deadline = Date.now() + (this.#o.timeoutMs ?? 180_000);
    let last = 'no task yet';
    let told = false;
    while (Date.now() < deadline) {
      const tasks = (await this.#o.docker.listTasks({
        filters: { service: [this.#name(service)], 'desired-state': ['running'] },
      })) as { Status?: { State?: string; Err?: string; ContainerStatus?: { ContainerID?: string } } }[];
      for (const task of tasks) {
        last = `${task.Status?.State ?? 'unknown'}${task.Status?.Err ? `: ${task.Status.Err}` : ''}`;
        const id = task.Status?.ContainerStatus?.ContainerID;
        if (task.Status?.State !== 'running' || !id) continue;
        const container = await this.#o.docker
          .getContainer(id)
          .inspect()
          .catch(() => undefined);
        const health = container?.State?.Health?.Status;
        if (health === undefined || health === 'healthy') return;
        last = `running, health ${health}`;
      }
      if (!told) {
        progress(`waiting for ${service} to be healthy`);
        told = true;
      }
      await new Promise((resolve) => setTimeout(resolve, this.#o.pollMs ?? 1000));
    }
    throw new MinicloudError(
      'MC_SERVICE_UNAVAILABLE',
      `the platform's ${service} did not become healthy within ${Math.round((this.#o.timeoutMs ?? 180_000) / 1000)} s (its task: ${last})`,
    );
  }
}
