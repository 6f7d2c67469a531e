import type Docker from 'dockerode';
import { LABELS } from '../labels.js';
import { runEvery } from '../util/every.js';
import type { NodeEngines } from '../nodes/engines.js';
import type { DockerStats } from './stats-figures.js';
import { readAppStats, type TaskStats } from './stats.js';

// Each app's last hour: one sample a minute, the sum of its tasks, kept in memory by the API (a
// restart of the API starts the hour again; nothing here is worth a file). The sampler is a
// timer that reads every app in turn; an app whose read fails gets no sample that minute.

export interface StatsSample {
  at: string;
  /** Summed over the app's tasks; absent when no task had two reads to compare yet. */
  cpuPercent?: number;
  memoryBytes: number;
  /** The tasks' limits summed; absent when a task has none of its own. */
  memoryLimitBytes?: number;
  rxBytes: number;
  txBytes: number;
  tasks: number;
}

/** One sample of the whole app from its tasks' figures (tasks without figures count as running, not as zero use). */
export function appSample(at: Date, tasks: readonly TaskStats[]): StatsSample {
  const read = tasks.filter((t) => t.memoryBytes !== undefined);
  const cpu = read.filter((t) => t.cpuPercent !== undefined);
  const sum = (pick: (t: TaskStats) => number | undefined) => read.reduce((s, t) => s + (pick(t) ?? 0), 0);
  const limited = read.length > 0 && read.every((t) => t.memoryLimitBytes !== undefined);
  return {
    at: at.toISOString(),
    ...(cpu.length > 0 ? { cpuPercent: Math.round(sum((t) => t.cpuPercent) * 100) / 100 } : {}),
    memoryBytes: sum((t) => t.memoryBytes),
    ...(limited ? { memoryLimitBytes: sum((t) => t.memoryLimitBytes) } : {}),
    rxBytes: sum((t) => t.rxBytes),
    txBytes: sum((t) => t.txBytes),
    tasks: tasks.length,
  };
}

/** A bounded ring of samples per app, oldest first. */
export class StatsHistory {
  private readonly rings = new Map<string, StatsSample[]>();

  constructor(readonly keep = 60) {}

  add(app: string, sample: StatsSample): void {
    const ring = this.rings.get(app) ?? [];
    ring.push(sample);
    if (ring.length > this.keep) ring.splice(0, ring.length - this.keep);
    this.rings.set(app, ring);
  }

  samples(app: string): StatsSample[] {
    return [...(this.rings.get(app) ?? [])];
  }

  /** Forgets apps that are gone (removed since the last look). */
  retain(apps: readonly string[]): void {
    const keep = new Set(apps);
    for (const app of this.rings.keys()) if (!keep.has(app)) this.rings.delete(app);
  }
}

/** The apps that run now: the app label on their services. */
export async function runningApps(docker: Docker): Promise<string[]> {
  const services = (await docker.listServices({ filters: { label: [LABELS.app] } })) as {
    Spec?: { Labels?: Record<string, string> };
  }[];
  return [...new Set(services.map((s) => s.Spec?.Labels?.[LABELS.app]).filter((a): a is string => !!a))].sort();
}

export interface StatsSampler {
  /** One round now (the timer's work; tests call it). */
  sample(): Promise<void>;
  stop(): void;
}

export function startStatsSampler(options: {
  docker: Docker;
  engines: NodeEngines;
  history: StatsHistory;
  everyMs?: number;
  /** One app's read failed (the others are sampled all the same), or the list of apps did. */
  onError?: (error: Error, app?: string) => void;
  now?: () => Date;
}): StatsSampler {
  // Each container's read of the round before: CPU is what it used over the minute.
  let previous = new Map<string, DockerStats>();
  const sample = async () => {
    const apps = await runningApps(options.docker);
    options.history.retain(apps);
    const next = new Map<string, DockerStats>();
    for (const app of apps) {
      try {
        const read = await readAppStats(options.docker, options.engines, app, { previous, windowMs: 0 });
        for (const [id, raw] of read.samples) next.set(id, raw);
        options.history.add(app, appSample((options.now ?? (() => new Date()))(), read.tasks));
      } catch (error) {
        options.onError?.(error as Error, app);
      }
    }
    previous = next;
  };
  const stop = runEvery(sample, options.everyMs ?? 60_000, (error) => options.onError?.(error));
  return { sample, stop };
}
