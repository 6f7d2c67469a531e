import type Docker from 'dockerode';
import { failureReason, latestReason, runningCount, type TaskInfo } from './task-status.js';

export type ServiceState = 'converged' | 'failed' | 'rolled-back' | 'timeout';

export interface ServiceReport {
  name: string;
  desired: number;
  running: number;
  state: ServiceState;
  /** The engine's reason, when not converged: no such image, no suitable node, exit code, health. */
  reason?: string;
}

export interface ConvergeOptions {
  timeoutMs?: number;
  pollMs?: number;
  /**
   * How long the same tasks must keep running before a changed service counts as converged:
   * a task that crashes at once is "running" for a moment, and must not pass for a success.
   */
  stableMs?: number;
  /** When the deploy began: only tasks since then count as evidence of a failure. */
  since?: Date;
}

const STABLE_MS = 5_000;

/** A service to wait for; `updatedAt` when its tasks were just asked to change. */
export interface Awaited {
  name: string;
  updatedAt?: Date;
  /** Left as it was by this deploy: an old update's outcome is history, not this deploy's result. */
  unchanged?: boolean;
}

interface ServiceInfo {
  Spec?: {
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate?: { ContainerSpec?: { Healthcheck?: { Test?: string[] } } };
  };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

/** The engine may not have begun a requested update when we first look; give it this long. */
const UPDATE_START_GRACE_MS = 10_000;

type UpdatePhase = 'none' | 'pending' | 'rolling' | 'completed' | 'rolled-back' | 'paused';

/**
 * Where the rolling update this deploy asked for stands. Only an UpdateStatus that started
 * after the request speaks for it: an older "completed" or "rollback_completed" is history.
 * If none starts within the grace period, the engine saw nothing to roll ("none").
 */
function updatePhase(info: ServiceInfo, since: Date | undefined): UpdatePhase {
  if (since === undefined) return 'none';
  const status = info.UpdateStatus;
  const started = status?.StartedAt ? Date.parse(status.StartedAt) : 0;
  if (started < since.getTime() - 1000)
    return Date.now() - since.getTime() < UPDATE_START_GRACE_MS ? 'pending' : 'none';
  switch (status?.State) {
    case 'completed':
      return 'completed';
    case 'rollback_completed':
      return 'rolled-back';
    case 'paused':
    case 'rollback_paused':
      return 'paused';
    default:
      return 'rolling';
  }
}

/** One look at one service: its report, and whether that report is final. */
async function look(
  docker: Docker,
  target: Awaited,
  since: Date | undefined,
): Promise<{ report: ServiceReport; done: boolean; running?: string }> {
  const { name } = target;
  const info = (await docker.getService(name).inspect()) as ServiceInfo;
  const tasks = (await docker.listTasks({ filters: { service: [name] } })) as TaskInfo[];
  const live = tasks.filter((t) => t.DesiredState === 'running');
  const global = info.Spec?.Mode?.Global !== undefined;
  const desired = global ? live.length : (info.Spec?.Mode?.Replicated?.Replicas ?? 1);
  const running = runningCount(tasks);
  const report: ServiceReport = { name, desired, running, state: 'converged' };
  const phase = target.unchanged ? 'none' : updatePhase(info, target.updatedAt);
  if (phase === 'rolled-back') {
    return {
      report: { ...report, state: 'rolled-back', reason: info.UpdateStatus?.Message ?? 'update rolled back' },
      done: true,
    };
  }
  if (phase === 'paused') {
    return {
      report: { ...report, state: 'failed', reason: info.UpdateStatus?.Message ?? 'update paused' },
      done: true,
    };
  }
  const updating = phase === 'pending' || phase === 'rolling';
  if (!updating && running >= desired && (desired > 0 || live.length === 0)) {
    // With a healthcheck, swarm reports a task running only once it is healthy: that is the
    // proof. Without one, the same tasks must keep running a while (see stableMs).
    const test = info.Spec?.TaskTemplate?.ContainerSpec?.Healthcheck?.Test ?? [];
    if (test.length > 0 && test[0] !== 'NONE') return { report, done: true };
    const ids = tasks.filter((t) => t.DesiredState === 'running' && t.Status?.State === 'running').map((t) => t.ID);
    return { report, done: true, running: ids.sort().join(',') };
  }
  const failure = updating ? undefined : failureReason(tasks, 3, since);
  if (failure) return { report: { ...report, state: 'failed', reason: failure }, done: true };
  const reason = latestReason(tasks);
  return { report: { ...report, state: 'timeout', ...(reason ? { reason } : {}) }, done: false };
}

/**
 * Waits until every service runs its desired replicas, fails for a reason the engine gives,
 * rolls back, or the timeout passes; never hangs. Reports each service either way.
 */
export async function waitForServices(
  docker: Docker,
  targets: Awaited[],
  options: ConvergeOptions = {},
): Promise<ServiceReport[]> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const poll = options.pollMs ?? 500;
  const names = targets.map((t) => t.name);
  const stableMs = options.stableMs ?? STABLE_MS;
  const final = new Map<string, ServiceReport>();
  // Per service: which tasks were running when it first looked converged, and since when.
  const steady = new Map<string, { tasks: string; since: number }>();
  let latest: ServiceReport[] = [];
  for (;;) {
    const pending = targets.filter((t) => !final.has(t.name));
    const looks = await Promise.all(
      pending.map(async (t) => ({ target: t, ...(await look(docker, t, options.since)) })),
    );
    latest = [];
    for (const l of looks) {
      const name = l.report.name;
      if (!l.done) {
        steady.delete(name);
        latest.push(l.report);
        continue;
      }
      if (l.running === undefined || l.target.unchanged) {
        final.set(name, l.report);
        continue;
      }
      const seen = steady.get(name);
      if (seen?.tasks !== l.running) steady.set(name, { tasks: l.running, since: Date.now() });
      else if (Date.now() - seen.since >= stableMs) final.set(name, l.report);
      if (!final.has(name))
        latest.push({ ...l.report, state: 'timeout', reason: 'running, not yet for long enough to be sure' });
    }
    if (latest.length === 0 || Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, poll));
  }
  return names.map((n) => final.get(n) ?? latest.find((r) => r.name === n)!);
}
