import type Docker from 'dockerode';
import { TaskProber, type ProbeTarget, type TaskProberOptions } from './task-probe.js';
import {
  readUpstreamListing,
  startingTasks,
  upstreamAddresses,
  type StartingTask,
  type UpstreamAddresses,
} from './upstream-addresses.js';

/** A service the proxy routes to, and how to tell that a new task of it answers. */
export interface UpstreamTarget {
  service: string;
  port: number;
  /** The manifest's http healthcheck path; absent: a TCP connect to the port. */
  healthPath?: string;
}

/** Pure: what to probe of the starting tasks, each at its service's port and path. */
export function probeTargets(starting: readonly StartingTask[], targets: readonly UpstreamTarget[]): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  for (const s of starting) {
    const target = targets.find((t) => t.service === s.service);
    if (!target) continue;
    out.push({
      task: s.task,
      service: s.service,
      address: s.address,
      port: target.port,
      ...(target.healthPath !== undefined ? { path: target.healthPath } : {}),
    });
  }
  return out;
}

/**
 * The services' addresses on the proxy network for the upstream blocks: each look at the
 * engine also hands its starting tasks to the prober, and counts those that have answered.
 * Listeners hear when a task answers, so the caller can re-render at once, not a pass later.
 */
export class ProbingUpstreamLocator {
  readonly #prober: TaskProber;
  readonly #listeners: (() => void)[] = [];

  constructor(
    private readonly docker: Docker,
    private readonly network: string,
    options: Omit<TaskProberOptions, 'onReady'> = {},
  ) {
    this.#prober = new TaskProber({ ...options, onReady: () => this.#listeners.forEach((l) => l()) });
  }

  async addresses(targets: readonly UpstreamTarget[]): Promise<UpstreamAddresses> {
    const names = targets.map((t) => t.service);
    const { services, tasks } = await readUpstreamListing(this.docker, names);
    this.#prober.watch(probeTargets(startingTasks(names, services, tasks, this.network), targets), names);
    return upstreamAddresses(names, services, tasks, this.network, this.#prober.ready());
  }

  onReady(listener: () => void): void {
    this.#listeners.push(listener);
  }

  stop(): void {
    this.#prober.stop();
  }
}
